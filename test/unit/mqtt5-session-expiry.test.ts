// MQTT 5.0 Session Expiry Interval (5.0 §3.1.2.11.2, [5:MQTT-3.1.2-23], [5:MQTT-4.1.0-2],
// §3.14.2.2.2 [5:MQTT-3.14.2-2]): 0 ends the session with the connection, n seconds keeps it
// that long counted on the broker's tick, 0xFFFFFFFF keeps it for ever; a DISCONNECT may
// change it but not raise it from 0.
//
// Frames (hand-derived): CONNACK 20 RL flags rc props...; flags 01 = Session Present.
//   E0 07 00 05 11 00 00 00 64   DISCONNECT 0x00, Session Expiry Interval (0x11) 100 s

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

/** Reconnects "s" with Clean Start 0 and returns the CONNACK's Session Present flag. */
function present(t: Rig, expiry = 3600): boolean {
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: expiry } });
  const f = hex(t.frames('s')[0]);
  assert.is(f[0], 0x20);
  assert.is(f[3], 0x00, 'CONNACK accepted');
  return f[2] === 0x01;
}

test('5:MQTT-3.1.2-23 v5: Session Expiry Interval 0 (explicit) ends the session with the connection: Session Present 0 at once', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 0 } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  assert.is(t.broker.sessions.has('s'), false);
  assert.is(present(t), false);
});

test('5:MQTT-4.1.0-2 · 5:MQTT-3.1.2-23 v5: expiry 10 s is enforced by tick alone: the session is discarded at 10 s with nobody reconnecting', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 10 } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.advance(9999);
  assert.ok(t.broker.sessions.has('s'));
  t.advance(1);
  assert.is(t.broker.sessions.has('s'), false);
});

test('5:MQTT-4.1.0-2 v5: an expired session takes its queued messages with it: nothing is delivered to the next session', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 10 } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x', 1, 1);
  t.advance(10000);
  assert.is(present(t), false);
  assert.equal(t.received('s'), []);
});

test('5:MQTT-3.1.2-23 v5: expiry 0xFFFFFFFF never expires: the session is there after 200 days', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 0xffffffff } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.advance(200 * 24 * 3600 * 1000);
  assert.is(present(t), true);
});

test('5:MQTT-4.1.0-1 v5: session state is never discarded while the connection is open, whatever the expiry', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 1 } });
  t.subscribe('s', 'a/b', 0);
  t.advance(60000);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'still');
  assert.equal(t.received('s'), ['still']);
});

test('5:§3.14.2.2.2 v5: DISCONNECT may raise a non-zero expiry (10 s -> 100 s: E0 07 00 05 11 00 00 00 64): kept at 50 s', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 10 } });
  t.feed('s', hex('E0 07 00 05 11 00 00 00 64'));
  t.advance(50000);
  assert.is(present(t), true);
});

test('5:§3.14.2.2.2 v5: the expiry set by DISCONNECT (100 s) is the one that ends the session', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 10 } });
  t.feed('s', hex('E0 07 00 05 11 00 00 00 64'));
  t.advance(100000);
  assert.is(t.broker.sessions.has('s'), false);
});

test('5:MQTT-3.14.2-2 · 5:§3.14.2.2.2 v5: DISCONNECT raising expiry from 0 gets DISCONNECT 0x82 and the session still ends with the connection', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.feed('s', hex('E0 07 00 05 11 00 00 00 64'));
  assert.is(disconnectOf(t.sent('s')), 'E0 82 +reason');
  assert.is(t.isOpen('s'), false);
  assert.is(t.broker.sessions.has('s'), false);
});

test('5:§3.1.2.11.2 v5: maxSessionExpirySeconds 60 caps 3600: CONNACK says 60 (11 00 00 00 3C) and the session ends at 60 s', () => {
  const t = rig({ maxSessionExpirySeconds: 60 });
  t.connect('s', { version: 5, properties: { sessionExpiryInterval: 3600 } });
  assert.ok(toHex(t.sent('s')).includes('11 00 00 00 3C'));
  t.drop('s');
  t.advance(59999);
  assert.ok(t.broker.sessions.has('s'));
  t.advance(1);
  assert.is(t.broker.sessions.has('s'), false);
});

test('5:§3.2.2.3 v5: an expiry within maxSessionExpirySeconds is not echoed in CONNACK (no 0x11 property)', () => {
  const t = rig({ maxSessionExpirySeconds: 60 });
  t.connect('s', { version: 5, properties: { sessionExpiryInterval: 30 } });
  const p = t.packets('s')[0] as { properties: { sessionExpiryInterval?: number } | null };
  assert.is(p.properties?.sessionExpiryInterval, undefined);
});

test('5:MQTT-3.14.2-2 v5: a server DISCONNECT (session taken over, 0x8E) carries no Session Expiry Interval', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.connect('s2', { version: 5, clientId: 's', clean: false, properties: { sessionExpiryInterval: 60 } });
  const d = t.sent('s');
  assert.is(d[0], 0xe0);
  assert.is(d[2], 0x8e);
  assert.not.ok(toHex(d).includes(' 11 00'), toHex(d));
  assert.is(disconnectOf(d), 'E0 8E +reason');
});

test('4:§3.1.2.4 · 5:§3.1.2.4 (design) v4: with persistentSessionExpirySeconds 0xFFFFFFFF a 3.1.1 Clean Session 0 session behaves as expiry 0xFFFFFFFF: present after 200 days', () => {
  const t = rig({ persistentSessionExpirySeconds: 0xffffffff });
  t.connected('s', { version: 4, clean: false });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.advance(200 * 24 * 3600 * 1000);
  t.connect('s', { version: 4, clean: false });
  assert.is(toHex(t.sent('s')), '20 02 01 00');
});

test.run();
