import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { cacheKey, cachedCheckpoint } from '../../bench/checkpointCache';
import { tmpDir } from '../helpers/util';

/** A stand-in for training: a checkpoint folder whose manifest names the run. */
function trainer() {
  let runs = 0;
  const make = async () => {
    runs++;
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ run: runs }));
    return dir;
  };
  return { make, runs: () => runs };
}

const runOf = (ck: string): number => JSON.parse(fs.readFileSync(path.join(ck, 'manifest.json'), 'utf8')).run;

test('the bench checkpoint cache: trained once, reused under the same key, retrained under another', async () => {
  const dir = path.join(tmpDir(), 'cache');
  const t = trainer();
  const key = cacheKey({ recipe: { hidden: 256 }, seconds: 1380, files: ['a.md', 'b.md'] });
  const first = await cachedCheckpoint(dir, key, t.make);
  assert.equal(first.reused, false);
  assert.equal(first.checkpoint, path.join(dir, 'checkpoint'));
  assert.equal(runOf(first.checkpoint), 1);
  const again = await cachedCheckpoint(dir, key, t.make);
  assert.deepEqual(again, { checkpoint: first.checkpoint, reused: true });
  assert.equal(t.runs(), 1, 'not trained again');
  const other = cacheKey({ recipe: { hidden: 256 }, seconds: 300, files: ['a.md', 'b.md'] });
  assert.notEqual(other, key);
  const retrained = await cachedCheckpoint(dir, other, t.make);
  assert.equal(retrained.reused, false);
  assert.equal(runOf(retrained.checkpoint), 2);
  assert.equal(t.runs(), 2);
});

test('the bench checkpoint cache: a copy without its key (cut short) is trained afresh; no folder, no cache', async () => {
  const dir = path.join(tmpDir(), 'cache');
  const t = trainer();
  await cachedCheckpoint(dir, 'k', t.make);
  fs.rmSync(path.join(dir, 'key.json'));
  const r = await cachedCheckpoint(dir, 'k', t.make);
  assert.equal(r.reused, false);
  assert.equal(t.runs(), 2);
  const none = await cachedCheckpoint(undefined, 'k', t.make);
  assert.equal(none.reused, false);
  assert.equal(runOf(none.checkpoint), 3);
  assert.ok(!none.checkpoint.startsWith(dir));
});
