// Builds the .vsix with vsce (from the test-host tools, installed offline from npm). The bundles
// carry their dependencies, so node_modules stays out of the package.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ROOT, TOOLS } from './code-server.mjs';

// Only the bundles, wasm, media and the docs belong in the package: stray screenshots or run
// folders once doubled its size.
const vsce = path.join(TOOLS, 'node_modules/.bin/vsce');
const files = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
const stray = files.filter((f) => !/^(dist\/[^/]+\.(js|css|wasm)|media\/[^/]+|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(f.trim()));
if (stray.length) {
  console.error(`package: unexpected files would go into the .vsix (add them to .vscodeignore): ${stray.join(', ')}`);
  process.exit(1);
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const out = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
execFileSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '-o', out], { cwd: ROOT, stdio: 'inherit' });
const size = fs.statSync(out).size;
console.log(`packaged ${path.relative(ROOT, out)}: ${(size / 1048576).toFixed(2)} MB`);
