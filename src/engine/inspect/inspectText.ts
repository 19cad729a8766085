import type { StepModel } from '../inference/stepModel';
import type { Tokenizer } from '../tokenizers';
import { featuresPerToken, textFeatures, type FeatureName } from './features';
import { tokenSpans, type TokenSpans } from './spans';
import { traceTokens, type ModelTrace } from './trace';

/** A model's trace over a text, with where its tokens lie and the text's features per token. */
export interface TextInspection {
  text: string;
  spans: TokenSpans;
  trace: ModelTrace;
  features: Record<FeatureName, Float32Array>;
}

/**
 * Runs the model over `text` and records everything the views and the CLI show. `previous`
 * (the inspection of an earlier version of the document) lets an edit recompute only the
 * tokens from the first changed one on; `takeOver` hands it over to be reused (see traceTokens):
 * a caller that drops `previous` with this call passes it, and reads previous's trace no more.
 */
export function inspectText(
  model: StepModel,
  tok: Tokenizer,
  text: string,
  opts: { previous?: TextInspection; takeOver?: boolean; regex?: RegExp } = {},
): TextInspection {
  const spans = tokenSpans(tok, text);
  const trace = traceTokens(model, spans.ids, opts.previous?.trace, { takeOver: opts.takeOver });
  const features = featuresPerToken(textFeatures(text, opts.regex), spans.ends);
  return { text, spans, trace, features };
}
