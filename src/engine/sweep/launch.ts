import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../errors';
import type { FromChild, ToChild } from './childProtocol';

/** A run of the sweep in its own process. */
export interface RunProcess {
  onMessage(f: (m: FromChild) => void): void;
  stop(): void;
  /** Resolves when the process has ended (its exit code, or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export type Launcher = (start: Extract<ToChild, { type: 'train' }>, threads: number) => RunProcess;

/** The child script: dist/sweepChild.js beside a bundle, or child.js beside this module (tests). */
export function childScript(): string {
  for (const f of [path.join(__dirname, 'sweepChild.js'), path.join(__dirname, 'child.js')])
    if (fs.existsSync(f)) return f;
  throw new SeqLabError(
    'E_SWEEP',
    `The sweep's run script is missing next to ${__dirname}`,
    __dirname,
    'Rebuild SeqLab (npm run build) or reinstall the extension.',
  );
}

/**
 * Forks one run. Each process is a whole TF.js with its own wasm threads, so runs never share a
 * thread pool; SEQLAB_WASM_THREADS sets how many threads each one uses. ELECTRON_RUN_AS_NODE
 * makes VS Code's binary behave as Node when the extension starts a sweep.
 */
export const forkRun: Launcher = (start, threads) => {
  const child = fork(childScript(), [], {
    env: { ...process.env, SEQLAB_WASM_THREADS: String(threads), ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  child.send(start);
  return {
    onMessage: (f) => child.on('message', (m) => f(m as FromChild)),
    stop: () => {
      if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
    },
    exited,
  };
};
