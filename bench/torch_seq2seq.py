#!/usr/bin/env python3
"""The PyTorch side of the sequence-to-sequence parity and speed checks: the same model as SeqLab's
encoder-decoder (src/engine/tasks/seq2seq/model.ts) and the same recipe, on token ids written by the
TypeScript side (bench/paritySeq2seq.ts, bench/seq2seq.ts).

Model: source embedding -> L recurrent layers (bidirectional: each direction H/2, reading the
source backwards within its length); the bridge: per layer, tanh(dense(final states of both
directions)) -> that decoder layer's initial h (and c for an LSTM); target embedding -> L recurrent
layers; Luong attention on the top layer's outputs (general: (h W) . m, or dot; padding masked),
h~ = tanh([context; h] W_c); output projection; label-smoothed cross-entropy over real tokens.
With --input-feeding (Luong et al. 2015, as SeqLab's inputFeeding.ts): the decoder runs step by
step and its first layer reads [embedding; h~ of the previous step] (zeros before the first), the
h~ columns of that layer's input weights Glorot-uniform as SeqLab's `input_feed/kernel`; greedy
and beam decoding carry h~ with the recurrent state.
Init as SeqLab's `pytorch` scheme: embeddings N(0, 1), recurrent layers U(+-1/sqrt(H)), dense
layers Glorot-uniform with zero biases. Adam, global-norm clipping, constant rate, batches of
pairs sorted by length within shuffled chunks of 32 batches.

  torch_seq2seq.py parity --data DIR --seed 1     train, then greedy-decode the validation sources
  torch_seq2seq.py speed  --data DIR --steps 30   training target tokens/s, then beam-search
                                                  sentences/s on the first validation sources
  either with --input-feeding                     the decoder with input feeding

Prints one JSON line (parity: with the decoded ids, which the TypeScript side scores).
"""
import argparse
import json
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CELLS = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}


class Seq2seq(nn.Module):
    def __init__(self, r, Vs, Vt, feed=False):
        super().__init__()
        self.feed = feed
        self.cell, self.L, H, E = r['cell'], r['layers'], r['hidden'], r['embedding']
        self.H, self.bi, self.score = H, r['bidirectional'], r['score']
        rnn = CELLS[self.cell]
        self.src_emb = nn.Embedding(Vs, E)
        self.encoder = rnn(E, H // 2 if self.bi else H, num_layers=self.L, bidirectional=self.bi)
        k = 2 if self.cell == 'lstm' else 1
        self.bridge = nn.ModuleList([nn.Linear(H, k * H) for _ in range(self.L)])
        self.tgt_emb = nn.Embedding(Vt, E)
        self.decoder = rnn(E + H if feed else E, H, num_layers=self.L)
        self.att = nn.Linear(H, H, bias=False) if self.score == 'general' else None
        self.att_out = nn.Linear(2 * H, H, bias=False)
        self.out = nn.Linear(H, Vt)
        for m in [*self.bridge, self.att, self.att_out, self.out]:
            if m is not None:
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        if feed:
            # SeqLab keeps the first layer's kernel [E, G*H] and adds h~ W_feed, W_feed [H, G*H]
            # Glorot-uniform: the same product as these columns of PyTorch's [G*H, E+H] weight.
            with torch.no_grad():
                w = torch.empty(self.decoder.weight_ih_l0.shape[0], H)
                nn.init.xavier_uniform_(w)
                self.decoder.weight_ih_l0[:, E:] = w

    def encode(self, src, lengths):
        """src [S, B] right-padded -> memory [B, S, H], padding bias [B, 1, S], initial states."""
        S, B = src.shape
        packed = nn.utils.rnn.pack_padded_sequence(self.src_emb(src), lengths, enforce_sorted=False)
        y, state = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(y, total_length=S)
        h = state[0] if self.cell == 'lstm' else state
        # h [L * dirs, B, H/dirs]: each layer's final states, forward at the last real step and
        # backward at the first, side by side.
        dirs = 2 if self.bi else 1
        finals = h.view(self.L, dirs, B, -1).permute(0, 2, 1, 3).reshape(self.L, B, self.H)
        init = [torch.tanh(self.bridge[l](finals[l])) for l in range(self.L)]
        h0 = torch.stack([x[:, : self.H] for x in init])
        state0 = (h0, torch.stack([x[:, self.H :] for x in init])) if self.cell == 'lstm' else h0
        pad = torch.arange(S).unsqueeze(0) >= lengths.unsqueeze(1)
        bias = torch.zeros(B, 1, S).masked_fill(pad.unsqueeze(1), -1e9)
        if self.feed:
            # The attentional vector fed to the first step: zeros, as SeqLab's initialStates.
            state0 = (state0, torch.zeros(B, self.H))
        return memory.transpose(0, 1), bias, state0

    def attend(self, q, memory, bias):
        qk = self.att(q) if self.att is not None else q
        weights = torch.softmax(qk @ memory.transpose(1, 2) + bias, dim=2)
        context = weights @ memory
        return torch.tanh(self.att_out(torch.cat([context, q], 2))), weights

    def select(self, state, sel):
        """The state's rows `sel` (beams that survive): recurrent [L, B, H], fed h~ [B, H]."""
        if self.feed:
            rnn_state, fed = state
            return (self._select_rnn(rnn_state, sel), fed[sel])
        return self._select_rnn(state, sel)

    @staticmethod
    def _select_rnn(state, sel):
        return tuple(s[:, sel] for s in state) if isinstance(state, tuple) else state[:, sel]

    def decode(self, memory, bias, state, tgt_in):
        """tgt_in [T, B] -> h~ [B, T, H], attention [B, T, S], final decoder state."""
        if self.feed:
            return self.decode_feeding(memory, bias, state, tgt_in)
        y, state = self.decoder(self.tgt_emb(tgt_in), state)
        h, weights = self.attend(y.transpose(0, 1), memory, bias)
        return h, weights, state

    def decode_feeding(self, memory, bias, state, tgt_in):
        """Input feeding: attention inside the recurrence, so one step at a time."""
        rnn_state, fed = state
        x = self.tgt_emb(tgt_in)
        hs, ws = [], []
        for t in range(x.shape[0]):
            y, rnn_state = self.decoder(torch.cat([x[t], fed], 1).unsqueeze(0), rnn_state)
            h, w = self.attend(y.transpose(0, 1), memory, bias)
            hs.append(h)
            ws.append(w)
            fed = h[:, 0]
        return torch.cat(hs, 1), torch.cat(ws, 1), (rnn_state, fed)


def batch_of(pairs, idx, src_pad, tgt_pad, bos, eos):
    S = max(len(pairs[i][0]) for i in idx)
    T = max(len(pairs[i][1]) for i in idx) + 1
    B = len(idx)
    src = torch.full((S, B), src_pad, dtype=torch.long)
    tgt_in = torch.full((T, B), tgt_pad, dtype=torch.long)
    tgt_out = torch.full((T, B), -100, dtype=torch.long)
    for b, i in enumerate(idx):
        s, t = pairs[i]
        src[: len(s), b] = torch.tensor(s)
        tgt_in[0, b] = bos
        if t:
            tgt_in[1 : len(t) + 1, b] = torch.tensor(t)
            tgt_out[: len(t), b] = torch.tensor(t)
        tgt_out[len(t), b] = eos
    return src, torch.tensor([len(pairs[i][0]) for i in idx]), tgt_in, tgt_out


def bucketed(n, lengths, B, rng):
    order = list(range(n))
    rng.shuffle(order)
    batches = []
    for c in range(0, n, B * 32):
        part = sorted(order[c : c + B * 32], key=lambda i: lengths[i])
        batches += [part[i : i + B] for i in range(0, len(part), B)]
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def greedy(m, d, pairs, ratio, batch=64):
    t = d['target']
    out = []
    for s0 in range(0, len(pairs), batch):
        idx = list(range(s0, min(s0 + batch, len(pairs))))
        src, lengths, _, _ = batch_of(pairs, idx, d['source']['pad'], t['pad'], t['bos'], t['eos'])
        memory, bias, state = m.encode(src, lengths)
        limit = [int(-(-ratio * int(l) // 1)) + 5 for l in lengths]
        prev = torch.full((1, len(idx)), t['bos'], dtype=torch.long)
        rows = [[] for _ in idx]
        done = [False] * len(idx)
        for _ in range(max(limit)):
            h, _, state = m.decode(memory, bias, state, prev)
            logits = m.out(h[:, 0])
            logits[:, t['pad']] = -1e9
            logits[:, t['bos']] = -1e9
            best = logits.argmax(1)
            for b in range(len(idx)):
                if done[b]:
                    continue
                if int(best[b]) == t['eos']:
                    done[b] = True
                else:
                    rows[b].append(int(best[b]))
                if len(rows[b]) >= limit[b]:
                    done[b] = True
            if all(done):
                break
            prev = best.unsqueeze(0)
        out += rows
    return out


@torch.no_grad()
def beam_one(m, d, src_ids, K, alpha, ratio):
    """Beam search for one source, as SeqLab's decode.ts beamSearch (length-normalised finish)."""
    t = d['target']
    src = torch.tensor(src_ids).unsqueeze(1)
    memory, bias, state = m.encode(src, torch.tensor([len(src_ids)]))
    max_len = int(-(-ratio * len(src_ids) // 1)) + 5
    live = [([], 0.0)]
    finished = []
    for step in range(max_len):
        n = len(live)
        prev = torch.tensor([[h[0][-1] if h[0] else t['bos'] for h in live]])
        h, _, state = m.decode(memory.expand(n, -1, -1), bias.expand(n, -1, -1), state, prev)
        logp = torch.log_softmax(m.out(h[:, 0]), 1)
        logp[:, t['pad']] = -float('inf')
        logp[:, t['bos']] = -float('inf')
        scores = (logp + torch.tensor([s for _, s in live]).unsqueeze(1)).view(-1)
        top = torch.topk(scores, min(2 * K, scores.numel()))
        nxt, frm = [], []
        for sc, flat in zip(top.values.tolist(), top.indices.tolist()):
            i, tok = divmod(flat, logp.shape[1])
            ids = live[i][0] + [tok]
            if tok == t['eos'] or step == max_len - 1:
                finished.append((ids, sc / max(1, len(ids)) ** alpha))
            else:
                nxt.append((ids, sc))
                frm.append(i)
            if len(nxt) >= K or len(finished) >= K:
                break
        if len(finished) >= K or not nxt:
            break
        live = nxt
        state = m.select(state, torch.tensor(frm))
    pool = finished or [(ids, s / max(1, len(ids)) ** alpha) for ids, s in live]
    return max(pool, key=lambda x: x[1])[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['parity', 'speed'])
    ap.add_argument('--data', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--steps', type=int, default=0)
    ap.add_argument('--input-feeding', action='store_true')
    a = ap.parse_args()
    with open(f'{a.data}/data.json') as f:
        d = json.load(f)
    r = d['recipe']
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    torch.set_num_threads(int(r.get('threads', 2)))
    m = Seq2seq(r, d['source']['size'], d['target']['size'], a.input_feeding)
    out = {'torch': torch.__version__}
    opt = torch.optim.Adam(m.parameters(), lr=r['lr'], eps=1e-7)
    steps = a.steps or r['steps']
    train = d['train']
    lengths = [(len(s), len(t)) for s, t in train]
    t = d['target']
    batches, step, tokens, seconds, losses = [], 0, 0, 0.0, []
    while step < steps:
        if not batches:
            batches = bucketed(len(train), lengths, r['batch'], rng)
        idx = batches.pop()
        src, L, tgt_in, tgt_out = batch_of(train, idx, d['source']['pad'], t['pad'], t['bos'], t['eos'])
        t0 = time.time()
        memory, bias, state = m.encode(src, L)
        h, _, _ = m.decode(memory, bias, state, tgt_in)
        logits = m.out(h).transpose(0, 1).reshape(-1, t['size'])
        loss = F.cross_entropy(
            logits, tgt_out.reshape(-1), ignore_index=-100, label_smoothing=r['labelSmoothing']
        )
        opt.zero_grad()
        loss.backward()
        if r['clip'] > 0:
            nn.utils.clip_grad_norm_(m.parameters(), r['clip'])
        opt.step()
        losses = (losses + [float(loss)])[-20:]
        # The first step warms up (as the TypeScript side leaves out its first).
        if step > 0:
            seconds += time.time() - t0
            tokens += int((tgt_out >= 0).sum())
        step += 1
    out.update({'seconds': seconds, 'tokens_per_s': tokens / max(seconds, 1e-9), 'loss': float(loss),
                'loss_tail': sum(losses) / len(losses)})
    m.eval()
    if a.mode == 'parity':
        out['hyps'] = greedy(m, d, d['val'], r['maxLenRatio'])
    else:
        srcs = [p[0] for p in d['val'][: r['beamSentences']]]
        t0 = time.time()
        lens = [len(beam_one(m, d, s, r['beam'], r['lengthPenalty'], r['maxLenRatio'])) for s in srcs]
        out['sentences_per_s'] = len(srcs) / (time.time() - t0)
        out['beam_mean_length'] = sum(lens) / len(lens)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
