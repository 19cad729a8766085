// Empties out/ before tsc writes it: a module that became a folder (config.ts → config/index.ts)
// would otherwise be shadowed by its stale compiled file, and tests would run old code.
import { rmSync } from 'fs';
rmSync(new URL('../out', import.meta.url), { recursive: true, force: true });
