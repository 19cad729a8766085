import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { importCycles, importGraph } from '../helpers/importGraph';
import { fixture } from '../helpers/util';

const ROOT = path.resolve(__dirname, '../../..');

/** Files under src/engine that import the VS Code API, with what they import. */
function engineVscodeImports(root: string): string[] {
  const { packages } = importGraph(root, path.join(root, 'src/engine'));
  return [...packages]
    .filter(([, specs]) => specs.some((s) => s === 'vscode' || s.startsWith('vscode/')))
    .map(([file]) => file);
}

test('the cycle check finds cycles through type-only imports and re-exports', () => {
  const dir = fixture({
    'src/a.ts': "import type { B } from './b';\nexport type A = B;\n",
    'src/b.ts': "export { c } from './sub';\nexport type B = number;\n",
    'src/sub/index.ts': "import { a } from '../a';\nexport const c = a;\n",
    'src/leaf.ts': "import { c } from './sub';\nexport const d = c;\n",
  });
  const cycles = importCycles(importGraph(dir, path.join(dir, 'src')).local);
  assert.deepEqual(cycles, [['src/a.ts', 'src/b.ts', 'src/sub/index.ts', 'src/a.ts']]);
});

test('the engine check finds a vscode import', () => {
  const dir = fixture({
    'src/engine/ok.ts': "import * as fs from 'fs';\nexport const x = fs;\n",
    'src/engine/bad.ts': "import type * as vscode from 'vscode';\nexport type U = vscode.Uri;\n",
  });
  assert.deepEqual(engineVscodeImports(dir), ['src/engine/bad.ts']);
});

test('src/ has no import cycles (type-only imports included)', () => {
  const cycles = importCycles(importGraph(ROOT, path.join(ROOT, 'src')).local);
  assert.deepEqual(
    cycles.map((c) => c.join(' → ')),
    [],
    'each cycle is listed as a path of imports: move the shared piece to the side that uses it',
  );
});

test('src/engine never imports vscode (it runs in the CLI, workers and plain Node)', () => {
  assert.deepEqual(engineVscodeImports(ROOT), []);
});
