// The bridge on Espruino from its TypeScript sources, over the fake Espruino (bridge-scenarios.ts).
import * as port from '../../ports/espruino/index.js';
import * as bridge from '../../ports/espruino/bridge.js';
import type { PortModule } from './harness.js';
import { sourceEnv } from './harness.js';
import type { BridgeModule } from './client-scenarios.js';
import { withBridge } from './client-scenarios.js';
import { bridgeScenarios } from './bridge-scenarios.js';

bridgeScenarios(withBridge(sourceEnv(port as unknown as PortModule), bridge as unknown as BridgeModule));
