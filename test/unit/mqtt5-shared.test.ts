// MQTT 5.0 shared subscriptions `$share/{ShareName}/{filter}` (5.0 §4.8.2, checklist 1.21):
// one member per message, round robin among online members with room; no retained replay;
// a member's unfinished QoS 1 and queued messages move on when its session ends, QoS 2
// already sent stays [5:MQTT-4.8.2-5].
//
// Frames (hand-derived, 5.0 §3.3): PUBLISH QoS 1 id N "a/b" with one-byte payload P:
//   32 09 00 03 61 2F 62 00 0N 00 PP

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

function group(t: Rig, names: string[], qos: 0 | 1 | 2 = 1, filter = '$share/g/a/b', props: Record<string, number> = {}): void {
  for (const n of names) {
    t.connected(n, { version: 5, properties: Object.keys(props).length ? props : null });
    assert.equal(t.subscribe5(n, filter, qos), [qos]);
  }
  t.connected('p', { version: 5 });
}

/** The member that got the one message published so far (and its payloads), the other member. */
function holder(t: Rig): [string, string] {
  const a = t.received('a');
  const b = t.received('b');
  assert.is(a.length + b.length, 1, 'exactly one member got it: a ' + JSON.stringify(a) + ' b ' + JSON.stringify(b));
  return a.length === 1 ? ['a', 'b'] : ['b', 'a'];
}

function publishN(t: Rig, n: number, qos: 0 | 1 | 2 = 1): void {
  for (let i = 0; i < n; i++) t.publish('p', 'a/b', 'm' + i, qos, qos === 0 ? 0 : i + 1);
}

test('5:§4.8.2 v5: QoS 1: each message goes to exactly one member, round robin: m0,m2 to one, m1,m3 to the other', () => {
  const t = rig();
  group(t, ['a', 'b']);
  publishN(t, 4);
  assert.equal(t.received('a'), ['m0', 'm2']);
  assert.equal(t.received('b'), ['m1', 'm3']);
});

test('5:§4.8.2 v5: QoS 0: each message goes to exactly one member, round robin: m0,m2 to one, m1,m3 to the other', () => {
  const t = rig();
  group(t, ['a', 'b'], 0);
  publishN(t, 4, 0);
  assert.equal(t.received('a'), ['m0', 'm2']);
  assert.equal(t.received('b'), ['m1', 'm3']);
});

test('5:§4.8.2 v5: QoS 1 with three members: six messages, each delivered once, two to each member', () => {
  const t = rig();
  group(t, ['a', 'b', 'c']);
  publishN(t, 6);
  const got = ['a', 'b', 'c'].map((n) => t.received(n));
  assert.equal(got.flat().sort(), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  assert.equal(got.map((g) => g.length), [2, 2, 2]);
});
test('5:§4.8.2 v5: the $share/{name}/ prefix is ignored for matching: "$share/g/a/+" gets "a/b"', () => {
  const t = rig();
  group(t, ['a'], 0, '$share/g/a/+');
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('a'), ['30 08 00 03 61 2F 62 00 68 69']);
});

test('5:MQTT-4.8.2-2 v5: "$share/g//finance" is valid and matches "/finance"', () => {
  const t = rig();
  group(t, ['a'], 0, '$share/g//finance');
  t.publish('p', '/finance', 'x');
  assert.equal(t.received('a'), ['x']);
});

test('5:§4.8.2 v5: two share names on one filter are two shared subscriptions: each gets every message once', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.subscribe5('a', '$share/g1/a/b', 0);
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g2/a/b', 0);
  t.connected('p', { version: 5 });
  publishN(t, 2, 0);
  assert.equal(t.received('a'), ['m0', 'm1']);
  assert.equal(t.received('b'), ['m0', 'm1']);
});

test('5:§4.8.2 v5: an ordinary subscription overlapping a shared one gets its own copy', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.subscribe5('a', '$share/g/a/b', 0);
  t.subscribe5('a', 'a/#', 0, { packetId: 2 });
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 0);
  t.connected('p', { version: 5 });
  publishN(t, 2, 0);
  // "a" gets both through a/# and one of the two through the group; "b" the other one.
  assert.equal(t.received('a').sort(), ['m0', 'm0', 'm1']);
  assert.equal(t.received('b'), ['m1']);
});

test('5:§3.8.4 · 5:§4.8.2 v5: joining a shared subscription sends no retained messages', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 08 00 03 61 2F 62 00 68 69'));
  t.connected('a', { version: 5 });
  assert.equal(t.subscribe5('a', '$share/g/a/b', 1), [1]);
  assert.equal(t.frames('a'), []);
});

test('5:MQTT-4.8.2-3 v5: each member gets the QoS granted to it (QoS 0 member: 30 ..., QoS 1 member: 32 ...)', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.subscribe5('a', '$share/g/a/b', 0);
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 1);
  t.connected('p', { version: 5 });
  for (let i = 1; i <= 4; i++) t.feed('p', hex('32 09 00 03 61 2F 62 00 0' + i + ' 00 3' + i));
  const fa = t.frames('a');
  const fb = t.frames('b');
  assert.is(fa.length + fb.length, 4);
  for (const f of fa) assert.ok(/^30 07 00 03 61 2F 62 00 3[1-4]$/.test(f), 'QoS 0 form to a: ' + f);
  for (const f of fb) assert.ok(/^32 09 00 03 61 2F 62 00 0[1-4] 00 3[1-4]$/.test(f), 'QoS 1 form to b: ' + f);
});
test('5:§4.8.2 v5: a member without room (window and queue full) is skipped: nothing is held or lost while another member has room', () => {
  const t = rig({ maxQueued: 1 });
  t.connected('a', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe5('a', '$share/g/a/b', 1);
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 1);
  t.connected('p', { version: 5 });
  publishN(t, 6);
  assert.is(toHex(t.sent('p')), '40 02 00 01 40 02 00 02 40 02 00 03 40 02 00 04 40 02 00 05 40 02 00 06');
  const a1 = t.received('a');
  assert.ok(a1.length <= 1, 'a has a window of 1: ' + JSON.stringify(a1));
  t.feed('a', hex('40 02 00 01'));
  const all = [...a1, ...t.received('a'), ...t.received('b')].sort();
  assert.equal(all, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
});
test('5:§4.8.2 v5: an online member is preferred to an offline persistent one', () => {
  const t = rig();
  t.connected('off', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe5('off', '$share/g/a/b', 1);
  t.drop('off');
  group(t, ['on']);
  publishN(t, 3);
  assert.equal(t.received('on'), ['m0', 'm1', 'm2']);
  t.connect('off', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.equal(t.received('off'), []);
});
test('5:§4.8.2 v5: with every member offline, the message is queued for one of them', () => {
  const t = rig();
  t.connected('off', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe5('off', '$share/g/a/b', 1);
  t.drop('off');
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'kept', 1, 1);
  assert.is(toHex(t.sent('p')), '40 02 00 01');
  t.connect('off', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.equal(t.received('off'), ['kept']);
});
test('5:MQTT-4.8.2-5 · 5:§4.8.2 v5: a QoS 1 message in flight to a member whose session ends goes to another member', () => {
  const t = rig();
  group(t, ['a', 'b']);
  t.publish('p', 'a/b', 'm0', 1, 1);
  const [got, other] = holder(t);
  t.drop(got);                          // session expiry 0: the session ends now
  assert.equal(t.received(other), ['m0']);
});
test('5:§4.8.2 v5: QoS 1 messages queued (window full) for a member whose session ends go to another member, in order', () => {
  const t = rig();
  t.connected('a', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe5('a', '$share/g/a/b', 1);
  t.connected('p', { version: 5 });
  publishN(t, 3);                       // m0 in flight to a, m1 and m2 queued behind its window
  assert.equal(t.received('a'), ['m0']);
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 1);
  t.drop('a');
  assert.equal(t.received('b'), ['m0', 'm1', 'm2']);
});
test('5:MQTT-4.8.2-5 v5: a QoS 2 message already sent to a member whose session ends is not given to another member', () => {
  const t = rig();
  group(t, ['a', 'b'], 2);
  t.publish('p', 'a/b', 'q2', 2, 1);
  const [got, other] = holder(t);
  t.drop(got);
  assert.equal(t.received(other), []);
});
test('5:MQTT-4.8.2-4 v5: a QoS 2 delivery interrupted by a dropped connection is completed to the same member on reconnect', () => {
  const t = rig();
  group(t, ['a', 'b'], 2, '$share/g/a/b', { sessionExpiryInterval: 60 });
  t.publish('p', 'a/b', 'q2', 2, 1);
  const [got, other] = holder(t);
  t.drop(got);
  t.connect(got, { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  const f = t.frames(got);
  assert.is(f[1], '3C 0A 00 03 61 2F 62 00 01 00 71 32');
  assert.equal(t.received(other), []);
});
test('5:MQTT-4.8.2-6 v5: a member answering PUBACK 0x80: the message is dropped, not offered to another member', () => {
  const t = rig();
  group(t, ['a', 'b']);
  t.publish('p', 'a/b', 'm0', 1, 1);
  const [got, other] = holder(t);
  t.feed(got, hex('40 03 00 01 80'));
  t.drop(got);
  assert.equal(t.received(other), []);
});
test('5:§4.8.2 v5: re-subscribing to the same shared filter does not add a second membership', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.subscribe5('a', '$share/g/a/b', 0);
  t.subscribe5('a', '$share/g/a/b', 0, { packetId: 2 });
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 0);
  t.connected('p', { version: 5 });
  publishN(t, 4, 0);
  assert.equal(t.received('a'), ['m0', 'm2']);
  assert.equal(t.received('b'), ['m1', 'm3']);
});

test('5:§3.10.4 · 5:§4.8.2 v5: UNSUBSCRIBE "$share/g/a/b" leaves the group (UNSUBACK B0 04 00 02 00 00); the rest go to the other member', () => {
  const t = rig();
  group(t, ['a', 'b'], 0);
  t.send('a', { type: 10, packetId: 2, properties: null, topicFilters: ['$share/g/a/b'] });
  assert.is(toHex(t.sent('a')), 'B0 04 00 02 00 00');
  publishN(t, 3, 0);
  assert.equal(t.received('a'), []);
  assert.equal(t.received('b'), ['m0', 'm1', 'm2']);
});

test('5:§3.10.4 v5: UNSUBSCRIBE "a/b" does not leave "$share/g/a/b" (UNSUBACK 0x11)', () => {
  const t = rig();
  group(t, ['a'], 0);
  t.send('a', { type: 10, packetId: 2, properties: null, topicFilters: ['a/b'] });
  assert.is(toHex(t.sent('a')), 'B0 04 00 02 00 11');
  publishN(t, 1, 0);
  assert.equal(t.received('a'), ['m0']);
});

test('5:§4.8.2 v5: the shared subscription ends with its last member: a QoS 1 publish then has no subscribers (PUBACK 0x10)', () => {
  const t = rig();
  group(t, ['a'], 1);
  t.drop('a');
  t.publish('p', 'a/b', 'x', 1, 5);
  assert.is(toHex(t.sent('p')), '40 03 00 05 10');
});

test('5:MQTT-3.3.4-5 v5: a shared delivery carries only the receiving member\'s Subscription Identifier', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.subscribe5('a', '$share/g/a/b', 0, { id: 1 });
  t.connected('b', { version: 5 });
  t.subscribe5('b', '$share/g/a/b', 0, { id: 2 });
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.equal(t.frames('a'), ['30 0A 00 03 61 2F 62 02 0B 01 68 69']);
  assert.equal(t.frames('b'), ['30 0A 00 03 61 2F 62 02 0B 02 68 69']);
});

for (const bad of ['$share//a/b', '$share/g', '$share/g/', '$share/a+b/x', '$share/a#/x', '$share/g/a/#/b']) {
  test(`5:MQTT-4.8.2-1 · 5:MQTT-4.8.2-2 v5: invalid shared filter "${bad}" gets SUBACK 0x8F, connection kept`, () => {
    const t = rig();
    t.connected('a', { version: 5 });
    assert.equal(t.subscribe5('a', bad, 0), [0x8f]);
    assert.ok(t.isOpen('a'));
  });
}

test('5:§3.2.2.3.13 v5: with sharedSubscriptionAvailable false a shared filter gets SUBACK 0x9E, ordinary ones in the same SUBSCRIBE are granted', () => {
  const t = rig({ sharedSubscriptionAvailable: false });
  t.connected('a', { version: 5 });
  t.send('a', {
    type: 8, packetId: 1, properties: null, subscriptions: [
      { topicFilter: '$share/g/a/b', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: 'a/b', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
  });
  assert.equal(t.frames('a'), ['90 05 00 01 00 9E 01']);
  assert.ok(t.isOpen('a'));
});

test('5:MQTT-3.8.3-4 v5: No Local on a shared subscription is refused with DISCONNECT 0x82', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.send('a', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: '$share/g/a/b', qos: 0, noLocal: true, retainAsPublished: false, retainHandling: 0 }] });
  assert.is(disconnectOf(t.sent('a')), 'E0 82 +reason');
});

test.run();
