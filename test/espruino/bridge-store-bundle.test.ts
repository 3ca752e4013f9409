// The Espruino bridge's queue through the Storage store as shipped: dist/espruino/ganglion-bridge.js
// and ganglion-store.js loaded beside dist/espruino/ganglion-full.js in the Espruino-like
// context (harness.ts bundleEnv), over the fake Espruino and Storage (bridge-store-scenarios.ts).
import { builtBundle, bundleEnv } from './harness.js';
import { bridgeStoreScenarios } from './bridge-store-scenarios.js';

bridgeStoreScenarios(bundleEnv(builtBundle('dist/espruino/ganglion-full.js'), {
  'ganglion-store': builtBundle('dist/espruino/ganglion-store.js'), 'ganglion-bridge': builtBundle('dist/espruino/ganglion-bridge.js'),
}));
