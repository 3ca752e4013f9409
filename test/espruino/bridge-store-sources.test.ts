// The Espruino bridge's queue through the Storage store, from the TypeScript sources (bridge-store-scenarios.ts).
import * as port from '../../ports/espruino/index.js';
import * as bridge from '../../ports/espruino/bridge.js';
import * as store from '../../ports/espruino/store.js';
import type { PortModule } from './harness.js';
import { sourceEnv } from './harness.js';
import type { BridgeModule } from './client-scenarios.js';
import { withBridge } from './client-scenarios.js';
import { bridgeStoreScenarios, withStore } from './bridge-store-scenarios.js';

bridgeStoreScenarios(withStore(withBridge(sourceEnv(port as unknown as PortModule), bridge as unknown as BridgeModule), store));
