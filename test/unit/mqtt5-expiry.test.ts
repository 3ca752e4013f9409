// MQTT 5.0 Message Expiry Interval (5.0 §3.3.2.3.3, [5:MQTT-3.3.2-5], [5:MQTT-3.3.2-6],
// [5:MQTT-4.3.3-7], [5:MQTT-4.3.3-13]): messages waiting in the broker count down on the
// fake clock, expired copies are not delivered (broker.stats.expired), the remaining
// interval is what the subscriber is told, retained messages expire too.
//
// Frames (hand-derived, 5.0 §3.3; property 02 = Message Expiry Interval, Four Byte Integer):
//   32 0F 00 03 61 2F 62 00 01 05 02 00 00 00 05 68 69   PUBLISH QoS 1 id 1 "a/b", expiry 5 s, "hi"
//   30 0D 00 03 61 2F 62 05 02 00 00 00 05 68 69         PUBLISH QoS 0 "a/b", expiry 5 s, "hi"

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const PUB1_EXP5 = '32 0F 00 03 61 2F 62 00 01 05 02 00 00 00 05 68 69';

/** A 5.0 subscriber to "a/b" at `qos` with a session that outlives its connection, now offline. */
function offlineSubscriber(t: Rig, version = 5, qos: 0 | 1 | 2 = 1): void {
  if (version === 5) t.connected('s', { version: 5, properties: { sessionExpiryInterval: 3600 } });
  else t.connected('s', { version: 4, clean: false });
  t.subscribe('s', 'a/b', qos);
  t.drop('s');
}

function reconnect(t: Rig, version = 5): string[] {
  t.connect('s', version === 5 ? { version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } } : { version: 4, clean: false });
  return t.frames('s');
}

test('5:MQTT-3.3.2-6 v5: delivered at once, the Message Expiry Interval is forwarded as received (30 0D ... 02 00 00 00 05 ...)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 0D 00 03 61 2F 62 05 02 00 00 00 05 68 69'));
  assert.equal(t.frames('s'), ['30 0D 00 03 61 2F 62 05 02 00 00 00 05 68 69']);
});

test('5:MQTT-3.3.2-6 v5: queued 2 s for an offline session, the message goes out with 3 s left (02 00 00 00 03)', () => {
  const t = rig();
  offlineSubscriber(t);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(2000);
  const f = reconnect(t);
  assert.is(f.length, 2);
  assert.is(f[1], '32 0F 00 03 61 2F 62 00 01 05 02 00 00 00 03 68 69');
});

test('5:MQTT-3.3.2-6 v5: the remaining interval is rounded up to whole seconds (4.5 s waited of 5: 1 s left)', () => {
  const t = rig();
  offlineSubscriber(t);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(4500);
  const f = reconnect(t);
  assert.is(f[1], '32 0F 00 03 61 2F 62 00 01 05 02 00 00 00 01 68 69');
});

test('5:MQTT-3.3.2-5 v5: a message whose expiry passed while queued for an offline session is not delivered, counted in stats.expired', () => {
  const t = rig();
  offlineSubscriber(t);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(6000);
  const f = reconnect(t);
  assert.is(f.length, 1, 'only the CONNACK: ' + JSON.stringify(f));
  assert.is(f[0].slice(0, 2), '20');
  assert.is(t.broker.stats.expired, 1);
});

test('5:MQTT-3.3.2-5 v5: each subscriber\'s copy expires on its own: two offline sessions count 2 in stats.expired', () => {
  const t = rig();
  for (const name of ['s1', 's2']) {
    t.connected(name, { version: 5, properties: { sessionExpiryInterval: 3600 } });
    t.subscribe(name, 'a/b', 1);
    t.drop(name);
  }
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(6000);
  t.connected('s1', { version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
  t.connected('s2', { version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
  assert.equal(t.frames('s1'), []);
  assert.equal(t.frames('s2'), []);
  assert.is(t.broker.stats.expired, 2);
});

test('5:MQTT-3.3.2-5 v5: a message waiting behind a full Receive Maximum window expires there and is never sent', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'first', 1, 1);
  t.feed('p', hex('32 0F 00 03 61 2F 62 00 02 05 02 00 00 00 02 68 69'));   // expiry 2 s, id 2
  assert.equal(t.received('s'), ['first']);
  t.advance(3000);
  t.feed('s', hex('40 02 00 01'));   // PUBACK frees the window
  assert.equal(t.frames('s'), []);
  assert.is(t.broker.stats.expired, 1);
});

test('5:MQTT-3.3.2-5 (mixed versions) v4: a 5.0 message with an expiry queued for an offline 3.1.1 session expires too', () => {
  const t = rig();
  offlineSubscriber(t, 4);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(6000);
  const f = reconnect(t, 4);
  assert.equal(f, ['20 02 01 00']);
  assert.is(t.broker.stats.expired, 1);
});

test('(mixed versions) 5:MQTT-3.3.2-6 v4: a 3.1.1 subscriber gets the waiting message without properties (32 09 00 03 61 2F 62 00 01 68 69)', () => {
  const t = rig();
  offlineSubscriber(t, 4);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  t.advance(2000);
  assert.equal(reconnect(t, 4), ['20 02 01 00', '32 09 00 03 61 2F 62 00 01 68 69']);
});

test('5:§3.3.2.3.3 v5: a message without Message Expiry Interval never expires (one hour queued, sent with no expiry)', () => {
  const t = rig();
  offlineSubscriber(t);
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 01 00 68 69'));
  t.advance(3600 * 1000 - 1000);
  const f = reconnect(t);
  assert.is(f[1], '32 0A 00 03 61 2F 62 00 01 00 68 69');
  assert.is(t.broker.stats.expired, 0);
});

test('5:§3.3.2.3.3 · 5:MQTT-3.3.2-6 v5: a retained message replayed 3 s later carries its remaining 2 s (31 0D ... 02 00 00 00 02 ...)', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 0D 00 03 61 2F 62 05 02 00 00 00 05 68 69'));
  t.advance(3000);
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31 0D 00 03 61 2F 62 05 02 00 00 00 02 68 69']);
});

test('5:§3.3.2.3.3 v5: a retained message whose expiry has passed is not replayed to a new subscriber', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 0D 00 03 61 2F 62 05 02 00 00 00 05 68 69'));
  t.advance(6000);
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00']);
});

test('5:§3.3.2.3.3 v5: an expired retained message does not hide a newer retained one on the same topic', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 0D 00 03 61 2F 62 05 02 00 00 00 01 68 69'));   // expiry 1 s
  t.advance(2000);
  t.feed('p', hex('31 08 00 03 61 2F 62 00 79 6F'));                 // "yo", no expiry
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31 08 00 03 61 2F 62 00 79 6F']);
});

test('5:MQTT-4.3.3-7 v5: a QoS 2 message already sent is not expired: resent on resume (DUP 1, same id) after its expiry passed', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 3600 } });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0F 00 03 61 2F 62 00 01 05 02 00 00 00 02 68 69'));   // QoS 2, expiry 2 s
  const first = t.frames('s');
  assert.is(first.length, 1);
  assert.is(first[0].slice(0, 2), '34');
  t.drop('s');
  t.advance(5000);
  const f = reconnect(t);
  assert.is(f.length, 2);
  const resent = hex(f[1]);
  assert.is(resent[0], 0x3c, 'PUBLISH QoS 2 with DUP 1');
  assert.is(toHex(resent.subarray(2, 9)), '00 03 61 2F 62 00 01', 'same topic and packet id');
  assert.is(t.broker.stats.expired, 0);
});

test('5:MQTT-4.3.3-13 v5: outgoing QoS 2: a PUBREC after the message expired still gets PUBREL 62 02 00 01', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0F 00 03 61 2F 62 00 01 05 02 00 00 00 01 68 69'));
  t.sent('s');
  t.advance(5000);
  t.feed('s', hex('50 02 00 01'));
  assert.is(toHex(t.sent('s')), '62 02 00 01');
});

test('5:MQTT-4.3.3-13 v5: incoming QoS 2: a PUBREL after the message expired still gets PUBCOMP 70 02 00 05', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0F 00 03 61 2F 62 00 05 05 02 00 00 00 01 68 69'));
  assert.is(toHex(t.sent('p')), '50 02 00 05');
  t.advance(5000);
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '70 02 00 05');
});

test('5:MQTT-3.3.2-5 v5: a QoS 1 message already sent is not deleted by expiry: resent on resume with DUP 1', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 3600 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.feed('p', hex(PUB1_EXP5));
  assert.is(t.frames('s').length, 1);
  t.drop('s');
  t.advance(10000);
  const f = reconnect(t);
  assert.is(f.length, 2);
  assert.is(hex(f[1])[0], 0x3a, 'PUBLISH QoS 1 with DUP 1');
});

test.run();
