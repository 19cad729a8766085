"""The forecaster of SeqLab's parity check in PyTorch: the same CSV, chronological split,
normalisation (training rows only), windows, model (nn.LSTM/GRU/RNN then nn.Linear on the last
step), loss (mean over batch and horizon), Adam (PyTorch's defaults, no weight decay), constant
learning rate, clipping to the global norm, batch and steps. Prints one JSON line: val MAE (in the
target's units, over every validation window and step ahead) and windows/s.

Seeded on its own, it draws PyTorch's initialisation and its own shuffle. With --start FILE it
starts from SeqLab's initial weights and replays SeqLab's batches (a JSON file the parity check
writes): the two runs then differ only by floating-point rounding, so any gap is the recipe's.
Keep in step with bench/parityForecast.ts."""
import argparse, csv, json, math, random, time

import torch


def load_start(path, rnn, head, cell, hidden, layers):
    """SeqLab's weights into the PyTorch modules. SeqLab keeps [in, gates·H] kernels (PyTorch:
    [gates·H, in]); its LSTM gates are i,f,g,o as PyTorch's, its GRU gates z,r,h (PyTorch: r,z,n);
    an LSTM/RNN has one bias where PyTorch has b_ih + b_hh: each gets half (they receive the same
    gradient, so their sum moves as SeqLab's bias does at its doubled learning rate)."""
    with open(path) as f:
        start = json.load(f)
    w = start['weights']
    H = hidden

    def t(name):
        e = w[name]
        return torch.tensor(e['data'], dtype=torch.float32).reshape(e['shape'])

    def gates(m):  # [rows, gates·H] in SeqLab's gate order → PyTorch's order, transposed
        if cell == 'gru':
            m = torch.cat([m[:, H:2 * H], m[:, 0:H], m[:, 2 * H:]], 1)
        return m.t().contiguous()

    with torch.no_grad():
        for l in range(layers):
            getattr(rnn, f'weight_ih_l{l}').copy_(gates(t(f'layer_{l}/kernel')))
            getattr(rnn, f'weight_hh_l{l}').copy_(gates(t(f'layer_{l}/recurrent_kernel')))
            b = t(f'layer_{l}/bias')
            if cell == 'gru':
                getattr(rnn, f'bias_ih_l{l}').copy_(gates(b[0:1]).squeeze(1))
                getattr(rnn, f'bias_hh_l{l}').copy_(gates(b[1:2]).squeeze(1))
            else:
                getattr(rnn, f'bias_ih_l{l}').copy_(b / 2)
                getattr(rnn, f'bias_hh_l{l}').copy_(b / 2)
        head.weight.copy_(t('output/kernel').t())
        head.bias.copy_(t('output/bias'))
    return start['batches']


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--csv', required=True)
    a.add_argument('--target', required=True)
    a.add_argument('--cell', default='lstm')
    a.add_argument('--hidden', type=int, default=32)
    a.add_argument('--layers', type=int, default=1)
    a.add_argument('--window', type=int, default=22)
    a.add_argument('--horizon', type=int, default=1)
    a.add_argument('--val-fraction', type=float, default=0.2)
    a.add_argument('--batch', type=int, default=32)
    a.add_argument('--lr', type=float, default=5e-3)
    a.add_argument('--clip', type=float, default=5.0)
    a.add_argument('--steps', type=int, default=1000)
    a.add_argument('--seed', type=int, default=1)
    a.add_argument('--start', help="SeqLab's initial weights and batches (JSON)")
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
    rnn = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[o.cell](1, o.hidden, o.layers)
    head = torch.nn.Linear(o.hidden, H)
    replay = load_start(o.start, rnn, head, o.cell, o.hidden, o.layers) if o.start else None
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=o.lr)

    def batch(origins):
        x = torch.stack([z[t - N:t] for t in origins], 1).unsqueeze(-1)  # [T, B, 1]
        t = torch.stack([z[t:t + H] for t in origins], 0)
        return x, t

    def forward(x):
        out, _ = rnn(x)
        return head(out[-1])

    # As SeqLab: each epoch a fresh shuffle of the training windows, the last partial batch dropped.
    B = min(o.batch, len(train_origins))
    per_epoch = len(train_origins) // B
    order, step, clipped, t0 = [], 0, 0, time.time()
    while step < o.steps:
        if replay is not None:
            origins = replay[step]
        else:
            if step % per_epoch == 0:
                order = train_origins[:]
                random.shuffle(order)
            i = step % per_epoch
            origins = order[i * B:(i + 1) * B]
        x, t = batch(origins)
        loss = torch.mean((forward(x) - t) ** 2)
        opt.zero_grad()
        loss.backward()
        clipped += int(torch.nn.utils.clip_grad_norm_(params, o.clip).item() > o.clip)
        opt.step()
        step += 1
    seconds = time.time() - t0
    with torch.no_grad():
        x, t = batch(val_origins)
        err = (forward(x) - t) * std
    print(json.dumps({'cell': o.cell, 'mae': err.abs().mean().item(), 'seconds': seconds,
                      'windows_per_s': o.steps * B / seconds,
                      'clipped_steps': clipped, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
