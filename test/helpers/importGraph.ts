import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** Every file's imports, keyed by path relative to the root (forward slashes). */
export interface ImportGraph {
  /** Relative imports resolved to the .ts files they name, type-only ones included. */
  local: Map<string, string[]>;
  /** Bare module specifiers (packages such as `vscode`). */
  packages: Map<string, string[]>;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const p of [base, `${base}.ts`, path.join(base, 'index.ts')])
    if (p.endsWith('.ts') && fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  return undefined;
}

/**
 * Reads the imports of every .ts file under `dir` with the TypeScript compiler's own
 * pre-processor: `import`, `import type`, `export … from`, `require()` and `import()` all count,
 * because a type-only cycle still ties the two files together for whoever reads or moves them.
 */
export function importGraph(root: string, dir: string): ImportGraph {
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const local = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  for (const file of tsFiles(dir)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const specs = info.importedFiles.map((f) => f.fileName);
    const resolved = specs.filter((s) => s.startsWith('.')).map((s) => resolveLocal(file, s));
    local.set(rel(file), resolved.filter((p): p is string => p !== undefined).map(rel));
    packages.set(
      rel(file),
      specs.filter((s) => !s.startsWith('.')),
    );
  }
  return { local, packages };
}

/**
 * The import cycles: one per strongly connected group of files (Tarjan's algorithm), each given as
 * a closed path `a → b → … → a` through that group, so the message shows which imports to cut.
 */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((group) => {
    // Shortest way from the group's first file (by name) back to itself, inside the group.
    const members = new Set(group);
    const start = [...group].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let u = v; u !== start; u = prev.get(u)!) cycle.splice(1, 0, u);
          return [...cycle, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...group, group[0]];
  });
}
