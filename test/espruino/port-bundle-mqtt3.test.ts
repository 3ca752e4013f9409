// The Espruino bundle without MQTT 5 (dist/espruino/ganglion-mqtt3.js, __MQTT5__ false):
// it serves 3.1 and 3.1.1 exactly as the full bundle does, and refuses a 5.0 CONNECT as an
// unsupported protocol version [MQTT-3.1.2-2] instead of misreading it. Loaded as shipped,
// in the same Espruino-like context as port-bundle.test.ts (which rebuilds dist/ first).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hex, toHex } from '../helpers/hex.js';
import { World, bundleEnv } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = join(root, 'dist/espruino/ganglion-mqtt3.js');
if (!existsSync(bundle)) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
const env = bundleEnv(bundle);

test('MQTT 3.1.1 publish and subscribe work in the bundle without MQTT 5', () => {
  const w = new World(env, {});
  const sub = w.connected('sub');
  // SUBSCRIBE id 1, "t" QoS 0 -> SUBACK 1 [0]
  sub.raw(hex('82 06 00 01 00 01 74 00'));
  w.run();
  assert.is(sub.hex(), toHex(hex('90 03 00 01 00')));
  const pub = w.connected('pub');
  pub.raw(hex('30 04 00 01 74 78'));   // PUBLISH QoS 0 "t" "x"
  w.run();
  assert.is(sub.hex(), toHex(hex('30 04 00 01 74 78')));
});

test('4:MQTT-3.1.2-2 a 5.0 CONNECT gets CONNACK 0x01 (unacceptable protocol version) and is closed', () => {
  const w = new World(env, {});
  const c = w.dial(5);
  // CONNECT "MQTT" level 5, clean start, keep alive 0, properties 0, client id "a"
  c.raw(hex('10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 61'));
  w.run();
  assert.is(c.hex(), toHex(hex('20 02 00 01')));
  assert.is(w.listener.sockets, 0);
});

test.run();
