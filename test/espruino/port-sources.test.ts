// The Espruino port from its TypeScript sources, over the fake Espruino (scenarios.ts).
import * as port from '../../ports/espruino/index.js';
import type { PortModule } from './harness.js';
import { sourceEnv } from './harness.js';
import { scenarios } from './scenarios.js';

scenarios(sourceEnv(port as unknown as PortModule));
