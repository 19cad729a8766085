import { DEFAULT_SEQ2SEQ } from '../../src/engine/tasks/seq2seq/options';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  CONFIG_FIELDS,
  DEFAULT_TRAIN_CONFIG,
  estimateMemory,
  jsonKeyOf,
  mergeConfig,
  PRESETS,
  PresetName,
  validateConfig,
} from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { overridesFromFlat, SEQLAB_JSON_KEYS } from '../../src/config/flatConfig';
import { isSchemaSetting, settingContributions } from '../../src/config/packageSettings';

const PACKAGE_JSON = path.resolve(__dirname, '../../../package.json');

test("package.json's training settings agree with the config schema (type, default, range, enum)", () => {
  const declared: Record<string, Record<string, unknown>> = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8'))
    .contributes.configuration.properties;
  const expected = settingContributions();
  const owned = Object.keys(declared).filter(isSchemaSetting);
  assert.deepEqual(
    owned.sort(),
    Object.keys(expected).sort(),
    'the same settings (run scripts/sync-settings.mjs)',
  );
  const sorted = (xs: unknown) => (Array.isArray(xs) ? [...xs].sort() : xs);
  for (const [key, want] of Object.entries(expected)) {
    const have = declared[key];
    for (const prop of ['type', 'default', 'minimum', 'maximum'] as const)
      assert.deepEqual(have[prop], want[prop], `${key}: ${prop} (package.json vs the schema)`);
    assert.deepEqual(sorted(have.enum), sorted(want.enum), `${key}: enum (package.json vs the schema)`);
    assert.equal(have.exclusiveMinimum, undefined, `${key}: the schema has no exclusive bounds`);
  }
});

test('every schema field is in DEFAULT_TRAIN_CONFIG, and the defaults and presets validate', () => {
  for (const f of CONFIG_FIELDS) {
    // A task's options (`seq2seq.*`) have their defaults with the task: other kinds' configs lack them.
    if (f.key.startsWith('seq2seq.')) {
      assert.ok(
        Object.prototype.hasOwnProperty.call(DEFAULT_SEQ2SEQ, f.key.slice(8)) ||
          f.key === 'seq2seq.sourceTokenizer',
        `${f.key} has a default`,
      );
      continue;
    }
    const [head, tail] = f.key.split('.');
    const holder = (
      tail ? (DEFAULT_TRAIN_CONFIG as unknown as Record<string, object>)[head] : DEFAULT_TRAIN_CONFIG
    ) as object;
    assert.ok(Object.prototype.hasOwnProperty.call(holder, tail ?? head), `${f.key} has a default`);
  }
  validateConfig(DEFAULT_TRAIN_CONFIG);
  for (const p of Object.keys(PRESETS) as PresetName[])
    validateConfig(mergeConfig(DEFAULT_TRAIN_CONFIG, PRESETS[p]));
});

const invalid = (overrides: Parameters<typeof mergeConfig>[1], where: string) =>
  assert.throws(
    () => validateConfig(mergeConfig(DEFAULT_TRAIN_CONFIG, overrides)),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_CONFIG' && e.where === where && !!e.hint,
  );

test('warm-up steps are validated: a whole number, not negative, not longer than the run', () => {
  invalid({ warmupSteps: -1 }, 'warmupSteps');
  invalid({ warmupSteps: 2.5 }, 'warmupSteps');
  invalid({ warmupSteps: 500, steps: 100 }, 'warmupSteps');
  validateConfig(mergeConfig(DEFAULT_TRAIN_CONFIG, { warmupSteps: 50, steps: 100 }));
  validateConfig(mergeConfig(DEFAULT_TRAIN_CONFIG, { warmupSteps: 500, steps: 0 }));
});

test('fields that had no check are validated from the schema', () => {
  invalid({ decayRate: -1 }, 'decayRate');
  invalid({ evalTokens: -5 }, 'evalTokens');
  invalid({ include: 'src' as unknown as string[] }, 'include');
  invalid({ maxMemoryMB: -1 }, 'maxMemoryMB');
  // Configs saved by checkpoints before maxMemoryMB existed still validate.
  const { maxMemoryMB: _, ...old } = DEFAULT_TRAIN_CONFIG;
  validateConfig(old);
});

test('seqlab.json: "__proto__" or "toString" as a preset is refused with the list of presets', () => {
  for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty'])
    assert.throws(
      () => overridesFromFlat({ preset: name }, 'seqlab.json'),
      (e: unknown) =>
        e instanceof SeqLabError &&
        e.message.includes(`Unknown preset "${name}"`) &&
        e.hint === `Use one of ${Object.keys(PRESETS).join(', ')}.`,
      name,
    );
  assert.throws(
    () => overridesFromFlat(JSON.parse('{"__proto__": {"hidden": 1}}'), 'seqlab.json'),
    /Unknown key "__proto__"/,
  );
});

test('seqlab.json keys are the settings keys: validationFraction, maxMemoryMB; backend is not one', () => {
  assert.ok(SEQLAB_JSON_KEYS.includes('validationFraction') && SEQLAB_JSON_KEYS.includes('maxMemoryMB'));
  assert.ok(!SEQLAB_JSON_KEYS.includes('backend'));
  const { overrides } = overridesFromFlat({ validationFraction: 0.2, layers: 3, maxMemoryMB: 9000 }, 'x');
  assert.equal(overrides.valFraction, 0.2);
  assert.equal(overrides.model?.layers, 3);
  assert.equal(overrides.maxMemoryMB, 9000);
});

test('seqlab.json sets the sequence-to-sequence options by their dotted keys', () => {
  const { overrides } = overridesFromFlat(
    { task: 'seq2seq', 'seq2seq.attention': 'bahdanau', 'seq2seq.beam': 2, 'seq2seq.bidirectional': true },
    'seqlab.json',
  );
  assert.deepEqual(overrides.seq2seq, { attention: 'bahdanau', beam: 2, bidirectional: true });
  const config = validateConfig(mergeConfig(DEFAULT_TRAIN_CONFIG, overrides));
  assert.equal(config.seq2seq?.attention, 'bahdanau');
  assert.throws(
    () =>
      validateConfig(
        mergeConfig(DEFAULT_TRAIN_CONFIG, overridesFromFlat({ 'seq2seq.beam': 0 }, 'x').overrides),
      ),
    /beam/,
  );
  // The classifier's flat keys still mean the classifier's options.
  assert.equal(overridesFromFlat({ bidirectional: true }, 'x').overrides.classify?.bidirectional, true);
});

test('no two config fields share a seqlab.json key (one would shadow the other)', () => {
  const keys = CONFIG_FIELDS.map(jsonKeyOf).filter((k): k is string => !!k);
  assert.deepEqual(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
  );
});

test('a model that cannot fit is refused before training, with the estimate and the limit', () => {
  const big = mergeConfig(DEFAULT_TRAIN_CONFIG, { model: { hidden: 8192, layers: 2 } });
  assert.throws(
    () => validateConfig(big),
    (e: unknown) =>
      e instanceof SeqLabError &&
      e.code === 'E_MEMORY' &&
      /needs about [\d,]+ MB .*over the limit of [\d,]+ MB/.test(e.message) &&
      /--max-memory/.test(e.hint ?? ''),
  );
  // The estimate grows with the shape: parameters with H², activations with B×T.
  const base = estimateMemory(DEFAULT_TRAIN_CONFIG);
  const wider = estimateMemory(mergeConfig(DEFAULT_TRAIN_CONFIG, { model: { hidden: 512 } }));
  const longer = estimateMemory(mergeConfig(DEFAULT_TRAIN_CONFIG, { seqLen: 128 }));
  assert.ok(wider.parameters > 3 * base.parameters && wider.totalBytes > base.totalBytes);
  assert.equal(longer.parameters, base.parameters);
  assert.ok(Math.abs(longer.activationsBytes / base.activationsBytes - 2) < 1e-9);
  // A limit raised on purpose lets it through.
  validateConfig({ ...big, maxMemoryMB: Math.ceil(estimateMemory(big).totalBytes / 2 ** 20) + 1 });
});
