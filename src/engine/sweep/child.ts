// One run of a sweep, in its own process (dist/sweepChild.js): the parent sends what to train,
// and may ask it to stop (pruned, budget spent, sweep stopped). A run ends with a checkpoint.
import { describeError, SeqLabError } from '../errors';
import type { FromChild, ToChild } from './childProtocol';
import { trainRun } from './dispatch';

let stop = false;
const send = (m: FromChild): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });

async function run(m: Extract<ToChild, { type: 'train' }>): Promise<number> {
  let lastStep = 0;
  try {
    const r = await trainRun({
      folder: m.folder,
      out: m.out,
      config: m.config,
      ...(m.resume ? { resume: m.resume } : { runId: m.runId, group: m.group }),
      shouldStop: () => stop,
      onEvent: (event) => {
        // Steps are many; the parent needs only progress from them (metrics.jsonl has them all).
        if (event.type === 'step') {
          if (event.time - lastStep < 250) return;
          lastStep = event.time;
        }
        void send({ type: 'event', event });
      },
    });
    await send({ type: 'result', reason: r.reason, step: r.step });
    return 0;
  } catch (err) {
    await send({
      type: 'failed',
      message: describeError(err),
      code: err instanceof SeqLabError ? err.code : undefined,
    });
    return 1;
  }
}

process.on('message', (m: ToChild) => {
  if (m.type === 'stop') stop = true;
  else if (m.type === 'train') void run(m).then((code) => process.exit(code));
});
// The sweep's process died (killed): save a checkpoint and end, so `--resume` finds the run whole.
process.on('disconnect', () => {
  stop = true;
});
// Ctrl-C in a terminal reaches the whole process group: the sweep decides, this run only saves.
process.on('SIGINT', () => {
  stop = true;
});
