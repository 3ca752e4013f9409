// The port kit (scenarios.ts) over the Espruino port: its TypeScript sources and the built
// bundles (the default and the full one), in the Espruino-like context of test/espruino/harness.ts (npm test builds dist/
// before the suites run; a missing bundle is built here).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as port from '../../ports/espruino/index.js';
import type { PortModule } from '../espruino/harness.js';
import { bundleEnv, sourceEnv } from '../espruino/harness.js';
import { espruinoStarter } from './espruino-rig.js';
import { portScenarios } from './scenarios.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = join(root, 'dist/espruino/ganglion.js');
const full = join(root, 'dist/espruino/ganglion-full.js');
if (!existsSync(bundle) || !existsSync(full)) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });

portScenarios(espruinoStarter(sourceEnv(port as unknown as PortModule)), 'espruino sources');
portScenarios(espruinoStarter(bundleEnv(bundle)), 'espruino bundle');
portScenarios(espruinoStarter(bundleEnv(full)), 'espruino bundle (full)');
