// The Espruino port as shipped: dist/espruino/ganglion.js (the default bundle, no state
// records) and dist/espruino/ganglion-full.js (the same with them, for a board that keeps
// state in flash), each loaded the way Modules.addCached + require do, in a context without
// Map, Set, Symbol, Object.freeze, Array.from or TextEncoder, over the fake Espruino
// (scenarios.ts). The bundles are rebuilt first when missing or older than core/ or ports/espruino/.
import { builtBundle, bundleEnv } from './harness.js';
import { scenarios } from './scenarios.js';

scenarios(bundleEnv(builtBundle('dist/espruino/ganglion.js')));
scenarios(bundleEnv(builtBundle('dist/espruino/ganglion-full.js')));
