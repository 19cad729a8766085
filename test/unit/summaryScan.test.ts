import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  parseMetrics,
  readMetricsFile,
  readMetricsText,
  runPaths,
  summarizeEvents,
  summarizeMetricsBytes,
} from '../../src/engine/runFolder';
import { experimentFields, runSeries } from '../../src/dashboard/runRows';
import { tmpDir } from '../helpers/util';

const FIXTURE_RUN = path.join(__dirname, '../../../test/fixtures/run-v0.1/20261130-044035-lstm-2ae1');

/** What the table showed before: every line parsed, then summarised. */
const full = (text: string) => summarizeEvents(parseMetrics(text).events);
const scan = (text: string) => summarizeMetricsBytes(Buffer.from(text, 'utf8'));

function stepLine(i: number, o: { time?: number; loss?: number } = {}): string {
  return `{"type":"step","time":${o.time ?? 1000 + i},"step":${i},"epoch":0,"loss":${o.loss ?? 3 - i / 100},"gradNorm":0.5,"clipped":false,"lr":0.002,"tokensPerSec":4000,"tokensSeen":${i * 64},"elapsedSeconds":${i * 0.01}}`;
}
function evalLine(i: number, v: number): string {
  return `{"type":"eval","time":${1000 + i},"step":${i},"valLoss":${v},"bpc":${v / Math.LN2},"perplexity":${Math.exp(v)},"tokensSeen":${i * 64}}`;
}
const START = `{"type":"start","time":999,"runId":"r","parameters":1234,"resumedFromStep":0,"backend":"wasm"}`;

function run(steps: number, evalEvery: number): string[] {
  const lines = [START];
  for (let i = 1; i <= steps; i++) {
    lines.push(stepLine(i));
    if (i % 3 === 0)
      lines.push(`{"type":"system","time":${1000 + i},"step":${i},"cpuPercent":99,"rssMB":300}`);
    if (i % evalEvery === 0) lines.push(evalLine(i, 2 + Math.sin(i)));
  }
  lines.push(`{"type":"done","time":${2000 + steps},"step":${steps},"reason":"steps"}`);
  return lines;
}

test('the summary scan equals the full parse on the recorded fixture run and on hand-made cases', () => {
  const text = fs.readFileSync(path.join(FIXTURE_RUN, 'metrics.jsonl'), 'utf8');
  assert.deepEqual(scan(text), full(text));
  assert.ok(
    full(text).steps > 0 && Object.keys(full(text).best).length > 0,
    'the fixture has steps and evals',
  );
  const base = run(40, 10);
  const cases: Record<string, string> = {
    whole: base.join('\n') + '\n',
    'no final newline': base.join('\n'),
    empty: '',
    'blank lines only': '\n \n\n',
    'garbage only': 'not json\n{"type":\n',
    'torn last line (a step)': base.join('\n') + '\n{"type":"step","time":5000,"step":41,"lo',
    'torn last step, then a done': [...base.slice(0, -1), '{"type":"step","time":5,"st', base.at(-1)].join(
      '\n',
    ),
    'damaged first line': ['{"type":"start",', ...base.slice(1)].join('\n'),
    'no start event (no parameters)': base.slice(1).join('\n'),
    'CRLF line ends': base.join('\r\n') + '\r\n',
    'spaced JSON (not the writers’ compact form)': base
      .map((l) => JSON.stringify(JSON.parse(l), null, 0).replace(/":/g, '": ').replace(/^\{/, '{ '))
      .join('\n'),
    'a step line that is valid JSON but not an object': [...base, '["type","step"]', 'null', '42'].join('\n'),
    'an event with type stepX': [...base, '{"type":"stepX","time":9999,"step":99}'].join('\n'),
    'steps only (wall time from steps)': Array.from({ length: 5 }, (_, i) => stepLine(i + 1)).join('\n'),
    'non-ASCII text in a sample': [
      ...base.slice(0, 5),
      '{"type":"sample","time":1200,"step":5,"prime":"é","text":"日本語\\n"}',
      ...base.slice(5),
    ].join('\n'),
    'a resumed run (abandoned steps dropped)': [
      ...run(30, 10),
      `{"type":"start","time":5000,"runId":"r","parameters":1234,"resumedFromStep":20,"backend":"wasm"}`,
      stepLine(21, { time: 5001 }),
      evalLine(21, 0.5),
    ].join('\n'),
    'a resumed run that logged nothing yet': [
      ...run(30, 10),
      `{"type":"start","time":5000,"runId":"r","parameters":99,"resumedFromStep":20,"backend":"wasm"}`,
    ].join('\n'),
  };
  for (const [name, t] of Object.entries(cases)) assert.deepEqual(scan(t), full(t), name);
  // The resumed case really differs from a scan that ignored the resume: the abandoned evaluations are gone.
  assert.equal(full(cases['a resumed run (abandoned steps dropped)']).steps, 21);
});

test('the summary scan equals the full parse on randomly damaged runs', () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = 0; k < 300; k++) {
    const lines = run(1 + Math.floor(rand() * 60), 1 + Math.floor(rand() * 8));
    const n = Math.floor(rand() * 4);
    for (let j = 0; j < n; j++) {
      const at = Math.floor(rand() * lines.length);
      const l = lines[at];
      const how = Math.floor(rand() * 5);
      if (how === 0)
        lines[at] = l.slice(0, Math.floor(rand() * l.length)); // torn
      else if (how === 1)
        lines.splice(at, 1); // lost
      else if (how === 2)
        lines.splice(at, 0, ''); // blank
      else if (how === 3)
        lines[at] = l.replace(/"time":\d+/, '"time":"x"'); // odd field
      else
        lines.splice(
          at,
          0,
          `{"type":"start","time":1,"parameters":7,"resumedFromStep":${Math.floor(rand() * 30)}}`,
        );
    }
    const t = lines.join('\n') + (rand() < 0.5 ? '\n' : '');
    assert.deepEqual(scan(t), full(t), `case ${k}:\n${t.slice(0, 2000)}`);
  }
});

function writeRun(steps: number): string {
  const dir = path.join(tmpDir('seqlab-scan-'), '.seqlab', 'runs', '20260101-000000-lstm-abcd');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(runPaths(dir).metrics, run(steps, 500).join('\n') + '\n');
  return dir;
}

test('the runs table reads a long run’s row without parsing its step lines, and shows the full figures', () => {
  const dir = writeRun(10_000);
  const text = fs.readFileSync(runPaths(dir).metrics, 'utf8');
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = ((...a: Parameters<typeof JSON.parse>) => {
    calls++;
    return parse(...a);
  }) as typeof JSON.parse;
  let stats;
  try {
    stats = experimentFields(dir, undefined, undefined).stats;
  } finally {
    JSON.parse = parse;
  }
  // The start, 20 evaluations, the last event and the last step: not 13,000 lines.
  assert.ok(calls < 50, `${calls} lines parsed for the row`);
  assert.deepEqual(stats, full(text));
  // The charts then read the whole run, and the row stays the same.
  assert.equal(runSeries(dir).sampledFrom, 10_000);
  assert.deepEqual(experimentFields(dir, undefined, undefined).stats, full(text));
});

test('a run that grows is read again for its row and its charts', () => {
  const dir = writeRun(100);
  assert.equal(experimentFields(dir, undefined, undefined).stats?.steps, 100);
  assert.equal(runSeries(dir).steps.step.length, 100);
  fs.appendFileSync(runPaths(dir).metrics, stepLine(101) + '\n' + evalLine(101, 0.25) + '\n');
  assert.equal(experimentFields(dir, undefined, undefined).stats?.steps, 101);
  assert.equal(experimentFields(dir, undefined, undefined).stats?.best.valLoss, 0.25);
  assert.equal(runSeries(dir).steps.step.length, 101);
});

test('metrics.jsonl reads the same text whether it is ASCII (read as latin1) or not', () => {
  for (const text of [
    run(5, 2).join('\n') + '\n',
    '{"type":"sample","time":1,"step":1,"prime":"é","text":"日本語 ✓"}\n',
  ]) {
    const dir = tmpDir('seqlab-text-');
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, text);
    assert.equal(readMetricsText(file), text);
    assert.deepEqual(readMetricsFile(file), parseMetrics(text));
  }
});
