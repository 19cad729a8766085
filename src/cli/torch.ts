import { Command, Option } from 'commander';
import type { TrainOptions } from '../engine';
import { readRunConfig } from '../engine/runFolder';
import { defaultPython, prepareTorchRun, torchrunCommandLine, trainTorch } from '../engine/torch';
import { int } from './options';
import { reporter, stopOnSigint } from './report';

/** The PyTorch engine's flags (used with --engine torch). */
export interface TorchFlags {
  nproc?: number;
  nnodes?: number;
  rdzvEndpoint?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  bf16?: boolean;
  python?: string;
  threads?: number;
  prepareOnly?: boolean;
}

export function torchFlags(cmd: Command): Command {
  return cmd
    .option('--nproc <n>', 'PyTorch engine: processes on this machine (one per GPU)', int('--nproc'))
    .option('--nnodes <n>', 'PyTorch engine: machines in all (with --rdzv-endpoint)', int('--nnodes'))
    .option(
      '--rdzv-endpoint <host:port>',
      "PyTorch engine: torchrun's rendezvous, reachable from every machine",
    )
    .addOption(
      new Option('--device <device>', 'PyTorch engine: auto (a GPU when there is one), cpu or cuda').choices([
        'auto',
        'cpu',
        'cuda',
      ]),
    )
    .option('--bf16', 'PyTorch engine: bf16 autocast on the GPU')
    .option('--threads <n>', 'PyTorch engine: CPU threads per process', int('--threads'))
    .option('--python <path>', 'PyTorch engine: the Python interpreter that has torch (default: python3)')
    .option(
      '--prepare-only',
      'PyTorch engine: prepare the run (shard, torch.json), print how to start it, and exit',
    );
}

/** The engine a resumed run continues on: the flag, else the one its config.json names. */
export function resumeEngine(run: string, flag: string | undefined): 'wasm' | 'torch' {
  if (flag === 'torch' || flag === 'wasm') return flag;
  return readRunConfig(run)?.train?.engine === 'torch' ? 'torch' : 'wasm';
}

/** `seqlab train|resume --engine torch`: torchrun's output goes to stderr, events as the built-in engine prints them. */
export async function runTorchTraining(
  opts: Omit<TrainOptions, 'onEvent' | 'shouldStop'>,
  flags: TorchFlags,
  json: boolean,
): Promise<void> {
  if (flags.prepareOnly) {
    const prep = prepareTorchRun({ ...opts, device: flags.device, bf16: flags.bf16 });
    prep.lock.release();
    const line = torchrunCommandLine({
      python: flags.python || defaultPython(),
      runDir: prep.runDir,
      nproc: flags.nproc ?? 1,
      nnodes: flags.nnodes,
      rdzvEndpoint: flags.rdzvEndpoint,
      device: flags.device,
      bf16: flags.bf16,
    });
    console.log(
      json
        ? JSON.stringify({ runDir: prep.runDir, command: line })
        : `prepared ${prep.runDir}\non each machine run:\n  ${line}`,
    );
    return;
  }
  await trainTorch({
    ...opts,
    python: flags.python,
    nproc: flags.nproc,
    nnodes: flags.nnodes,
    rdzvEndpoint: flags.rdzvEndpoint,
    device: flags.device,
    bf16: flags.bf16,
    threads: flags.threads,
    onEvent: reporter(json, () => opts.config.steps),
    onOutput: (line) => console.error(line),
    shouldStop: stopOnSigint(),
  });
}
