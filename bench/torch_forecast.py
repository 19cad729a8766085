"""The forecaster of SeqLab's parity check in PyTorch: the same CSV, chronological split,
normalisation (training rows only), windows, model (nn.LSTM/GRU/RNN then nn.Linear on the last
step), loss, optimiser, clipping, batch and steps. Prints one JSON line: val MAE and windows/s.
Keep in step with bench/parityForecast.ts."""
import argparse, csv, json, math, random, time

import torch


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--csv', required=True)
    a.add_argument('--target', required=True)
    a.add_argument('--cell', default='lstm')
    a.add_argument('--hidden', type=int, default=32)
    a.add_argument('--window', type=int, default=22)
    a.add_argument('--horizon', type=int, default=1)
    a.add_argument('--val-fraction', type=float, default=0.2)
    a.add_argument('--batch', type=int, default=32)
    a.add_argument('--lr', type=float, default=5e-3)
    a.add_argument('--clip', type=float, default=5.0)
    a.add_argument('--steps', type=int, default=1000)
    a.add_argument('--seed', type=int, default=1)
    o = a.parse_args()
    torch.manual_seed(o.seed)
    random.seed(o.seed)
    torch.set_num_threads(2)
    with open(o.csv) as f:
        y = [float(r[o.target]) for r in csv.DictReader(f)]
    N, H = o.window, o.horizon
    rows = len(y)
    val_rows = min(rows - N - H, round(rows * o.val_fraction))
    train_rows = rows - val_rows
    mean = sum(y[:train_rows]) / train_rows
    std = math.sqrt(sum((v - mean) ** 2 for v in y[:train_rows]) / train_rows) or 1.0
    z = torch.tensor([(v - mean) / std for v in y], dtype=torch.float32)
    train_origins = list(range(N, train_rows - H + 1))
    val_origins = list(range(max(N, train_rows), rows - H + 1))
    rnn = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[o.cell](1, o.hidden)
    head = torch.nn.Linear(o.hidden, H)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=o.lr)

    def batch(origins):
        x = torch.stack([z[t - N:t] for t in origins], 1).unsqueeze(-1)  # [T, B, 1]
        t = torch.stack([z[t:t + H] for t in origins], 0)
        return x, t

    def forward(x):
        out, _ = rnn(x)
        return head(out[-1])

    B = min(o.batch, len(train_origins))
    per_epoch = len(train_origins) // B
    order, step, t0 = [], 0, time.time()
    while step < o.steps:
        if step % per_epoch == 0:
            order = train_origins[:]
            random.shuffle(order)
        i = step % per_epoch
        x, t = batch(order[i * B:(i + 1) * B])
        loss = torch.mean((forward(x) - t) ** 2)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, o.clip)
        opt.step()
        step += 1
    seconds = time.time() - t0
    with torch.no_grad():
        x, t = batch(val_origins)
        err = (forward(x) - t) * std
    print(json.dumps({'cell': o.cell, 'mae': err.abs().mean().item(), 'seconds': seconds,
                      'windows_per_s': o.steps * B / seconds, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
