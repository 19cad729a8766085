import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import {
  describeError,
  DEFAULT_TRAIN_CONFIG,
  mergeConfig,
  PRESETS,
  PresetName,
  readManifest,
  train,
  TrainEvent,
  TrainOverrides,
  TrainOptions,
  generateFromCheckpoint,
} from './engine';
import * as path from 'path';
import { ALL_CELLS } from './engine/compare';
import { compareCells } from './engine/compareRun';
import type { CellKind } from './engine/config';
import { SeqLabError } from './engine/errors';
import { evaluateCheckpointOnFolder } from './engine/evaluateFolder';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number, got "${v}"`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface TrainFlags {
  preset?: PresetName;
  cell?: 'rnn' | 'lstm' | 'gru';
  activation?: 'tanh' | 'relu';
  hidden?: number;
  layers?: number;
  embedding?: number;
  dropout?: number;
  tokenizer?: 'char' | 'word' | 'bpe';
  vocabSize?: number;
  seqLen?: number;
  batch?: number;
  lr?: number;
  optimizer?: 'adam' | 'sgd' | 'rmsprop';
  momentum?: number;
  weightDecay?: number;
  clip?: number;
  schedule?: 'constant' | 'cosine' | 'step';
  init?: 'pytorch' | 'keras';
  warmup?: number;
  steps?: number;
  epochs?: number;
  time?: number;
  evalEvery?: number;
  seed?: number;
  include?: string[];
  exclude?: string[];
  backend?: 'wasm' | 'cpu';
  out?: string;
  json?: boolean;
}

function overridesFrom(f: TrainFlags): TrainOverrides {
  return {
    model: {
      cell: f.cell,
      activation: f.activation,
      hidden: f.hidden,
      layers: f.layers,
      embedding: f.embedding,
      dropout: f.dropout,
    },
    init: f.init,
    tokenizer: f.tokenizer,
    vocabSize: f.vocabSize,
    seqLen: f.seqLen,
    batch: f.batch,
    lr: f.lr,
    optimizer: f.optimizer,
    momentum: f.momentum,
    weightDecay: f.weightDecay,
    clip: f.clip,
    schedule: f.schedule,
    warmupSteps: f.warmup,
    steps: f.steps,
    epochs: f.epochs,
    timeSeconds: f.time,
    evalEvery: f.evalEvery,
    seed: f.seed,
    include: f.include,
    exclude: f.exclude,
    backend: f.backend,
  };
}

/** Flags shared by train and finetune. */
function trainFlags(cmd: Command, withModel: boolean): Command {
  cmd.addOption(
    new Option('--preset <name>', 'tiny | small | medium | keras-seed').choices(Object.keys(PRESETS)),
  );
  if (withModel) {
    cmd
      .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['rnn', 'lstm', 'gru']))
      .addOption(new Option('--activation <f>', 'rnn activation').choices(['tanh', 'relu']))
      .option('--hidden <n>', 'hidden units per layer', int('--hidden'))
      .option('--layers <n>', 'recurrent layers', int('--layers'))
      .option('--embedding <n>', 'embedding size', int('--embedding'))
      .addOption(new Option('--tokenizer <kind>', 'tokenizer').choices(['char', 'word', 'bpe']))
      .option('--vocab-size <n>', 'vocabulary size (word top-K, bpe total, char cap)', int('--vocab-size'))
      .addOption(
        new Option('--init <scheme>', "initialisation: PyTorch's defaults or Keras'").choices([
          'pytorch',
          'keras',
        ]),
      );
  }
  return cmd
    .option('--dropout <p>', 'dropout between layers', num('--dropout'))
    .option('--seq-len <n>', 'BPTT window length T', int('--seq-len'))
    .option('--batch <n>', 'parallel streams B', int('--batch'))
    .option('--lr <x>', 'learning rate', num('--lr'))
    .addOption(new Option('--optimizer <name>').choices(['adam', 'sgd', 'rmsprop']))
    .option('--momentum <x>', 'SGD momentum', num('--momentum'))
    .option('--weight-decay <x>', 'decoupled weight decay', num('--weight-decay'))
    .option('--clip <x>', 'clip gradients to this global norm (0 = off)', num('--clip'))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'cosine', 'step']),
    )
    .option('--warmup <n>', 'warmup steps', int('--warmup'))
    .option('--steps <n>', 'stop after this many steps', int('--steps'))
    .option('--epochs <n>', 'stop after this many epochs', int('--epochs'))
    .option('--time <s>', 'stop after this many seconds', num('--time'))
    .option('--eval-every <n>', 'evaluate, sample and checkpoint every n steps', int('--eval-every'))
    .option('--seed <n>', 'random seed', int('--seed'))
    .option('--include <globs>', 'comma-separated include globs', list)
    .option('--exclude <globs>', 'comma-separated exclude globs', list)
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']))
    .option('--out <dir>', 'where .seqlab/runs is created (default: the folder)')
    .option('--json', 'print events as JSON lines');
}

/** Prints events: a progress bar on a TTY, plain lines otherwise, or JSON lines with --json. */
function reporter(json: boolean, total: () => number) {
  const tty = !json && process.stderr.isTTY;
  let bar: SingleBar | undefined;
  let lastLine = 0;
  let shown = { step: 0, loss: '-', tps: '-' as string | number };
  // A line printed under a live bar would be overwritten: stop the bar, print, redraw it as it was.
  const say = (s: string) => {
    bar?.stop();
    console.log(s);
    bar?.start(total(), shown.step, { loss: shown.loss, tps: shown.tps });
  };
  return (e: TrainEvent) => {
    if (json) {
      console.log(JSON.stringify(e));
      return;
    }
    switch (e.type) {
      case 'start': {
        const c = e.corpus;
        console.log(`run ${e.runId}  →  ${e.runDir}`);
        console.log(
          `corpus: ${c.files} files (${c.trainFiles} train, ${c.valFiles} val), ${c.trainChars + c.valChars} chars, ${c.trainTokens + c.valTokens} tokens, ${c.skipped.length} skipped`,
        );
        for (const s of c.skipped.slice(0, 10)) console.log(`  skipped ${s.path}: ${s.reason}`);
        if (c.skipped.length > 10) console.log(`  … and ${c.skipped.length - 10} more`);
        if (c.unknownTokens)
          console.log(`  ${c.unknownTokens} tokens mapped to <unk> (not in the vocabulary)`);
        const m = e.config.model;
        console.log(
          `model: ${m.layers}×${m.cell} ${m.hidden}, embedding ${m.embedding}, vocab ${e.vocabSize} (${e.config.tokenizer}), ${e.parameters.toLocaleString()} parameters, backend ${e.backend}, batch ${e.batch}×${e.config.seqLen}`,
        );
        if (e.resumedFromStep) console.log(`resuming from step ${e.resumedFromStep}`);
        if (tty && total() > 0) {
          bar = new SingleBar({
            format: 'train [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | eta {eta_formatted}',
            hideCursor: true,
            clearOnComplete: true,
            stream: process.stderr,
          });
          bar.start(total(), e.resumedFromStep, { loss: '-', tps: '-' });
        }
        break;
      }
      case 'step':
        shown = { step: e.step, loss: e.loss.toFixed(3), tps: Math.round(e.tokensPerSec) };
        if (bar) bar.update(e.step, { loss: shown.loss, tps: shown.tps });
        else if (Date.now() - lastLine > 2000 || e.step === 1) {
          lastLine = Date.now();
          console.log(
            `step ${e.step}  loss ${e.loss.toFixed(4)}  grad-norm ${e.gradNorm.toFixed(2)}${e.clipped ? ' (clipped)' : ''}  lr ${e.lr.toExponential(2)}  ${Math.round(e.tokensPerSec)} tok/s`,
          );
        }
        break;
      case 'eval':
        say(
          `eval @${e.step}: val loss ${e.valLoss.toFixed(4)}  perplexity ${e.perplexity.toFixed(2)}  bpc ${e.bpc.toFixed(3)}`,
        );
        break;
      case 'sample':
        say(`sample @${e.step}: ${JSON.stringify(e.prime + e.text).slice(0, 300)}`);
        break;
      case 'checkpoint':
        say(`checkpoint ${e.name}${e.best ? ' (best)' : ''} → ${e.path}`);
        break;
      case 'log':
        say(e.message);
        break;
      case 'done':
        bar?.stop();
        bar = undefined;
        console.log(`done (${e.reason}) after ${e.step} steps in ${e.elapsedSeconds.toFixed(1)} s`);
        if (e.valLoss !== null)
          console.log(
            `final validation loss ${e.valLoss.toFixed(4)}, bits per character ${e.bpc!.toFixed(3)}`,
          );
        if (e.checkpoint) console.log(`checkpoint: ${e.checkpoint}`);
        break;
      case 'error':
        bar?.stop();
        bar = undefined;
        break;
      default:
        break;
    }
  };
}

/** Ctrl-C once: save a checkpoint and stop. Twice: quit now. */
function stopOnSigint(): () => boolean {
  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.error('\nstopping: saving a checkpoint… (Ctrl-C again to quit at once)');
  });
  return () => stop;
}

async function runTraining(
  opts: Omit<TrainOptions, 'onEvent' | 'shouldStop'>,
  json: boolean,
  sampleAfter: boolean,
): Promise<void> {
  const total = () => opts.config.steps;
  const result = await train({
    ...opts,
    onEvent: reporter(json, total),
    shouldStop: stopOnSigint(),
    log: (l) => console.error(l),
  });
  if (sampleAfter && result.checkpoint && !json) {
    const text = generateFromCheckpoint(result.checkpoint, {
      prime: '',
      maxLength: 300,
      temperature: 0.7,
      seed: 7,
    });
    console.log('--- sample (temperature 0.7) ---');
    console.log(text);
    console.log('---');
  }
}

function configFrom(flags: TrainFlags) {
  return mergeConfig(
    DEFAULT_TRAIN_CONFIG,
    flags.preset ? PRESETS[flags.preset] : undefined,
    overridesFrom(flags),
  );
}

export function buildProgram(): Command {
  const program = new Command('seqlab')
    .description('Train RNN, LSTM and GRU language models on a folder of text or code.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  trainFlags(
    program.command('train <folder>').description('train a new model on a folder (or file)'),
    true,
  ).action(async (folder: string, flags: TrainFlags) => {
    await runTraining({ folder, config: configFrom(flags), out: flags.out }, !!flags.json, true);
  });

  trainFlags(
    program
      .command('compare <folder>')
      .description(
        'train rnn, lstm and gru at about equal parameter count on one folder (one split, one seed) and print a table',
      )
      .option('--cells <list>', 'cells to compare, comma-separated (default rnn,lstm,gru)', list),
    true,
  ).action(async (folder: string, flags: TrainFlags & { cells?: string[] }) => {
    const cells = (flags.cells ?? ALL_CELLS) as CellKind[];
    const bad = cells.filter((c) => !ALL_CELLS.includes(c));
    if (bad.length || cells.length === 0)
      throw new SeqLabError(
        'E_CONFIG',
        `--cells: unknown cell ${bad.join(', ') || '(none)'}`,
        '--cells',
        'Use rnn, lstm and/or gru, e.g. --cells rnn,lstm.',
      );
    const json = !!flags.json;
    let current: CellKind | undefined;
    const report = reporter(json, () => configFrom(flags).steps);
    const r = await compareCells({
      folder,
      config: configFrom(flags),
      cells,
      out: flags.out,
      shouldStop: stopOnSigint(),
      log: (l) => console.error(l),
      onEvent: (cell, e) => {
        if (cell !== current && !json) console.log(`\n=== ${cell} ===`);
        current = cell;
        report(e);
      },
    });
    if (json) console.log(JSON.stringify({ type: 'compare', dir: r.dir, rows: r.rows, stopped: r.stopped }));
    else {
      console.log('\n' + r.markdown);
      console.log(
        `table written to ${path.join(r.dir, 'compare.md')}${r.stopped ? ' (stopped early: finished cells kept)' : ''}`,
      );
    }
  });

  program
    .command('resume <run> [checkpoint]')
    .description(
      'continue a run from its newest checkpoint that loads, or from [checkpoint] (exactly: weights, optimizer, data position)',
    )
    .option('--steps <n>', 'new total step limit', int('--steps'))
    .option('--time <s>', 'train this many more seconds', num('--time'))
    .option('--json', 'print events as JSON lines')
    .action(
      async (
        run: string,
        checkpoint: string | undefined,
        flags: { steps?: number; time?: number; json?: boolean },
      ) => {
        await runTraining(
          {
            folder: '',
            resume: run,
            resumeFrom: checkpoint,
            config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
              steps: flags.steps ?? 0,
              timeSeconds: flags.time ?? 0,
            }),
          },
          !!flags.json,
          false,
        );
      },
    );

  trainFlags(
    program
      .command('finetune <checkpoint> <folder>')
      .description('fine-tune a checkpoint on another folder, keeping its tokenizer'),
    false,
  )
    .option('--freeze-embedding', 'do not train the embedding')
    .option('--freeze-layers <n>', 'do not train the lowest n recurrent layers', int('--freeze-layers'))
    .option('--add-layer', 'add a recurrent layer on top')
    .action(
      async (
        checkpoint: string,
        folder: string,
        flags: TrainFlags & { freezeEmbedding?: boolean; freezeLayers?: number; addLayer?: boolean },
      ) => {
        const base = readManifest(checkpoint).train;
        const config = mergeConfig(
          base,
          { steps: 0, timeSeconds: 0, epochs: 0 },
          flags.preset ? PRESETS[flags.preset] : undefined,
          overridesFrom(flags),
        );
        await runTraining(
          {
            folder,
            config,
            out: flags.out,
            finetune: {
              checkpoint,
              freezeEmbedding: flags.freezeEmbedding,
              freezeLayers: flags.freezeLayers,
              addLayer: flags.addLayer,
            },
          },
          !!flags.json,
          true,
        );
      },
    );

  program
    .command('sample <checkpoint>')
    .description('generate text')
    .option('--prime <text>', 'text to start from', '')
    .option('--length <n>', 'tokens to generate', int('--length'), 300)
    .option('--temperature <t>', '0 = greedy', num('--temperature'), 0.8)
    .option('--top-k <k>', 'sample among the k most likely', int('--top-k'), 0)
    .option('--top-p <p>', 'nucleus sampling', num('--top-p'), 0)
    .option('--seed <n>', 'random seed', int('--seed'), 1)
    .action(
      (
        checkpoint: string,
        f: { prime: string; length: number; temperature: number; topK: number; topP: number; seed: number },
      ) => {
        const text = generateFromCheckpoint(checkpoint, {
          prime: f.prime,
          maxLength: f.length,
          temperature: f.temperature,
          topK: f.topK,
          topP: f.topP,
          seed: f.seed,
        });
        process.stdout.write(f.prime + text + '\n');
      },
    );

  program
    .command('eval <checkpoint> <folder>')
    .description('loss, perplexity and bits per character of a checkpoint on a folder (all of it)')
    .option('--include <globs>', 'comma-separated include globs', list)
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .option('--json', 'print JSON')
    .action(
      async (
        checkpoint: string,
        folder: string,
        f: { include?: string[]; backend: 'wasm' | 'cpu'; json?: boolean },
      ) => {
        const r = await evaluateCheckpointOnFolder(checkpoint, folder, {
          include: f.include,
          patternSource: '--include',
          backend: f.backend,
          log: (l) => console.error(l),
        });
        if (f.json) console.log(JSON.stringify(r));
        else
          console.log(
            `loss ${r.loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}  bits per character ${r.bpc.toFixed(3)}  (${r.tokens} tokens${r.unknownTokens ? `, ${r.unknownTokens} unknown` : ''})`,
          );
      },
    );

  program
    .command('info <checkpoint>')
    .description('show a checkpoint manifest')
    .action((checkpoint: string) => {
      const m = readManifest(checkpoint);
      const { tokenizer, sha256: _sha, ...rest } = m;
      console.log(
        JSON.stringify(
          { ...rest, tokenizer: { kind: tokenizer.kind, vocabSize: m.model.vocabSize } },
          null,
          2,
        ),
      );
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed its message; help and version are not failures.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : (e.exitCode ?? 1);
    }
    console.error(`seqlab: ${describeError(err)}`);
    return 1;
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`seqlab: ${describeError(err)}`);
    process.exit(1);
  },
);
