// The bridge on Espruino as shipped: dist/espruino/ganglion-bridge.js loaded beside
// dist/espruino/ganglion.js in the Espruino-like context (harness.ts bundleEnv), over the fake
// Espruino (bridge-scenarios.ts).
import { builtBundle, bundleEnv } from './harness.js';
import { bridgeScenarios } from './bridge-scenarios.js';

bridgeScenarios(bundleEnv(builtBundle('dist/espruino/ganglion.js'), { 'ganglion-bridge': builtBundle('dist/espruino/ganglion-bridge.js') }));
