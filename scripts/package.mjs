// Builds the .vsix with vsce (from the test-host tools, installed offline from npm). The bundles
// carry their dependencies, so node_modules stays out of the package.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ROOT, TOOLS } from './code-server.mjs';

// Only the bundles, wasm, the PyTorch engine's Python package, media and the docs belong in the package: stray screenshots or run
// folders once doubled its size.
const vsce = path.join(TOOLS, 'node_modules/.bin/vsce');
const files = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((f) => f.trim());
const allowed = /^(dist\/[^/]+\.(js|css|wasm)|python\/(pyproject\.toml|seqlab_torch\/[^/]+\.py)|media\/.+\.(svg|png|gif|md|txt|csv|tsv)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/;
const testOutput = /(^|\/)(out|test-output|\.seqlab|\.test-host|scratch)\//;
const stray = files.filter((f) => !allowed.test(f) || testOutput.test(f));
if (stray.length) {
  console.error(`package: unexpected files would go into the .vsix (add them to .vscodeignore): ${stray.join(', ')}`);
  process.exit(1);
}
// What the Marketplace page and the walkthrough show must be inside: the icon, every image the
// README and CHANGELOG name, and every walkthrough medium.
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const needed = new Set([pkg.icon]);
for (const doc of ['README.md', 'CHANGELOG.md']) {
  const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
  for (const m of text.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]+src=["']([^"']+)["']/g)) {
    const link = m[1] ?? m[2];
    if (!/^\w+:/.test(link)) needed.add(path.posix.normalize(link));
  }
}
for (const w of pkg.contributes.walkthroughs ?? [])
  for (const s of w.steps)
    for (const v of Object.values(s.media ?? {}))
      if (typeof v === 'string' && v.startsWith('media/')) needed.add(v);
const missing = [...needed].filter((f) => !files.includes(f));
if (missing.length) {
  console.error(`package: named by package.json or the docs but not in the .vsix: ${missing.join(', ')}`);
  process.exit(1);
}
const out = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
// Relative image links stay relative: VS Code shows the README from the installed package, and the
// repository is not one vsce knows how to turn into image URLs.
execFileSync(
  vsce,
  ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out],
  { cwd: ROOT, stdio: 'inherit' },
);
const size = fs.statSync(out).size;
console.log(
  `packaged ${path.relative(ROOT, out)}: ${(size / 1048576).toFixed(2)} MB, ${files.length} files (icon and ${needed.size - 1} images/media checked)`,
);
