// Builds the .vsix with vsce (from the test-host tools, installed offline from npm). The bundles
// carry their dependencies, so node_modules stays out of the package.
//
// `--target <platform-arch>` (linux-x64, darwin-arm64, win32-x64, …) builds a platform-specific
// .vsix that also carries that platform's WebGPU binary (Dawn's dawn.node, ~21 MB, from the
// `webgpu` package) in dawn/<platform>/ (outside dist/, which the prepublish build empties); the
// universal .vsix carries none and trains on wasm.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ROOT, TOOLS } from './code-server.mjs';

// Only the bundles, wasm, the PyTorch engine's Python package, media and the docs belong in the package: stray screenshots or run
// folders once doubled its size.
const vsce = path.join(TOOLS, 'node_modules/.bin/vsce');
const targetAt = process.argv.indexOf('--target');
const target = targetAt > 0 ? process.argv[targetAt + 1] : undefined;
const DAWN_TARGETS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-universal',
  'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};
const dawnOut = path.join(ROOT, 'dawn');
fs.rmSync(dawnOut, { recursive: true, force: true });
if (target) {
  const dir = DAWN_TARGETS[target];
  if (!dir) {
    console.error(`package: --target ${target} is not one of ${Object.keys(DAWN_TARGETS).join(', ')}`);
    process.exit(1);
  }
  const from = path.join(ROOT, 'node_modules/webgpu/dist', dir);
  fs.mkdirSync(path.join(dawnOut, dir), { recursive: true });
  for (const f of fs.readdirSync(from))
    if (/\.(node|dll)$/.test(f)) fs.copyFileSync(path.join(from, f), path.join(dawnOut, dir, f));
}
const dawnAllowed = target ? new RegExp(`^dawn/${DAWN_TARGETS[target]}/[^/]+\\.(node|dll)$`) : /^$/;
const files = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((f) => f.trim());
const allowed =
  /^(dist\/[^/]+\.(js|css|wasm)|python\/(pyproject\.toml|seqlab_torch\/[^/]+\.py)|media\/.+\.(svg|png|gif|md|txt|csv|tsv)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/;
const testOutput = /(^|\/)(out|test-output|\.seqlab|\.test-host|scratch)\//;
const stray = files.filter((f) => !(allowed.test(f) || dawnAllowed.test(f)) || testOutput.test(f));
if (target && !files.some((f) => /^dawn\/.+\/dawn\.node$/.test(f))) {
  console.error(
    `package: the ${target} .vsix would lack its WebGPU binary (dawn/${DAWN_TARGETS[target]}/dawn.node)`,
  );
  process.exit(1);
}
if (stray.length) {
  console.error(
    `package: unexpected files would go into the .vsix (add them to .vscodeignore): ${stray.join(', ')}`,
  );
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
const out = path.join(ROOT, `${pkg.name}-${pkg.version}${target ? `-${target}` : ''}.vsix`);
// Relative image links stay relative: VS Code shows the README from the installed package, and the
// repository is not one vsce knows how to turn into image URLs.
execFileSync(
  vsce,
  [
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    ...(target ? ['--target', target] : []),
    '-o',
    out,
  ],
  { cwd: ROOT, stdio: 'inherit' },
);
fs.rmSync(dawnOut, { recursive: true, force: true });
if (target) {
  // What matters is the archive: the binary must be inside it, at the path the engine looks in.
  const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' });
  const want = `extension/dawn/${DAWN_TARGETS[target]}/dawn.node`;
  if (!listing.split('\n').includes(want)) {
    console.error(`package: ${path.relative(ROOT, out)} lacks ${want}`);
    process.exit(1);
  }
}
const size = fs.statSync(out).size;
console.log(
  `packaged ${path.relative(ROOT, out)}: ${(size / 1048576).toFixed(2)} MB, ${files.length} files (icon and ${needed.size - 1} images/media checked)`,
);
