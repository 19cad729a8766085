"""Atomic file writes, as SeqLab's TypeScript side does them: temporary name, fsync, rename."""
import json
import os
import secrets


def write_synced(path, data):
    if isinstance(data, str):
        data = data.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path, value):
    """`<file>.tmp-<pid>-<hex>`, the name SeqLab's crash recovery sweeps away when left behind."""
    tmp = f'{path}.tmp-{os.getpid()}-{secrets.token_hex(4)}'
    write_synced(tmp, json.dumps(value, indent=2))
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
