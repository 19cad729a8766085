#!/usr/bin/env node
// Builds a small English→French parallel corpus from what a Debian/Ubuntu machine already has: the
// gettext catalogues (.mo files) under /usr/share/locale/fr/LC_MESSAGES, whose entries pair an
// English message (msgid) with its French translation (msgstr).
//
//   node scripts/build-gettext-pairs.mjs <out> [--lang fr] [--test 500] [--max-chars 60]
//
// <out>/train.tsv   source<TAB>target, one pair a line (SeqLab splits validation off by hash)
// <out>/test.tsv    held-out pairs (--test of them)
// Kept: short sentence-like messages (3–max-chars characters a side, letters and ordinary
// punctuation; no format placeholders, markup, accelerators, plural forms or fuzzy empties),
// deduplicated by source (the first catalogue in name order wins). The split is by hash of the
// source, so the same machine gives the same files. The iso-codes catalogues (names of languages,
// countries, currencies) are left out.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';

const args = process.argv.slice(2);
const out =
  args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))) ?? 'gettext-pairs';
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const lang = opt('--lang', 'fr');
const testCount = Number(opt('--test', 500));
const maxChars = Number(opt('--max-chars', 60));

/** [msgid, msgstr] of every entry of one .mo file (GNU gettext's binary catalogue). */
function readMo(file) {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic !== 0x950412de && magic !== 0xde120495) return [];
  const rd = magic === 0x950412de ? (o) => b.readUInt32LE(o) : (o) => b.readUInt32BE(o);
  const n = rd(8);
  const oOff = rd(12);
  const tOff = rd(16);
  const str = (table, i) => {
    const len = rd(table + 8 * i);
    const at = rd(table + 8 * i + 4);
    return b.subarray(at, at + len).toString('utf8');
  };
  const out = [];
  for (let i = 0; i < n; i++) out.push([str(oOff, i), str(tOff, i)]);
  return out;
}

/** A short sentence-like message: letters, spaces and ordinary punctuation only. */
function usable(s) {
  return (
    s.length >= 3 &&
    s.length <= maxChars &&
    /^[\p{L}][\p{L}\p{N} ,.;:!?'’«»"()\-/]*$/u.test(s) &&
    /\p{L}{2,}/u.test(s) &&
    !/Content-Type:|Project-Id/.test(s)
  );
}

const clean = (s) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/ ?\.\.\.$|…$/, '')
    .trim();
const hash = (s) => createHash('sha1').update(s).digest('hex');
const dir = `/usr/share/locale/${lang}/LC_MESSAGES`;
if (!fs.existsSync(dir)) {
  console.error(
    `No gettext catalogues for ${lang} in ${dir}: install a package with translations, or choose --lang`,
  );
  process.exit(1);
}
const bySource = new Map();
for (const f of fs.readdirSync(dir).sort()) {
  // The iso-codes catalogues name languages, countries and currencies: names, mostly kept as they are.
  if (!f.endsWith('.mo') || f.startsWith('iso_')) continue;
  for (const [id0, str0] of readMo(path.join(dir, f))) {
    // Plural entries hold NUL-separated forms; context-qualified ids hold an EOT.
    if (!id0 || !str0 || /[\0\x04]/.test(id0 + str0)) continue;
    const source = clean(id0);
    const target = clean(str0);
    if (!usable(source) || !usable(target) || source === target || bySource.has(source)) continue;
    bySource.set(source, target);
  }
}
const pairs = [...bySource].sort((a, b) => (hash(a[0]) < hash(b[0]) ? -1 : 1));
const test = pairs.slice(0, testCount);
const train = pairs.slice(testCount);
fs.mkdirSync(out, { recursive: true });
const tsv = (xs) => xs.map(([s, t]) => `${s}\t${t}`).join('\n') + '\n';
fs.writeFileSync(path.join(out, 'train.tsv'), tsv(train));
fs.writeFileSync(path.join(out, 'test.tsv'), tsv(test));
console.log(
  `${pairs.length} English→${lang} pairs from ${dir}: ${train.length} train, ${test.length} test → ${out}`,
);
