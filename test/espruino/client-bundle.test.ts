// The Espruino port's outgoing socket as shipped: dist/espruino/ganglion-bridge.js loaded
// beside dist/espruino/ganglion.js in the Espruino-like context (harness.ts bundleEnv), over
// the fake Espruino (client-scenarios.ts).
import { builtBundle, bundleEnv } from './harness.js';
import { clientScenarios } from './client-scenarios.js';

clientScenarios(bundleEnv(builtBundle('dist/espruino/ganglion.js'), { 'ganglion-bridge': builtBundle('dist/espruino/ganglion-bridge.js') }));
