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
