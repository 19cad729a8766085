import * as fs from 'fs';
import * as path from 'path';

/** Contents of a run's status.json: what the tree view and `resume` read. */
export interface RunStatus {
  status: 'running' | 'finished' | 'stopped' | 'failed';
  pid: number;
  step: number;
  latest?: string;
  best?: string;
  error?: string;
  updatedAt: string;
}

export function runsDir(root: string): string {
  return path.join(root, '.seqlab', 'runs');
}

/**
 * Creates `<root>/.seqlab/runs` and, the first time, a `.seqlab/.gitignore` of `*` so that runs
 * and checkpoints stay out of the user's repository (an existing file is left alone).
 */
export function ensureRunsDir(root: string): string {
  const dir = runsDir(root);
  fs.mkdirSync(dir, { recursive: true });
  const gi = path.join(root, '.seqlab', '.gitignore');
  if (!fs.existsSync(gi))
    fs.writeFileSync(gi, '# Written by SeqLab: runs and checkpoints are not source.\n*\n');
  return dir;
}
