import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { SeqLabError } from '../errors';
import { torchPackageRoot } from './python';

export interface TorchLaunchOptions {
  python: string;
  runDir: string;
  /** Processes on this machine (torchrun --nproc_per_node). */
  nproc: number;
  /** Machines in all; with rdzvEndpoint (host:port) every machine runs the same command. */
  nnodes?: number;
  rdzvEndpoint?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  bf16?: boolean;
  /** CPU threads per process (OMP_NUM_THREADS); default: the cores shared among the processes. */
  threads?: number;
  /** The pid holding the run's train.lock for the ranks; null: none, rank 0 takes the lock itself. */
  lockPid?: number | null;
  env?: NodeJS.ProcessEnv;
  onOutput?: (line: string) => void;
}

export interface TorchExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The ranks' one-line failure, or one made from the exit status; undefined on success. */
  error?: SeqLabError;
}

const ERROR_LINE = /seqlab-torch error \[(E_[A-Z_]+)\]: (.*)$/;

/** The torchrun command line: `python -m torch.distributed.run … -m seqlab_torch.train --run <dir>`. */
export function torchrunArgs(o: TorchLaunchOptions): string[] {
  // Explicit redirects/tee: torchrun 1.13 under Python 3.11 cannot parse its own defaults (an
  // IntFlag change), and ranks' stdout teed to ours is what the output channel wants anyway.
  const args = [
    '-m',
    'torch.distributed.run',
    '--nproc_per_node',
    String(o.nproc),
    '--redirects',
    '1',
    '--tee',
    '1',
  ];
  if (o.nnodes && o.nnodes > 1) {
    if (!o.rdzvEndpoint)
      throw new SeqLabError(
        'E_TORCH_RDZV',
        `--nnodes ${o.nnodes} needs a rendezvous endpoint`,
        '--rdzv-endpoint',
        'Give --rdzv-endpoint host:port, a machine and port every node can reach (usually the first node).',
      );
    args.push('--nnodes', String(o.nnodes), '--rdzv_backend', 'c10d', '--rdzv_endpoint', o.rdzvEndpoint);
    args.push('--rdzv_id', path.basename(o.runDir));
  } else args.push('--standalone', '--nnodes', '1');
  args.push('-m', 'seqlab_torch.train', '--run', o.runDir, '--device', o.device ?? 'auto');
  if (o.bf16) args.push('--bf16');
  return args;
}

/**
 * torchrun as a child in its own process group, so that Stop reaches every rank at once: an
 * interrupt first (each rank finishes its step, rank 0 saves a checkpoint, all exit), then, if
 * they have not exited after the grace period, a kill.
 */
export class TorchProcess {
  readonly child: ChildProcess;
  readonly done: Promise<TorchExit>;
  private killTimer: NodeJS.Timeout | undefined;
  private lastError: SeqLabError | undefined;
  private readonly tail: string[] = [];

  constructor(o: TorchLaunchOptions) {
    const pkg = torchPackageRoot();
    // torchrun would set one thread per process (with a warning); share the cores instead.
    const threads = o.threads ?? Math.max(1, Math.floor(os.cpus().length / Math.max(1, o.nproc)));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...o.env,
      PYTHONPATH: [pkg, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      PYTHONUNBUFFERED: '1',
      ...(o.lockPid === null ? {} : { SEQLAB_LOCK_PID: String(o.lockPid ?? process.pid) }),
      ...(threads > 0 ? { OMP_NUM_THREADS: String(threads) } : {}),
    };
    this.child = spawn(o.python, torchrunArgs(o), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (line: string) => {
      const m = ERROR_LINE.exec(line);
      if (m && !this.lastError) this.lastError = new SeqLabError(m[1], m[2]);
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
      o.onOutput?.(line);
    };
    for (const s of [this.child.stdout!, this.child.stderr!]) {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      s.on('end', () => buf && onLine(buf));
    }
    this.done = new Promise((resolve) => {
      this.child.on('error', (err) =>
        resolve({
          code: null,
          signal: null,
          error: new SeqLabError(
            'E_PYTHON',
            `Could not start ${o.python}: ${err.message}`,
            '--python (seqlab.python)',
            'Install Python 3 with PyTorch, or choose an interpreter that has it.',
          ),
        }),
      );
      this.child.on('close', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve({ code, signal, error: code === 0 ? undefined : this.failure(code, signal, o.runDir) });
      });
    });
  }

  private failure(code: number | null, signal: NodeJS.Signals | null, runDir: string): SeqLabError {
    if (this.lastError) return this.lastError;
    const killed = this.tail
      .map((l) => /exitcode\s*:\s*-(\d+)|Signal (\d+) \(SIG(\w+)\)/.exec(l))
      .find(Boolean);
    const why = signal
      ? `was stopped by ${signal}`
      : killed
        ? `lost a process (${killed[3] ? `SIG${killed[3]}` : `signal ${killed[1]}`})`
        : `exited with code ${code}`;
    return new SeqLabError(
      'E_TORCH_EXIT',
      `The PyTorch engine ${why}`,
      runDir,
      'See its output above (the SeqLab output channel in VS Code); the run keeps its last checkpoint: resume it with seqlab resume.',
    );
  }

  /**
   * Interrupt every rank (checkpoint, then exit); kill them all if still running after `graceMs`.
   * Only the first call interrupts: torchrun handles one SIGINT by shutting its ranks down
   * gracefully, but a second one arrives as a KeyboardInterrupt in its shutdown and it dies at once,
   * taking ranks that have not saved yet with it.
   */
  stop(graceMs = 30_000): void {
    if (this.killTimer) return;
    this.signal('SIGINT');
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined || this.child.exitCode !== null) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/** The command another machine runs to join this run (the same torchrun, its own processes). */
export function torchrunCommandLine(o: TorchLaunchOptions): string {
  const q = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [`PYTHONPATH=${q(torchPackageRoot())}`, q(o.python), ...torchrunArgs(o).map(q)].join(' ');
}

export function launchTorch(o: TorchLaunchOptions): TorchProcess {
  return new TorchProcess(o);
}
