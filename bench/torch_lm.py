#!/usr/bin/env python3
"""The PyTorch side of `npm run bench` and `npm run parity`: the reference character LM
(embedding 64, 2 recurrent layers of 256, T 64, batch 32, Adam, clip 5, truncated BPTT with
carried state), trained on token ids written by the TypeScript side, so both see the same data.

  torch_lm.py speed  --cell lstm --steps 12
  torch_lm.py parity --cell lstm --data DIR --steps 300

Prints one JSON line. Checks that OpenBLAS is the BLAS actually loaded, and says so.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def blas_loaded():
    with open('/proc/self/maps') as f:
        libs = {line.split()[-1] for line in f if '.so' in line}
    for name in ('openblas', 'libblas', 'mkl', 'blis', 'atlas'):
        hits = sorted(lib for lib in libs if name in os.path.basename(lib))
        if hits:
            return os.path.realpath(hits[0])
    return 'unknown'


class LM(nn.Module):
    def __init__(self, cell, V, E=64, H=256, L=2):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        rnn = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[cell]
        self.rnn = rnn(E, H, num_layers=L)
        self.out = nn.Linear(H, V)

    def forward(self, x, h):
        y, h = self.rnn(self.emb(x), h)
        return self.out(y), h


def keras_init(model, cell):
    """SeqLab's (Keras') initialisation, to tell init effects from everything else."""
    with torch.no_grad():
        nn.init.uniform_(model.emb.weight, -0.05, 0.05)
        H = model.rnn.hidden_size
        for name, p in model.rnn.named_parameters():
            if name.startswith('weight_ih'):
                fan_out, fan_in = p.shape  # [G*H, in]
                lim = math.sqrt(6 / (fan_in + fan_out))
                nn.init.uniform_(p, -lim, lim)
            elif name.startswith('weight_hh'):
                w = torch.empty(p.shape[1], p.shape[0])  # Keras: [H, G*H] orthogonal as a whole
                nn.init.orthogonal_(w)
                p.copy_(w.t())
            else:
                p.zero_()
                if cell == 'lstm' and name.startswith('bias_ih'):
                    p[H:2 * H] = 1.0
        lim = math.sqrt(6 / (model.out.in_features + model.out.out_features))
        nn.init.uniform_(model.out.weight, -lim, lim)
        model.out.bias.zero_()


def detach(h):
    if h is None:
        return None
    return tuple(t.detach() for t in h) if isinstance(h, tuple) else h.detach()


def streams(tokens, B, T):
    """Same layout as SeqLab's StreamBatcher: B contiguous streams, windows of T."""
    stream_len = (len(tokens) - 1) // B
    windows = stream_len // T
    data = torch.from_numpy(tokens.astype(np.int64))

    def window(w):
        idx = torch.arange(B).unsqueeze(0) * stream_len + w * T + torch.arange(T).unsqueeze(1)  # [T, B]
        return data[idx], data[idx + 1]

    return windows, window


def train(cell, tokens, V, steps, B=32, T=64, lr=2e-3, clip=5.0, seed=1, on_step=None, init='torch'):
    torch.manual_seed(seed)
    model = LM(cell, V)
    if init == 'keras':
        keras_init(model, cell)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    windows, window = streams(tokens, B, T)
    h = None
    for step in range(steps):
        w = step % windows
        if w == 0:
            h = None
        x, y = window(w)
        logits, h = model(x, h)
        h = detach(h)
        loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if on_step:
            on_step(step, loss.item())
    return model


@torch.no_grad()
def evaluate(model, tokens, V, B=32, T=64):
    # SeqLab's evaluate: the largest batch up to B that gives at least one window.
    while B > 1 and ((len(tokens) - 1) // B) // T < 1:
        B -= 1
    windows, window = streams(tokens, B, T)
    h = None
    total = 0.0
    for w in range(windows):
        x, y = window(w)
        logits, h = model(x, h)
        total += nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).item()
    return total / windows


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['speed', 'parity'])
    p.add_argument('--cell', default='lstm', choices=['lstm', 'gru', 'rnn'])
    p.add_argument('--steps', type=int, default=12)
    p.add_argument('--data', help='parity: folder with train.bin, val.bin (int32) and meta.json')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--init', default='torch', choices=['torch', 'keras'],
                   help="PyTorch's default initialisation, or SeqLab's (Keras') for comparison")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    B, T = 32, 64
    if a.mode == 'speed':
        V = 96
        rng = np.random.default_rng(1)
        tokens = rng.integers(0, V, size=(a.steps + 4) * B * T + B + 1, dtype=np.int32)
        times = []
        last = [time.perf_counter()]

        def tick(step, _loss):
            now = time.perf_counter()
            if step > 0:  # the first step includes allocation and warm-up
                times.append(now - last[0])
            last[0] = now

        train(a.cell, tokens, V, a.steps + 1, on_step=tick)
        tps = B * T * len(times) / sum(times)
        print(json.dumps({'cell': a.cell, 'tokens_per_s': tps, 'threads': a.threads, 'blas': blas_loaded(),
                          'torch': torch.__version__}))
        return
    meta = json.load(open(os.path.join(a.data, 'meta.json')))
    train_tokens = np.fromfile(os.path.join(a.data, 'train.bin'), dtype=np.int32)
    val_tokens = np.fromfile(os.path.join(a.data, 'val.bin'), dtype=np.int32)
    V = meta['vocabSize']
    t0 = time.perf_counter()
    model = train(a.cell, train_tokens, V, a.steps, init=a.init)
    seconds = time.perf_counter() - t0
    model.eval()
    val = evaluate(model, val_tokens, V)
    bpc = val / math.log(2) * len(val_tokens) / meta['valChars']
    print(json.dumps({'cell': a.cell, 'init': a.init, 'steps': a.steps, 'val_loss': val, 'val_bpc': bpc, 'seconds': seconds,
                      'blas': blas_loaded(), 'torch': torch.__version__}))


if __name__ == '__main__':
    sys.exit(main())
