// Variables an idle client costs on Espruino, counted by the fake Espruino's
// process.memory() (test/espruino/fake-espruino.ts: one per object, property and string
// piece of what the listener keeps; closures are opaque to it, so it counts less than a
// real interpreter does). Both the TypeScript sources and the built bundle
// (dist/espruino/ganglion.js; run `node build.mjs` first) are measured: property names the
// build mangles are shorter there, so fewer of them take a second variable.
//   node --import ./test/ts-loader.mjs test/bench/espruino-memory.ts [bundle.js]
// (another bundle file in place of dist/espruino/ganglion.js: an older build, to compare)
// Prints, for each: variables with the listener alone, and per idle 3.1.1 client with 8
// subscriptions (8 clients, the port's default maximum; the difference divided by 8).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as port from '../../ports/espruino/index.js';
import type { Env, PortModule } from '../espruino/harness.js';
import { bundleEnv, sourceEnv, World } from '../espruino/harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS = 8;
const SUBSCRIPTIONS = 8;

function subscribe(n: number, i: number): Uint8Array {
  // SUBSCRIBE, packet id i+1, one filter "a/<n>/<i>" at QoS 0.
  const topic = 'a/' + n + '/' + i;
  const bytes = [0x82, 2 + 2 + topic.length + 1, 0, i + 1, 0, topic.length];
  for (let k = 0; k < topic.length; k++) bytes.push(topic.charCodeAt(k));
  bytes.push(0);
  return new Uint8Array(bytes);
}

function measure(env: Env): { listening: number; perClient: number } {
  const w = new World(env, {});
  w.run();
  const listening = w.fake.process.memory().usage;
  for (let n = 0; n < CLIENTS; n++) {
    const c = w.connected('c' + n);
    for (let i = 0; i < SUBSCRIPTIONS; i++) c.raw(subscribe(n, i));
    w.run();
    c.packets();
  }
  const all = w.fake.process.memory().usage;
  return { listening, perClient: (all - listening) / CLIENTS };
}

const bundle = process.argv[2] || join(root, 'dist/espruino/ganglion.js');
for (const env of [sourceEnv(port as unknown as PortModule), bundleEnv(bundle)]) {
  const r = measure(env);
  console.log(env.name + ': listening ' + r.listening + ' variables, per idle client with ' + SUBSCRIPTIONS +
    ' subscriptions ' + r.perClient.toFixed(1));
}
