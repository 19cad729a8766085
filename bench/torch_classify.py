#!/usr/bin/env python3
"""The PyTorch side of the classifier's parity and speed checks: the same model as SeqLab's
classifier (embedding -> recurrent layers -> mean pooling over valid positions -> linear, softmax
cross-entropy), the same recipe (Adam, clip, batch, steps, length-bucketed batches of right-padded
examples) on token ids written by the TypeScript side (bench/parityClassify.ts).

  torch_classify.py parity --data DIR --seed 1
  torch_classify.py speed  --data DIR --steps 30

Prints one JSON line.
"""
import argparse
import json
import random
import time

import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, cell, V, E, H, L, C):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        rnn = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[cell]
        self.rnn = rnn(E, H, num_layers=L)
        self.out = nn.Linear(H, C)

    def forward(self, x, lengths):
        # x: [T, B] right-padded; padding sits after every valid position, so the states at valid
        # positions do not depend on it, and the mask keeps it out of the mean.
        y, _ = self.rnn(self.emb(x))
        T, B = x.shape
        mask = (torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)).float().unsqueeze(2)
        pooled = (y * mask).sum(0) / lengths.unsqueeze(1).float()
        return self.out(pooled)


def batch_of(seqs, idx):
    T = max(len(seqs[i]) for i in idx)
    x = torch.zeros(T, len(idx), dtype=torch.long)
    for b, i in enumerate(idx):
        x[: len(seqs[i]), b] = torch.tensor(seqs[i])
    return x, torch.tensor([len(seqs[i]) for i in idx])


def bucketed(lengths, B, rng):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    for s in range(0, len(order), B * 50):
        part = sorted(order[s : s + B * 50], key=lambda i: lengths[i])
        batches += [part[i : i + B] for i in range(0, len(part), B)]
    rng.shuffle(batches)
    return batches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['parity', 'speed'])
    ap.add_argument('--data', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--steps', type=int, default=0)
    a = ap.parse_args()
    with open(f'{a.data}/data.json') as f:
        d = json.load(f)
    r = d['recipe']
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    torch.set_num_threads(int(r.get('threads', 2)))
    m = Classifier(r['cell'], d['vocabSize'], r['embedding'], r['hidden'], r['layers'], len(d['labels']))
    opt = torch.optim.Adam(m.parameters(), lr=r['lr'])
    steps = a.steps or r['steps']
    train, ytrain = d['train']['seqs'], d['train']['labels']
    lengths = [len(s) for s in train]
    batches, step, tokens, t0 = [], 0, 0, time.time()
    while step < steps:
        if not batches:
            batches = bucketed(lengths, r['batch'], rng)
        idx = batches.pop()
        x, L = batch_of(train, idx)
        loss = nn.functional.cross_entropy(m(x, L), torch.tensor([ytrain[i] for i in idx]))
        opt.zero_grad()
        loss.backward()
        if r['clip'] > 0:
            nn.utils.clip_grad_norm_(m.parameters(), r['clip'])
        opt.step()
        step += 1
        tokens += int(L.sum())
    seconds = time.time() - t0
    out = {'seconds': seconds, 'tokens_per_s': tokens / seconds, 'torch': torch.__version__}
    if a.mode == 'parity':
        m.eval()
        val, yval = d['val']['seqs'], d['val']['labels']
        correct = 0
        with torch.no_grad():
            for s in range(0, len(val), 64):
                idx = list(range(s, min(s + 64, len(val))))
                x, L = batch_of(val, idx)
                pred = m(x, L).argmax(1)
                correct += sum(int(p) == yval[i] for p, i in zip(pred, idx))
        out['accuracy'] = correct / len(val)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
