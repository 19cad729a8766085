import * as fs from 'fs';
import * as path from 'path';

/** What to do with sample files whose names are already taken in the destination. */
export type ConflictChoice = 'rename' | 'skip';

export interface UnpackReport {
  /** Paths relative to the destination, as written. */
  written: string[];
  /** Files written under a free name because theirs was taken. */
  renamed: { from: string; to: string }[];
  /** Files left out because their name was taken. */
  skipped: string[];
  /** The names that were taken, whatever was decided about them. */
  conflicts: string[];
  /** True when the caller declined to decide: nothing was written. */
  cancelled: boolean;
}

/** Every file under `dir`, as sorted paths relative to it with forward slashes. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** `notes.txt` → `notes (2).txt`, `notes (3).txt`, …: the first name free in `dest` and not yet planned. */
export function freeName(dest: string, rel: string, planned: Set<string> = new Set()): string {
  const ext = path.posix.extname(rel);
  const stem = rel.slice(0, rel.length - ext.length);
  for (let i = 2; ; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!planned.has(candidate) && !fs.existsSync(path.join(dest, candidate))) return candidate;
  }
}

/**
 * Copies every file under `source` into `dest`, keeping the layout. A file is never overwritten:
 * when any name is taken, `decide` is asked once with all of them, and answers "rename" (write
 * the sample's copy under a free name), "skip" (leave those out) or undefined (cancel: nothing is
 * written). Files are opened with O_EXCL, so a file that appears meanwhile is not overwritten either.
 */
export async function unpackSample(
  source: string,
  dest: string,
  decide: (conflicts: string[]) => Promise<ConflictChoice | undefined>,
): Promise<UnpackReport> {
  const files = listFiles(source);
  const conflicts = files.filter((f) => fs.existsSync(path.join(dest, f)));
  const report: UnpackReport = { written: [], renamed: [], skipped: [], conflicts, cancelled: false };
  let choice: ConflictChoice | undefined;
  if (conflicts.length) {
    choice = await decide(conflicts);
    if (!choice) return { ...report, cancelled: true };
  }
  const planned = new Set<string>();
  for (const rel of files) {
    let target = rel;
    if (conflicts.includes(rel)) {
      if (choice === 'skip') {
        report.skipped.push(rel);
        continue;
      }
      target = freeName(dest, rel, planned);
      report.renamed.push({ from: rel, to: target });
    }
    planned.add(target);
    const to = path.join(dest, target);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, fs.readFileSync(path.join(source, rel)), { flag: 'wx' });
    report.written.push(target);
  }
  return report;
}
