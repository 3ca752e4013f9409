// MQTT 5.0 subscription options (No Local, Retain As Published, Retain Handling; 5.0 §3.8.3.1)
// and Subscription Identifiers (5.0 §3.8.2.1.2, §3.3.2.3.8, [5:MQTT-3.3.4-3], [5:MQTT-3.3.4-4]).
//
// Frames (hand-derived, 5.0 §3.3 / §3.8; property 0B = Subscription Identifier, a Variable Byte Integer):
//   82 0B 00 01 02 0B 05 00 03 61 2F 62 01   SUBSCRIBE id 1, Subscription Identifier 5, "a/b" QoS 1
//   30 0A 00 03 61 2F 62 02 0B 05 68 69      PUBLISH QoS 0 "a/b" with Subscription Identifier 5, "hi"
//   30 08 00 03 61 2F 62 00 68 69            PUBLISH QoS 0 "a/b", no properties

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH } from '../../core/index.js';
import type { PublishPacket } from '../../core/index.js';
import { hex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const PLAIN = '30 08 00 03 61 2F 62 00 68 69';

function publishes(t: Rig, name: string): PublishPacket[] {
  return t.packets(name).filter((p) => p.type === PUBLISH) as PublishPacket[];
}

function withPublisher(t: Rig): Rig {
  t.connected('p', { version: 5 });
  return t;
}

// ---- Subscription Identifiers ----

test('5:§3.8.2.1.2 · 5:MQTT-3.3.4-3 v5: SUBSCRIBE with Subscription Identifier 5 (bytes) gets SUBACK 90 04 00 01 00 01; messages carry 0B 05', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 0B 00 01 02 0B 05 00 03 61 2F 62 01'));
  assert.equal(t.frames('s'), ['90 04 00 01 00 01']);
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 0B 05 68 69']);
});

test('5:§3.8.2.1.2 v5: the largest Subscription Identifier, 268,435,455, is sent back as 0B FF FF FF 7F', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 268435455 });
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), ['30 0D 00 03 61 2F 62 05 0B FF FF FF 7F 68 69']);
});

test('5:MQTT-3.3.4-4 · 5:MQTT-3.3.4-3 v5: overlapping subscriptions "a/b" (id 1) and "a/+" (id 2): one copy carrying both identifiers', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 1 });
  t.subscribe5('s', 'a/+', 1, { id: 2, packetId: 2 });
  withPublisher(t).publish('p', 'a/b', 'hi', 1, 1);
  const p = publishes(t, 's');
  assert.is(p.length, 1);
  assert.is(p[0].qos, 1, 'the highest granted QoS [5:MQTT-3.3.4-2]');
  assert.equal([...(p[0].properties?.subscriptionIdentifier ?? [])].sort(), [1, 2]);
});

test('5:MQTT-3.3.4-3 v5: overlapping "a/b" (id 7) and "a/#" (no identifier): one copy with only 0B 07', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 7 });
  t.subscribe5('s', 'a/#', 0, { packetId: 2 });
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 0B 07 68 69']);
});

test('5:§3.8.2.1.2 v5: one SUBSCRIBE with two filters and identifier 4 stores 4 with both subscriptions', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.send('s', {
    type: 8, packetId: 1, properties: { subscriptionIdentifier: [4] },
    subscriptions: [
      { topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: 'c/d', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
  });
  assert.equal(t.frames('s'), ['90 05 00 01 00 00 00']);
  withPublisher(t).feed('p', hex(PLAIN));
  t.feed('p', hex('30 08 00 03 63 2F 64 00 68 69'));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 0B 04 68 69', '30 0A 00 03 63 2F 64 02 0B 04 68 69']);
});

test('5:§3.8.2.1.2 · 5:MQTT-3.8.4-3 v5: re-subscribing with identifier 3 replaces identifier 5', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 3, packetId: 2 });
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 0B 03 68 69']);
});

test('5:§3.8.2.1.2 · 5:MQTT-3.8.4-3 v5: re-subscribing without an identifier removes it (messages carry none)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { id: 5 });
  t.subscribe5('s', 'a/b', 0, { packetId: 2 });
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), [PLAIN]);
});

test('5:MQTT-3.3.4-3 · 5:MQTT-3.3.1-9 v5: the retained replay carries the subscription\'s identifier (31 0A ... 0B 09 ...)', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: { subscriptionIdentifier: [9] }, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31 0A 00 03 61 2F 62 02 0B 09 68 69']);
});

test('5:§4.1 v5: the Subscription Identifier is session state: a message queued while offline carries it on resume', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe5('s', 'a/b', 1, { id: 6 });
  t.drop('s');
  withPublisher(t).feed('p', hex('32 0A 00 03 61 2F 62 00 01 00 68 69'));
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  const f = t.frames('s');
  assert.is(f[1], '32 0C 00 03 61 2F 62 00 01 02 0B 06 68 69');
});

test('5:MQTT-3.3.4-3 (mixed versions) v5: one subscriber\'s identifier never reaches another subscriber', () => {
  const t = rig();
  t.connected('s1', { version: 5 });
  t.subscribe5('s1', 'a/b', 0, { id: 1 });
  t.connected('s2', { version: 5 });
  t.subscribe5('s2', 'a/b', 0);
  withPublisher(t).feed('p', hex(PLAIN));
  assert.equal(t.frames('s1'), ['30 0A 00 03 61 2F 62 02 0B 01 68 69']);
  assert.equal(t.frames('s2'), [PLAIN]);
});

// ---- No Local ----

test('5:MQTT-3.8.3-3 v5: No Local: the publisher does not get its own message, another subscriber does', () => {
  const t = rig();
  t.connected('me', { version: 5 });
  t.subscribe5('me', 'a/b', 0, { nl: true });
  t.connected('other', { version: 5 });
  t.subscribe5('other', 'a/b', 0, { nl: true });
  t.feed('me', hex(PLAIN));
  assert.equal(t.frames('me'), []);
  assert.equal(t.frames('other'), [PLAIN]);
});

test('5:MQTT-3.8.3-3 v5: No Local 0: a publisher subscribed to its own topic gets its message back', () => {
  const t = rig();
  t.connected('me', { version: 5 });
  t.subscribe5('me', 'a/b', 0, { nl: false });
  t.feed('me', hex(PLAIN));
  assert.equal(t.frames('me'), [PLAIN]);
});

test('5:MQTT-3.8.3-3 v5: No Local is by client id: after reconnecting, the same client\'s messages are still not sent back', () => {
  const t = rig();
  t.connected('me', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe5('me', 'a/b', 0, { nl: true });
  t.drop('me');
  t.connected('me', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.feed('me', hex(PLAIN));
  assert.equal(t.frames('me'), []);
});

test('5:MQTT-3.8.3-4 v5: No Local on a shared subscription (82 11 ... options 04) gets DISCONNECT 0x82', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  // SUBSCRIBE id 1, no properties, "$share/g/a/b" (12 bytes), options 0x04 (No Local, QoS 0)
  t.feed('s', hex('82 12 00 01 00 00 0C 24 73 68 61 72 65 2F 67 2F 61 2F 62 04'));
  assert.is(disconnectOf(t.sent('s')), 'E0 82 +reason');
  assert.is(t.isOpen('s'), false);
});

// ---- Retain As Published / Retain Handling ----

test('5:§3.3.1.3 · 4:MQTT-3.3.1-8 v5: a retained replay carries RETAIN 1 even with Retain As Published 0', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rap: false });
  assert.equal(t.frames('s'), ['31 08 00 03 61 2F 62 00 68 69']);
});

test('5:MQTT-3.3.1-12 v5: Retain As Published 0: a live retained PUBLISH is forwarded with RETAIN 0 (30 08 ...)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rap: false });
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('s'), [PLAIN]);
});

test('5:MQTT-3.3.1-13 v5: Retain As Published 1: a live retained PUBLISH is forwarded with RETAIN 1 (31 08 ...)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rap: true });
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('s'), ['31 08 00 03 61 2F 62 00 68 69']);
});

test('5:MQTT-3.3.1-10 v5: Retain Handling 1 on a new subscription sends the retained message', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rh: 1 });
  assert.equal(t.frames('s'), ['31 08 00 03 61 2F 62 00 68 69']);
});

test('5:MQTT-3.3.1-10 v5: Retain Handling 1 on an existing subscription sends nothing', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rh: 1 });
  t.frames('s');
  t.subscribe5('s', 'a/b', 0, { rh: 1, packetId: 2 });
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.3.1-11 v5: Retain Handling 2 sends no retained message but live messages still arrive', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rh: 2 });
  assert.equal(t.frames('s'), []);
  t.feed('p', hex(PLAIN));
  assert.equal(t.frames('s'), [PLAIN]);
});

test('5:MQTT-3.8.4-4 v5: re-subscribing with Retain Handling 0 re-sends the retained message', () => {
  const t = rig();
  withPublisher(t).feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('s', { version: 5 });
  t.subscribe5('s', 'a/b', 0, { rh: 0 });
  t.frames('s');
  t.subscribe5('s', 'a/b', 1, { rh: 0, packetId: 2 });
  assert.equal(t.frames('s'), ['31 08 00 03 61 2F 62 00 68 69']);
});

test.run();
