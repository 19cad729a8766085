#!/usr/bin/env node
// Crash-injection suite: kills training (and the resume of a finished run) at each of the first
// occurrences of the system calls that checkpoint and status writes make, then resumes and checks
// that nothing the user had is lost. Linux only; needs strace, the built CLI (npm run build) and the
// compiled engine (npm run compile) for loadCheckpoint.
//
//   node scripts/crash-suite.mjs [--quick] [--n N] [--write-samples M] [--syscalls rename,fsync,write,unlink,link]
//                                [--phases train,resume] [--keep] [--verbose]
//
// Invariants checked after each kill, and again after `seqlab resume` (and a second resume with more
// steps, which rewrites a finished run's checkpoints):
//   loads       every checkpoints/step-* under its final name loads (checksums, shapes)
//   kept        a finished run's final checkpoint survives a crash in its resume
//   best        the lowest valLoss on disk after the crash is still on disk after resume: the best
//               checkpoint is kept until one at least as good replaces it (pruning may then
//               delete it, as an uninterrupted run would)
//   losses      every step's loss equals the uninterrupted run's (relative 1e-6), and every step is there
//   metrics     every line of metrics.jsonl parses
//   temporaries no .tmp-* or *-old file or folder remains after the resume
//   resume      `seqlab resume` succeeds whenever a checkpoint exists
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const quick = flag('--quick');
const verbose = flag('--verbose');
// The first N occurrences of each call are tried; `write` is far more frequent (the CLI's output,
// every checkpoint file), so M occurrences spread evenly over the whole run are tried instead.
const N = Number(opt('--n', quick ? 3 : 8));
const WRITE_SAMPLES = Number(opt('--write-samples', quick ? 3 : 8));
const FAMILIES = {
  rename: ['rename', 'renameat', 'renameat2'],
  fsync: ['fsync', 'fdatasync'],
  write: ['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2'],
  unlink: ['unlink', 'unlinkat', 'rmdir'],
  // The run lock is linked into place.
  link: ['link', 'linkat'],
};
const families = opt('--syscalls', Object.keys(FAMILIES).join(',')).split(',');
const phases = opt('--phases', 'train,resume').split(',');
const STEPS = 40;
const MORE_STEPS = 50;
const TRAIN_FLAGS = [
  '--preset',
  'tiny',
  '--steps',
  String(STEPS),
  '--eval-every',
  '5',
  '--lr',
  '0.01',
  '--seed',
  '1',
];
const REL_TOL = 1e-6;

function die(msg) {
  console.error(`crash-suite: ${msg}`);
  process.exit(2);
}

if (process.platform !== 'linux') die('runs on Linux only (it uses strace).');
if (spawnSync('strace', ['-V']).error)
  die(
    'strace is not installed: install it with `sudo apt-get install -y strace` (or `bash scripts/setup-test-host.sh` as root).',
  );
const cli = path.join(root, 'bin', 'seqlab.js');
if (!fs.existsSync(path.join(root, 'dist', 'cli.js')))
  die('dist/cli.js is missing: run `npm run build` first.');
const ckptModule = path.join(root, 'out', 'src', 'engine', 'checkpoint.js');
if (!fs.existsSync(ckptModule)) die('out/src/engine/checkpoint.js is missing: run `npm run compile` first.');
const { loadCheckpoint } = require(ckptModule);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-crash-'));
const started = Date.now();

/** An easily overfit corpus: a few files of fixed pseudo-random letters, one of them held out. */
function writeCorpus(dir) {
  fs.mkdirSync(dir, { recursive: true });
  let x = 12345;
  const letter = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 'abcdefgh '[x % 9];
  };
  for (let f = 0; f < 4; f++) {
    let s = '';
    for (let i = 0; i < 400; i++) s += letter();
    fs.writeFileSync(path.join(dir, `f${f}.txt`), s + '\n');
  }
}

function seqlab(cmdArgs, { strace } = {}) {
  const argv = strace ? ['strace', ...strace, 'node', cli, ...cmdArgs] : ['node', cli, ...cmdArgs];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}`.trim() };
}

/** Calls made per syscall name by one command, from `strace -f -c`. */
function countCalls(cmdArgs) {
  const file = path.join(work, `count-${Date.now()}.txt`);
  const r = seqlab(cmdArgs, { strace: ['-f', '-c', '-o', file] });
  if (r.status !== 0) die(`the reference command failed:\n${r.out}`);
  const counts = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    const name = cols[cols.length - 1];
    if (cols.length >= 5 && /^\d+$/.test(cols[3])) counts[name] = Number(cols[3]);
  }
  return counts;
}

const runDirIn = (out) => {
  const runs = path.join(out, '.seqlab', 'runs');
  const dirs = fs.existsSync(runs) ? fs.readdirSync(runs).filter((d) => !d.startsWith('.')) : [];
  return dirs.length === 1 ? path.join(runs, dirs[0]) : null;
};

/** Final-name checkpoints: name → valLoss, or the reason one does not load. */
function checkpoints(runDir) {
  const dir = path.join(runDir, 'checkpoints');
  const res = {};
  if (!fs.existsSync(dir)) return res;
  for (const n of fs.readdirSync(dir).filter((n) => /^step-\d+$/.test(n))) {
    try {
      res[n] = { valLoss: loadCheckpoint(path.join(dir, n)).manifest.valLoss };
    } catch (e) {
      res[n] = { error: e.message };
    }
  }
  return res;
}

function temporaries(dir, acc = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (/\.tmp-|-old$/.test(e.name)) acc.push(path.relative(dir, p) || e.name);
    else if (e.isDirectory()) temporaries(p, acc);
  }
  return acc;
}

/** Step losses from metrics.jsonl, and the lines that do not parse. */
function metrics(runDir, { mayBeMissing = false } = {}) {
  const file = path.join(runDir, 'metrics.jsonl');
  const bad = [];
  const losses = [];
  // A run killed before it logged anything has no metrics yet, which loses nothing.
  if (!fs.existsSync(file)) return { bad: mayBeMissing ? [] : ['metrics.jsonl is missing'], losses };
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((l, i) => {
    if (l === '' && i === lines.length - 1) return;
    try {
      const e = JSON.parse(l);
      if (e.type === 'step') losses.push([e.step, e.loss]);
    } catch {
      bad.push(`line ${i + 1} does not parse: ${JSON.stringify(l.slice(0, 80))}`);
    }
  });
  return { bad, losses };
}

// ---- The uninterrupted reference: train to STEPS, then resume to MORE_STEPS. ----
const corpus = path.join(work, 'corpus');
writeCorpus(corpus);
const refOut = path.join(work, 'ref');
const trainCounts = countCalls(['train', corpus, ...TRAIN_FLAGS, '--out', refOut]);
const refRun = runDirIn(refOut);
if (!refRun) die('the reference run left no run folder');
const finished = path.join(work, 'finished-template');
fs.cpSync(refRun, finished, { recursive: true });
const finishedLatest = fs
  .readdirSync(path.join(finished, 'checkpoints'))
  .filter((n) => /^step-\d+$/.test(n))
  .sort()
  .pop();
const resumeCounts = countCalls(['resume', refRun]);
const more = seqlab(['resume', refRun, '--steps', String(MORE_STEPS)]);
if (more.status !== 0) die(`the reference resume failed:\n${more.out}`);
const reference = new Map();
for (const [step, loss] of metrics(refRun).losses) if (!reference.has(step)) reference.set(step, loss);
if (reference.size !== MORE_STEPS)
  die(`the reference run logged ${reference.size} steps, expected ${MORE_STEPS}`);
const refCkpts = checkpoints(refRun);
const vals = Object.values(refCkpts).map((c) => c.valLoss);
if (verbose)
  console.log(`reference: checkpoints ${Object.keys(refCkpts).join(', ')}; valLoss ${vals.join(', ')}`);

/** Each injection target: a syscall name actually used, and the occurrences to kill at. */
function targets(counts) {
  const out = [];
  for (const fam of families) {
    for (const sc of FAMILIES[fam] ?? die(`unknown syscall family ${fam}`)) {
      const c = counts[sc] ?? 0;
      if (!c) continue;
      let ks;
      if (fam === 'write' && c > WRITE_SAMPLES) {
        ks = [
          ...new Set(
            Array.from({ length: WRITE_SAMPLES }, (_, i) => 1 + Math.floor(((i + 0.5) * c) / WRITE_SAMPLES)),
          ),
        ];
      } else ks = Array.from({ length: Math.min(N, c) }, (_, i) => i + 1);
      for (const k of ks) out.push({ fam, sc, k, of: c });
    }
  }
  return out;
}

let passed = 0;
let failed = 0;
let killed = 0;
const failures = [];

function injectionPoint(phase, { sc, k, of }) {
  const dir = fs.mkdtempSync(path.join(work, `${phase}-${sc}-${k}-`));
  const out = path.join(dir, 'out');
  const fails = [];
  const fail = (inv, detail) => fails.push({ inv, detail });
  const strace = ['-f', '-o', '/dev/null', '-e', `trace=${sc}`, '-e', `inject=${sc}:signal=KILL:when=${k}`];
  let runDir;
  let r;
  if (phase === 'train') {
    r = seqlab(['train', corpus, ...TRAIN_FLAGS, '--out', out], { strace });
    runDir = runDirIn(out);
  } else {
    runDir = path.join(dir, 'run');
    fs.cpSync(finished, runDir, { recursive: true });
    r = seqlab(['resume', runDir], { strace });
  }
  const wasKilled = r.signal === 'SIGKILL' || r.status === 137;
  if (wasKilled) killed++;
  else if (r.status !== 0)
    fail('uninjected', `the command failed without being killed: ${r.out.slice(-300)}`);

  if (runDir) {
    // Right after the crash: what is on disk under a final name must load.
    const before = checkpoints(runDir);
    for (const [n, c] of Object.entries(before)) if (c.error) fail('loads (after crash)', `${n}: ${c.error}`);
    const good = Object.entries(before).filter(([, c]) => !c.error && typeof c.valLoss === 'number');
    const best = good.sort((a, b) => a[1].valLoss - b[1].valLoss)[0]?.[0];
    for (const b of metrics(runDir, { mayBeMissing: !good.length }).bad) fail('metrics (after crash)', b);
    // Resuming a finished run may rewrite its checkpoints, but never lose the one it finished with.
    if (phase === 'resume' && !before[finishedLatest])
      fail(
        'kept',
        `${finishedLatest}, the finished run's final checkpoint, is gone after the crash: ${fs.readdirSync(path.join(runDir, 'checkpoints')).join(', ')}`,
      );

    if (good.length) {
      const r1 = seqlab(['resume', runDir]);
      if (r1.status !== 0) fail('resume', `seqlab resume failed: ${r1.out.slice(-300)}`);
      const r2 = r1.status === 0 ? seqlab(['resume', runDir, '--steps', String(MORE_STEPS)]) : r1;
      if (r1.status === 0 && r2.status !== 0)
        fail('resume', `seqlab resume --steps ${MORE_STEPS} failed: ${r2.out.slice(-300)}`);
      const after = checkpoints(runDir);
      for (const [n, c] of Object.entries(after))
        if (c.error) fail('loads (after resume)', `${n}: ${c.error}`);
      const bestAfter = Math.min(
        ...Object.values(after)
          .filter((c) => !c.error && typeof c.valLoss === 'number')
          .map((c) => c.valLoss),
      );
      if (best && !after[best] && !(bestAfter <= before[best].valLoss))
        fail(
          'best',
          `${best} (valLoss ${before[best].valLoss.toFixed(4)}, the best on disk) was deleted, and nothing as good is left (best now ${bestAfter.toFixed(4)})`,
        );
      const m = metrics(runDir);
      for (const b of m.bad) fail('metrics (after resume)', b);
      const seen = new Set();
      let mismatches = 0;
      for (const [step, loss] of m.losses) {
        seen.add(step);
        const want = reference.get(step);
        if (want === undefined || Math.abs(loss - want) > REL_TOL * Math.max(1, Math.abs(want))) {
          if (mismatches++ === 0) fail('losses', `step ${step}: loss ${loss}, uninterrupted ${want}`);
        }
      }
      if (mismatches > 1) fail('losses', `${mismatches} step losses differ in all`);
      if (r2.status === 0) {
        const missing = [...reference.keys()].filter((s) => !seen.has(s));
        if (missing.length)
          fail(
            'losses',
            `steps never logged: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`,
          );
      }
      const tmps = temporaries(runDir);
      if (tmps.length) fail('temporaries', tmps.join(', '));
    } else if (phase === 'resume') {
      fail('best', 'the finished run has no loadable checkpoint left after the crash');
    } else if (wasKilled) {
      // Killed before the first checkpoint: resume has nothing to start from and must say so.
      const r1 = seqlab(['resume', runDir]);
      if (r1.status === 0 && !Object.keys(checkpoints(runDir)).length)
        fail('resume', 'resume succeeded with no checkpoint');
    }
  }
  const where = `${phase} ${sc} k=${k}/${of}${wasKilled ? '' : ' (not reached)'}`;
  if (fails.length) {
    failed++;
    for (const f of fails) {
      const line = `FAIL ${where}: ${f.inv}: ${f.detail}`;
      failures.push(line);
      console.log(line);
    }
  } else {
    passed++;
    if (verbose) console.log(`ok   ${where}`);
  }
  if (!flag('--keep') && !fails.length) fs.rmSync(dir, { recursive: true, force: true });
}

for (const phase of phases) {
  const list = targets(phase === 'train' ? trainCounts : resumeCounts);
  console.log(
    `crash-suite: ${phase}: ${list.length} injection points (${[...new Set(list.map((t) => `${t.sc}×${t.of}`))].join(', ')} calls in an uninterrupted ${phase === 'train' ? `train --steps ${STEPS}` : 'resume of a finished run'})`,
  );
  for (const t of list) injectionPoint(phase, t);
}

const secs = ((Date.now() - started) / 1000).toFixed(0);
console.log(
  `crash-suite: ${passed} passed, ${failed} failed (${passed + failed} injection points, ${killed} killed, ${secs} s)`,
);
if (failed) console.log(`crash-suite: failed run folders kept under ${work}`);
else if (!flag('--keep')) fs.rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
