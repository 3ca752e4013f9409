// MQTT 5.0 server capabilities announced in CONNACK and enforced (5.0 §3.2.2.3): Maximum QoS,
// Retain Available, Wildcard / Subscription Identifier / Shared Subscription Available,
// Server Keep Alive, Server Reference (§4.11), and Reason Strings only when the client asked
// for problem information (Request Problem Information, [5:MQTT-3.1.2-29]).
//
// Frames (hand-derived, 5.0 §3.2, §3.8, §3.9, §3.14):
//   E0 01 9B / E0 01 9A ...      server DISCONNECT with a reason code (a Reason String may follow)
//   90 04 00 01 00 01            SUBACK id 1, no properties, granted QoS 1

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnackPacket } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

function connack(t: Rig, name: string): ConnackPacket {
  const p = t.packets(name)[0] as ConnackPacket;
  assert.is(p.type, 2);
  return p;
}

test('5:§3.2.2.3 v5: by default CONNACK announces only what differs from the spec defaults: Receive Maximum, Maximum Packet Size, Topic Alias Maximum', () => {
  const t = rig();
  t.connect('c', { version: 5 });
  const p = connack(t, 'c');
  assert.is(p.reasonCode, 0);
  assert.equal(p.properties, { receiveMaximum: 16, maximumPacketSize: 8192, topicAliasMaximum: 8 });
});

// ---- Maximum QoS ----

test('5:MQTT-3.2.2-9 · 5:§3.2.2.3 v5: maximumQoS 1 is announced in CONNACK (24 01)', () => {
  const t = rig({ maximumQoS: 1 });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('24 01'));
});

test('5:MQTT-3.2.2-9 v5: maximumQoS 0 is announced in CONNACK (24 00)', () => {
  const t = rig({ maximumQoS: 0 });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('24 00'));
});

test('5:§3.3.1.2 · 5:§3.2.2.3.4 v5: maximumQoS 1 and a QoS 2 PUBLISH: DISCONNECT 0x9B, then close, not routed', () => {
  const t = rig({ maximumQoS: 1 });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 9B +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.3.1.2 v5: maximumQoS 0 and a QoS 1 PUBLISH: DISCONNECT 0x9B', () => {
  const t = rig({ maximumQoS: 0 });
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 9B +reason');
});

test('5:§3.3.1.2 v5: maximumQoS 1 and a QoS 1 PUBLISH is accepted (PUBACK 0x10, no subscriber)', () => {
  const t = rig({ maximumQoS: 1 });
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(toHex(t.sent('p')), '40 03 00 01 10');
});

test('5:MQTT-3.2.2-10 · 5:MQTT-3.8.4-8 v5: maximumQoS 1 and SUBSCRIBE QoS 2: granted QoS 1 (SUBACK 90 04 00 01 00 01), not refused', () => {
  const t = rig({ maximumQoS: 1 });
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 09 00 01 00 00 03 61 2F 62 02'));
  assert.equal(t.frames('s'), ['90 04 00 01 00 01']);
});

test('5:MQTT-3.2.2-10 v5: maximumQoS 0 and SUBSCRIBE QoS 1: granted QoS 0 (90 04 00 01 00 00)', () => {
  const t = rig({ maximumQoS: 0 });
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 09 00 01 00 00 03 61 2F 62 01'));
  assert.equal(t.frames('s'), ['90 04 00 01 00 00']);
});

// ---- Retain Available ----

test('5:§3.2.2.3 · 5:§3.2.2.3.5 v5: retainAvailable false is announced in CONNACK (25 00)', () => {
  const t = rig({ retainAvailable: false });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('25 00'));
});

test('5:§3.2.2.3.5 v5: retainAvailable false and a retained PUBLISH: DISCONNECT 0x9A, then close, nothing retained', () => {
  const t = rig({ retainAvailable: false });
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 9A +reason');
  assert.is(t.isOpen('p'), false);
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.frames('s'), []);
});

test('5:§3.2.2.3.5 v5: retainAvailable false: a PUBLISH with RETAIN 0 is delivered as usual', () => {
  const t = rig({ retainAvailable: false });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('s'), ['30 08 00 03 61 2F 62 00 68 69']);
});

// ---- Wildcard / Subscription Identifier / Shared Subscription Available ----

test('5:§3.2.2.3 · 5:§3.2.2.3.11 v5: wildcardSubscriptionAvailable false is announced (28 00)', () => {
  const t = rig({ wildcardSubscriptionAvailable: false });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('28 00'));
});

test('5:§3.2.2.3.11 · 5:MQTT-3.9.3-2 v5: wildcardSubscriptionAvailable false: "a/+" and "#" get SUBACK 0xA2, "a/b" is granted', () => {
  const t = rig({ wildcardSubscriptionAvailable: false });
  t.connected('s', { version: 5 });
  const sub = (f: string) => ({ topicFilter: f, qos: 0 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [sub('a/+'), sub('#'), sub('a/b')] });
  assert.equal(t.frames('s'), ['90 06 00 01 00 A2 A2 00']);
  assert.ok(t.isOpen('s'));
});

test('5:§3.2.2.3.11 v5: wildcardSubscriptionAvailable false: a refused wildcard filter gets no messages', () => {
  const t = rig({ wildcardSubscriptionAvailable: false });
  t.connected('s', { version: 5 });
  assert.equal(t.subscribe5('s', 'a/#', 0), [0xa2]);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x');
  assert.equal(t.frames('s'), []);
});

test('5:§3.2.2.3 · 5:§3.2.2.3.12 v5: subscriptionIdentifiersAvailable false is announced (29 00)', () => {
  const t = rig({ subscriptionIdentifiersAvailable: false });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('29 00'));
});

test('5:§3.2.2.3.12 v5: subscriptionIdentifiersAvailable false: SUBSCRIBE with identifier 5 gets DISCONNECT 0xA1', () => {
  const t = rig({ subscriptionIdentifiersAvailable: false });
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 0B 00 01 02 0B 05 00 03 61 2F 62 01'));
  assert.is(disconnectOf(t.sent('s')), 'E0 A1 +reason');
  assert.is(t.isOpen('s'), false);
});

test('5:§3.2.2.3 · 5:§3.2.2.3.13 v5: sharedSubscriptionAvailable false is announced (2A 00)', () => {
  const t = rig({ sharedSubscriptionAvailable: false });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('2A 00'));
});

// ---- Server Keep Alive ----

test('5:§3.2.2.3 · 5:MQTT-3.2.2-22 v5: serverKeepAlive 5 is announced in CONNACK (13 00 05)', () => {
  const t = rig({ serverKeepAlive: 5 });
  t.connect('c', { version: 5, keepAlive: 60 });
  assert.ok(toHex(t.sent('c')).includes('13 00 05'));
});

test('5:MQTT-3.2.2-22 · 5:MQTT-3.1.2-22 v5: serverKeepAlive 5 overrides the client\'s 60: open at 7.5 s of silence, DISCONNECT 0x8D after', () => {
  const t = rig({ serverKeepAlive: 5 });
  t.connected('c', { version: 5, keepAlive: 60 });
  t.advance(7500);
  assert.ok(t.isOpen('c'));
  t.advance(1);
  assert.is(disconnectOf(t.sent('c')), 'E0 8D +reason');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-3.2.2-22 v5: serverKeepAlive 5 is enforced even when the client asked for Keep Alive 0', () => {
  const t = rig({ serverKeepAlive: 5 });
  t.connected('c', { version: 5, keepAlive: 0 });
  t.advance(8000);
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-3.2.2-22 v5: with serverKeepAlive 5 a PINGREQ every 5 s keeps the connection open', () => {
  const t = rig({ serverKeepAlive: 5 });
  t.connected('c', { version: 5, keepAlive: 0 });
  for (let i = 0; i < 6; i++) {
    t.advance(5000);
    t.feed('c', hex('C0 00'));
  }
  assert.ok(t.isOpen('c'));
});

test('(design) 4:MQTT-3.1.2-24 v4: serverKeepAlive is a 5.0 property: a 3.1.1 client with Keep Alive 0 is never timed out', () => {
  const t = rig({ serverKeepAlive: 5 });
  t.connected('c', { version: 4, keepAlive: 0 });
  t.advance(60000);
  assert.ok(t.isOpen('c'));
});

// ---- Server Reference ----

test('5:§4.11 (1.25) v5: serverReference "other:1883": CONNACK 0x9C with Server Reference (20 10 00 9C 0D 1C 00 0A ...), then close', () => {
  const t = rig({ serverReference: 'other:1883' });
  t.connect('c', { version: 5 });
  assert.is(toHex(t.sent('c')), '20 10 00 9C 0D 1C 00 0A 6F 74 68 65 72 3A 31 38 38 33');
  assert.is(t.isOpen('c'), false);
});

test('5:§4.11 (4:§3.2.2.3) v4: serverReference: a 3.1.1 client gets CONNACK 0x03 Server unavailable (20 02 00 03)', () => {
  const t = rig({ serverReference: 'other:1883' });
  t.connect('c', { version: 4 });
  assert.is(toHex(t.sent('c')), '20 02 00 03');
  assert.is(t.isOpen('c'), false);
});

// ---- Reason Strings and Request Problem Information ----

test('5:MQTT-3.1.2-29 v5: Request Problem Information absent (default 1): a server DISCONNECT carries a Reason String', () => {
  const t = rig();
  t.connected('c', { version: 5 });
  t.feed('c', hex('10 0D 00 04 4D 51 54 54 05 02 00 00 00 00 00'));   // a second CONNECT
  assert.is(disconnectOf(t.sent('c')), 'E0 82 +reason');
});

test('5:MQTT-3.1.2-29 v5: Request Problem Information 0: a server DISCONNECT carries no Reason String', () => {
  const t = rig();
  t.connected('c', { version: 5, properties: { requestProblemInformation: 0 } });
  t.feed('c', hex('10 0D 00 04 4D 51 54 54 05 02 00 00 00 00 00'));
  const d = t.sent('c');
  assert.is(d[0], 0xe0);
  assert.is(d[2], 0x82);
  assert.ok(d.length === 3 || (d.length === 4 && d[3] === 0), 'no properties: ' + toHex(d));
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-3.1.2-29 v5: Request Problem Information 0: a refusing PUBACK 0x87 carries no Reason String (40 03 00 05 87)', () => {
  const t = rig({}, { authorizePublish: () => false });
  t.connected('c', { version: 5, properties: { requestProblemInformation: 0 } });
  t.feed('c', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('c')), '40 03 00 05 87');
});

test('5:MQTT-3.1.2-29 v5: Request Problem Information 0: a refusing SUBACK 0x87 carries no Reason String (90 04 00 01 00 87)', () => {
  const t = rig({}, { authorizeSubscribe: () => false });
  t.connected('c', { version: 5, properties: { requestProblemInformation: 0 } });
  t.feed('c', hex('82 09 00 01 00 00 03 61 2F 62 01'));
  assert.is(toHex(t.sent('c')), '90 04 00 01 00 87');
});

// ---- Assigned Client Identifier ----

test('5:MQTT-3.2.2-16 · 5:MQTT-3.1.3-7 v5: the Assigned Client Identifier keys the session: reconnecting with it resumes (Session Present 1)', () => {
  const t = rig();
  t.connect('c', { version: 5, clientId: '', properties: { sessionExpiryInterval: 60 } });
  const id = connack(t, 'c').properties?.assignedClientIdentifier as string;
  assert.ok(typeof id === 'string' && id.length > 0);
  t.drop('c');
  t.connect('c2', { version: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.is(connack(t, 'c2').sessionPresent, true);
});

test.run();
