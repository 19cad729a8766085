"""SeqLab's checkpoint format (src/engine/checkpoint.ts), read and written from PyTorch.

A checkpoint is a folder: manifest.json (format, version, model, tokenizer, train config, step,
counters, sha256 of each .bin) and three TF.js weight groups — weights, optimizer slots, carried
recurrent state — each `<base>.json` (a TF.js weights manifest) plus `<base>.bin` (float32, little
endian, in the listed order). It is written under a temporary sibling name, fsynced, and renamed
into place, so a crash never leaves a partial checkpoint under its final name.
"""
import hashlib
import json
import os
import secrets
import shutil

import numpy as np
import torch

from .errors import SeqLabTorchError
from .fsutil import write_synced
from .model import SeqLabLM, param_shapes

FORMAT = 'seqlab-checkpoint'
VERSION = 1


def temp_sibling(path, suffix=''):
    name = f'.tmp-{os.path.basename(path)}-{os.getpid()}-{secrets.token_hex(4)}'
    return os.path.join(os.path.dirname(path), f'{name}-{suffix}' if suffix else name)


def _write_group(folder, base, entries):
    """entries: [(name, array)]; returns the sha256 of the .bin."""
    arrays = [np.ascontiguousarray(np.asarray(a, dtype='<f4')) for _, a in entries]
    buf = b''.join(a.tobytes() for a in arrays)
    manifest = [{'paths': [f'{base}.bin'],
                 'weights': [{'name': n, 'shape': list(a.shape), 'dtype': 'float32'}
                             for (n, _), a in zip(entries, arrays)]}]
    write_synced(os.path.join(folder, f'{base}.json'), json.dumps(manifest))
    write_synced(os.path.join(folder, f'{base}.bin'), buf)
    return hashlib.sha256(buf).hexdigest()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_checkpoint_dir(path):
    """Renamed away first, then deleted: never half-deleted under its final name."""
    if not os.path.exists(path):
        return
    doomed = temp_sibling(path, 'deleted')
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def checkpoint_loads(path):
    try:
        load_checkpoint(path)
        return True
    except SeqLabTorchError:
        return False


def save_checkpoint(path, manifest, weights, optimizer, carry):
    """manifest without format/version/sha256; weights/optimizer/carry: [(name, array)].
    An existing checkpoint that loads is kept (the same step of a run means the same weights)."""
    if os.path.exists(path) and checkpoint_loads(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = temp_sibling(path)
    try:
        os.mkdir(tmp)
        sha = {
            'weights.bin': _write_group(tmp, 'weights', weights),
            'optimizer.bin': _write_group(tmp, 'optimizer', optimizer),
            'carry.bin': _write_group(tmp, 'carry', carry),
        }
        full = {'format': FORMAT, 'version': VERSION, **manifest, 'sha256': sha}
        write_synced(os.path.join(tmp, 'manifest.json'), json.dumps(full, indent=2))
        _fsync_dir(tmp)
        remove_checkpoint_dir(path)
        os.rename(tmp, path)
        _fsync_dir(os.path.dirname(path))
        return path
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SeqLabTorchError('E_SAVE', f'Could not save checkpoint {path}: {e.strerror or e}', path,
                               'Free some disk space or make the run folder writable, then resume the run.')


def _corrupt(path, what):
    raise SeqLabTorchError('E_CHECKPOINT', f'Checkpoint file {path} {what}', path,
                           'Use another checkpoint, or delete this one.')


def _read_group(folder, base, sha):
    jf, bf = os.path.join(folder, f'{base}.json'), os.path.join(folder, f'{base}.bin')
    try:
        with open(jf, encoding='utf-8') as f:
            groups = json.load(f)
        with open(bf, 'rb') as f:
            buf = f.read()
    except (OSError, ValueError) as e:
        _corrupt(jf, f'cannot be read ({e})')
    ws = groups[0]['weights']
    need = sum(int(np.prod(w['shape'], dtype=np.int64)) * 4 for w in ws)
    if len(buf) != need:
        _corrupt(bf, f'is {"truncated" if len(buf) < need else "too long"} ({len(buf)} bytes, expected {need})')
    if hashlib.sha256(buf).hexdigest() != sha:
        _corrupt(bf, 'is corrupt (checksum mismatch)')
    allv = np.frombuffer(buf, dtype='<f4')
    out, off = {}, 0
    for w in ws:
        n = int(np.prod(w['shape'], dtype=np.int64))
        out[w['name']] = allv[off:off + n].reshape(w['shape'])
        off += n
    return out


def load_checkpoint(path):
    """Returns (manifest, weights, optimizer, carry), each tensor group a dict name → numpy array;
    checks the format version, sha256 checksums, sizes and the weights' shapes."""
    mf = os.path.join(path, 'manifest.json')
    if not os.path.isdir(path):
        raise SeqLabTorchError('E_CHECKPOINT', f'Checkpoint not found: {path}', path,
                               'Check the path; it may have been deleted.')
    try:
        with open(mf, encoding='utf-8') as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        _corrupt(mf, f'cannot be read ({e})')
    if m.get('format') != FORMAT:
        _corrupt(mf, 'is not a SeqLab checkpoint manifest')
    if m.get('version') != VERSION:
        raise SeqLabTorchError('E_CHECKPOINT_VERSION',
                               f'Checkpoint {path} has format version {m.get("version")}; this reads {VERSION}',
                               mf, 'Upgrade seqlab-torch, or retrain.')
    sha = m.get('sha256') or {}
    weights = _read_group(path, 'weights', sha.get('weights.bin'))
    for name, shape in param_shapes(m['model']):
        if name not in weights:
            _corrupt(os.path.join(path, 'weights.json'), f'has no tensor "{name}"')
        if list(weights[name].shape) != shape:
            _corrupt(os.path.join(path, 'weights.json'),
                     f'gives "{name}" shape {list(weights[name].shape)} but the model config needs {shape}')
    optimizer = _read_group(path, 'optimizer', sha.get('optimizer.bin'))
    carry = _read_group(path, 'carry', sha.get('carry.bin'))
    m['train'].setdefault('init', 'keras')
    return m, weights, optimizer, carry


def load_model(path, device='cpu'):
    """A SeqLab checkpoint as a ready SeqLabLM (eval mode) and its manifest."""
    m, weights, _, _ = load_checkpoint(path)
    model = SeqLabLM(m['model'])
    model.load_seqlab_weights(weights)
    return model.to(device).eval(), m


def tensors(d):
    return [(k, v.detach().float().cpu().numpy() if isinstance(v, torch.Tensor) else v) for k, v in d]
