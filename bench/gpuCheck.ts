/**
 * bench/gpu-check.sh: on a machine with an NVIDIA GPU, tokens/s of a 2×1024 LSTM (batch 128,
 * T 64, vocab 96) on the PyTorch engine on one GPU (fp32, then bf16 autocast) against the
 * built-in engine on this machine's CPU. Prints one JSON line last.
 *   GPU_CHECK_STEPS (30): PyTorch steps; GPU_CHECK_CPU_STEPS (3): built-in steps (about 30 s each).
 */
import { describeError } from '../src/engine/errors';
import { checkTorch } from '../src/engine/torch';
import { initBackend } from '../src/engine/wasm/backend';
import { train } from '../src/engine/trainer';
import { trainTorch } from '../src/engine/torch';
import { tmpDir } from '../test/helpers/util';
import { PYTHON } from './torch';
import { charCorpus, EngineShape, shapeConfig, steadyRate } from './torchEngine';

async function main(): Promise<void> {
  const info = checkTorch(PYTHON, true);
  console.log(`PyTorch ${info.torch} (CUDA ${info.cudaBuild}) at ${PYTHON}; GPU: ${info.gpus[0]}`);
  const shape: EngineShape = {
    vocab: 96,
    embedding: 64,
    hidden: 1024,
    layers: 2,
    seqLen: 64,
    batch: 128,
    cell: 'lstm',
  };
  const gpuSteps = Number(process.env.GPU_CHECK_STEPS ?? 30);
  const cpuSteps = Number(process.env.GPU_CHECK_CPU_STEPS ?? 3);
  const folder = charCorpus(shape, Math.max(gpuSteps, cpuSteps));
  const rows: Record<string, number> = {};
  for (const bf16 of [false, true]) {
    const r = steadyRate();
    await trainTorch({
      folder,
      out: tmpDir('seqlab-gpu-check-'),
      config: { ...shapeConfig(shape, gpuSteps), engine: 'torch' },
      python: PYTHON,
      device: 'cuda',
      bf16,
      nproc: 1,
      onEvent: r.onEvent,
      onOutput: (l) => process.stderr.write(`${l}\n`),
    });
    rows[bf16 ? 'torch_gpu_bf16' : 'torch_gpu_fp32'] = Math.round(r.rate());
    console.log(
      `PyTorch engine, GPU, ${bf16 ? 'bf16 autocast' : 'fp32'}: ${rows[bf16 ? 'torch_gpu_bf16' : 'torch_gpu_fp32']} tok/s`,
    );
  }
  await initBackend('wasm');
  const cpu = steadyRate();
  await train({
    folder,
    out: tmpDir('seqlab-gpu-check-'),
    config: shapeConfig(shape, cpuSteps + 1),
    onEvent: cpu.onEvent,
  });
  rows.builtin_cpu = Math.round(cpu.rate());
  console.log(`built-in engine, CPU: ${rows.builtin_cpu} tok/s`);
  const ratio = +(rows.torch_gpu_fp32 / rows.builtin_cpu).toFixed(1);
  console.log(`PyTorch engine on the GPU is ${ratio}× the built-in engine on the CPU (fp32)`);
  console.log(
    JSON.stringify({ shape, gpu: info.gpus[0], torch: info.torch, tokens_per_s: rows, gpu_over_cpu: ratio }),
  );
}

main().catch((err) => {
  console.error(describeError(err));
  process.exit(1);
});
