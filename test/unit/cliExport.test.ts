import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');

function seqlab(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('seqlab train --shard on streams from a shard; seqlab export writes both formats and refuses to overwrite', () => {
  const dir = fixture({ 'a.txt': sampleText(6000), 'b.txt': sampleText(2000, 9) });
  const out = tmpDir();
  const r = seqlab('train', dir, '--preset', 'tiny', '--steps', '4', '--shard', 'on', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /streaming \d+ training tokens from the shard/);
  assert.equal(fs.readdirSync(path.join(out, '.seqlab', 'shards')).length, 1);
  const ck = /checkpoint: (.*)/.exec(r.out)![1].trim();

  const tfjs = path.join(tmpDir(), 'tfjs');
  const t = seqlab('export', ck, '--format', 'tfjs', '--out', tfjs);
  assert.equal(t.code, 0, t.err);
  assert.ok(fs.existsSync(path.join(tfjs, 'model.json')) && fs.existsSync(path.join(tfjs, 'weights.bin')));
  const st = path.join(tmpDir(), 'st');
  assert.equal(seqlab('export', ck, '--format', 'safetensors', '--out', st).code, 0);
  assert.ok(fs.existsSync(path.join(st, 'model.safetensors')) && fs.existsSync(path.join(st, 'config.json')));

  const again = seqlab('export', ck, '--format', 'safetensors', '--out', st);
  assert.notEqual(again.code, 0);
  assert.match(again.err.trim(), /^seqlab: .*already exists.*--force/);
  assert.equal(seqlab('export', ck, '--format', 'safetensors', '--out', st, '--force').code, 0);
  const bad = seqlab('export', ck, '--format', 'onnx', '--out', st);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /Allowed choices are safetensors, tfjs/);
});
