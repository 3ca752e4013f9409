// The Espruino port's outgoing socket from its TypeScript sources, over the fake Espruino (client-scenarios.ts).
import * as port from '../../ports/espruino/index.js';
import * as bridge from '../../ports/espruino/bridge.js';
import type { PortModule } from './harness.js';
import { sourceEnv } from './harness.js';
import type { BridgeModule } from './client-scenarios.js';
import { clientScenarios, withBridge } from './client-scenarios.js';

clientScenarios(withBridge(sourceEnv(port as unknown as PortModule), bridge as unknown as BridgeModule));
