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
