/**
 * Entry point of the training worker (dist/worker.js): runs one job from workerData with the
 * TF.js engine, off the extension host's main thread, and reports back by message.
 */
import { parentPort, workerData } from 'worker_threads';
import { describeError, SeqLabError } from '../engine/errors';
import { evaluateCheckpointOnFolder } from '../engine/evaluateFolder';
import { generateFromCheckpoint } from '../engine/sample';
import { planCompare } from '../engine/compare';
import { trainTask } from '../engine/tasks/registry';
import { trainTorch } from '../engine/torch';
import { runClassifierJob } from '../engine/tasks/classify/job';
import { forecastCsv, forecastFile } from '../engine/tasks/forecast/use';
import { runSeq2seqJob } from '../engine/tasks/seq2seq/job';
import type { HostToWorker, Job, WorkerToHost } from './workerProtocol';

const port = parentPort!;
const post = (m: WorkerToHost) => port.postMessage(m);
let stopRequested = false;
port.on('message', (m: HostToWorker) => {
  if (m?.type === 'stop') stopRequested = true;
});

async function run(job: Job): Promise<void> {
  switch (job.kind) {
    case 'train':
      if (job.config.engine === 'torch') {
        // torchrun in its own process group; Stop interrupts it (checkpoint), then kills it.
        await trainTorch({
          folder: job.folder,
          config: job.config,
          out: job.out,
          runId: job.runId,
          resume: job.resume,
          finetune: job.finetune,
          python: job.torch?.python,
          nproc: job.torch?.nproc,
          device: job.torch?.device,
          shouldStop: () => stopRequested,
          onEvent: (event) => post({ type: 'event', event }),
          onOutput: (line) =>
            post({ type: 'event', event: { type: 'log', time: Date.now(), message: `torchrun: ${line}` } }),
        });
        return;
      }
      await trainTask({
        folder: job.folder,
        config: job.config,
        out: job.out,
        runId: job.runId,
        finetune: job.finetune,
        resume: job.resume,
        group: job.group,
        shouldStop: () => stopRequested,
        onEvent: (event) => post({ type: 'event', event }),
        log: (message) => post({ type: 'event', event: { type: 'log', time: Date.now(), message } }),
      });
      return;
    case 'eval':
      post({ type: 'evalResult', result: await evaluateCheckpointOnFolder(job.checkpoint, job.folder, job) });
      return;
    case 'sample': {
      const text = generateFromCheckpoint(job.checkpoint, {
        prime: job.prime,
        maxLength: job.length,
        temperature: job.temperature,
        seed: job.seed,
      });
      post({ type: 'sampleResult', text });
      return;
    }
    case 'classify':
      post({ type: 'taskResult', result: await runClassifierJob(job) });
      return;
    case 'forecast': {
      // What reading the file found (an unusable time column) reaches the user as log events.
      const r = await forecastFile(job.checkpoint, job.file, job.steps, job.backend, (message) =>
        post({ type: 'event', event: { type: 'log', time: Date.now(), message } }),
      );
      post({ type: 'sampleResult', text: forecastCsv(r) });
      return;
    }
    case 'seq2seq':
      post({ type: 'taskResult', result: await runSeq2seqJob(job) });
      return;
    case 'planCompare':
      post({ type: 'planResult', plan: planCompare(job.folder, job.config, job.cells, job.out) });
      return;
  }
}

// The wasm backend keeps the thread's event loop alive, so the thread ends itself once its last
// message is queued (messages posted before exit are still delivered).
run(workerData as Job)
  .then(
    () => post({ type: 'finished' }),
    (err) =>
      post({
        type: 'failed',
        message: describeError(err),
        code: err instanceof SeqLabError ? err.code : undefined,
      }),
  )
  .finally(() => setImmediate(() => process.exit(0)));
