"""The PyTorch engine's entry point, run once per process by torchrun:

    torchrun --nproc-per-node N -m seqlab_torch.train --run <run folder> [--device auto|cpu|cuda] [--bf16]

SeqLab's launcher writes the run folder first: config.json, the tokenized shard, and torch.json
(the resolved training config, the model with its vocabulary size, the batch, the corpus report,
the sample's prime, the checkpoint to resume from). Every rank reads its share of the B parallel
streams; DistributedDataParallel averages the gradients, so N ranks at a global batch B follow
one rank at B. Rank 0 writes metrics.jsonl, status.json and the checkpoints, in SeqLab's formats.
"""
import argparse
import contextlib
import math
import os
import signal
import socket
import sys
import time
import traceback

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from .checkpoint import load_checkpoint, tensors
from .errors import SeqLabTorchError, report
from .fsutil import read_json
from .model import SeqLabLM, init_weights, param_group
from .optim import Optimizer, learning_rate, lr_scale_for
from .runfolder import RunFolder, checkpoint_name, hash32, now_iso
from .shard import Shard, Streams, fit_batch
from .sysmetrics import GpuProbe, SystemSampler
from .tokenizer import Decoder

LN2 = math.log(2)


def ms():
    return int(time.time() * 1000)


def pick_device(asked, local_rank):
    if asked == 'cpu':
        return torch.device('cpu')
    if torch.cuda.is_available():
        return torch.device('cuda', local_rank % torch.cuda.device_count())
    if asked == 'cuda':
        cuda = torch.version.cuda
        raise SeqLabTorchError(
            'E_CUDA', f'A GPU was asked for (--device cuda) but PyTorch {torch.__version__} sees none'
            + (f' (built for CUDA {cuda}; no usable NVIDIA driver or device)' if cuda else ' (a CPU-only build)'),
            '--device', 'Install a CUDA build of PyTorch (pip install torch) and the NVIDIA driver, or train on the CPU with --device cpu.')
    return torch.device('cpu')


class Trainer:
    def __init__(self, args):
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        self.local_rank = int(os.environ.get('LOCAL_RANK', '0'))
        self.run = RunFolder(os.path.abspath(args.run))
        self.is_main = self.rank == 0
        self.stop_asked = False
        crash = os.environ.get('SEQLAB_TORCH_CRASH_RANK')
        if crash is not None and int(crash) == self.rank:
            raise RuntimeError(f'rank {self.rank} crashed at start (SEQLAB_TORCH_CRASH_RANK)')
        spec_file = os.path.join(self.run.dir, 'torch.json')
        spec = read_json(spec_file)
        if not spec:
            raise SeqLabTorchError('E_TORCH_SPEC', f'{spec_file} is missing or not JSON', spec_file,
                                   'Start the run from SeqLab (seqlab train --engine torch), which writes it.')
        self.spec = spec
        self.cfg = spec['config']
        self.mc = spec['model']
        self.device = pick_device(args.device or spec.get('device', 'auto'), self.local_rank)
        self.bf16 = bool(args.bf16 or spec.get('bf16')) and self.device.type == 'cuda'
        if self.world > 1:
            dist.init_process_group('nccl' if self.device.type == 'cuda' else 'gloo')
        if self.device.type == 'cuda':
            torch.cuda.set_device(self.device)
        self.B = spec['batch']
        self.T = self.cfg['seqLen']
        if self.B % self.world:
            raise SeqLabTorchError('E_TORCH_BATCH', f'A batch of {self.B} streams does not split evenly over {self.world} processes',
                                   '--nproc', f'Use a batch that is a multiple of {self.world} (--batch), or a number of processes that divides {self.B} (--nproc).')
        self.Bl = self.B // self.world
        shard = Shard(spec['shard'])
        self.train_tokens = shard.split('train')
        self.val_tokens = shard.split('val')
        self.decoder = Decoder(shard.tokenizer)
        self.tokenizer_json = shard.tokenizer
        self.streams = Streams(self.train_tokens, self.B, self.T, self.rank * self.Bl, (self.rank + 1) * self.Bl)
        self.model = SeqLabLM(self.mc)
        # --resume (a requeued job): the newest checkpoint now, not the one the run was prepared from.
        resume = (self.run.newest_loadable() if args.resume else None) or spec.get('resumeFrom')
        self.counters = {'step': 0, 'epoch': 0, 'window': 0, 'tokensSeen': 0, 'bestVal': None, 'elapsedBefore': 0.0}
        slots, carry = {}, {}
        if resume:
            m, weights, slots, carry = load_checkpoint(resume)
            self.model.load_seqlab_weights(weights)
            t = m['trainer']
            self.counters = {'step': m['step'], 'epoch': t['epoch'], 'window': t['window'], 'tokensSeen': m['tokensSeen'],
                             'bestVal': t['bestValLoss'], 'elapsedBefore': t['elapsedSeconds']}
        else:
            init_weights(self.model, self.cfg.get('init', 'pytorch'), self.cfg['seed'])
        self.resumed_from = self.counters['step']
        self.model.to(self.device)
        self.ddp = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP
            self.ddp = DDP(self.model, device_ids=[self.device.index] if self.device.type == 'cuda' else None)
        self.params = self.model.named_seqlab_parameters()
        self.opt = Optimizer(self.cfg['optimizer'], self.cfg.get('momentum', 0.9), self.cfg.get('weightDecay', 0),
                             lr_scale_for(self.cfg, self.mc))
        self.opt.step = self.counters['step']
        self.opt.load_slots(slots, self.device)
        self.state = self.restore_state(carry)
        self.t0 = time.time()
        self.last_eval = None
        self.system = SystemSampler(gpu=self.gpu_probe()) if self.is_main else None
        self.last_checkpoint = None

    # state carried between windows
    def restore_state(self, carry):
        L, lstm = self.mc['layers'], self.mc['cell'] == 'lstm'
        fits = len(carry) == L * (2 if lstm else 1) and all(v.shape[0] == self.B for v in carry.values())
        if not fits:
            return self.model.zero_state(self.Bl, self.device)
        get = lambda k: torch.as_tensor(carry[k][self.rank * self.Bl:(self.rank + 1) * self.Bl].copy(), device=self.device)
        return [(get(f'h_{l}'), get(f'c_{l}')) if lstm else get(f'h_{l}') for l in range(L)]

    def gather_state(self):
        """The whole batch's carried state on every rank, for the checkpoint: [(name, [B, H])]."""
        out = []
        for l, s in enumerate(self.state):
            parts = [('h', s[0]), ('c', s[1])] if isinstance(s, tuple) else [('h', s)]
            for k, t in parts:
                if self.world > 1:
                    got = [torch.zeros_like(t) for _ in range(self.world)]
                    dist.all_gather(got, t.contiguous())
                    t = torch.cat(got)
                out.append((f'{k}_{l}', t))
        return out

    def gpu_probe(self):
        """On CUDA, the GPUs of this node's ranks (local rank r trains on device r mod count)."""
        if self.device.type != 'cuda':
            return None
        n = torch.cuda.device_count()
        return GpuProbe(sorted({r % n for r in range(int(os.environ.get('LOCAL_WORLD_SIZE', '1')))}))

    def elapsed(self):
        return self.counters['elapsedBefore'] + (time.time() - self.t0)

    def emit(self, e):
        if self.is_main:
            self.run.emit({'time': ms(), **e} if 'time' not in e else e)

    def agree(self, *flags):
        """Every rank stops at the same step: a flag raised on any rank counts for all."""
        v = torch.tensor([float(f) for f in flags])
        if self.world > 1:
            dist.all_reduce(v, op=dist.ReduceOp.MAX)
        return [bool(x) for x in v.tolist()]

    def budget_reached(self):
        c, cfg = self.counters, self.cfg
        if cfg['steps'] > 0 and c['step'] >= cfg['steps']:
            return 'steps'
        if cfg['epochs'] > 0 and c['epoch'] >= cfg['epochs']:
            return 'epochs'
        time_up, stop = self.agree(cfg['timeSeconds'] > 0 and self.elapsed() >= cfg['timeSeconds'], self.stop_asked)
        if time_up:
            return 'time'
        if stop:
            return 'stopped'
        return None

    def start(self):
        if self.is_main:
            self.run.acquire_lock()
            self.run.update_status(status='running', pid=os.getpid(), step=self.counters['step'])
            recorded = {**self.cfg, 'model': {k: v for k, v in self.mc.items() if k != 'vocabSize'}}
            dev = f'cuda ({torch.cuda.get_device_name(self.device)})' if self.device.type == 'cuda' else 'cpu'
            self.emit({'type': 'start', 'runId': os.path.basename(self.run.dir), 'runDir': self.run.dir,
                       'config': recorded, 'vocabSize': self.mc['vocabSize'],
                       'parameters': sum(p.numel() for _, p in self.params),
                       'backend': f'torch {torch.__version__} {dev}' + (f' × {self.world} processes' if self.world > 1 else '')
                       + (' bf16' if self.bf16 else ''),
                       'corpus': self.spec['corpus'], 'resumedFromStep': self.resumed_from, 'batch': self.B})
            for message in self.spec.get('notes', []):
                self.emit({'type': 'log', 'message': message})

    def loop(self):
        reason = None
        while True:
            reason = self.budget_reached()
            if reason:
                break
            if self.counters['window'] >= self.streams.windows:
                self.counters['window'] = 0
                self.counters['epoch'] += 1
                self.state = self.model.zero_state(self.Bl, self.device)
                continue
            self.train_step()
            if self.counters['step'] % self.cfg['evalEvery'] == 0:
                best = self.evaluate()
                self.save('best' if best else 'eval', best)
        self.finish(reason)

    def train_step(self):
        c, cfg = self.counters, self.cfg
        ts = time.time()
        c['step'] += 1
        step = c['step']
        record = cfg.get('gradEvery', 0) > 0 and step % cfg['gradEvery'] == 0 and self.is_main
        x, y = self.streams.window(c['window'])
        x = torch.from_numpy(x).to(self.device, non_blocking=True)
        y = torch.from_numpy(y).to(self.device, non_blocking=True)
        self.model.train()
        if self.mc.get('dropout', 0) > 0:
            torch.manual_seed(hash32(cfg['seed'], step) + self.rank)
        start_state = self.state
        with torch.autocast('cuda', dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext():
            logits, finals, layers = self.ddp(x, self.state, keep_outputs=record)
        if record:
            for _, out in layers:
                out.retain_grad()
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        for _, p in self.params:
            p.grad = None
        loss.backward()
        lv = loss.detach().clone()
        if self.world > 1:
            dist.all_reduce(lv)
            lv /= self.world
        sq = torch.stack([p.grad.float().pow(2).sum() for _, p in self.params]).tolist()
        loss_value = float(lv)
        if not math.isfinite(loss_value):
            raise SeqLabTorchError('E_DIVERGED', f'Training diverged at step {step} (loss {loss_value})', 'lr',
                                   'Lower the learning rate (--lr) or the clip threshold (--clip).')
        groups = {}
        for (name, _), s in zip(self.params, sq):
            groups[param_group(name)] = groups.get(param_group(name), 0.0) + s
        grad_norm = math.sqrt(sum(sq))
        clipped = cfg['clip'] > 0 and grad_norm > cfg['clip']
        if clipped:
            for _, p in self.params:
                p.grad.mul_(cfg['clip'] / grad_norm)
        lr = learning_rate(cfg, step)
        self.opt.apply(self.params, lr)
        self.state = [tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in finals]
        c['window'] += 1
        c['tokensSeen'] += self.B * self.T
        norms = None
        if record:
            # Rank 0's streams; its loss is a mean over 1/world of the tokens, so scale back.
            dy = [out.grad[-1] / self.world for _, out in layers]
            norms = self.model.timestep_gradient_norms(layers, start_state, dy)
        if self.device.type == 'cuda':
            torch.cuda.synchronize()
        dt = time.time() - ts
        self.emit({'type': 'step', 'step': step, 'epoch': c['epoch'], 'loss': loss_value, 'gradNorm': grad_norm,
                   'layerGradNorms': {k: math.sqrt(v) for k, v in groups.items()}, 'clipped': clipped, 'lr': lr,
                   'tokensPerSec': self.B * self.T / max(dt, 1e-6), 'tokensSeen': c['tokensSeen'],
                   'elapsedSeconds': self.elapsed()})
        if norms is not None:
            self.emit({'type': 'timestepGradients', 'step': step, 'norms': norms})
        sys_event = self.system.maybe(step) if self.system else None
        if sys_event:
            self.emit(sys_event)

    @torch.no_grad()
    def validation_loss(self):
        tokens = self.val_tokens
        if len(tokens) < 2:
            return None
        Te = min(self.T, len(tokens) - 1)
        Be = fit_batch(len(tokens), self.cfg['batch'], Te)
        s = Streams(tokens, Be, Te)
        n = s.windows
        if self.cfg.get('evalTokens', 0) > 0:
            n = max(1, min(s.windows, self.cfg['evalTokens'] // (Be * Te)))
        self.model.eval()
        state = self.model.zero_state(Be, self.device)
        total = 0.0
        for w in range(n):
            x, y = s.window(w)
            logits, state, _ = self.model(torch.from_numpy(x).to(self.device), state)
            total += float(F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), torch.from_numpy(y).to(self.device).reshape(-1)))
        loss = total / n
        chars_per_token = self.spec['corpus']['valChars'] / len(tokens)
        return {'loss': loss, 'perplexity': math.exp(min(loss, 700)), 'bpc': loss / LN2 / chars_per_token}

    @torch.no_grad()
    def sample(self, step):
        n = self.cfg.get('sampleLength', 0)
        if n <= 0:
            return None
        self.model.eval()
        g = torch.Generator(device='cpu').manual_seed(hash32(self.cfg['seed'], step))
        ids = list(self.spec.get('primeIds') or [])
        unk = self.spec.get('unkId', -1)
        state = self.model.zero_state(1, self.device)
        if not ids:
            ids = [max(unk, 0)]
        logits, state, _ = self.model(torch.tensor(ids, device=self.device).view(-1, 1), state)
        out = []
        for _ in range(n):
            z = logits[-1, 0].float().cpu() / 0.8
            if unk >= 0:
                z[unk] = -math.inf
            nxt = int(torch.multinomial(torch.softmax(z, 0), 1, generator=g))
            out.append(nxt)
            logits, state, _ = self.model(torch.tensor([[nxt]], device=self.device), state)
        return {'prime': self.spec.get('prime', ''), 'text': self.decoder.decode(out)}

    def evaluate(self):
        """Rank 0 evaluates and samples; every rank learns whether this is the best loss so far."""
        step = self.counters['step']
        r = self.validation_loss() if self.is_main else None
        if self.is_main:
            if r and not math.isfinite(r['loss']):
                raise SeqLabTorchError('E_DIVERGED', f"Validation loss is {r['loss']} at step {step}; the run stopped without saving this step (its last good checkpoint is kept)",
                                       self.run.dir, 'Lower the learning rate (--lr) or the clip threshold (--clip), then resume or start again.')
            if r:
                self.last_eval = r
                self.emit({'type': 'eval', 'step': step, 'valLoss': r['loss'], 'perplexity': r['perplexity'], 'bpc': r['bpc'],
                           'tokensSeen': self.counters['tokensSeen']})
            smp = self.sample(step)
            if smp:
                self.emit({'type': 'sample', 'step': step, **smp})
        best_val = self.counters['bestVal']
        is_best = bool(r) and (best_val is None or r['loss'] < best_val)
        (is_best,) = self.agree(is_best)
        if is_best and self.is_main:
            self.counters['bestVal'] = r['loss']
        return is_best

    def save(self, reason, is_best):
        carry = self.gather_state()
        if not self.is_main:
            return
        c, cfg, step = self.counters, self.cfg, self.counters['step']
        ev = self.last_eval
        manifest = {
            'name': checkpoint_name(step), 'model': self.mc, 'tokenizer': self.tokenizer_json,
            'train': {**cfg, 'model': {k: v for k, v in self.mc.items() if k != 'vocabSize'}},
            'step': step, 'tokensSeen': c['tokensSeen'],
            'valLoss': ev['loss'] if ev else None, 'valBpc': ev['bpc'] if ev else None,
            'createdAt': now_iso(), 'parent': self.spec.get('parent'),
            'trainer': {'epoch': c['epoch'], 'window': c['window'], 'rngState': hash32(cfg['seed'], step),
                        'optimizerStep': self.opt.step, 'bestValLoss': c['bestVal'], 'elapsedSeconds': self.elapsed()},
        }

        def announce(path):
            self.emit({'type': 'checkpoint', 'step': step, 'name': checkpoint_name(step), 'path': path,
                       'valLoss': ev['loss'] if ev else None, 'best': is_best, 'reason': reason})

        self.last_checkpoint = self.run.commit_checkpoint(
            step, manifest, tensors(self.model.seqlab_weights().items()), tensors(self.opt.slots.items()),
            tensors(carry), is_best, cfg.get('keepCheckpoints', 5), announce)

    def finish(self, reason):
        step = self.counters['step']
        if step > self.resumed_from or not self.last_checkpoint:
            if step % self.cfg['evalEvery'] != 0 or step == self.resumed_from:
                best = False if reason == 'stopped' else self.evaluate()
                self.save('stopped' if reason == 'stopped' else 'final', best)
        if self.is_main:
            self.run.update_status(status='stopped' if reason == 'stopped' else 'finished', step=step)
            ev = self.last_eval
            self.emit({'type': 'done', 'step': step, 'reason': reason, 'valLoss': ev['loss'] if ev else None,
                       'bpc': ev['bpc'] if ev else None, 'checkpoint': self.last_checkpoint,
                       'elapsedSeconds': self.elapsed()})


def main(argv=None):
    p = argparse.ArgumentParser(prog='seqlab_torch.train', description=__doc__.split('\n\n')[0])
    p.add_argument('--run', required=True, help='the run folder SeqLab prepared')
    p.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default=None)
    p.add_argument('--bf16', action='store_true', help='bf16 autocast on the GPU')
    p.add_argument('--resume', action='store_true', help='continue from the newest checkpoint that loads')
    p.add_argument('--threads', type=int, default=0, help='CPU threads per process (0: PyTorch decides)')
    args = p.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    trainer = None
    run = RunFolder(os.path.abspath(args.run))

    def on_interrupt(_sig, _frame):
        if trainer is not None:
            trainer.stop_asked = True

    signal.signal(signal.SIGINT, on_interrupt)
    code = 0
    try:
        trainer = Trainer(args)
        trainer.start()
        trainer.loop()
    except SeqLabTorchError as e:
        report(e)
        fail(run, trainer, e.describe(), e.code)
        code = 2
    except Exception as e:  # noqa: BLE001 - a rank's crash is reported in one line, its traceback kept above
        if trainer is not None and peer_lost(e):
            # Another process died (killed, out of memory, its machine lost): this rank is not at
            # fault, and the run is not failed but interrupted; its last checkpoint resumes it.
            report(SeqLabTorchError('E_TORCH_PEER', f'Rank {trainer.rank} lost another process of the run ({e})'.split('\n')[0],
                                    run.dir, 'A process of the run died (killed, out of memory, or its machine failed); resume the run from its last checkpoint (seqlab resume).'))
            return 1
        traceback.print_exc()
        err = SeqLabTorchError('E_TORCH_RANK', f"Rank {os.environ.get('RANK', '0')} on {socket.gethostname()} failed: {type(e).__name__}: {e}",
                               run.dir, 'Read the traceback above, fix its cause, then resume the run (seqlab resume).')
        report(err)
        fail(run, trainer, err.describe(), err.code)
        code = 1
    finally:
        if trainer is not None and trainer.is_main:
            trainer.run.release_lock()
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    return code


PEER_LOST = ('Connection closed by peer', 'Connection reset by peer', 'Broken pipe', 'NCCL communicator was aborted',
             'Socket Timeout', 'Connection refused')


def peer_lost(e):
    text = str(e).lower()
    return isinstance(e, RuntimeError) and any(p.lower() in text for p in PEER_LOST)


def fail(run, trainer, message, code):
    """Recorded by rank 0 (or by any rank when it failed before knowing its rank's role)."""
    if trainer is not None and not trainer.is_main:
        return
    if os.environ.get('RANK', '0') != '0':
        return
    try:
        if os.path.isdir(run.dir):
            run.update_status(status='failed', error=message)
            run.emit({'type': 'error', 'time': ms(), 'message': message, 'code': code})
    except Exception:  # noqa: BLE001 - the disk may be what failed; the message is printed anyway
        pass


if __name__ == '__main__':
    sys.exit(main())
