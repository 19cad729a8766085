import { spawnSync } from 'child_process';

/** The interpreter with torch: SEQLAB_PYTHON, else Debian's (scripts/bench-setup.sh installs python3-torch). */
export const TORCH_PYTHON = process.env.SEQLAB_PYTHON ?? '/usr/bin/python3';

/** Why the PyTorch tests cannot run here (shown as the skip reason), or false when they can. */
export function torchMissing(): string | false {
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${TORCH_PYTHON} not found (run scripts/bench-setup.sh as root, or set SEQLAB_PYTHON)`;
  if (r.status !== 0)
    return `${TORCH_PYTHON} cannot import torch (run scripts/bench-setup.sh as root, or set SEQLAB_PYTHON)`;
  return false;
}

/**
 * The skip reason for PyTorch tests, or false when they can run. CI installs python3-torch
 * (npm test runs scripts/bench-setup.sh first), so there a missing torch fails instead of skipping.
 */
export function torchSkipReason(): string | false {
  const why = torchMissing();
  if (why && process.env.CI) throw new Error(`PyTorch tests cannot run in CI: ${why}`);
  return why;
}
