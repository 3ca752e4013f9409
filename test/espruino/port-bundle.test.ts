// The Espruino port as shipped: dist/espruino/ganglion.js, loaded the way
// Modules.addCached + require do, in a context without Map, Set, Symbol, Object.freeze,
// Array.from or TextEncoder, over the fake Espruino (scenarios.ts). The bundle is rebuilt
// first when it is missing or older than core/ or ports/espruino/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEnv } from './harness.js';
import { scenarios } from './scenarios.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = join(root, 'dist/espruino/ganglion.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newest(join(root, 'core')), newest(join(root, 'ports/espruino')))) {
  spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
}

scenarios(bundleEnv(bundle));
