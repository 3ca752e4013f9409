// The Espruino port as shipped: dist/espruino/ganglion.js, loaded the way
// Modules.addCached + require do, in a context without Map, Set, Symbol, Object.freeze,
// Array.from or TextEncoder, over the fake Espruino (scenarios.ts). The bundle is rebuilt
// first when it is missing or older than core/ or ports/espruino/.
import { builtBundle, bundleEnv } from './harness.js';
import { scenarios } from './scenarios.js';

scenarios(bundleEnv(builtBundle('dist/espruino/ganglion.js')));
