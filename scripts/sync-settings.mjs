// Writes the training settings of package.json from the config schema (run after `npm run compile`):
// the schema in src/engine/config/schema.ts is the one place where a field is described. Settings
// keep their place in the file (new ones go after the schema's others), and an enum keeps its
// order when it has the same members, so that the settings UI does not reshuffle.
import { readFileSync, writeFileSync } from 'fs';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const { settingContributions, isSchemaSetting } = require('../out/src/config/packageSettings.js');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const conf = pkg.contributes.configuration;
const fresh = settingContributions();
const sameMembers = (a, b) => a && b && a.length === b.length && a.every((x) => b.includes(x));
const out = {};
for (const [k, v] of Object.entries(conf.properties)) {
  if (!isSchemaSetting(k)) continue;
  if (!fresh[k]) continue; // no longer in the schema: dropped
  out[k] = { ...fresh[k], ...(sameMembers(v.enum, fresh[k].enum) ? { enum: v.enum } : {}) };
}
for (const [k, v] of Object.entries(fresh)) out[k] ??= v;
for (const [k, v] of Object.entries(conf.properties)) if (!isSchemaSetting(k)) out[k] = v;
conf.properties = out;
// Characters stay as they are (…, ×): escaping them would rewrite every title on each sync.
writeFileSync('package.json', JSON.stringify(pkg, null, 2) + '\n');
console.log('package.json: training settings written from the schema');
