// What the small Espruino bundles leave out (build.mjs): dist/espruino/ganglion.js and
// ganglion-mqtt3.js are built with __STORE__ false, without the state records, the journal and
// start-up from records, which only a board that keeps state in flash needs, and with __AUTH__
// false, without 5.0 enhanced authentication, and with __CLIENT__ false, with the codec's server
// side only; dist/espruino/ganglion-full.js has all of it. Given a durable store or an
// authenticateEnhanced hook, they must say so at listen() instead of serving without what was
// asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeEspruino } from './fake-espruino.js';
import { hex, toHex } from '../helpers/hex.js';
import { World, builtBundle, bundleEnv } from './harness.js';

/** A durable store that must never be used: the broker refuses it before any call. */
const STORE = {
  durable: true,
  load(): Uint8Array[] { throw new Error('load() called'); },
  append(): void { throw new Error('append() called'); },
  compactionDue(): boolean { return false; },
  compact(): void { throw new Error('compact() called'); },
};

for (const file of ['dist/espruino/ganglion.js', 'dist/espruino/ganglion-mqtt3.js']) {
  test(`${file} refuses a durable store at listen(): it keeps no state records`, () => {
    const env = bundleEnv(builtBundle(file));
    const fake = new FakeEspruino();
    assert.throws(() => env.with(fake, (m) => m.listen({ port: 1883, store: STORE }, {})), /store: this build keeps no state records/);
    assert.is(fake.net.servers.size, 0, 'nothing listens');
  });
}

test('dist/espruino/ganglion-full.js takes the same store (its load() is called)', () => {
  const env = bundleEnv(builtBundle('dist/espruino/ganglion-full.js'));
  assert.throws(() => env.with(new FakeEspruino(), (m) => m.listen({ port: 1883, store: STORE }, {})), /load\(\) called/);
});

const SMALL = bundleEnv(builtBundle('dist/espruino/ganglion.js'));
const FULL = bundleEnv(builtBundle('dist/espruino/ganglion-full.js'));
// CONNECT "MQTT" level 5, clean start, keep alive 0, Authentication Method "m", client id "a"
const CONNECT_WITH_METHOD = hex('10 12 00 04 4D 51 54 54 05 02 00 00 04 15 00 01 6D 00 01 61');
const accept = (): { reasonCode: number } => ({ reasonCode: 0 });   // success at the first step

for (const file of ['dist/espruino/ganglion.js', 'dist/espruino/ganglion-mqtt3.js']) {
  test(`${file} refuses an authenticateEnhanced hook at listen(): it has no enhanced authentication`, () => {
    const env = bundleEnv(builtBundle(file));
    const fake = new FakeEspruino();
    assert.throws(() => env.with(fake, (m) => m.listen({ port: 1883 }, { authenticateEnhanced: accept })), /authenticateEnhanced: this build has no enhanced authentication/);
    assert.is(fake.net.servers.size, 0, 'nothing listens');
  });
}

test('5:§4.12 dist/espruino/ganglion.js: a CONNECT that names an Authentication Method gets CONNACK 0x8C Bad authentication method', () => {
  const w = new World(SMALL, {});
  const c = w.dial(5);
  c.raw(CONNECT_WITH_METHOD);
  w.run();
  assert.is(c.hex(), toHex(hex('20 03 00 8C 00')));
  assert.is(w.listener.sockets, 0, 'closed');
});

test('5:§4.12 dist/espruino/ganglion-full.js runs the exchange through the authenticateEnhanced hook', () => {
  const w = new World(FULL, {}, { authenticateEnhanced: accept });
  const c = w.dial(5);
  c.raw(CONNECT_WITH_METHOD);
  w.run();
  const connack = c.hex().split(' ');
  assert.is(connack[0], '20', 'a CONNACK: ' + connack.join(' '));
  assert.is(connack[3], '00', 'accepted: ' + connack.join(' '));
  assert.ok(connack.join(' ').includes('15 00 01 6D'), 'the CONNACK names the method: ' + connack.join(' '));
});

test('5:§2.1.2 dist/espruino/ganglion.js: a packet only a server sends (CONNACK, SUBACK, UNSUBACK) from a client is a Protocol Error', () => {
  for (const bytes of [hex('20 03 00 00 00'), hex('90 04 00 01 00 00'), hex('B0 04 00 01 00 00')]) {
    const w = new World(SMALL, {});
    const c = w.connected('a', 5);
    c.raw(bytes);
    w.run();
    assert.is(c.hex(), toHex(hex('E0 01 82')), 'DISCONNECT 0x82 Protocol Error');
    assert.is(w.listener.sockets, 0, 'closed');
  }
});

test('dist/espruino/ganglion.js: encode() of a packet only a client sends says so', () => {
  const w = new World(SMALL, {});
  const m = w.in((mod) => mod) as unknown as { encode(p: object, v: number): Uint8Array };
  const subscribe = { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 't', qos: 0 }] };
  assert.throws(() => m.encode(subscribe, 4), /this build encodes only what a server sends/);
});

test.run();
