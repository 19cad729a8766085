// Builds a checkpoint's completion n-gram from its run's training split, in a thread of its own,
// so that the completion worker keeps answering (with the model alone) while it reads and counts.
// The tables go back to the completion worker transferred, not copied.
import { parentPort, workerData } from 'worker_threads';
import { CharNgramModel } from '../engine/completion/ngram';
import { readTrainingText } from '../engine/completion/ngramSource';
import type { CorpusOptions } from '../engine/corpus';
import { describeError } from '../engine/errors';
import type { NgramBuilt, NgramJob } from './ngramProtocol';

const job = workerData as NgramJob;
try {
  const t0 = performance.now();
  const source = readTrainingText(job.folder, job.options as CorpusOptions, job.maxChars);
  const ngram = new CharNgramModel(source.text, job.order);
  const { tables, buffers } = ngram.toTables();
  const built: NgramBuilt = {
    type: 'built',
    tables,
    chars: source.text.length,
    files: source.files,
    trainFiles: source.trainFiles,
    capped: source.capped,
    bytes: ngram.bytes(),
    ms: performance.now() - t0,
  };
  parentPort!.postMessage(built, buffers);
} catch (err) {
  parentPort!.postMessage({ type: 'failed', message: describeError(err) });
}
