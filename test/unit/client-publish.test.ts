// The client role sending: QoS 1/2 as the sender (4.3.2, 4.3.3), the in-flight window, the
// queue while the server is away, resends on reconnect, and what the server allows (5.0
// §3.2.2.3). Bytes and a fake clock (test/helpers/client-rig.ts).
//
// Frames (3.1.1 §3.3-3.7):
//   32 06 00 01 74 00 0N 78      PUBLISH QoS 1 id N, topic "t", payload "x" (3A: the same with DUP)
//   34 06 00 01 74 00 0N 78      PUBLISH QoS 2 id N (3C: with DUP)
//   30 04 00 01 74 78            PUBLISH QoS 0 "t" "x"
//   40 02 00 0N / 50 02 00 0N / 62 02 00 0N / 70 02 00 0N   PUBACK / PUBREC / PUBREL / PUBCOMP id N

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientRig } from '../helpers/client-rig.js';

test('4:MQTT-2.3.1-2 each new QoS 1 PUBLISH takes an unused non-zero Packet Identifier', () => {
  const r = new ClientRig().connected();
  r.publish('t', 'x', 1);
  r.publish('t', 'x', 1);
  assert.is(r.sent(), '32 06 00 01 74 00 01 78 32 06 00 01 74 00 02 78');
});

test('4:MQTT-4.3.2-1 a QoS 1 message is complete on PUBACK; the application is told once', () => {
  const r = new ClientRig().connected();
  const token = r.publish('t', 'x', 1);
  r.sent();
  r.feed('40 02 00 01');
  assert.equal(r.published, [[token, 0]]);
  r.feed('40 02 00 01');   // a repeated PUBACK is ignored
  assert.equal(r.published, [[token, 0]]);
  assert.ok(r.isOpen());
  assert.is(r.client.queuedMessages(), 0);
});

test('4:MQTT-4.3.3-1 QoS 2: PUBREC is answered with PUBREL, PUBCOMP completes the message', () => {
  const r = new ClientRig().connected();
  const token = r.publish('t', 'x', 2);
  assert.is(r.sent(), '34 06 00 01 74 00 01 78');
  r.feed('50 02 00 01');
  assert.is(r.sent(), '62 02 00 01');
  assert.equal(r.published, []);
  r.feed('70 02 00 01');
  assert.equal(r.published, [[token, 0]]);
});

test('5:MQTT-3.3.4-7 no more QoS 1/2 messages in flight than the server\'s Receive Maximum; the next goes on PUBACK', () => {
  const r = new ClientRig({ version: 5 }).connected(false, '03 21 00 02');   // Receive Maximum 2
  r.publish('t', 'a', 1);
  r.publish('t', 'b', 1);
  r.publish('t', 'c', 1);
  assert.is(r.sent().split('32 ').length - 1, 2);
  r.feed('40 02 00 01');
  assert.is(r.sent(), '32 07 00 01 74 00 03 00 63');   // 5.0: a Property Length 0 before the payload
});

test('5:MQTT-3.3.4-8 a full window does not hold packets other than PUBLISH (SUBSCRIBE goes at once)', () => {
  const r = new ClientRig({ maxInflight: 1 }).connected();
  r.publish('t', 'a', 1);
  r.publish('t', 'b', 1);
  r.sent();
  const id = r.client.subscribe([{ topicFilter: 's', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, r.now);
  assert.is(id, 2);   // the queued message takes an id only when it goes in flight
  assert.is(r.sent(), '82 06 00 02 00 01 73 01');
});

test('4:MQTT-4.4.0-1 · 4:MQTT-3.3.1-1 on a resumed session unacknowledged PUBLISH go again with DUP and their ids, in order; PUBREL for PUBREC\'d ones', () => {
  const r = new ClientRig({ cleanStart: false }).connected();
  r.publish('t', 'x', 1);
  r.publish('t', 'x', 2);
  r.publish('t', 'x', 2);
  r.sent();
  r.feed('50 02 00 02');   // PUBREC for the first QoS 2
  r.sent();
  r.client.closed(r.now);
  r.connected(true);
  assert.is(r.sent(), '3A 06 00 01 74 00 01 78 62 02 00 02 3C 06 00 01 74 00 03 78');
});

test('5:MQTT-3.2.2-5 Session Present 0 after a reconnect: unacknowledged messages go again as new ones (DUP 0); a PUBREC\'d QoS 2 is complete', () => {
  const r = new ClientRig({ cleanStart: false }).connected();
  r.publish('t', 'x', 1);
  const q2 = r.publish('t', 'x', 2);
  r.sent();
  r.feed('50 02 00 02');
  r.sent();
  r.client.closed(r.now);
  r.connected(false);
  assert.equal(r.published, [[q2, 0]]);
  assert.is(r.sent(), '32 06 00 01 74 00 03 78');   // new id, DUP 0
  assert.is(r.client.stats.requeued, 1);
});

test('(design) messages published while disconnected wait and go in order once connected', () => {
  const r = new ClientRig();
  r.publish('t', 'a', 1);
  r.publish('t', 'b', 2);
  r.connected();
  assert.is(r.sent(), '32 06 00 01 74 00 01 61 34 06 00 01 74 00 02 62');
});

test('(design) QoS 0 while disconnected is dropped and counted, unless queueQoS0', () => {
  const r = new ClientRig();
  assert.is(r.publish('t', 'x', 0), -1);
  assert.is(r.client.stats.dropped, 1);
  const q = new ClientRig({ queueQoS0: true });
  q.publish('t', 'x', 0);
  q.connected();
  assert.is(q.sent(), '30 04 00 01 74 78');
});

test('(design) the queue is bounded in bytes: queued QoS 0 goes first, then the oldest; each counted and told', () => {
  const one = 1 + 1 + 80;   // topic, payload, entry
  const r = new ClientRig({ queueQoS0: true, maxQueuedBytes: one * 3 });
  const a = r.publish('t', 'a', 1);
  const b = r.publish('t', 'b', 0);
  r.publish('t', 'c', 1);
  r.publish('t', 'd', 1);   // full: b (QoS 0) goes
  r.publish('t', 'e', 1);   // full: a (the oldest) goes
  assert.equal(r.published, [[b, 0x97], [a, 0x97]]);
  assert.is(r.client.stats.dropped, 2);
  assert.is(r.client.queuedBytes(), one * 3);
  r.connected();
  assert.is(r.sent(), '32 06 00 01 74 00 01 63 32 06 00 01 74 00 02 64 32 06 00 01 74 00 03 65');
});

test('(design) a full queue of QoS 1/2 only: each new message pushes out the oldest, told 0x97', () => {
  const r = new ClientRig({ maxQueued: 3 });
  const t = ['a', 'b', 'c', 'd', 'e'].map((p) => r.publish('t', p, 1));
  assert.equal(r.published, [[t[0], 0x97], [t[1], 0x97]]);
  r.connected();
  assert.is(r.sent(), '32 06 00 01 74 00 01 63 32 06 00 01 74 00 02 64 32 06 00 01 74 00 03 65');
});

test('(design) the queue is bounded in messages (maxQueued)', () => {
  const r = new ClientRig({ maxQueued: 2 });
  r.publish('t', 'a', 1);
  r.publish('t', 'b', 1);
  r.publish('t', 'c', 1);
  r.connected();
  assert.is(r.sent(), '32 06 00 01 74 00 01 62 32 06 00 01 74 00 02 63');
});

test('(design) a topic that is not a Topic Name is refused at publish()', () => {
  const r = new ClientRig().connected();
  assert.is(r.publish('a/+', 'x', 1), -1);
  assert.is(r.publish('', 'x', 1), -1);
  assert.is(r.sent(), '');
});

test('5:MQTT-3.2.2-11 never above the server\'s Maximum QoS: a QoS 2 message goes at QoS 1', () => {
  const r = new ClientRig({ version: 5 }).connected(false, '02 24 01');   // Maximum QoS 1
  r.publish('t', 'x', 2);
  assert.is(r.sent(), '32 07 00 01 74 00 01 00 78');
});

test('5:MQTT-3.2.2-14 no RETAIN to a server without Retain Available', () => {
  const r = new ClientRig({ version: 5 }).connected(false, '02 25 00');   // Retain Available 0
  r.publish('t', 'x', 0, true);
  assert.is(r.sent(), '30 05 00 01 74 00 78');
});

test('5:MQTT-3.2.2-15 a message over the server\'s Maximum Packet Size is not sent: dropped, told 0x95, the next goes', () => {
  const r = new ClientRig({ version: 5 }).connected(false, '05 27 00 00 00 10');   // Maximum Packet Size 16
  const big = r.publish('t', 'x'.repeat(20), 1);
  r.publish('t', 'y', 1);
  assert.equal(r.published, [[big, 0x95]]);
  assert.is(r.sent(), '32 07 00 01 74 00 01 00 79');
});

test('5:MQTT-4.4.0-2 a PUBACK >= 0x80 ends the message (told with its code), never resent', () => {
  const r = new ClientRig({ version: 5, cleanStart: false }).connected();
  const t = r.publish('t', 'x', 1);
  r.sent();
  r.feed('40 03 00 01 87');
  assert.equal(r.published, [[t, 0x87]]);
  assert.is(r.client.stats.refused, 1);
  r.client.closed(r.now);
  r.connected(true);
  assert.is(r.sent(), '');
});

test('5:MQTT-4.3.3-4 a PUBREC >= 0x80 ends a QoS 2 message: no PUBREL', () => {
  const r = new ClientRig({ version: 5 }).connected();
  const t = r.publish('t', 'x', 2);
  r.sent();
  r.feed('50 03 00 01 97');
  assert.is(r.sent(), '');
  assert.equal(r.published, [[t, 0x97]]);
});

test('4:§4.3.2 a PUBACK for a QoS 2 message is a protocol error: closed', () => {
  const r = new ClientRig().connected();
  r.publish('t', 'x', 2);
  r.feed('40 02 00 01');
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x82);
});

test('5:§3.6.2.1 a PUBREC for an id not in flight gets PUBREL 0x92', () => {
  const r = new ClientRig({ version: 5 }).connected();
  r.feed('50 02 00 09');
  assert.is(r.sent(), '62 03 00 09 92');
});

test('(design) while the transport is full no PUBLISH is written; they go on writable()', () => {
  const r = new ClientRig().connected();
  r.transport.full = true;
  r.publish('t', 'a', 1);   // written, and the transport says full
  r.publish('t', 'b', 1);
  assert.is(r.sent(), '32 06 00 01 74 00 01 61');
  r.transport.full = false;
  r.client.writable(r.now);
  assert.is(r.sent(), '32 06 00 01 74 00 02 62');
});

test('5:MQTT-3.3.2-9 Topic Aliases only within the server\'s Topic Alias Maximum: the second PUBLISH to a topic has the alias only', () => {
  const r = new ClientRig({ version: 5, topicAliasesOut: 4 }).connected(false, '03 22 00 01');   // Topic Alias Maximum 1
  r.publish('t', 'a', 0);
  r.publish('t', 'b', 0);
  r.publish('u', 'c', 0);   // no alias left: the Topic Name
  assert.is(r.sent(), '30 08 00 01 74 03 23 00 01 61 30 07 00 00 03 23 00 01 62 30 05 00 01 75 00 63');
});

test('5:§3.3.2.3.3 the Message Expiry Interval counts from publish(): a message that waited 25 s goes with what is left (35 of 60)', () => {
  const r = new ClientRig({ version: 5 });
  r.publish('t', 'x', 1, false, { messageExpiryInterval: 60 });
  r.advance(25_000);
  r.connected();
  assert.is(r.client.stats.messagesOut, 1);
  const frames = r.transport.written.map((f) => Array.from(f));
  const publish = frames.find((f) => (f[0] & 0xf0) === 0x30) as number[];
  // 32 RL 00 01 74 00 01 | properties: 05 02 00 00 00 23 (Message Expiry Interval 35) | 78
  assert.equal(publish.slice(7, 13), [0x05, 0x02, 0x00, 0x00, 0x00, 0x23]);
});

test('5:§3.3.2.3.3 a message that expires while it waits is not sent: dropped, told 0x97', () => {
  const r = new ClientRig({ version: 5 });
  const token = r.publish('t', 'x', 1, false, { messageExpiryInterval: 5 });
  r.advance(5_000);
  r.connected();
  assert.is(r.client.stats.messagesOut, 0);
  assert.equal(r.published, [[token, 0x97]]);
});

test.run();
