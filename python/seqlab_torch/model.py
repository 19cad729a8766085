"""SeqLab's language model in PyTorch, holding its parameters in SeqLab's own layout.

Parameters are named and shaped as SeqLab's checkpoints store them (`embedding` [V, E],
`layer_l/kernel` [In, G·H], `layer_l/recurrent_kernel` [H, G·H], `layer_l/bias` [G·H] (GRU
[2, 3H]), `output/kernel` [H, V], `output/bias` [V]), so that checkpoints and optimizer slots map
one to one. The recurrence runs on PyTorch's fused RNN kernels (cuDNN on a GPU), fed transposed
views of the same tensors.

Gate orders: LSTM i, f, c, o in both. GRU: SeqLab z, r, h (Keras, reset_after); PyTorch r, z, n,
so the GRU's blocks are reordered on the way in. LSTM and RNN have one bias in SeqLab; PyTorch's
kernels take two, so the second is a constant zero.
"""
import math
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import _VF

# cuDNN copies weights that are not one flat buffer; ours are transposed views on purpose.
warnings.filterwarnings('ignore', message='RNN module weights are not part of single contiguous chunk')


def gate_count(cell):
    return {'lstm': 4, 'gru': 3, 'rnn': 1}[cell]


def param_shapes(c):
    """Names and shapes in SeqLab's fixed order (src/engine/model/shapes.ts)."""
    G, H = gate_count(c['cell']), c['hidden']
    out = [('embedding', [c['vocabSize'], c['embedding']])]
    for l in range(c['layers']):
        in_dim = c['embedding'] if l == 0 else H
        out.append((f'layer_{l}/kernel', [in_dim, G * H]))
        out.append((f'layer_{l}/recurrent_kernel', [H, G * H]))
        out.append((f'layer_{l}/bias', [2, G * H] if c['cell'] == 'gru' else [G * H]))
    out.append(('output/kernel', [H, c['vocabSize']]))
    out.append(('output/bias', [c['vocabSize']]))
    return out


def param_group(name):
    """The group a gradient norm is reported under: embedding, layer_0…, output."""
    return name.split('/')[0]


def _gru_blocks(m, H):
    """SeqLab's z, r, h column blocks of [*, 3H] → PyTorch's r, z, n row blocks of [3H, *]."""
    return torch.cat([m[..., H:2 * H], m[..., 0:H], m[..., 2 * H:3 * H]], dim=-1)


class SeqLabLM(nn.Module):
    """embedding → N recurrent layers (dropout between them) → linear; time-major [T, B]."""

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        self.cell = config['cell']
        self.H = config['hidden']
        self.L = config['layers']
        self.names = [n for n, _ in param_shapes(config)]
        self.weights = nn.ParameterDict()
        for name, shape in param_shapes(config):
            self.weights[name.replace('/', '__')] = nn.Parameter(torch.zeros(shape))

    def param(self, name):
        return self.weights[name.replace('/', '__')]

    def named_seqlab_parameters(self):
        return [(n, self.param(n)) for n in self.names]

    @torch.no_grad()
    def load_seqlab_weights(self, weights):
        """weights: name → array-like in SeqLab's shapes (a checkpoint's weights)."""
        for name, shape in param_shapes(self.config):
            w = torch.as_tensor(weights[name], dtype=torch.float32).reshape(shape)
            self.param(name).copy_(w)

    def seqlab_weights(self):
        return {n: p.detach().float().cpu().contiguous() for n, p in self.named_seqlab_parameters()}

    def zero_state(self, B, device=None):
        z = lambda: torch.zeros(B, self.H, device=device)
        return [(z(), z()) if self.cell == 'lstm' else z() for _ in range(self.L)]

    def layer_weights(self, l):
        """PyTorch's [w_ih, w_hh, b_ih, b_hh] for layer l, as differentiable views of ours."""
        W = self.param(f'layer_{l}/kernel')
        R = self.param(f'layer_{l}/recurrent_kernel')
        b = self.param(f'layer_{l}/bias')
        if self.cell == 'gru':
            return [_gru_blocks(W, self.H).t().contiguous(), _gru_blocks(R, self.H).t().contiguous(),
                    _gru_blocks(b[0], self.H), _gru_blocks(b[1], self.H)]
        return [W.t().contiguous(), R.t().contiguous(), b, torch.zeros_like(b)]

    def run_layer(self, l, x, state):
        """One recurrent layer over x [T, B, In] from state; returns y [T, B, H] and the final state."""
        w = self.layer_weights(l)
        if self.cell == 'lstm':
            h0, c0 = state
            y, h, c = _VF.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), w, True, 1, 0.0, self.training, False, False)
            return y, (h[0], c[0])
        fn = _VF.gru if self.cell == 'gru' else (
            _VF.rnn_relu if self.config.get('activation') == 'relu' else _VF.rnn_tanh)
        y, h = fn(x, state.unsqueeze(0), w, True, 1, 0.0, self.training, False, False)
        return y, h[0]

    def forward(self, ids, state, dropout_seed=None, keep_outputs=False):
        """ids [T, B] → logits [T, B, V], final states, and (keep_outputs) each layer's input and output."""
        x = F.embedding(ids, self.param('embedding'))
        finals, layers = [], []
        p = self.config.get('dropout', 0) or 0
        for l in range(self.L):
            if l > 0 and self.training and p > 0:
                x = F.dropout(x, p, True)
            inp = x
            x, s = self.run_layer(l, x, state[l])
            finals.append(s)
            if keep_outputs:
                layers.append((inp, x))
        logits = x @ self.param('output/kernel') + self.param('output/bias')
        return logits, finals, layers

    # The timestep-gradient probe, written out step by step: only on recorded steps.
    def _cell_step(self, l, x_t, state):
        W = self.param(f'layer_{l}/kernel').detach()
        R = self.param(f'layer_{l}/recurrent_kernel').detach()
        b = self.param(f'layer_{l}/bias').detach()
        H = self.H
        if self.cell == 'lstm':
            h, c = state
            z = x_t @ W + b + h @ R
            i, f, o = torch.sigmoid(z[:, :H]), torch.sigmoid(z[:, H:2 * H]), torch.sigmoid(z[:, 3 * H:])
            g = torch.tanh(z[:, 2 * H:3 * H])
            c = f * c + i * g
            h = o * torch.tanh(c)
            return h, (h, c)
        if self.cell == 'gru':
            h = state
            xt = x_t @ W + b[0]
            hu = h @ R + b[1]
            zr = torch.sigmoid(xt[:, :2 * H] + hu[:, :2 * H])
            z, r = zr[:, :H], zr[:, H:]
            n = torch.tanh(xt[:, 2 * H:] + r * hu[:, 2 * H:])
            h = n + z * (h - n)
            return h, h
        act = torch.relu if self.config.get('activation') == 'relu' else torch.tanh
        h = act(x_t @ W + b + state @ R)
        return h, h

    def timestep_gradient_norms(self, layers, states, dy_last):
        """norms[l][t] = ‖∂L_T/∂h_t‖: the gradient entering layer l at the window's last step,
        carried back through that layer's recurrence alone (as the built-in engine defines it)."""
        out = []
        for l, (inp, _) in enumerate(layers):
            x = inp.detach()
            st = states[l]
            st = tuple(s.detach() for s in st) if isinstance(st, tuple) else st.detach()
            with torch.enable_grad():
                hs = []
                for t in range(x.shape[0]):
                    h, st = self._cell_step(l, x[t], st)
                    if not h.requires_grad:
                        h = h.detach().requires_grad_(True)
                        st = (h, st[1]) if isinstance(st, tuple) else h
                    hs.append(h)
                s = (dy_last[l].detach() * hs[-1]).sum()
                grads = torch.autograd.grad(s, hs, allow_unused=True)
            out.append([0.0 if g is None else float(g.norm()) for g in grads])
        return out


def init_weights(model, scheme, seed):
    """SeqLab's two initialisations (src/engine/model/model.ts), drawn from PyTorch's generator:
    the same distributions, not the same numbers (those come from SeqLab's own RNG)."""
    torch.manual_seed(seed)
    c = model.config
    H = c['hidden']
    u = lambda shape, k: (torch.rand(shape) * 2 - 1) * k
    with torch.no_grad():
        for name, shape in param_shapes(c):
            p = model.param(name)
            if scheme == 'pytorch':
                k = 1 / math.sqrt(H)
                if name == 'embedding':
                    p.copy_(torch.randn(shape))
                elif name.endswith('/bias') and c['cell'] != 'gru' and name.startswith('layer_'):
                    p.copy_(u(shape, k) + u(shape, k))
                else:
                    p.copy_(u(shape, k))
            else:
                if name == 'embedding':
                    p.copy_(u(shape, 0.05))
                elif name.endswith('recurrent_kernel'):
                    q = torch.empty(shape)
                    nn.init.orthogonal_(q)
                    p.copy_(q)
                elif name.endswith('/kernel'):
                    p.copy_(u(shape, math.sqrt(6 / (shape[0] + shape[1]))))
                else:
                    p.zero_()
                    if c['cell'] == 'lstm' and name.startswith('layer_'):
                        p[H:2 * H] = 1.0
    return model
