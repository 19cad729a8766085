import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function tmpDir(prefix = 'seqlab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes files (relative path → content) under a fresh temporary folder. */
export function fixture(files: Record<string, string | Buffer>): string {
  const dir = tmpDir();
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** A small English-like text with real structure (repeated phrases), deterministic. */
export function sampleText(chars: number, seed = 1): string {
  const words = [
    'the',
    'cat',
    'sat',
    'on',
    'a',
    'mat',
    'and',
    'dog',
    'ran',
    'to',
    'big',
    'red',
    'house',
    'with',
    'small',
    'green',
    'door',
    'it',
    'was',
    'very',
    'happy',
  ];
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  let out = '';
  while (out.length < chars) {
    const n = 4 + Math.floor(rnd() * 6);
    const sentence: string[] = [];
    for (let i = 0; i < n; i++) sentence.push(words[Math.floor(rnd() * words.length)]);
    out += sentence.join(' ') + '.\n';
  }
  return out.slice(0, chars);
}
