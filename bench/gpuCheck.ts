/**
 * bench/gpu-check.sh: the GPU check, on a machine with an NVIDIA GPU. Tokens/s of a 2×1024 LSTM
 * language model (batch 128, T 64, vocab 96) on:
 *   - SeqLab's webgpu backend (Dawn's Vulkan on the GPU), in a child process of this script;
 *   - the PyTorch engine on the GPU (nn.LSTM, so cuDNN), fp32 then bf16 autocast;
 *   - the built-in engine on this machine's CPU (wasm).
 * Then the ratios the WebGPU backend is judged by: webgpu / wasm (goal ≥ 30×) and webgpu / PyTorch
 * cuDNN (fp32). Stops with a message saying what is missing (no CUDA torch, no WebGPU adapter, a
 * software adapter) before the long runs. Prints one JSON line last.
 *   GPU_CHECK_STEPS (30): PyTorch steps; GPU_CHECK_WEBGPU_STEPS (10); GPU_CHECK_CPU_STEPS (3): built-in
 *   steps on the CPU (about 30 s each).
 */
import { spawnSync } from 'child_process';
import { describeError, SeqLabError } from '../src/engine/errors';
import { gpuSession } from '../src/engine/gpu/webgpuBackend';
import { checkTorch } from '../src/engine/torch';
import { initBackend } from '../src/engine/wasm/backend';
import { train } from '../src/engine/trainer';
import { trainTorch } from '../src/engine/torch';
import { tmpDir } from '../test/helpers/util';
import { PYTHON } from './torch';
import { charCorpus, EngineShape, shapeConfig, steadyRate } from './torchEngine';

const WHERE = 'bench/gpu-check.sh';
const CHILD = '--webgpu-child';

const shape: EngineShape = {
  vocab: 96,
  embedding: 64,
  hidden: 1024,
  layers: 2,
  seqLen: 64,
  batch: 128,
  cell: 'lstm',
};

interface WebgpuFigure {
  adapter: string | null;
  software?: boolean;
  reason?: string;
  tokens_per_s?: number;
}

/** The child's part: the same model and data on webgpu; one JSON line. */
async function webgpuChild(steps: number): Promise<WebgpuFigure> {
  const info = await initBackend('webgpu');
  if (info.name !== 'webgpu') return { adapter: null, reason: info.reason };
  const software = gpuSession()?.adapter.software ?? false;
  if (software) return { adapter: info.adapter ?? null, software };
  const rate = steadyRate();
  await train({
    folder: charCorpus(shape, steps + 1),
    out: tmpDir('seqlab-gpu-check-'),
    config: { ...shapeConfig(shape, steps + 1), backend: 'webgpu' },
    onEvent: rate.onEvent,
  });
  return { adapter: info.adapter ?? null, software, tokens_per_s: Math.round(rate.rate()) };
}

/**
 * webgpu in a process of its own: Dawn starts once per process, and the webgpu backend's
 * buffers would otherwise share this process with the CPU run.
 */
function webgpuRate(steps: number): WebgpuFigure & { adapter: string; tokens_per_s: number } {
  const r = spawnSync(process.execPath, [__filename, CHILD, String(steps)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let fig: WebgpuFigure | undefined;
  try {
    fig = JSON.parse(last) as WebgpuFigure;
  } catch {
    fig = undefined;
  }
  if (r.status !== 0 || !fig)
    throw new SeqLabError(
      'E_GPU_CHECK',
      `The webgpu run failed (exit ${r.status ?? r.signal}${last ? `: ${last}` : ''})`,
      WHERE,
      'Its error is printed above; a lost or out-of-memory device names the GPU driver as the place to look.',
    );
  if (!fig.adapter)
    throw new SeqLabError(
      'E_GPU_CHECK',
      `No WebGPU adapter: ${fig.reason ?? 'Dawn found none'}`,
      WHERE,
      "Install the GPU's Vulkan driver (NVIDIA: its Vulkan ICD, e.g. Debian's nvidia-vulkan-icd) and the Vulkan loader (libvulkan1); `vulkaninfo --summary` should list the GPU.",
    );
  if (fig.software || fig.tokens_per_s === undefined)
    throw new SeqLabError(
      'E_GPU_CHECK',
      `The WebGPU adapter is a software renderer (${fig.adapter}), not the GPU`,
      WHERE,
      "Unset VK_ICD_FILENAMES if it points at SwiftShader or lavapipe, and install the GPU's Vulkan driver.",
    );
  return fig as WebgpuFigure & { adapter: string; tokens_per_s: number };
}

async function main(): Promise<void> {
  const info = checkTorch(PYTHON, true);
  console.log(`PyTorch ${info.torch} (CUDA ${info.cudaBuild}) at ${PYTHON}; GPU: ${info.gpus[0]}`);
  const gpuSteps = Number(process.env.GPU_CHECK_STEPS ?? 30);
  const webgpuSteps = Number(process.env.GPU_CHECK_WEBGPU_STEPS ?? 10);
  const cpuSteps = Number(process.env.GPU_CHECK_CPU_STEPS ?? 3);
  const rows: Record<string, number> = {};
  // First: without an adapter there is nothing to compare, so say so before the long runs.
  const webgpu = webgpuRate(webgpuSteps);
  rows.webgpu = webgpu.tokens_per_s;
  console.log(`webgpu on ${webgpu.adapter}: ${rows.webgpu} tok/s`);
  const folder = charCorpus(shape, Math.max(gpuSteps, cpuSteps));
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
      `PyTorch engine (cuDNN), GPU, ${bf16 ? 'bf16 autocast' : 'fp32'}: ${rows[bf16 ? 'torch_gpu_bf16' : 'torch_gpu_fp32']} tok/s`,
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
  console.log(`built-in engine, CPU (wasm): ${rows.builtin_cpu} tok/s`);
  const ratio = (a: number, b: number) => +(a / b).toFixed(2);
  const ratios = {
    torch_gpu_over_cpu: ratio(rows.torch_gpu_fp32, rows.builtin_cpu),
    webgpu_over_wasm: ratio(rows.webgpu, rows.builtin_cpu),
    webgpu_over_cudnn: ratio(rows.webgpu, rows.torch_gpu_fp32),
  };
  console.log(
    `PyTorch engine on the GPU is ${ratios.torch_gpu_over_cpu}× the built-in engine on the CPU (fp32)`,
  );
  console.log(
    `webgpu / wasm: ${ratios.webgpu_over_wasm}× (goal ≥ 30×: ${ratios.webgpu_over_wasm >= 30 ? 'met' : 'not met'})`,
  );
  console.log(`webgpu / PyTorch cuDNN (fp32): ${ratios.webgpu_over_cudnn}×`);
  console.log(
    JSON.stringify({
      shape,
      gpu: info.gpus[0],
      adapter: webgpu.adapter,
      torch: info.torch,
      tokens_per_s: rows,
      ...ratios,
      gpu_over_cpu: ratios.torch_gpu_over_cpu,
    }),
  );
}

const child = process.argv[2] === CHILD;
(child ? webgpuChild(Number(process.argv[3])).then((fig) => console.log(JSON.stringify(fig))) : main())
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(describeError(err));
    process.exit(1);
  });
