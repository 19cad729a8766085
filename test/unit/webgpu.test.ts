import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { describeAdapter } from '../../src/engine/gpu/dawn';
import { train } from '../../src/engine/trainer';
import { fixture, sampleText, tmpDir } from '../helpers/util';
import { expectRunSurvivesGpuLoss, softwareGpuEnv } from '../helpers/gpu';

// SwiftShader (Chromium's software Vulkan driver) stands in for a GPU: slow, but the same
// WebGPU API, so correctness is checked here and speed wherever a GPU exists.
const gpuEnv = softwareGpuEnv();
const noGpu = gpuEnv
  ? false
  : 'no SwiftShader Vulkan driver (Debian chromium) and libvulkan1 on this machine';
if (gpuEnv) Object.assign(process.env, gpuEnv);
// CI installs both (scripts/setup-test-host.sh): there, a missing driver is a failure, not a skip.
if (!gpuEnv && process.env.CI) throw new Error(`webgpu tests: ${noGpu as string}`);

const TINY: TrainOverrides = {
  model: { embedding: 8, hidden: 16, layers: 2, dropout: 0 },
  seqLen: 8,
  batch: 4,
  lr: 1e-2,
  evalEvery: 2,
  evalTokens: 64,
  sampleLength: 8,
  steps: 4,
  gradEvery: 2,
};

async function run(folder: string, over: TrainOverrides, onEvent?: (e: TrainEvent) => void) {
  const events: TrainEvent[] = [];
  const result = await train({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, over),
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
  });
  return { result, events };
}

const corpus = () => fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 2) });

test('software adapters are recognised, so auto never picks them', () => {
  assert.equal(
    describeAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver' })
      .software,
    true,
  );
  assert.equal(
    describeAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software,
    true,
  );
  assert.equal(
    describeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }).software,
    false,
  );
});

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(
    `${cell}: webgpu gives the losses wasm gives, step by step, eval and timestep norms included`,
    { skip: noGpu },
    async () => {
      const dir = corpus();
      const wasm = await run(dir, { model: { cell }, backend: 'wasm' });
      const gpu = await run(dir, { model: { cell }, backend: 'webgpu' });
      assert.equal(
        gpu.events.some((e) => e.type === 'log' && /webgpu on .*swiftshader/i.test(e.message)),
        true,
      );
      assert.equal(gpu.result.losses.length, 4);
      gpu.result.losses.forEach((l, i) =>
        assert.ok(
          Math.abs(l - wasm.result.losses[i]) < 2e-4 * Math.max(1, l),
          `step ${i + 1}: webgpu ${l}, wasm ${wasm.result.losses[i]}`,
        ),
      );
      const evals = (r: typeof gpu) =>
        r.events.filter((e) => e.type === 'eval').map((e) => (e as { valLoss: number }).valLoss);
      evals(gpu).forEach((v, i) =>
        assert.ok(
          Math.abs(v - evals(wasm)[i]) < 2e-4 * Math.max(1, v),
          `eval ${i}: ${v} vs ${evals(wasm)[i]}`,
        ),
      );
      const norms = (r: typeof gpu) =>
        r.events.filter((e) => e.type === 'timestepGradients').map((e) => (e as { norms: number[][] }).norms);
      assert.equal(norms(gpu).length, norms(wasm).length);
      assert.ok(norms(gpu).length > 0);
      assert.ok(fs.existsSync(path.join(gpu.result.checkpoint!, 'manifest.json')));
    },
  );
}

test(
  'a GPU lost mid-run ends the run with a message naming the step and the checkpoint kept, not a hang',
  { skip: noGpu },
  async () => {
    const dir = corpus();
    await expectRunSurvivesGpuLoss((onEvent) =>
      run(dir, { backend: 'webgpu', steps: 50, evalEvery: 2 }, onEvent),
    );
  },
);

test('without an adapter, webgpu falls back to wasm with one log line saying why', () => {
  // A fresh process: Dawn is loaded once per process. SEQLAB_DAWN_NODE names no binary here.
  const backendJs = path.join(__dirname, '../../src/engine/wasm/backend.js');
  const script = `require(${JSON.stringify(backendJs)}).initBackend('webgpu', (l) => console.log('LOG ' + l)).then((b) => { console.log('NAME ' + b.name); process.exit(0); })`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, SEQLAB_DAWN_NODE: '/nonexistent/dawn.node' },
    encoding: 'utf8',
  });
  const logs = out.split('\n').filter((l) => l.startsWith('LOG '));
  assert.equal(logs.length, 1, out);
  assert.match(logs[0], /webgpu unavailable: no WebGPU binary \(dawn\.node\).*; using wasm/);
  assert.match(out, /NAME wasm/);
  const auto = execFileSync(process.execPath, ['-e', script.replace("'webgpu'", "'auto'")], {
    env: { ...process.env, SEQLAB_DAWN_NODE: '/nonexistent/dawn.node' },
    encoding: 'utf8',
  });
  assert.match(auto, /NAME wasm/);
});
