import { initBackend } from '../../wasm/backend';
import { encodePairs } from './data';
import { attendedPieces, beamSearch } from './decode';
import { targetLoss, translateAndScore } from './evaluate';
import { describeSkips, readPairs, readPairsFile, type Pair, type PairsReport } from './pairs';
import { loadSeq2seq } from './spec';
import * as fs from 'fs';

export interface TranslateOptions {
  beam?: number;
  /** Block repeated n-grams of this order (default: the checkpoint's; summaries use 3). */
  blockNgram?: number;
  backend?: 'wasm' | 'cpu';
}

export interface Translation {
  source: string;
  output: string;
  score: number;
  /** Output pieces × source pieces. */
  attention: { source: string[]; output: string[]; weights: number[][] };
}

/** Translates lines of text with a sequence-to-sequence checkpoint (other kinds are refused). */
export async function translateWithCheckpoint(
  checkpoint: string,
  lines: string[],
  o: TranslateOptions = {},
): Promise<Translation[]> {
  await initBackend(o.backend ?? 'wasm');
  const m = loadSeq2seq(checkpoint, 'Translating');
  try {
    const out: Translation[] = [];
    for (const line of lines) {
      const ids = m.source.encode(line).ids;
      const src = new Int32Array(ids.length + 1);
      src.set(ids);
      src[ids.length] = m.source.eos;
      const d = await beamSearch(m.model, m.target, src, {
        ...m.options,
        beam: o.beam ?? m.options.beam,
        blockNgram: o.blockNgram ?? m.options.blockNgram,
      });
      out.push({
        source: line,
        output: m.target.decode(d.ids),
        score: d.score,
        attention: {
          source: m.source.pieces(src),
          output: attendedPieces(m.target, d),
          weights: d.attention,
        },
      });
    }
    return out;
  } finally {
    m.model.dispose();
  }
}

export interface Seq2seqEvalResult {
  bleu: number;
  chrf: number;
  rougeL: number;
  loss: number;
  perplexity: number;
  pairs: number;
  beam: number;
  skipped: string[];
}

/** BLEU, chrF, ROUGE-L and the loss per target token of a checkpoint on a pairs file or folder. */
export async function evaluateSeq2seqOnPairs(
  checkpoint: string,
  data: string,
  o: TranslateOptions = {},
): Promise<Seq2seqEvalResult> {
  await initBackend(o.backend ?? 'wasm');
  const m = loadSeq2seq(checkpoint, 'Evaluating a translator');
  try {
    let pairs: Pair[];
    let report: PairsReport;
    if (fs.statSync(data).isDirectory()) {
      const s = readPairs(data, {
        sourceKey: m.options.sourceKey,
        targetKey: m.options.targetKey,
        valFraction: 0,
      });
      pairs = s.test.length ? s.test : s.val.length ? s.val : s.train;
      report = s.report;
    } else {
      report = {
        files: [data],
        lines: 0,
        noTab: { count: 0, firstLine: 0 },
        emptySide: { count: 0, firstLine: 0 },
        badJson: { count: 0, firstLine: 0 },
      };
      pairs = readPairsFile(data, report, { sourceKey: m.options.sourceKey, targetKey: m.options.targetKey });
    }
    const enc = encodePairs(
      pairs,
      m.source,
      m.target,
      { maxLen: 0, overLength: 'truncate' },
      { truncated: 0, dropped: 0, unknown: 0 },
    );
    const beam = o.beam ?? m.options.beam;
    const s = await translateAndScore(m.model, m.source, m.target, enc, { ...m.options, beam }, 32);
    const l = await targetLoss(m.model, m.source, m.target, enc, 32);
    return {
      bleu: s.bleu,
      chrf: s.chrf,
      rougeL: s.rougeL,
      loss: l.loss,
      perplexity: Math.exp(l.loss),
      pairs: enc.length,
      beam,
      skipped: describeSkips(report),
    };
  } finally {
    m.model.dispose();
  }
}
