"""A tokenized shard written by SeqLab's TypeScript side: meta.json plus flat little-endian token
ids (train.bin, val.bin; uint16 below 65536 entries, else uint32; no header), memory-mapped so
that a corpus bigger than memory never has to fit in it."""
import json
import os

import numpy as np

from .errors import SeqLabTorchError


class Shard:
    def __init__(self, folder):
        self.folder = folder
        meta_file = os.path.join(folder, 'meta.json')
        try:
            with open(meta_file, encoding='utf-8') as f:
                self.meta = json.load(f)
        except (OSError, ValueError) as e:
            raise SeqLabTorchError('E_SHARD', f'Cannot read the shard header {meta_file} ({e})', meta_file,
                                   'Start the run again from SeqLab (seqlab train --engine torch), which writes the shard.')
        if self.meta.get('format') != 'seqlab-shard' or self.meta.get('version') != 1:
            raise SeqLabTorchError('E_SHARD', f'{meta_file} is not a version 1 SeqLab shard header', meta_file,
                                   'Write the shard again with this SeqLab.')
        self.dtype = np.dtype('<u2' if self.meta['dtype'] == 'uint16' else '<u4')
        self.vocab_size = self.meta['vocabSize']
        self.tokenizer = self.meta['tokenizer']

    def split(self, name):
        """The token ids of `train` or `val` as a read-only memory map (an empty array when none)."""
        info = self.meta[name]
        path = os.path.join(self.folder, info['file'])
        n = info['tokens']
        if n == 0:
            return np.zeros(0, dtype=self.dtype)
        size = os.path.getsize(path) if os.path.exists(path) else -1
        if size != n * self.dtype.itemsize:
            raise SeqLabTorchError('E_SHARD', f'{path} holds {max(size, 0)} bytes; meta.json says {n} tokens of {self.dtype.itemsize} bytes',
                                   path, 'Write the shard again (start the run again from SeqLab).')
        return np.memmap(path, dtype=self.dtype, mode='r', shape=(n,))


def fit_batch(n_tokens, B, T, min_windows=1):
    """Largest batch ≤ B with at least `min_windows` windows of T (SeqLab's StreamBatcher.fitBatch)."""
    for b in range(B, 0, -1):
        if ((n_tokens - 1) // b) // T >= min_windows:
            return b
    return 0


class Streams:
    """B parallel streams of the token stream, read T at a time (SeqLab's StreamBatcher): window
    w+1 of stream b continues where window w ended. A rank reads only its streams [lo, hi)."""

    def __init__(self, tokens, B, T, lo=0, hi=None):
        self.tokens, self.B, self.T = tokens, B, T
        self.lo, self.hi = lo, B if hi is None else hi
        self.stream_len = (len(tokens) - 1) // B
        self.windows = self.stream_len // T

    def window(self, w):
        """(inputs, targets) int64 [T, hi-lo]."""
        b = np.arange(self.lo, self.hi, dtype=np.int64)
        idx = b[None, :] * self.stream_len + w * self.T + np.arange(self.T, dtype=np.int64)[:, None]
        x = np.asarray(self.tokens[idx], dtype=np.int64)
        y = np.asarray(self.tokens[idx + 1], dtype=np.int64)
        return x, y
