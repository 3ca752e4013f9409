// MQTT 5.0 flow control: Receive Maximum both ways (5.0 §3.1.2.11.3, §3.2.2.3.3, §4.9) and
// Maximum Packet Size both ways (§3.1.2.11.4, §3.2.2.3.6, [5:MQTT-3.1.2-24], [5:MQTT-3.1.2-25]).
//
// Frames (hand-derived, 5.0 §3.3-3.7):
//   32 0A 00 03 61 2F 62 00 0N 00 68 69   PUBLISH QoS 1 id N "a/b" "hi", no properties
//   40 02 00 0N / 50 02 00 0N / 62 02 00 0N / 70 02 00 0N   PUBACK / PUBREC / PUBREL / PUBCOMP id N

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

function pub1(id: number, payload = '68 69', dup = false): string {
  const h = (id < 16 ? '0' : '') + id.toString(16).toUpperCase();
  const n = 8 + hex(payload).length;
  return (dup ? '3A ' : '32 ') + (n < 16 ? '0' : '') + n.toString(16).toUpperCase() + ' 00 03 61 2F 62 00 ' + h + ' 00 ' + payload;
}

// ---- our Receive Maximum (incoming QoS 2 awaiting PUBREL) ----

test('5:§3.2.2.3 · 5:§3.3.4 v5: CONNACK announces our Receive Maximum = maxInflightIn (default 16: 21 00 10)', () => {
  const t = rig();
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('21 00 10'));
});

test('5:§3.2.2.3 · 5:§3.3.4 v5: CONNACK announces maxInflightIn 4 as Receive Maximum 21 00 04', () => {
  const t = rig({ maxInflightIn: 4 });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('21 00 04'));
});

test('5:§3.3.4 v5: with Receive Maximum 1 announced, a second QoS 2 PUBLISH before PUBREL gets DISCONNECT 0x93, then close', () => {
  const t = rig({ maxInflightIn: 1 });
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(toHex(t.sent('p')), '50 03 00 01 10');   // accepted (no subscriber: 0x10)
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 02 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 93 +reason');
  assert.is(t.isOpen('p'), false);
});

test('5:§3.3.4 · 5:§4.9 v5: PUBREL/PUBCOMP frees our Receive Maximum: the next QoS 2 PUBLISH is accepted', () => {
  const t = rig({ maxInflightIn: 1 });
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  t.feed('p', hex('62 02 00 01'));
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 02 00 68 69'));
  assert.is(toHex(t.sent('p')), '50 03 00 01 10 70 02 00 01 50 03 00 02 10');
  assert.ok(t.isOpen('p'));
});

test('5:§3.3.4 v5: QoS 1 PUBLISHes are answered at once and never count against our Receive Maximum', () => {
  const t = rig({ maxInflightIn: 1 });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  for (let i = 1; i <= 4; i++) t.feed('p', hex(pub1(i)));
  assert.is(toHex(t.sent('p')), '40 02 00 01 40 02 00 02 40 02 00 03 40 02 00 04');
  assert.ok(t.isOpen('p'));
});

// ---- the client's Receive Maximum (our outgoing window) ----

test('5:MQTT-4.9.0-1 · 5:MQTT-4.9.0-2 · 5:MQTT-3.3.4-9 v5: client Receive Maximum 2: two QoS 1 PUBLISH in flight, the third after a PUBACK', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { receiveMaximum: 2 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  for (let i = 1; i <= 3; i++) t.feed('p', hex(pub1(i)));
  assert.equal(t.frames('s'), [pub1(1), pub1(2)]);
  t.feed('s', hex('40 02 00 01'));
  assert.equal(t.frames('s'), [pub1(3)]);
});

test('5:§4.9 v5: a PUBREC below 0x80 does not free the slot (PUBREL pending); the PUBCOMP does', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 02 00 79 6F'));
  assert.equal(t.frames('s'), ['34 0A 00 03 61 2F 62 00 01 00 68 69']);
  t.feed('s', hex('50 02 00 01'));
  assert.equal(t.frames('s'), ['62 02 00 01']);
  t.feed('s', hex('70 02 00 01'));
  assert.equal(t.frames('s'), ['34 0A 00 03 61 2F 62 00 02 00 79 6F']);
});

test('5:§4.9 · 5:MQTT-4.4.0-2 v5: a PUBREC >= 0x80 frees the slot at once (no PUBREL), the next message goes out', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 02 00 79 6F'));
  t.sent('s');
  t.feed('s', hex('50 03 00 01 80'));
  assert.equal(t.frames('s'), ['34 0A 00 03 61 2F 62 00 02 00 79 6F']);
});

test('5:MQTT-4.9.0-1 (design) v5: the window is the smaller of the client\'s Receive Maximum (100) and maxInflight (3)', () => {
  const t = rig({ maxInflight: 3 });
  t.connected('s', { version: 5, properties: { receiveMaximum: 100 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  for (let i = 1; i <= 5; i++) t.feed('p', hex(pub1(i)));
  assert.equal(t.frames('s'), [pub1(1), pub1(2), pub1(3)]);
});

test('5:§4.9 · 5:MQTT-4.4.0-1 v5: resent messages on resume respect the new Receive Maximum 1: one DUP resend, the next after its PUBACK', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  for (let i = 1; i <= 3; i++) t.feed('p', hex(pub1(i)));
  assert.is(t.frames('s').length, 3);
  t.drop('s');
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 60, receiveMaximum: 1 } });
  const f = t.frames('s');
  assert.equal(f.slice(1), [pub1(1, '68 69', true)]);
  t.feed('s', hex('40 02 00 01'));
  assert.equal(t.frames('s'), [pub1(2, '68 69', true)]);
});

// ---- our Maximum Packet Size ----

test('5:§3.2.2.3 v5: CONNACK announces maxPacketSize 256 as Maximum Packet Size 27 00 00 01 00', () => {
  const t = rig({ maxPacketSize: 256 });
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('27 00 00 01 00'));
});

test('5:§3.2.2.3.6 v5: a PUBLISH larger than our Maximum Packet Size gets DISCONNECT 0x95, then close, not routed', () => {
  const t = rig({ maxPacketSize: 64 });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x'.repeat(100));
  assert.is(disconnectOf(t.sent('p')), 'E0 95 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.2.2.3.6 v5: a PUBLISH of exactly our Maximum Packet Size (32 bytes, limit 32) is accepted; 33 bytes get 0x95', () => {
  const t = rig({ maxPacketSize: 32 });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  const exact = '30 1E 00 03 61 2F 62 00 ' + Array(24).fill('78').join(' ');   // 2 + 30 bytes
  t.feed('p', hex(exact));
  assert.ok(t.isOpen('p'));
  assert.equal(t.frames('s'), [exact]);
  t.feed('p', hex('30 1F 00 03 61 2F 62 00 ' + Array(25).fill('78').join(' ')));   // 33 bytes
  assert.is(disconnectOf(t.sent('p')), 'E0 95 +reason');
  assert.equal(t.frames('s'), []);
});

// ---- the client's Maximum Packet Size ----

test('5:MQTT-3.1.2-25 v5: a QoS 0 message too large for the client is dropped for it, counted in stats.dropped, connection kept', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  const before = t.broker.stats.dropped;
  t.publish('p', 'a/b', 'x'.repeat(40));
  assert.equal(t.frames('s'), []);
  assert.is(t.broker.stats.dropped, before + 1);
  assert.ok(t.isOpen('s'));
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('s'), ['30 08 00 03 61 2F 62 00 68 69']);
});

test('5:MQTT-3.1.2-24 v5: a packet of exactly the client\'s Maximum Packet Size is sent (16 bytes, limit 16); 17 bytes are not', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { maximumPacketSize: 16 } });   // our CONNACK is 16 bytes
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 0E 00 03 61 2F 62 00 68 69 68 69 68 69 68 69'));      // 16 bytes out
  t.feed('p', hex('30 0F 00 03 61 2F 62 00 68 69 68 69 68 69 68 69 21'));   // 17 bytes out
  assert.equal(t.frames('s'), ['30 0E 00 03 61 2F 62 00 68 69 68 69 68 69 68 69']);
});

test('5:MQTT-3.1.2-25 v5: a QoS 1 message too large is dropped without taking a packet id: the next message gets id 1', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x'.repeat(40), 1, 1);
  t.feed('p', hex(pub1(2)));
  assert.equal(t.frames('s'), [pub1(1)]);
});

test('5:MQTT-3.1.2-25 v5: the size limit is per client: a subscriber without a limit still gets the large message', () => {
  const t = rig();
  t.connected('small', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('small', 'a/b', 0);
  t.connected('big', { version: 5 });
  t.subscribe('big', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x'.repeat(40));
  assert.equal(t.received('small'), []);
  assert.equal(t.received('big'), ['x'.repeat(40)]);
});

test('5:MQTT-3.1.2-25 v5: a message too large for the only subscriber is still acknowledged as delivered (PUBACK 40 02 00 05)', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x'.repeat(40), 1, 5);
  assert.is(toHex(t.sent('p')), '40 02 00 05');
});

test('5:MQTT-3.1.2-24 · 5:MQTT-3.14.2-3 v5: a server DISCONNECT drops its Reason String to fit the client\'s Maximum Packet Size 16', () => {
  const t = rig();
  t.connected('c', { version: 5, properties: { maximumPacketSize: 16 } });
  t.feed('c', hex('10 0D 00 04 4D 51 54 54 05 02 00 00 00 00 00'));   // a second CONNECT: Protocol Error
  const d = t.sent('c');
  assert.ok(d.length <= 16, toHex(d));
  assert.is(d[0], 0xe0);
  assert.is(d[2], 0x82);
  assert.not.ok(toHex(d).includes('1F'), toHex(d));
  assert.is(t.isOpen('c'), false);
});

test.run();
