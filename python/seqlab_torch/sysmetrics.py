"""System metrics of a training process, as SeqLab's `system` events (src/engine/events.ts):
CPU % and resident memory of this process (rank 0 only: the other ranks' processes are not
counted), and on CUDA runs each GPU's utilisation and memory in use.

Utilisation comes from NVML (pynvml, which torch.cuda.utilization() also needs) when it is installed,
else from `nvidia-smi`; when neither answers, the events carry CPU and memory only. Nothing here may fail
a run: every probe that breaks is given up on quietly, once.
"""
import os
import resource
import subprocess
import sys
import time

NVIDIA_SMI_QUERY = ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits']
MIB_IN_MB = 1.048576


def _round1(x):
    return round(float(x) * 10) / 10


def rss_mb():
    """The resident set now, in MB (10^6 bytes, as the built-in engine's rssMB)."""
    try:
        with open('/proc/self/statm') as f:
            return _round1(int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 1e6)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil  # optional: macOS and Windows have no /proc
        return _round1(psutil.Process().memory_info().rss / 1e6)
    except Exception:  # noqa: BLE001 - psutil missing or refusing: fall back to the peak
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return _round1(peak / 1e6 if sys.platform == 'darwin' else peak * 1024 / 1e6)


def parse_nvidia_smi(text):
    """Rows of `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total
    --format=csv,noheader,nounits` as {index, utilPercent, memoryUsedMB, memoryTotalMB}; a row that
    does not read as four numbers (a '[N/A]' field, a warning line) is left out."""
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(',')]
        if len(parts) != 4:
            continue
        try:
            index, util, used, total = int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3])
        except ValueError:
            continue
        out.append({'index': index, 'utilPercent': _round1(util), 'memoryUsedMB': _round1(used * MIB_IN_MB),
                    'memoryTotalMB': _round1(total * MIB_IN_MB)})
    return out


def nvidia_smi_sample(timeout=5.0):
    """Every GPU nvidia-smi lists, or None when it is missing, fails or prints nothing usable."""
    try:
        r = subprocess.run(['nvidia-smi', *NVIDIA_SMI_QUERY], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0:
        return None
    rows = parse_nvidia_smi(r.stdout)
    return rows or None


def physical_indices(devices):
    """nvidia-smi's index of each of torch's device numbers: through CUDA_VISIBLE_DEVICES when it
    lists numbers; None (keep every row) when it lists UUIDs or names."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    if visible is None or not visible.strip():
        return list(devices)
    ids = [v.strip() for v in visible.split(',')]
    if not all(v.isdigit() for v in ids):
        return None
    return [int(ids[d]) for d in devices if d < len(ids)]


class GpuProbe:
    """Utilisation and memory of the GPUs a run uses (torch's device numbers `devices`)."""

    def __init__(self, devices):
        self.devices = list(devices)
        self.nvml = True
        self.smi = True

    def _nvml(self):
        # NVML directly (the library torch.cuda.utilization() wraps): asking torch for another
        # device's memory would open a CUDA context there, in rank 0's process.
        import pynvml
        wanted = physical_indices(self.devices)
        if wanted is None:
            raise LookupError('CUDA_VISIBLE_DEVICES names devices NVML cannot be matched to')
        pynvml.nvmlInit()
        out = []
        for d, p in zip(self.devices, wanted):
            h = pynvml.nvmlDeviceGetHandleByIndex(p)
            util = pynvml.nvmlDeviceGetUtilizationRates(h).gpu
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            out.append({'index': d, 'utilPercent': _round1(util), 'memoryUsedMB': _round1(mem.used / 1e6),
                        'memoryTotalMB': _round1(mem.total / 1e6)})
        return out

    def _smi(self):
        rows = nvidia_smi_sample()
        if rows is None:
            return None
        wanted = physical_indices(self.devices)
        if wanted is None:
            return rows
        by_index = {r['index']: r for r in rows}
        # Reported under torch's numbering, as the run's --device and logs name them.
        return [{**by_index[p], 'index': d} for d, p in zip(self.devices, wanted) if p in by_index] or None

    def sample(self):
        if self.nvml:
            try:
                return self._nvml()
            except Exception:  # noqa: BLE001 - pynvml missing (ModuleNotFoundError) or NVML refusing
                self.nvml = False
        if self.smi:
            rows = self._smi()
            if rows is not None:
                return rows
            self.smi = False
        return None


class SystemSampler:
    """A `system` event every `every` seconds (SEQLAB_SYSTEM_EVERY overrides; default 5, as the
    built-in engine): CPU time over wall time of this process in % of one core, its resident memory,
    and where `gpu` is given, the GPUs' utilisation (gpuPercent: their mean) and memory in use."""

    def __init__(self, every=None, gpu=None, clock=time.monotonic):
        env = os.environ.get('SEQLAB_SYSTEM_EVERY')
        self.every = float(env) if env else (5.0 if every is None else every)
        self.gpu = gpu
        self.clock = clock
        self.last_at = clock()
        self.last_cpu = self._cpu()

    @staticmethod
    def _cpu():
        t = os.times()
        return t.user + t.system

    def maybe(self, step):
        """The event when `every` seconds have passed since the last one, else None."""
        now = self.clock()
        if now - self.last_at < self.every:
            return None
        cpu = self._cpu()
        wall = max(now - self.last_at, 1e-9)
        e = {'type': 'system', 'step': step, 'cpuPercent': _round1((cpu - self.last_cpu) / wall * 100),
             'rssMB': rss_mb()}
        self.last_at, self.last_cpu = now, cpu
        gpus = self.gpu.sample() if self.gpu else None
        if gpus:
            e['gpuPercent'] = _round1(sum(g['utilPercent'] for g in gpus) / len(gpus))
            e['gpus'] = gpus
        return e
