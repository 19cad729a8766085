import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { heatmapCells, pieceLabel } from '../../src/dashboard/attentionView';
import { parseHostMessage } from '../../src/dashboard/protocol';
import { addEvent, emptyPatch, patchFromJsonl } from '../../src/dashboard/series';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { trainSeq2seq } from '../../src/engine/tasks/seq2seq/train';
import { SideVocab } from '../../src/engine/tasks/seq2seq/vocab';
import { WordTokenizer } from '../../src/engine/tokenizers';
import { translateWithCheckpoint } from '../../src/engine/tasks/seq2seq/use';
import { tmpDir } from '../helpers/util';

const evalEvent = (step: number, figures: Record<string, number>) =>
  ({
    type: 'eval',
    time: 0,
    step,
    valLoss: 1,
    perplexity: 2.7,
    tokensSeen: 0,
    ...figures,
  }) as unknown as TrainEvent;

const attention = {
  source: ['▁la', '▁mer', '</s>'],
  output: ['▁the', '▁sea', '</s>'],
  weights: [
    [0.8, 0.1, 0.1],
    [0.1, 0.85, 0.05],
    [0.05, 0.05, 0.9],
  ],
};

const detail: TrainEvent = {
  type: 'seq2seqEval',
  time: 0,
  step: 20,
  examples: [
    { source: 'la mer', reference: 'the sea', output: 'the sea', attention },
    { source: '<b>x</b>', reference: 'y', output: '<img src=x onerror=alert(1)>' },
  ],
};

test("a translator run's evaluations reach the dashboard: BLEU/chrF columns and the latest examples with attention", () => {
  const p = emptyPatch('r', true);
  addEvent(p, evalEvent(10, { bleu: 12.5, chrf: 30 }));
  // An evaluation without BLEU (between every-k translations) adds no point to the BLEU chart.
  addEvent(p, evalEvent(15, {}));
  addEvent(p, evalEvent(20, { bleu: 20, chrf: 41 }));
  addEvent(p, detail);
  assert.deepEqual(p.seq2seq!.evals, { step: [10, 20], bleu: [12.5, 20], chrf: [30, 41] });
  assert.equal(p.seq2seq!.latest!.step, 20);
  assert.deepEqual(p.seq2seq!.latest!.examples[0].attention, attention);
  // Text stays text: the patch carries it as it was, for the webview to set as textContent.
  assert.equal(p.seq2seq!.latest!.examples[1].output, '<img src=x onerror=alert(1)>');
  assert.ok(parseHostMessage({ type: 'series', patch: p }), 'the patch passes the protocol check');
});

test('the protocol refuses malformed translator data: ragged attention, non-text examples, unaligned columns', () => {
  const p = emptyPatch('r', true);
  addEvent(p, evalEvent(20, { bleu: 20, chrf: 41 }));
  addEvent(p, detail);
  const s = p.seq2seq!;
  const withExample = (x: unknown) => ({ ...p, seq2seq: { ...s, latest: { step: 20, examples: [x] } } });
  const ok = s.latest!.examples[0];
  const bad = [
    withExample({
      ...ok,
      attention: {
        ...attention,
        weights: [
          [1, 0],
          [0, 1],
          [0, 1],
        ],
      },
    }),
    withExample({ ...ok, attention: { ...attention, weights: attention.weights.slice(0, 2) } }),
    withExample({ ...ok, attention: { ...attention, source: [1, 2, 3] } }),
    withExample({ ...ok, output: 3 }),
    withExample({ source: 'a', reference: 'b' }),
    { ...p, seq2seq: { ...s, evals: { step: [1, 2], bleu: [1], chrf: [1, 2] } } },
    { ...p, seq2seq: { ...s, evals: { step: [1], bleu: ['1'], chrf: [1] } } },
    { ...p, seq2seq: { evals: s.evals } },
  ];
  for (const patch of bad)
    assert.equal(parseHostMessage({ type: 'series', patch }), undefined, JSON.stringify(patch.seq2seq));
  assert.ok(parseHostMessage({ type: 'series', patch: withExample({ ...ok, attention: undefined }) }));
});

test('a run written before each example had its attention: the one recorded goes to its example', () => {
  const old = {
    type: 'seq2seqEval',
    time: 0,
    step: 5,
    examples: [
      { source: 'a', reference: 'b', output: 'c' },
      { source: 'la mer', reference: 'the sea', output: 'the sea' },
    ],
    attention: { example: 1, ...attention },
  };
  const p = patchFromJsonl('r', JSON.stringify(old) + '\n');
  const [a, b] = p.seq2seq!.latest!.examples;
  assert.equal(a.attention, undefined);
  assert.deepEqual(b.attention, attention);
  assert.ok(parseHostMessage({ type: 'series', patch: p }));
});

test('the heatmap: a row per output piece, a column per source piece, whitespace made visible, each row’s peak', () => {
  assert.equal(pieceLabel(' '), '␣');
  assert.equal(pieceLabel('a b'), 'a␣b');
  assert.equal(pieceLabel(''), '∅');
  assert.equal(pieceLabel('abcdefghijklmnop'), 'abcdefghijk…');
  const h = heatmapCells(attention);
  assert.deepEqual(h.columns, ['▁la', '▁mer', '</s>']);
  assert.deepEqual(
    h.rows.map((r) => r.label),
    ['▁the', '▁sea', '</s>'],
  );
  assert.deepEqual(h.peaks, [0, 1, 2]);
  assert.deepEqual(h.rows[1].weights, [0.1, 0.85, 0.05]);
});

test("a training run's seq2seqEval events give every example its attention, sized source × output", async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'pairs.tsv');
  const words = ['sea', 'wind', 'lamp', 'ship', 'rock', 'bird'];
  fs.writeFileSync(file, words.map((w) => `the ${w}\tle ${w}`).join('\n') + '\n');
  const events: TrainEvent[] = [];
  const r = await trainSeq2seq({
    folder: file,
    out: dir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      task: 'seq2seq',
      tokenizer: 'char',
      steps: 4,
      evalEvery: 2,
      batch: 4,
      backend: 'cpu',
      model: { cell: 'gru', hidden: 16, layers: 1, embedding: 8 },
      seq2seq: { bleuPairs: 4 },
    }),
    onEvent: (e) => events.push(e),
  });
  const details = events.filter((e) => e.type === 'seq2seqEval');
  assert.ok(details.length >= 1, 'one detail event per translating evaluation');
  for (const d of details)
    for (const x of d.examples) {
      const a = x.attention!;
      assert.ok(a, 'each example has its attention');
      assert.equal(
        a.source.length,
        [...x.source].length + 1,
        'a column per source character and the end token',
      );
      assert.equal(a.weights.length, a.output.length);
      for (const row of a.weights) {
        assert.equal(row.length, a.source.length);
        assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-2, 'a row of weights sums to 1');
      }
    }
  const p = emptyPatch('r', true);
  for (const e of events) addEvent(p, e);
  assert.ok(p.seq2seq!.evals.step.length >= 1);
  assert.ok(parseHostMessage({ type: 'series', patch: p }));
  // The same holds for `seqlab translate --json` (an untrained model's output runs to the length limit).
  const [t] = await translateWithCheckpoint(r.checkpoint!, ['the sea'], { backend: 'cpu' });
  assert.equal(t.attention.weights.length, t.attention.output.length);
  assert.equal(t.attention.source.length, 'the sea'.length + 1);
});

test('a source word outside the vocabulary is labelled <unk> in the heatmap, not left blank', () => {
  const v = new SideVocab(WordTokenizer.train(['the sea is calm']));
  const src = [...v.encode('the bread is calm').ids, v.eos];
  assert.deepEqual(heatmapCells({ source: v.pieces(src), output: [], weights: [] }).columns, [
    'the',
    '␣',
    '<unk>',
    '␣',
    'is',
    '␣',
    'calm',
    '</s>',
  ]);
});
