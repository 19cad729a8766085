import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../errors';

/** What the interpreter's PyTorch offers. */
export interface TorchInfo {
  python: string;
  torch: string;
  /** The CUDA version PyTorch was built for, or null for a CPU-only build. */
  cudaBuild: string | null;
  /** Names of the GPUs PyTorch can use (empty: none, or no driver). */
  gpus: string[];
}

/** The interpreter when none is configured: SEQLAB_PYTHON, else `python3` on PATH. */
export function defaultPython(): string {
  return process.env.SEQLAB_PYTHON || 'python3';
}

/** The folder holding the `seqlab_torch` package (the repository's or the extension's `python/`). */
export function torchPackageRoot(): string {
  for (let d = __dirname, i = 0; i < 6; i++, d = path.dirname(d)) {
    const p = path.join(d, 'python');
    if (fs.existsSync(path.join(p, 'seqlab_torch', '__init__.py'))) return p;
  }
  throw new SeqLabError(
    'E_TORCH_PACKAGE',
    `The seqlab_torch package was not found next to SeqLab (${__dirname})`,
    __dirname,
    'Reinstall SeqLab, or install the package: pip install <SeqLab>/python.',
  );
}

const PROBE = `import json, torch
gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
print(json.dumps({"torch": torch.__version__, "cudaBuild": torch.version.cuda, "gpus": gpus}))`;

const WHERE = '--python (seqlab.python)';

/**
 * Checks that `python` runs, imports torch, and (with `needGpu`) sees a GPU; each failure is one
 * line naming the fix.
 */
export function checkTorch(python: string, needGpu = false): TorchInfo {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 });
  return probeResult(python, needGpu, r);
}

/** checkTorch without blocking the caller (importing torch takes seconds): the extension host's way. */
export function checkTorchAsync(python: string, needGpu = false): Promise<TorchInfo> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      const spawnFailed = error && typeof (error as NodeJS.ErrnoException).code === 'string';
      try {
        resolve(
          probeResult(python, needGpu, {
            error: spawnFailed ? error : undefined,
            status: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
            stdout,
            stderr,
          }),
        );
      } catch (err) {
        reject(err);
      }
    });
  });
}

function probeResult(
  python: string,
  needGpu: boolean,
  r: { error?: Error; status: number | null; stdout: string; stderr: string },
): TorchInfo {
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SeqLabError(
      'E_PYTHON',
      missing ? `Python was not found: ${python}` : `Python ${python} could not run (${r.error.message})`,
      WHERE,
      'Install Python 3 with PyTorch, or choose an interpreter that has it (the Python extension, the seqlab.python setting, or --python).',
    );
  }
  if (r.status !== 0) {
    const noTorch = /No module named ['"]?torch/.test(r.stderr);
    const last = r.stderr.trim().split('\n').pop() ?? '';
    throw new SeqLabError(
      'E_TORCH',
      noTorch ? `${python} cannot import torch` : `${python} failed to import torch (${last})`,
      WHERE,
      `Install PyTorch for that interpreter (${python} -m pip install torch; on Debian or Ubuntu: apt install python3-torch), or choose another interpreter.`,
    );
  }
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<TorchInfo, 'python'>;
  if (needGpu && info.gpus.length === 0)
    throw new SeqLabError(
      'E_CUDA',
      `A GPU was asked for but PyTorch ${info.torch} at ${python} sees none (${info.cudaBuild ? `built for CUDA ${info.cudaBuild}: no usable NVIDIA driver or device` : 'a CPU-only build'})`,
      '--device cuda',
      info.cudaBuild
        ? 'Check the NVIDIA driver (nvidia-smi), or train on the CPU with --device cpu.'
        : 'Install a CUDA build of PyTorch (pip install torch from pytorch.org), or train on the CPU with --device cpu.',
    );
  return { python, ...info };
}
