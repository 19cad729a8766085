"""A SeqLab run folder from the PyTorch side (src/engine/runFolder): status.json, metrics.jsonl,
train.lock and the checkpoints folder, with the same names, atomic writes and pruning rules."""
import json
import os
import re
import secrets
import socket
from datetime import datetime, timezone

from .checkpoint import load_checkpoint, remove_checkpoint_dir, save_checkpoint
from .errors import SeqLabTorchError
from .fsutil import read_json, write_json_atomic

STEP_NAME = re.compile(r'^step-(\d+)$')


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def checkpoint_name(step):
    return f'step-{step:08d}'


def hash32(a, b):
    """SeqLab's hash32 (src/engine/rng.ts), bit for bit: dropout seeds and trainer.rngState."""
    M = 0xffffffff
    h = (((a ^ 0x85ebca6b) & M) * 0xcc9e2d51 & M) ^ (b & M)
    h = ((h ^ (h >> 16)) * 0x85ebca6b) & M
    h = ((h ^ (h >> 13)) * 0xc2b2ae35) & M
    return (h ^ (h >> 16)) & M


class RunFolder:
    def __init__(self, run_dir):
        self.dir = run_dir
        self.config = os.path.join(run_dir, 'config.json')
        self.status_file = os.path.join(run_dir, 'status.json')
        self.metrics = os.path.join(run_dir, 'metrics.jsonl')
        self.checkpoints = os.path.join(run_dir, 'checkpoints')
        self.lock = os.path.join(run_dir, 'train.lock')
        self._own_lock = False

    # status.json
    def read_status(self):
        return read_json(self.status_file)

    def update_status(self, **s):
        prev = self.read_status() or {}
        write_json_atomic(self.status_file, {**prev, **s, 'updatedAt': now_iso()})

    # metrics.jsonl
    def emit(self, event):
        """One event as one line; a torn last line (a run killed mid-write) is cut off first."""
        line = json.dumps(event, separators=(',', ':'), ensure_ascii=False) + '\n'
        try:
            with open(self.metrics, 'a+b') as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                if size:
                    f.seek(size - 1)
                    if f.read(1) != b'\n':
                        f.seek(0)
                        data = f.read()
                        f.truncate(data.rfind(b'\n') + 1)
                f.seek(0, os.SEEK_END)
                f.write(line.encode())
        except OSError as e:
            raise SeqLabTorchError('E_METRICS', f'Could not append to {self.metrics}: {e.strerror or e}', self.metrics,
                                   'Check that the run folder is writable (permissions, disk), then resume the run (seqlab resume).')

    # train.lock
    def acquire_lock(self):
        """Honours the lock held by SeqLab's launcher (SEQLAB_LOCK_PID); otherwise takes it, as
        the built-in engine does: written whole, linked into place, a dead holder on this host
        taken over, a live one (or one on another host) refused."""
        held_by = os.environ.get('SEQLAB_LOCK_PID')
        info = read_json(self.lock)
        if held_by and info and str(info.get('pid')) == held_by:
            return
        me = {'pid': os.getpid(), 'host': socket.gethostname(), 'startedAt': now_iso()}
        tmp = f'{self.lock}.tmp-{os.getpid()}-{secrets.token_hex(4)}'
        with open(tmp, 'w') as f:
            json.dump(me, f)
        try:
            for attempt in range(2):
                try:
                    os.link(tmp, self.lock)
                    self._own_lock = True
                    return
                except FileExistsError:
                    holder = read_json(self.lock)
                    if attempt == 0 and not (holder and self._holder_alive(holder)):
                        os.remove(self.lock)
                        continue
                    where = '' if holder.get('host') == socket.gethostname() else f" on {holder.get('host')}"
                    raise SeqLabTorchError(
                        'E_RUN_LOCKED', f"Run {os.path.basename(self.dir)} is being trained by process {holder.get('pid')}{where} (started {holder.get('startedAt')})",
                        self.dir, f'Stop that run first, or wait for it to finish. If that process no longer exists, delete {self.lock}.')
        finally:
            os.remove(tmp)

    @staticmethod
    def _holder_alive(h):
        if h.get('host') != socket.gethostname():
            return True
        try:
            os.kill(int(h.get('pid')), 0)
            return True
        except PermissionError:
            return True
        except (OSError, ValueError, TypeError):
            return False

    def release_lock(self):
        if self._own_lock and (read_json(self.lock) or {}).get('pid') == os.getpid():
            os.remove(self.lock)
        self._own_lock = False

    # checkpoints
    def step_names(self):
        try:
            return sorted(n for n in os.listdir(self.checkpoints) if STEP_NAME.match(n))
        except OSError:
            return []

    def newest_loadable(self):
        for n in reversed(self.step_names()):
            path = os.path.join(self.checkpoints, n)
            try:
                load_checkpoint(path)
                return path
            except SeqLabTorchError:
                continue
        return None

    def best_on_disk(self):
        losses = []
        for n in self.step_names():
            m = read_json(os.path.join(self.checkpoints, n, 'manifest.json'))
            v = (m or {}).get('valLoss')
            if isinstance(v, (int, float)):
                losses.append((n, v))
        if not losses:
            return set()
        lo = min(v for _, v in losses)
        return {n for n, v in losses if v == lo}

    def prune(self, keep):
        try:
            spare = self.best_on_disk()
            best = (self.read_status() or {}).get('best')
            if best:
                spare.add(best)
            names = self.step_names()
            for n in names[:max(0, len(names) - keep)]:
                if n not in spare:
                    remove_checkpoint_dir(os.path.join(self.checkpoints, n))
        except OSError:
            pass

    def commit_checkpoint(self, step, manifest, weights, optimizer, carry, is_best, keep, announce):
        name = checkpoint_name(step)
        path = os.path.join(self.checkpoints, name)
        save_checkpoint(path, manifest, weights, optimizer, carry)
        st = {'step': step, 'latest': name}
        if is_best:
            st['best'] = name
        self.update_status(**st)
        announce(path)
        self.prune(keep)
        return path
