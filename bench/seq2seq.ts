/**
 * Sequence to sequence in `npm run bench` (BENCH_ONLY=seq2seq): training throughput (target tokens
 * per second) of the parity model and recipe (bench/paritySeq2seq.ts) in SeqLab and in PyTorch on
 * the CPU (bench/torch_seq2seq.py), goal SeqLab ≥ 0.7×; then beam search (width 4, length
 * normalisation 1) in sentences per second on the first validation sources, with each side's own
 * weights after the same steps (the mean output length says whether the two did similar work).
 */
import * as path from 'path';
import { beamSearch } from '../src/engine/tasks/seq2seq/decode';
import { loadSeq2seq } from '../src/engine/tasks/seq2seq/spec';
import { initBackend } from '../src/engine/wasm/backend';
import { gettextPairs, prepareS2s, S2S_RECIPE, seqlabS2s, torchS2s } from './paritySeq2seq';
import { torchUnavailable } from './torch';

const STEPS = Number(process.env.BENCH_SEQ2SEQ_STEPS ?? 150);

export async function benchSeq2seq(): Promise<Record<string, unknown>> {
  const noTorch = torchUnavailable();
  await initBackend('wasm');
  const file = path.join(gettextPairs(), 'train.tsv');
  const { data, dir } = prepareS2s(file);
  const s = await seqlabS2s(file, data, 1, STEPS, false);
  const m = loadSeq2seq(s.checkpoint, 'Translating');
  const sources = data.val.slice(0, S2S_RECIPE.beamSentences);
  const o = {
    beam: S2S_RECIPE.beam,
    lengthPenalty: S2S_RECIPE.lengthPenalty,
    maxLenRatio: S2S_RECIPE.maxLenRatio,
    blockNgram: 0,
  };
  await beamSearch(m.model, m.target, sources[0].src, o); // warm-up
  const t0 = performance.now();
  const lengths: number[] = [];
  for (const p of sources) lengths.push((await beamSearch(m.model, m.target, p.src, o)).ids.length);
  const beamPerSec = sources.length / ((performance.now() - t0) / 1000);
  m.model.dispose();
  const meanLen = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const t = noTorch ? undefined : torchS2s('speed', dir, 1, STEPS);
  const ratio = t ? s.tokensPerSec / t.tokens_per_s : undefined;
  const shape = `${S2S_RECIPE.layers}×${S2S_RECIPE.cell} ${S2S_RECIPE.hidden}, batch ${S2S_RECIPE.batch}, BPE ${S2S_RECIPE.vocabSize}`;
  console.log(
    `seq2seq training (${shape}): SeqLab ${Math.round(s.tokensPerSec)} target tokens/s${t ? `, PyTorch ${Math.round(t.tokens_per_s)} (${ratio!.toFixed(2)}×; goal ≥ 0.7×)` : ` (PyTorch: ${noTorch})`}`,
  );
  console.log(
    `seq2seq beam search (width ${S2S_RECIPE.beam}, after ${STEPS} steps): SeqLab ${beamPerSec.toFixed(1)} sentences/s (mean ${meanLen.toFixed(1)} tokens)${t ? `, PyTorch ${t.sentences_per_s!.toFixed(1)} (mean ${t.beam_mean_length!.toFixed(1)} tokens)` : ''}`,
  );
  return {
    seqlab: s.tokensPerSec,
    torch: t?.tokens_per_s ?? null,
    ratio: ratio ?? null,
    beamSentencesPerSec: { seqlab: beamPerSec, torch: t?.sentences_per_s ?? null },
  };
}
