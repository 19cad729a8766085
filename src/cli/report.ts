import { SingleBar } from 'cli-progress';
import {
  evalFigures,
  generateFromCheckpoint,
  TASK_RATE_UNITS,
  taskOf,
  taskOfOptions,
  trainTask,
  TrainEvent,
  TrainOptions,
} from '../engine';

/** Prints events: a progress bar on a TTY, plain lines otherwise, or JSON lines with --json. */
export function reporter(json: boolean, total: () => number) {
  const tty = !json && process.stderr.isTTY;
  let bar: SingleBar | undefined;
  let lastLine = 0;
  let shown = { step: 0, loss: '-', tps: '-' as string | number };
  let unit = TASK_RATE_UNITS.lm;
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
        unit = TASK_RATE_UNITS[taskOf(e.config)];
        if (e.config.task === 'forecast') {
          forecastStart(e);
          if (tty && total() > 0) {
            bar = new SingleBar({
              format: `train [{bar}] {value}/{total} | loss {loss} | {tps} ${unit} | eta {eta_formatted}`,
              hideCursor: true,
              clearOnComplete: true,
              stream: process.stderr,
            });
            bar.start(total(), e.resumedFromStep, { loss: '-', tps: '-' });
          }
          break;
        }
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
            format: `train [{bar}] {value}/{total} | loss {loss} | {tps} ${unit} | eta {eta_formatted}`,
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
            `step ${e.step}  loss ${e.loss.toFixed(4)}  grad-norm ${e.gradNorm.toFixed(2)}${e.clipped ? ' (clipped)' : ''}  lr ${e.lr.toExponential(2)}  ${Math.round(e.tokensPerSec)} ${unit}`,
          );
        }
        break;
      case 'eval':
        say(`eval @${e.step}: val loss ${e.valLoss.toFixed(4)}  ${evalFigures(e)}`);
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
        if (e.valLoss !== null && e.bpc !== null)
          console.log(
            `final validation loss ${e.valLoss.toFixed(4)}, bits per character ${e.bpc.toFixed(3)}`,
          );
        else if (e.valLoss !== null) console.log(`final validation loss ${e.valLoss.toFixed(4)}`);
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

/** A forecaster's start: the series' rows and the model's shape. */
function forecastStart(e: Extract<TrainEvent, { type: 'start' }>): void {
  const c = e.corpus;
  const f = e.config.forecast!;
  const m = e.config.model;
  console.log(`run ${e.runId}  →  ${e.runDir}`);
  console.log(`series: ${c.folder}, ${c.trainTokens} training rows, ${c.valTokens} validation rows`);
  console.log(
    `model: ${m.layers}×${m.cell} ${m.hidden} over ${f.window} steps of ${1 + f.features.length} columns → ${f.horizon} step${f.horizon > 1 ? 's' : ''} of ${f.target} (${f.strategy}, ${f.loss} loss), ${e.parameters.toLocaleString()} parameters, backend ${e.backend}, batch ${e.batch}`,
  );
  if (e.resumedFromStep) console.log(`resuming from step ${e.resumedFromStep}`);
}

/** Ctrl-C once: save a checkpoint and stop. Twice: quit now. */
export function stopOnSigint(): () => boolean {
  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.error('\nstopping: saving a checkpoint… (Ctrl-C again to quit at once)');
  });
  return () => stop;
}

export async function runTraining(
  opts: Omit<TrainOptions, 'onEvent' | 'shouldStop'>,
  json: boolean,
  sampleAfter: boolean,
): Promise<void> {
  const total = () => opts.config.steps;
  const result = await trainTask({
    ...opts,
    onEvent: reporter(json, total),
    shouldStop: stopOnSigint(),
    log: (l) => console.error(l),
  });
  if (sampleAfter && result.checkpoint && !json && taskOfOptions(opts) === 'lm') {
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
