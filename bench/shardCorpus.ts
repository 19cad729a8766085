/**
 * A large corpus made from real text (this repository's README, changelog and sources), repeated
 * with perturbation: each file is a seeded sequence of runs of lines taken from random places,
 * so no two files are alike. Written one file at a time, never held whole.
 */
import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';

const FILE_BYTES = 8 * 1024 * 1024;

function baseLines(): string[] {
  const root = path.resolve(__dirname, '..', '..');
  const files = fg.sync(['README.md', 'CHANGELOG.md', 'src/**/*.ts'], { cwd: root }).sort();
  const lines: string[] = [];
  for (const f of files) lines.push(...fs.readFileSync(path.join(root, f), 'utf8').split('\n'));
  return lines;
}

/** Writes ~`mb` MB of text into `dir` in 8 MB files; returns the bytes written. */
export function makeBigCorpus(dir: string, mb: number): number {
  const lines = baseLines();
  fs.mkdirSync(dir, { recursive: true });
  const total = mb * 1024 * 1024;
  let written = 0;
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  for (let i = 0; written < total; i++) {
    const parts: string[] = [];
    let size = 0;
    const target = Math.min(FILE_BYTES, total - written);
    while (size < target) {
      const start = Math.floor(rnd() * lines.length);
      const n = 20 + Math.floor(rnd() * 180);
      for (let j = start; j < Math.min(lines.length, start + n) && size < target; j++) {
        // One line in eight loses its indentation: the text drifts from the original.
        const line = rnd() < 0.125 ? lines[j].trimStart() : lines[j];
        parts.push(line);
        size += Buffer.byteLength(line) + 1;
      }
    }
    const buf = Buffer.from(parts.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, `part-${String(i).padStart(5, '0')}.txt`), buf);
    written += buf.length;
  }
  return written;
}
