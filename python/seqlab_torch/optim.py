"""SeqLab's optimizers and schedules (src/engine/optim.ts), with the same formulas and the same
named slots (`<param>/m`, `<param>/v`, `<param>/sq`, `<param>/momentum`), so a checkpoint's
optimizer state carries over between the engines exactly."""
import math

import torch


class Optimizer:
    def __init__(self, kind, momentum=0.9, weight_decay=0.0, lr_scale=None):
        self.kind = kind
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_scale = lr_scale or {}
        self.step = 0
        self.slots = {}

    def _slot(self, name, like):
        s = self.slots.get(name)
        if s is None:
            s = torch.zeros_like(like)
            self.slots[name] = s
        return s

    def load_slots(self, slots, device):
        for name, arr in slots.items():
            # `<param>/step` (the built-in engine's per-parameter Adam count) is not kept here:
            # every parameter trains every step on this engine, and a stale count saved back
            # would give the built-in engine the wrong bias correction when the run returns.
            if name.endswith('/step'):
                continue
            self.slots[name] = torch.as_tensor(arr.copy(), dtype=torch.float32, device=device)

    @torch.no_grad()
    def apply(self, params, lr0):
        """params: [(name, parameter)] whose .grad is set (already clipped)."""
        self.step += 1
        t = self.step
        for name, p in params:
            g = p.grad
            if g is None:
                continue
            lr = lr0 * self.lr_scale.get(name, 1)
            decays = self.weight_decay > 0 and not name.endswith('/bias')
            if self.kind == 'adam':
                b1, b2 = 0.9, 0.999
                m = self._slot(f'{name}/m', p)
                v = self._slot(f'{name}/v', p)
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).add_(g * g, alpha=1 - b2)
                step_size = lr / (1 - b1 ** t)
                denom = v.sqrt().div_(math.sqrt(1 - b2 ** t)).add_(1e-8)
                update = m / denom * step_size
            elif self.kind == 'rmsprop':
                sq = self._slot(f'{name}/sq', p)
                sq.mul_(0.99).add_(g * g, alpha=0.01)
                update = g / (sq.sqrt() + 1e-8) * lr
            elif self.momentum > 0:
                buf = self._slot(f'{name}/momentum', p)
                if t == 1:
                    buf.copy_(g)
                else:
                    buf.mul_(self.momentum).add_(g)
                update = buf * lr
            else:
                update = g * lr
            if decays:
                p.sub_(update + p * (lr * self.weight_decay))
            else:
                p.sub_(update)


def learning_rate(cfg, step):
    """The scheduled rate for 1-based `step` (constant, cosine to 10%, step decay; linear warm-up)."""
    lr, warm = cfg['lr'], cfg.get('warmupSteps', 0)
    if warm > 0 and step <= warm:
        return lr * step / warm
    kind = cfg.get('schedule', 'constant')
    if kind == 'step':
        return lr * cfg['decayRate'] ** math.floor(step / max(1, cfg['decaySteps']))
    if kind == 'cosine':
        total = cfg.get('steps', 0)
        if total <= warm:
            return lr
        p = min(1.0, (step - warm) / (total - warm))
        return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))
    return lr


def lr_scale_for(config, model_config):
    """PyTorch's b_ih + b_hh as one bias trained at twice the rate (SeqLab's 'pytorch' init)."""
    if config.get('init') == 'pytorch' and model_config['cell'] != 'gru':
        return {f'layer_{l}/bias': 2 for l in range(model_config['layers'])}
    return {}
