// The PyTorch engine's system metrics. No GPU here: the GPU path is seen only through a fake
// `nvidia-smi` on the PATH (and pynvml hidden), which is what a CUDA run without pynvml reads.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import { readMetricsFile, runPaths } from '../../src/engine/runFolder';
import { torchPackageRoot, trainTorch } from '../../src/engine/torch';
import { patchFromJsonl } from '../../src/dashboard/series';
import { fixture, sampleText, tmpDir } from '../helpers/util';
import { TORCH_PYTHON, torchSkipReason } from '../helpers/torch';

const skip = torchSkipReason();
const opts = { skip: skip ? `PyTorch engine tests skipped: ${skip}` : false, timeout: 300_000 };

test(
  'PyTorch engine: a CPU run records system events (CPU %, RSS) that the dashboard reads',
  opts,
  async () => {
    const corpus = fixture(Object.fromEntries([1, 2, 3].map((i) => [`doc${i}.txt`, sampleText(2000, i)])));
    const r = await trainTorch({
      folder: corpus,
      config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
        model: { cell: 'gru', embedding: 8, hidden: 16, layers: 1, dropout: 0 },
        seqLen: 16,
        batch: 4,
        steps: 6,
        evalEvery: 6,
        evalTokens: 128,
        sampleLength: 8,
        valFraction: 0.2,
      }),
      out: tmpDir('seqlab-torch-sys-'),
      python: TORCH_PYTHON,
      device: 'cpu',
      threads: 1,
      // A sample at every step (the default is every 5 s, longer than this run).
      env: { SEQLAB_SYSTEM_EVERY: '0' },
    });
    const events = readMetricsFile(runPaths(r.runDir).metrics).events;
    const sys = events.filter((e) => e.type === 'system');
    assert.equal(sys.length, 6, 'one per step');
    for (const [i, e] of sys.entries()) {
      assert.ok(e.type === 'system');
      assert.equal(e.step, i + 1);
      assert.ok(e.cpuPercent >= 0 && Number.isFinite(e.cpuPercent), `cpu ${e.cpuPercent}`);
      // Python with torch loaded holds well over 50 MB resident.
      assert.ok(e.rssMB > 50 && e.rssMB < 100_000, `rss ${e.rssMB}`);
      assert.ok(typeof e.time === 'number' && e.time > 0);
      assert.equal(e.gpus, undefined, 'a CPU run has no GPU figures');
    }
    assert.ok(
      sys.some((e) => e.type === 'system' && e.cpuPercent > 0),
      'training uses some CPU',
    );
    const p = patchFromJsonl(r.runDir, fs.readFileSync(runPaths(r.runDir).metrics, 'utf8'));
    assert.deepEqual(p.system?.step, [1, 2, 3, 4, 5, 6]);
  },
);

/** Runs Python with the engine's package, a fake nvidia-smi printing `smi` (exit `rc`) first on the PATH, and pynvml hidden. */
function probe(code: string, smi: string | null, rc = 0, env: NodeJS.ProcessEnv = {}): unknown {
  const bin = tmpDir('seqlab-fake-smi-');
  if (smi !== null) {
    const script = path.join(bin, 'nvidia-smi');
    fs.writeFileSync(path.join(bin, 'out.txt'), smi);
    // The fake checks that it is asked SeqLab's query, as the real one would answer only that.
    fs.writeFileSync(
      script,
      `#!/bin/sh\n[ "$1" = "--query-gpu=index,utilization.gpu,memory.used,memory.total" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 64\ncat "${path.join(bin, 'out.txt')}"\nexit ${rc}\n`,
    );
    fs.chmodSync(script, 0o755);
  }
  const { CUDA_VISIBLE_DEVICES: _, ...base } = process.env;
  const out = execFileSync(
    TORCH_PYTHON,
    ['-c', `import json, sys\nsys.modules['pynvml'] = None\nfrom seqlab_torch.sysmetrics import *\n${code}`],
    {
      encoding: 'utf8',
      env: {
        ...base,
        ...env,
        // Only the fake (or no nvidia-smi at all): a real one on this machine must not answer.
        PATH: `${bin}:/usr/bin:/bin`,
        PYTHONPATH: torchPackageRoot(),
      },
    },
  );
  return JSON.parse(out);
}

/** A stand-in for pynvml: two GPUs (physical 0 and 1) with fixed figures. */
const FAKE_PYNVML = `
class R: pass
def nvmlInit(): pass
def nvmlDeviceGetHandleByIndex(i): return i
def nvmlDeviceGetUtilizationRates(h):
    r = R(); r.gpu = [11, 22][h]; return r
def nvmlDeviceGetMemoryInfo(h):
    r = R(); r.used = [1e9, 2e9][h]; r.total = 8e10; return r
`;

const SAMPLE = `
s = SystemSampler(every=0, gpu=GpuProbe(DEVICES))
e = s.maybe(7)
e2 = s.maybe(8)
print(json.dumps({'e': e, 'again': 'gpus' in e2, 'smi': s.gpu.smi, 'nvml': s.gpu.nvml}))`;

test('PyTorch engine: GPU figures from nvidia-smi when pynvml is missing (a fake nvidia-smi)', opts, () => {
  const smi = '0, 37, 1024, 81559\n1, 85, 40960, 81559\n';
  const got = probe(`DEVICES = [0, 1]${SAMPLE}`, smi) as {
    e: Record<string, unknown>;
    again: boolean;
    nvml: boolean;
  };
  assert.equal(got.nvml, false, 'NVML given up (pynvml missing)');
  assert.equal(got.e.type, 'system');
  assert.equal(got.e.step, 7);
  assert.equal(got.e.gpuPercent, 61);
  assert.deepEqual(got.e.gpus, [
    { index: 0, utilPercent: 37, memoryUsedMB: 1073.7, memoryTotalMB: 85520.8 },
    { index: 1, utilPercent: 85, memoryUsedMB: 42949.7, memoryTotalMB: 85520.8 },
  ]);
  assert.equal(got.again, true, 'asked again at the next sample');
  // CUDA_VISIBLE_DEVICES=1: the run's device 0 is nvidia-smi's GPU 1, reported as device 0.
  const mapped = probe(`DEVICES = [0]${SAMPLE}`, smi, 0, { CUDA_VISIBLE_DEVICES: '1' }) as {
    e: { gpus: { index: number; utilPercent: number }[] };
  };
  assert.deepEqual(
    mapped.e.gpus.map((g) => [g.index, g.utilPercent]),
    [[0, 85]],
  );
  // Lines that are not four numbers ([N/A] on some boards, a warning) are left out.
  const rows = probe(
    `print(json.dumps(parse_nvidia_smi(${JSON.stringify('WARNING: x\n0, [N/A], 500, 1000\n1, 12, 500, 1000\n')})))`,
    null,
  ) as { index: number }[];
  assert.deepEqual(
    rows.map((r) => r.index),
    [1],
  );
});

test('PyTorch engine: GPU figures from NVML when pynvml is installed (a stand-in pynvml)', opts, () => {
  const code = `import types\nm = types.ModuleType('pynvml')\nexec(${JSON.stringify(FAKE_PYNVML)}, m.__dict__)\nsys.modules['pynvml'] = m\nDEVICES = [0]${SAMPLE}`;
  // CUDA_VISIBLE_DEVICES=1: the run's device 0 is NVML's GPU 1. nvidia-smi would say otherwise: not asked.
  const got = probe(code, '0, 99, 1, 1\n1, 99, 1, 1\n', 0, { CUDA_VISIBLE_DEVICES: '1' }) as {
    e: Record<string, unknown>;
    nvml: boolean;
  };
  assert.equal(got.nvml, true);
  assert.equal(got.e.gpuPercent, 22);
  assert.deepEqual(got.e.gpus, [{ index: 0, utilPercent: 22, memoryUsedMB: 2000, memoryTotalMB: 80000 }]);
});

test(
  'PyTorch engine: without pynvml and a working nvidia-smi, samples carry CPU and memory only',
  opts,
  () => {
    for (const [why, smi, rc] of [
      [
        'nvidia-smi fails',
        'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver\n',
        9,
      ],
      ['nvidia-smi prints nothing usable', 'No devices were found\n', 0],
      ['no nvidia-smi', null, 0],
    ] as const) {
      const got = probe(`DEVICES = [0]${SAMPLE}`, smi, rc) as {
        e: Record<string, unknown>;
        again: boolean;
        smi: boolean;
      };
      assert.equal(got.e.type, 'system', why);
      assert.ok(typeof got.e.cpuPercent === 'number' && typeof got.e.rssMB === 'number', why);
      assert.equal(got.e.gpus, undefined, why);
      assert.equal(got.e.gpuPercent, undefined, why);
      // Given up after the first failure: not spawned again every few seconds.
      assert.equal(got.smi, false, why);
      assert.equal(got.again, false, why);
    }
  },
);
