import * as path from 'path';
import { CheckpointManifest, loadCheckpoint } from '../../checkpoint';
import { SeqLabError } from '../../errors';
import { Tokenizer, TokenizerJSON } from '../../tokenizers';
import { requireTask } from '../kinds';
import { Seq2seqModel, Seq2seqShape } from './model';
import { DEFAULT_SEQ2SEQ, Seq2seqOptions } from './options';
import { SideVocab } from './vocab';

/** What a sequence-to-sequence checkpoint's `taskSpec` holds. */
export interface Seq2seqSpec {
  source: TokenizerJSON;
  /** Absent when the two sides share one tokenizer (then `source` is it). */
  target?: TokenizerJSON;
  sourceVocab: number;
  options: Seq2seqOptions;
}

export function seq2seqSpec(
  shape: Seq2seqShape,
  options: Seq2seqOptions,
  source: Tokenizer,
  target: Tokenizer,
): Record<string, unknown> {
  const spec: Seq2seqSpec = {
    source: source.toJSON(),
    ...(target === source ? {} : { target: target.toJSON() }),
    sourceVocab: shape.sourceVocab,
    options,
  };
  return spec as unknown as Record<string, unknown>;
}

/**
 * A spec's options with the defaults filled in; a spec without `bridge` comes from before the
 * state bridge, so its weights are the `input` bridge's.
 */
export function specOptions(spec: Seq2seqSpec): Seq2seqOptions {
  return { ...DEFAULT_SEQ2SEQ, ...spec.options, bridge: spec.options.bridge ?? 'input' };
}

/** A trained encoder–decoder ready to translate: model, both sides' ids, its options. */
export interface LoadedSeq2seq {
  dir: string;
  manifest: CheckpointManifest;
  model: Seq2seqModel;
  source: SideVocab;
  target: SideVocab;
  options: Seq2seqOptions;
}

/** Loads a sequence-to-sequence checkpoint; any other kind is refused, naming the kind needed. */
export function loadSeq2seq(checkpoint: string, action: string): LoadedSeq2seq {
  const dir = path.resolve(checkpoint);
  const data = loadCheckpoint(dir);
  requireTask(dir, data.manifest, 'seq2seq', action);
  const spec = data.manifest.taskSpec as unknown as Seq2seqSpec | undefined;
  if (!spec?.source || !spec.options)
    throw new SeqLabError(
      'E_CHECKPOINT',
      `Checkpoint ${dir} has no sequence-to-sequence spec (tokenizers and options) in its manifest`,
      path.join(dir, 'manifest.json'),
      'Use another checkpoint of the run, or retrain.',
    );
  const source = SideVocab.fromJSON(spec.source);
  const target = spec.target ? SideVocab.fromJSON(spec.target) : new SideVocab(source.tokenizer);
  const options = specOptions(spec);
  const model = new Seq2seqModel(
    { model: data.manifest.model, sourceVocab: spec.sourceVocab, options },
    data.weights,
  );
  return { dir, manifest: data.manifest, model, source, target, options };
}
