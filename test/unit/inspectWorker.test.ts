import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { ModelConfig } from '../../src/engine/config';
import { InspectClient } from '../../src/inspect/client';
import { isHostToInspect } from '../../src/inspect/protocol';
import { parseUnitsViewMessage } from '../../src/inspect/viewProtocol';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { tmpDir } from '../helpers/util';

// The bundle the extension ships (npm test builds it before the unit tests run).
const WORKER = path.resolve(__dirname, '../../../dist/inspectWorker.js');
const TEXT = 'function add(a, b) {\n  // "sum"\n  return a + b;\n}\n'.repeat(3);

function checkpoint(): string {
  const dir = path.join(tmpDir(), 'ck');
  const vocabSize = CharTokenizer.train([TEXT]).vocabSize;
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize,
    embedding: 8,
    hidden: 12,
    layers: 2,
    dropout: 0,
  };
  saveTestCheckpoint(dir, config, TEXT);
  return dir;
}

test('the inspect worker inspects, re-inspects only from an edit, and answers units, hovers, saliency and gates', async () => {
  const client = new InspectClient(WORKER);
  try {
    const ck = checkpoint();
    const docId = 'file:///a.ts';
    const first = await client.request({ type: 'inspect', checkpoint: ck, docId, text: TEXT });
    assert.equal(first.type, 'inspected', JSON.stringify(first).slice(0, 300));
    if (first.type !== 'inspected') return;
    assert.equal(first.starts.length, TEXT.length);
    assert.equal(first.recomputed, TEXT.length);
    assert.ok(first.ranking.length >= 5 && first.units.every((u) => u.spark.length > 0));
    const edited = TEXT.slice(0, 40) + 'x' + TEXT.slice(40);
    const second = await client.request({ type: 'inspect', checkpoint: ck, docId, text: edited });
    assert.equal(second.type === 'inspected' && second.recomputed, edited.length - 40);
    const unit = await client.request({ type: 'unit', docId, unit: 'c1.3' });
    assert.equal(unit.type === 'unitValues' && unit.values.length, edited.length);
    const hover = await client.request({ type: 'hover', docId, offset: 40 });
    assert.ok(hover.type === 'hoverInfo' && hover.start === 40 && hover.top.length === 5 && hover.bits > 0);
    const sal = await client.request({ type: 'saliency', docId, offset: 60 });
    assert.ok(sal.type === 'saliencyInfo', JSON.stringify(sal).slice(0, 300));
    assert.ok(sal.target === 60 && sal.norms.length === 60 && sal.from === 0);
    const gates = await client.request({ type: 'gates', docId });
    assert.ok(gates.type === 'gateInfo' && gates.saturation.length === 6);
    const bad = await client.request({ type: 'inspect', checkpoint: ck, docId, text: TEXT, regex: '(' });
    assert.ok(bad.type === 'failed' && /not a valid regular expression/.test(bad.message));
    const gone = await client.request({ type: 'hover', docId: 'file:///other', offset: 0 });
    assert.ok(gone.type === 'failed' && /not been inspected/.test(gone.message));
  } finally {
    client.dispose();
  }
});

test('messages are validated both ways', () => {
  assert.equal(isHostToInspect({ type: 'inspect', id: 1, docId: 'x', checkpoint: 1, text: '' }), false);
  assert.equal(isHostToInspect({ type: 'hover', id: 1, docId: 'x', offset: 3 }), true);
  assert.equal(
    parseUnitsViewMessage({ type: 'colorBy', colorBy: { kind: 'unit', unit: 'h1.40' } })?.type,
    'colorBy',
  );
  assert.equal(
    parseUnitsViewMessage({ type: 'colorBy', colorBy: { kind: 'unit', unit: '<img>' } }),
    undefined,
  );
  assert.equal(parseUnitsViewMessage({ type: 'regex', source: 'x'.repeat(501) }), undefined);
  assert.equal(parseUnitsViewMessage({ type: 'run', code: 'x' }), undefined);
});
