import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { checkpointLoads, loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { hash32 } from '../../src/engine/rng';
import { listCheckpointEntries, readMetricsFile, readStatus, runPaths } from '../../src/engine/runFolder';
import { tokenizerFromJSON } from '../../src/engine/tokenizers';
import {
  checkTorch,
  TorchProcess,
  torchPackageRoot,
  trainTorch,
  TorchTrainOptions,
} from '../../src/engine/torch';
import { train } from '../../src/engine/trainer';
import { readRun } from '../../src/runs/runStore';
import { fixture, sampleText, tmpDir } from '../helpers/util';
import { TORCH_PYTHON, torchSkipReason } from '../helpers/torch';

const skip = torchSkipReason();
const opts = { skip: skip ? `PyTorch engine tests skipped: ${skip}` : false, timeout: 600_000 };

before(async () => {
  await initBackend('wasm');
});

const corpus = fixture(Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`doc${i}.txt`, sampleText(3000, i)])));

function config(o: Partial<TrainConfig> = {}): TrainConfig {
  return mergeConfig(DEFAULT_TRAIN_CONFIG, {
    model: { cell: 'lstm', embedding: 8, hidden: 16, layers: 2, dropout: 0 },
    seqLen: 16,
    batch: 4,
    steps: 8,
    evalEvery: 4,
    evalTokens: 256,
    sampleLength: 12,
    gradEvery: 2,
    lr: 0.03,
    valFraction: 0.2,
    ...o,
  });
}

function torchRun(o: Partial<TorchTrainOptions>) {
  return trainTorch({
    folder: corpus,
    config: config(),
    out: tmpDir('seqlab-torch-'),
    python: TORCH_PYTHON,
    device: 'cpu',
    threads: 1,
    ...o,
  });
}

function stepLosses(runDir: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of readMetricsFile(runPaths(runDir).metrics).events)
    if (e.type === 'step') m.set(e.step, e.loss);
  return m;
}

function py(code: string, ...args: string[]): string {
  return execFileSync(TORCH_PYTHON, ['-c', code, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: torchPackageRoot() },
  });
}

let single: Awaited<ReturnType<typeof trainTorch>> | undefined;

test(
  'PyTorch engine: two ranks (gloo) follow one rank at the same global batch; the run folder is SeqLab’s',
  opts,
  async () => {
    const events: string[] = [];
    single = await torchRun({ nproc: 1, onEvent: (e) => events.push(e.type) });
    const two = await torchRun({ nproc: 2 });
    const a = stepLosses(single.runDir);
    const b = stepLosses(two.runDir);
    assert.equal(a.size, 8);
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [s, l] of a) assert.ok(Math.abs(l - b.get(s)!) < 1e-4, `step ${s}: ${l} vs ${b.get(s)}`);
    // A curve that does not move would match trivially.
    assert.ok(a.get(8)! < a.get(1)! - 0.05, `the loss falls: ${[...a.values()]}`);
    // Every event kind the built-in engine writes, heard live from metrics.jsonl.
    for (const t of ['start', 'step', 'timestepGradients', 'eval', 'sample', 'checkpoint', 'done'])
      assert.ok(events.includes(t), `event ${t} in ${[...new Set(events)]}`);
    const probe = readMetricsFile(runPaths(single.runDir).metrics).events.find(
      (e) => e.type === 'timestepGradients',
    );
    assert.ok(
      probe && probe.type === 'timestepGradients' && probe.norms.length === 2 && probe.norms[0].length === 16,
    );
    assert.equal(readStatus(two.runDir)?.status, 'finished');
    assert.equal(single.reason, 'steps');
    assert.ok(single.checkpoint && checkpointLoads(single.checkpoint));
    assert.ok(!fs.existsSync(runPaths(single.runDir).lock), 'train.lock released');
    const m = loadCheckpoint(single.checkpoint).manifest;
    assert.equal(m.train.engine, 'torch');
    assert.deepEqual(
      m.trainer,
      { ...m.trainer, epoch: 0, window: 8, optimizerStep: 8, rngState: hash32(1, 8) },
      'the trainer state a resume continues from',
    );
  },
);

/** A copy of a run folder, so that resuming it leaves the original for comparison. */
function copyRun(runDir: string): string {
  const dir = path.join(tmpDir('seqlab-torch-copy-'), '.seqlab', 'runs', path.basename(runDir));
  fs.cpSync(runDir, dir, { recursive: true });
  return dir;
}

test(
  'PyTorch engine: its checkpoint loads in SeqLab with the same logits (1e-5) and serves completion',
  opts,
  async () => {
    assert.ok(single?.checkpoint, 'the first test trained a run');
    // Trained on to step 200 on PyTorch: eight steps complete nothing but loops.
    const longer = await trainTorch({
      folder: '',
      resume: copyRun(single.runDir),
      config: config({ steps: 200 }),
      python: TORCH_PYTHON,
      device: 'cpu',
      threads: 1,
    });
    assert.equal(longer.step, 200);
    const ck = loadCheckpoint(longer.checkpoint!);
    const tok = tokenizerFromJSON(ck.manifest.tokenizer);
    const ids = Array.from(tok.encode('the cat sat on the mat'));
    const torchLogits = JSON.parse(
      py(
        `import json, sys, torch
from seqlab_torch import load_model
m, _ = load_model(sys.argv[1])
with torch.no_grad():
    lo, _, _ = m(torch.tensor(json.loads(sys.argv[2])).view(-1, 1), m.zero_state(1))
print(json.dumps(lo[:, 0].tolist()))`,
        longer.checkpoint!,
        JSON.stringify(ids),
      ),
    ) as number[][];
    const model = new InferenceModel(ck.manifest.model, ck.weights);
    const s = model.newState();
    const out = new Float32Array(ck.manifest.model.vocabSize);
    let worst = 0;
    ids.forEach((id, t) => {
      model.step(s, id);
      model.logits(s, out);
      out.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - torchLogits[t][k]))));
    });
    assert.ok(worst < 1e-5, `largest logit difference ${worst}`);
    const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0, multilineMinConfidence: 0, maxLength: 10 };
    const items = new Completer(model, tok).complete('doc', 'the cat sat on ', 0, o).items;
    assert.equal(items.length, 1, 'one completion');
    assert.ok(items[0].trim().length > 0, `a completion: ${JSON.stringify(items)}`);
  },
);

test(
  'resume across engines: PyTorch → built-in and built-in → PyTorch continue the same curve',
  opts,
  async () => {
    assert.ok(single, 'the first test trained a run');
    // PyTorch's run from its step-4 checkpoint, on the built-in engine.
    const a = copyRun(single.runDir);
    const onWasm = await train({ folder: '', resume: a, resumeFrom: 'step-00000004', config: config() });
    assert.equal(onWasm.step, 8);
    const want = stepLosses(single.runDir);
    const got = stepLosses(a);
    for (const s of [5, 6, 7, 8])
      assert.ok(Math.abs(got.get(s)! - want.get(s)!) < 1e-3, `step ${s}: ${got.get(s)} vs ${want.get(s)}`);
    // A built-in run, continued on PyTorch from its step-4 checkpoint.
    const wasm = await train({ folder: corpus, out: tmpDir('seqlab-wasm-'), config: config() });
    const b = copyRun(wasm.runDir);
    const onTorch = await trainTorch({
      folder: '',
      resume: b,
      resumeFrom: 'step-00000004',
      config: config(),
      python: TORCH_PYTHON,
      device: 'cpu',
      threads: 1,
    });
    assert.equal(onTorch.step, 8);
    const w = stepLosses(wasm.runDir);
    const t = stepLosses(b);
    for (const s of [5, 6, 7, 8])
      assert.ok(Math.abs(t.get(s)! - w.get(s)!) < 1e-3, `step ${s}: ${t.get(s)} vs ${w.get(s)}`);
    // The optimizer state came along: a fresh Adam would take a different step 5.
    const m = loadCheckpoint(onTorch.checkpoint!).manifest;
    assert.equal(m.trainer.optimizerStep, 8);
  },
);

test(
  'kill -9 of a rank mid-run: no partial checkpoint, the run shows as interrupted and resumes',
  opts,
  async () => {
    let proc: TorchProcess | undefined;
    let steps = 0;
    const run = torchRun({
      nproc: 2,
      config: config({ steps: 0, timeSeconds: 300, evalEvery: 1, sampleLength: 0, keepCheckpoints: 2 }),
      onLaunch: (p) => (proc = p),
      onEvent: (e) => {
        if (e.type !== 'checkpoint' || ++steps !== 3) return;
        const ranks = spawnSync('pgrep', ['-P', String(proc!.child.pid)], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n');
        process.kill(Number(ranks[ranks.length - 1]), 'SIGKILL');
      },
    });
    const err = await run.then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    // The survivor reports the lost process (or torchrun the killed one): never a failed run.
    assert.ok(err instanceof SeqLabError && /^E_TORCH_(PEER|EXIT)$/.test(err.code), String(err));
    assert.ok(!err.describe().includes('\n'), 'one line');
    const runDir = proc!.child.spawnargs[proc!.child.spawnargs.indexOf('--run') + 1];
    for (const c of listCheckpointEntries(runDir))
      assert.ok(!c.inProgress && checkpointLoads(c.dir), `${c.name} loads`);
    assert.equal(readRun(runDir).state, 'interrupted');
    const resumed = await train({ folder: '', resume: runDir, config: config({ steps: 0, timeSeconds: 1 }) });
    assert.ok(resumed.step > 0 && resumed.checkpoint && checkpointLoads(resumed.checkpoint));
  },
);

test(
  'Stop interrupts every rank: rank 0 saves a checkpoint, the run is stopped, torchrun exits',
  opts,
  async () => {
    let steps = 0;
    const r = await torchRun({
      nproc: 2,
      config: config({ steps: 0, timeSeconds: 300, evalEvery: 1000 }),
      onEvent: (e) => {
        if (e.type === 'step') steps = e.step;
      },
      shouldStop: () => steps >= 3,
    });
    assert.equal(r.reason, 'stopped');
    assert.ok(r.step >= 3 && r.checkpoint && checkpointLoads(r.checkpoint), String(r.checkpoint));
    assert.equal(readStatus(r.runDir)?.status, 'stopped');
    assert.equal(loadCheckpoint(r.checkpoint).manifest.step, r.step);
  },
);

test('PyTorch engine bad input: each a one-line message naming the fix', opts, async () => {
  const one = (f: () => unknown, code: string, fix: RegExp) => {
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof SeqLabError, String(e));
      assert.equal(e.code, code);
      assert.ok(!e.describe().includes('\n'), e.describe());
      assert.match(e.describe(), fix);
      return true;
    });
  };
  one(() => checkTorch('/nonexistent/python3'), 'E_PYTHON', /Install Python 3 with PyTorch|seqlab\.python/);
  // The same interpreter without its site packages: Python runs, torch does not import.
  const bare = path.join(tmpDir(), 'python-without-torch');
  fs.writeFileSync(bare, `#!/bin/sh\nexec ${TORCH_PYTHON} -S "$@"\n`, { mode: 0o755 });
  one(() => checkTorch(bare), 'E_TORCH', /pip install torch|python3-torch/);
  const info = checkTorch(TORCH_PYTHON);
  if (info.gpus.length === 0) one(() => checkTorch(TORCH_PYTHON, true), 'E_CUDA', /--device cpu/);
  else assert.ok(checkTorch(TORCH_PYTHON, true).gpus.length > 0);
  // A rank that crashes at start (an injected failure on rank 1).
  const out = tmpDir('seqlab-torch-');
  await assert.rejects(torchRun({ nproc: 2, out, env: { SEQLAB_TORCH_CRASH_RANK: '1' } }), (e: unknown) => {
    assert.ok(e instanceof SeqLabError && e.code === 'E_TORCH_RANK', String(e));
    assert.ok(!e.describe().includes('\n'));
    assert.match(e.describe(), /Rank 1 .*crashed at start.*resume/);
    return true;
  });
  const runs = path.join(out, '.seqlab', 'runs');
  const runDir = path.join(runs, fs.readdirSync(runs)[0]);
  assert.equal(readStatus(runDir)?.status, 'failed');
  assert.equal(readRun(runDir).state, 'failed');
});

test('the built-in trainer refuses a config that asks for the PyTorch engine (compare, fine-tune paths)', async () => {
  await assert.rejects(
    train({ folder: corpus, out: tmpDir('seqlab-wasm-'), config: config({ engine: 'torch' }) }),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_ENGINE' && /--engine torch/.test(e.describe()),
  );
});

test('Stop interrupts torchrun once: the timer asks again and again, a second interrupt would cut the ranks short', async () => {
  // Found by the integration test that stops a PyTorch run: Stop was polled every 200 ms and each
  // poll sent SIGINT again; torchrun turned the later ones into a KeyboardInterrupt and died by
  // SIGINT before its ranks had saved, so the run ended "failed" instead of "stopped".
  const dir = tmpDir();
  const python = path.join(dir, 'fake-python');
  fs.writeFileSync(
    python,
    '#!/bin/sh\nn=0\ntrap \'n=$((n+1))\' INT\necho ready\ni=0\nwhile [ $i -lt 30 ]; do sleep 0.05; i=$((i+1)); done\necho "interrupts $n"\n',
    { mode: 0o755 },
  );
  const lines: string[] = [];
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  const proc = new TorchProcess({
    python,
    runDir: dir,
    nproc: 1,
    lockPid: null,
    onOutput: (l) => {
      lines.push(l);
      if (l === 'ready') ready();
    },
  });
  await started;
  for (let i = 0; i < 5; i++) {
    proc.stop(10_000);
    await new Promise((r) => setTimeout(r, 60));
  }
  const exit = await proc.done;
  assert.deepEqual(
    lines.filter((l) => l.startsWith('interrupts')),
    ['interrupts 1'],
  );
  assert.equal(exit.code, 0);
});
