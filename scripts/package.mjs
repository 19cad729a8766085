// Builds the .vsix with vsce (from the test-host tools, installed offline from npm). The bundles
// carry their dependencies, so node_modules stays out of the package.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ROOT, TOOLS } from './code-server.mjs';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const out = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
execFileSync(path.join(TOOLS, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '-o', out], { cwd: ROOT, stdio: 'inherit' });
const size = fs.statSync(out).size;
console.log(`packaged ${path.relative(ROOT, out)}: ${(size / 1048576).toFixed(2)} MB`);
