import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LateResult } from '../../src/completion/lateResult';

const at = { uri: 'file:///w/draft.txt', version: 7, offset: 23 };

test('a late reply answers the next request at the same place, once', () => {
  const late = new LateResult<string[]>();
  late.keep(at, ['plete']);
  assert.deepEqual(late.take({ ...at }), ['plete']);
  assert.equal(late.take(at), undefined, 'taken: it never answers twice');
});

test('a late reply is dropped once the document, its version or the cursor differs', () => {
  const late = new LateResult<string[]>();
  for (const moved of [
    { ...at, uri: 'file:///w/other.txt' },
    { ...at, version: 8 },
    { ...at, offset: 22 },
  ]) {
    late.keep(at, ['plete']);
    assert.equal(late.take(moved), undefined, JSON.stringify(moved));
    assert.equal(
      late.take(at),
      undefined,
      'asking elsewhere forgot it: it cannot answer after the user moved on',
    );
  }
});

test('a newer late reply replaces the one kept before', () => {
  const late = new LateResult<string[]>();
  late.keep(at, ['old']);
  late.keep({ ...at, version: 8, offset: 24 }, ['new']);
  assert.equal(late.take(at), undefined);
  late.keep(at, ['old']);
  late.keep({ ...at, version: 8, offset: 24 }, ['new']);
  assert.deepEqual(late.take({ ...at, version: 8, offset: 24 }), ['new']);
});
