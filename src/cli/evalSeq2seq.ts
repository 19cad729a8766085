import { cpuBackendOf, type BackendChoice } from '../engine/wasm/backendNames';
import { evaluateSeq2seqOnPairs } from '../engine/tasks/seq2seq/use';

/** `seqlab eval` for a sequence-to-sequence checkpoint: BLEU, chrF and loss on a pairs file. */
export async function evalSeq2seq(
  checkpoint: string,
  data: string,
  f: { backend: BackendChoice; json?: boolean; [flag: string]: unknown },
): Promise<void> {
  const r = await evaluateSeq2seqOnPairs(checkpoint, data, {
    beam: typeof f.beam === 'number' ? f.beam : undefined,
    backend: cpuBackendOf(f.backend),
  });
  for (const s of r.skipped) console.error(s);
  if (f.json) console.log(JSON.stringify(r));
  else
    console.log(
      `BLEU ${r.bleu.toFixed(2)}  chrF ${r.chrf.toFixed(2)}  ROUGE-L ${r.rougeL.toFixed(2)}  loss ${r.loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}  (${r.pairs} pairs, beam ${r.beam})`,
    );
}
