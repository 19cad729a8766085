#!/usr/bin/env node
// Builds a small labelled data set from what a Debian/Ubuntu machine already has: the translated
// messages of the gettext catalogues (.mo files) under /usr/share/locale, one label per language.
//
//   node scripts/build-langid-data.mjs <out> [--per-class 100] [--test-per-class 200]
//
// <out>/labelled/{train,test}/<lang>/<n>.txt   one message per file (train: --per-class, test: --test-per-class)
// <out>/unlabelled/messages.txt                other messages of the same languages, for a language model
// A message is used once (deduplicated across catalogues); selection is by hash, so the same
// machine gives the same set.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';

const LANGS = ['de', 'fr', 'es', 'it', 'nl', 'sv'];
const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--')) ?? 'langid-data';
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const perClass = opt('--per-class', 100);
const testPerClass = opt('--test-per-class', 200);

/** The translated strings of one .mo file (GNU gettext's binary catalogue). */
function readMo(file) {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  const rd = magic === 0x950412de ? (o) => b.readUInt32LE(o) : (o) => b.readUInt32BE(o);
  const n = rd(8);
  const tOff = rd(16);
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = rd(tOff + 8 * i);
    const at = rd(tOff + 8 * i + 4);
    out.push(b.subarray(at, at + len).toString('utf8'));
  }
  return out;
}

/** Plain sentences: no header, no format placeholders or markup, 25–200 characters. */
function usable(s) {
  return (
    s.length >= 25 &&
    s.length <= 200 &&
    !s.includes('\0') &&
    !/Content-Type:|Project-Id|%|<|>|\{|\}|\\|_|\$|@|\t/.test(s) &&
    /\p{L}{3,}.*\s.*\p{L}{3,}/u.test(s)
  );
}

const hash = (s) => createHash('sha1').update(s).digest('hex');
const seen = new Set();
const byLang = {};
for (const lang of LANGS) {
  const dir = `/usr/share/locale/${lang}/LC_MESSAGES`;
  const msgs = [];
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    if (!f.endsWith('.mo')) continue;
    for (const s0 of readMo(path.join(dir, f))) {
      const s = s0.replace(/\s+/g, ' ').trim();
      if (!usable(s) || seen.has(s)) continue;
      seen.add(s);
      msgs.push(s);
    }
  }
  byLang[lang] = msgs.sort((a, b) => (hash(a) < hash(b) ? -1 : 1));
  if (msgs.length < perClass + testPerClass) throw new Error(`${lang}: only ${msgs.length} usable messages`);
}
fs.rmSync(out, { recursive: true, force: true });
const unlabelled = [];
for (const lang of LANGS) {
  const msgs = byLang[lang];
  const write = (split, xs) =>
    xs.forEach((s, i) => {
      const p = path.join(out, 'labelled', split, lang, `${String(i).padStart(4, '0')}.txt`);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, s + '\n');
    });
  write('train', msgs.slice(0, perClass));
  write('test', msgs.slice(perClass, perClass + testPerClass));
  unlabelled.push(...msgs.slice(perClass + testPerClass));
}
unlabelled.sort((a, b) => (hash(a) < hash(b) ? -1 : 1));
// About 2 MB is plenty for a small language model trained for minutes.
let chars = 0;
const cut = unlabelled.findIndex((s) => (chars += s.length + 1) > 2e6);
if (cut > 0) unlabelled.length = cut;
fs.mkdirSync(path.join(out, 'unlabelled'), { recursive: true });
fs.writeFileSync(path.join(out, 'unlabelled', 'messages.txt'), unlabelled.join('\n') + '\n');
console.log(
  `${LANGS.length} languages: ${perClass} train and ${testPerClass} test messages each; ${unlabelled.length} unlabelled messages (${unlabelled.join('\n').length} characters) → ${out}`,
);
