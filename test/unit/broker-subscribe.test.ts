// Broker conformance: SUBSCRIBE / SUBACK, UNSUBSCRIBE / UNSUBACK, wildcard and `$` matching
// through the broker, overlapping subscriptions, authorisation and limits, 5.0 features
// refused today. Expected answers are hand-derived hex (3.1.1 §3.8-3.11, 5.0 §3.8-3.11, §4.7).
//
//   82 08 00 01 00 03 61 2F 62 01        3.x SUBSCRIBE id 1, "a/b" QoS 1
//   82 09 00 01 00 00 03 61 2F 62 01     5.0 SUBSCRIBE id 1, property length 0, "a/b" options QoS 1
//   90 03 00 01 01                       3.x SUBACK id 1, granted QoS 1
//   90 04 00 01 00 01                    5.0 SUBACK id 1, property length 0, granted QoS 1
//   A2 07 00 02 00 03 61 2F 62           3.x UNSUBSCRIBE id 2, "a/b"
//   A2 08 00 02 00 00 03 61 2F 62        5.0 UNSUBSCRIBE id 2, property length 0, "a/b"
//   B0 02 00 02                          3.x UNSUBACK id 2
//   B0 04 00 02 00 00 / .. 00 11         5.0 UNSUBACK id 2, property length 0, Success / No subscription existed

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH, SUBSCRIBE, UNSUBSCRIBE, UNSUBACK } from '../../core/index.js';
import type { PublishPacket, QoS, Subscription, UnsubackPacket } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

function publishes(t: Rig, name: string): PublishPacket[] {
  return t.packets(name).filter((p) => p.type === PUBLISH) as PublishPacket[];
}

function opts(topicFilter: string, qos: QoS, more: Partial<Subscription> = {}): Subscription {
  return { topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0, ...more };
}

/** SUBSCRIBE with several filters; returns the SUBACK codes. */
function subscribeMany(t: Rig, name: string, subs: Subscription[], packetId = 1): number[] {
  t.send(name, { type: SUBSCRIBE, packetId, properties: null, subscriptions: subs });
  const all = t.packets(name);
  const i = all.findIndex((p) => p.type === 9);
  if (i < 0) throw new Error('no SUBACK: ' + JSON.stringify(all));
  const suback = all.splice(i, 1)[0] as { reasonCodes: number[]; packetId: number };
  assert.is(suback.packetId, packetId);
  t.client(name).pending = all;
  return suback.reasonCodes;
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---- SUBACK and UNSUBACK bytes ----

for (const version of [3, 4]) {
  test(`4:MQTT-3.8.4-1 · 4:MQTT-3.8.4-2 · 4:MQTT-3.8.4-5 · 4:MQTT-2.3.1-7 v${version}: SUBSCRIBE "a/b" QoS 1 id 1 gets SUBACK 90 03 00 01 01`, () => {
    const t = rig();
    t.connected('s', { version });
    t.feed('s', hex('82 08 00 01 00 03 61 2F 62 01'));
    assert.is(toHex(t.sent('s')), '90 03 00 01 01');
  });

  test(`4:MQTT-3.10.4-4 · 4:MQTT-3.10.4-1 · 4:§3.11 · 4:MQTT-2.3.1-7 v${version}: UNSUBSCRIBE "a/b" id 2 gets UNSUBACK B0 02 00 02 and removes it`, () => {
    const t = rig();
    t.connected('s', { version });
    t.feed('s', hex('82 08 00 01 00 03 61 2F 62 01'));
    t.feed('s', hex('A2 07 00 02 00 03 61 2F 62'));
    assert.is(toHex(t.sent('s')), '90 03 00 01 01 B0 02 00 02');
    t.connected('p', { version });
    t.publish('p', 'a/b', 'x', 1, 1);
    assert.equal(t.received('s'), []);
  });

  test(`4:MQTT-3.10.4-5 v${version}: UNSUBSCRIBE of a filter never subscribed still gets UNSUBACK B0 02 00 02`, () => {
    const t = rig();
    t.connected('s', { version });
    t.feed('s', hex('A2 07 00 02 00 03 61 2F 62'));
    assert.is(toHex(t.sent('s')), 'B0 02 00 02');
  });
}

test('5:MQTT-3.8.4-1 · 5:MQTT-3.8.4-2 · 5:MQTT-3.8.4-6 · 5:MQTT-2.2.1-6 v5: SUBSCRIBE "a/b" QoS 1 id 1 gets SUBACK 90 04 00 01 00 01', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 09 00 01 00 00 03 61 2F 62 01'));
  assert.is(toHex(t.sent('s')), '90 04 00 01 00 01');
});

test('5:MQTT-3.10.4-4 · 5:MQTT-3.11.3-1 · 5:MQTT-3.10.4-1 · 5:MQTT-2.2.1-6 v5: UNSUBSCRIBE of an existing subscription gets UNSUBACK B0 04 00 02 00 00', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 09 00 01 00 00 03 61 2F 62 01'));
  t.sent('s');
  t.feed('s', hex('A2 08 00 02 00 00 03 61 2F 62'));
  assert.is(toHex(t.sent('s')), 'B0 04 00 02 00 00');
});

test('5:MQTT-3.10.4-5 · 5:MQTT-3.11.3-2 v5: UNSUBSCRIBE of a filter never subscribed gets UNSUBACK 0x11 (B0 04 00 02 00 11)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('A2 08 00 02 00 00 03 61 2F 62'));
  assert.is(toHex(t.sent('s')), 'B0 04 00 02 00 11');
});

test('5:MQTT-3.10.4-6 · 5:MQTT-3.11.3-1 v5: one UNSUBSCRIBE with several filters gets one code per filter, in order', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  subscribeMany(t, 's', [opts('x', 0), opts('z', 0)]);
  t.send('s', { type: UNSUBSCRIBE, packetId: 9, properties: null, topicFilters: ['x', 'y', 'z'] });
  const p = t.packets('s');
  assert.is(p.length, 1);
  assert.is(p[0].type, UNSUBACK);
  assert.is((p[0] as UnsubackPacket).packetId, 9);
  assert.equal((p[0] as UnsubackPacket).reasonCodes, [0x00, 0x11, 0x00]);
});

// ---- per-filter codes ----

test('4:MQTT-3.8.4-4 · 4:MQTT-3.9.3-1 · 4:MQTT-3.8.4-5 v4: several filters: one SUBACK, codes in order (invalid filter 0x80)', () => {
  const t = rig();
  t.connected('s');
  assert.equal(subscribeMany(t, 's', [opts('a', 2), opts('a/#/b', 1), opts('b', 1), opts('c', 0)]), [2, 0x80, 1, 0]);
});

test('5:MQTT-3.8.4-5 · 5:MQTT-3.9.3-1 · 5:MQTT-3.9.3-2 v5: several filters: one SUBACK, codes in order (invalid filter 0x8F)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  assert.equal(subscribeMany(t, 's', [opts('a', 2), opts('a/#/b', 1), opts('b+', 1), opts('c', 0)]), [2, 0x8F, 0x8F, 0]);
});

for (const bad of ['sport#', 'sport/#/x', 'a+', 'a/+b']) {
  test(`4:MQTT-4.7.1-2 · 4:MQTT-4.7.1-3 v4: filter "${bad}" is refused with 0x80; the connection stays open`, () => {
    const t = rig();
    t.connected('s');
    assert.equal(t.subscribe('s', bad, 0), [0x80]);
    assert.ok(t.isOpen('s'));
  });
}

test('4:MQTT-3.8.4-1 v4: a refused filter does not become a subscription', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/#/b', 0);
  assert.is(t.client('s').connection.session?.subscriptionCount, 0);
});

test('4:MQTT-3.9.3-2 v4: authorizeSubscribe answering false gives 0x80 for that filter only', () => {
  const t = rig({}, { authorizeSubscribe: (_c, f) => f !== 'secret' });
  t.connected('s');
  assert.equal(subscribeMany(t, 's', [opts('open', 1), opts('secret', 1)]), [1, 0x80]);
  t.connected('p');
  t.publish('p', 'secret', 'x');
  assert.equal(t.received('s'), []);
});

test('5:MQTT-3.9.3-2 v5: authorizeSubscribe answering false gives 0x87 (Not authorized) for that filter', () => {
  const t = rig({}, { authorizeSubscribe: (_c, f) => f !== 'secret' });
  t.connected('s', { version: 5 });
  assert.equal(subscribeMany(t, 's', [opts('open', 1), opts('secret', 1)]), [1, 0x87]);
});

test('4:MQTT-3.8.4-1 v4: authorizeSubscribe answering Promises: one SUBACK with the codes once they resolve', async () => {
  const t = rig({}, { authorizeSubscribe: (_c, f) => Promise.resolve(f === 'ok') });
  t.connected('s');
  t.send('s', { type: SUBSCRIBE, packetId: 3, properties: null, subscriptions: [opts('ok', 2), opts('no', 2)] });
  assert.is(toHex(t.sent('s')), '');
  await flush();
  assert.is(toHex(t.sent('s')), '90 04 00 03 02 80');
});

test('5:§3.2.2.3.13 · 5:MQTT-3.9.3-2 v5: with shared subscriptions off a $share/ filter gets SUBACK 0x9E', () => {
  const t = rig({ sharedSubscriptionAvailable: false });
  t.connected('s', { version: 5 });
  assert.equal(subscribeMany(t, 's', [opts('$share/g/a', 1), opts('a', 1)]), [0x9E, 1]);
});

test('5:§3.2.2.3.12 v5: with Subscription Identifiers off a SUBSCRIBE carrying one gets DISCONNECT 0xA1, then close', () => {
  const t = rig({ subscriptionIdentifiersAvailable: false });
  t.connected('s', { version: 5 });
  // 82 0B, id 1, properties 02: 0B 01 (Subscription Identifier 1), "a/b" QoS 1
  t.feed('s', hex('82 0B 00 01 02 0B 01 00 03 61 2F 62 01'));
  assert.is(disconnectOf(t.sent('s')), 'E0 A1 +reason');
  assert.is(t.isOpen('s'), false);
});

test('4:MQTT-3.8.3-3 v4: a SUBSCRIBE with no filter closes the connection', () => {
  const t = rig();
  t.connected('s');
  t.feed('s', hex('82 02 00 01'));
  assert.is(t.isOpen('s'), false);
  assert.is(toHex(t.sent('s')), '');
});

test('4:MQTT-3.8.1-1 v4: a SUBSCRIBE with fixed-header flags 0000 closes the connection', () => {
  const t = rig();
  t.connected('s');
  t.feed('s', hex('80 08 00 01 00 03 61 2F 62 01'));
  assert.is(t.isOpen('s'), false);
});

test('4:MQTT-3.10.3-2 v4: an UNSUBSCRIBE with no filter closes the connection', () => {
  const t = rig();
  t.connected('s');
  t.feed('s', hex('A2 02 00 01'));
  assert.is(t.isOpen('s'), false);
});

// ---- limits ----

test('4:MQTT-3.9.3-2 (design) v4: over maxSubscriptionsPerClient the extra filter gets 0x80', () => {
  const t = rig({ maxSubscriptionsPerClient: 2 });
  t.connected('s');
  assert.equal(subscribeMany(t, 's', [opts('a', 0), opts('b', 0), opts('c', 0)]), [0, 0, 0x80]);
});

test('5:MQTT-3.9.3-2 (design) v5: over maxSubscriptionsPerClient the extra filter gets 0x97 (Quota exceeded)', () => {
  const t = rig({ maxSubscriptionsPerClient: 2 });
  t.connected('s', { version: 5 });
  assert.equal(subscribeMany(t, 's', [opts('a', 0), opts('b', 0), opts('c', 0)]), [0, 0, 0x97]);
});

test('4:MQTT-3.8.4-3 (design) v4: at maxSubscriptionsPerClient, re-subscribing an existing filter is still granted', () => {
  const t = rig({ maxSubscriptionsPerClient: 2 });
  t.connected('s');
  subscribeMany(t, 's', [opts('a', 0), opts('b', 0)]);
  assert.equal(t.subscribe('s', 'a', 2, 2), [2]);
});

test('(design) v4: a subscription removed by UNSUBSCRIBE frees its slot under maxSubscriptionsPerClient', () => {
  const t = rig({ maxSubscriptionsPerClient: 1 });
  t.connected('s');
  t.subscribe('s', 'a', 0);
  t.send('s', { type: UNSUBSCRIBE, packetId: 2, properties: null, topicFilters: ['a'] });
  t.packets('s');
  assert.equal(t.subscribe('s', 'b', 0, 3), [0]);
});

// ---- re-subscribe, unsubscribe semantics ----

for (const version of [4, 5]) test(`${version === 4 ? '4:MQTT-3.8.4-3' : '5:MQTT-3.8.4-3'} v${version}: subscribing again to the same filter replaces its QoS (one copy, at the new QoS)`, () => {
  const t = rig();
  t.connected('s', { version });
  t.subscribe('s', 'a/b', 2);
  t.subscribe('s', 'a/b', 0, 2);
  t.connected('p', { version });
  t.publish('p', 'a/b', 'x', 2, 1);
  const got = publishes(t, 's');
  assert.is(got.length, 1);
  assert.is(got[0].qos, 0);
});

test('4:MQTT-3.8.4-3 v4: re-subscribing re-sends the matching retained messages', () => {
  const t = rig();
  t.connected('p');
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), ['kept']);
  t.subscribe('s', 'a/b', 1, 2);
  assert.equal(t.received('s'), ['kept']);
});

test('4:MQTT-3.10.4-1 v4: UNSUBSCRIBE compares literally: "a/+" does not remove "a/b"', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  t.send('s', { type: UNSUBSCRIBE, packetId: 2, properties: null, topicFilters: ['a/+'] });
  assert.is(toHex(t.sent('s')), 'B0 02 00 02');
  t.connected('p');
  t.publish('p', 'a/b', 'still');
  assert.equal(t.received('s'), ['still']);
});

for (const version of [4, 5]) test(`${version === 4 ? '4:MQTT-3.10.4-2 · 4:MQTT-3.10.4-6' : '5:MQTT-3.10.4-2 · 5:MQTT-3.10.4-6'} v${version}: UNSUBSCRIBE of two filters stops both, one UNSUBACK`, () => {
  const t = rig();
  t.connected('s', { version });
  subscribeMany(t, 's', [opts('a', 0), opts('b', 0), opts('c', 0)]);
  t.send('s', { type: UNSUBSCRIBE, packetId: 7, properties: null, topicFilters: ['a', 'b'] });
  assert.is(toHex(t.sent('s')), version === 4 ? 'B0 02 00 07' : 'B0 05 00 07 00 00 00');
  t.connected('p', { version });
  t.publish('p', 'a', '1');
  t.publish('p', 'b', '2');
  t.publish('p', 'c', '3');
  assert.equal(t.received('s'), ['3']);
});

test('4:MQTT-3.10.4-3 v4: a QoS 1 delivery in flight when its subscription is removed can still be acknowledged', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  const p = publishes(t, 's');
  t.send('s', { type: UNSUBSCRIBE, packetId: 2, properties: null, topicFilters: ['a'] });
  t.feed('s', new Uint8Array([0x40, 0x02, 0x00, p[0].packetId]));
  assert.is(t.client('s').connection.session?.inflight.length, 0);
  assert.ok(t.isOpen('s'));
});

// ---- overlapping subscriptions ----

test('4:MQTT-3.3.5-1 v4: overlapping subscriptions deliver one copy at the highest granted QoS', () => {
  const t = rig();
  t.connected('s');
  subscribeMany(t, 's', [opts('a/#', 0), opts('a/b', 2), opts('+/b', 1)]);
  t.connected('p');
  t.publish('p', 'a/b', 'x', 2, 1);
  const got = publishes(t, 's');
  assert.is(got.length, 1);
  assert.is(got[0].qos, 2);
});

test('5:MQTT-3.3.4-2 v5: overlapping subscriptions deliver one copy at the highest granted QoS', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  subscribeMany(t, 's', [opts('a/+', 1), opts('#', 0)]);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x', 2, 1);
  const got = publishes(t, 's');
  assert.is(got.length, 1);
  assert.is(got[0].qos, 1);
});

test('5:MQTT-3.8.3-3 v5: No Local: a message is not sent back to the client that published it', () => {
  const t = rig();
  t.connected('me', { version: 5 });
  t.connected('other', { version: 5 });
  subscribeMany(t, 'me', [opts('a', 0, { noLocal: true })]);
  t.subscribe('other', 'a', 0);
  t.publish('me', 'a', 'mine');
  t.publish('other', 'a', 'theirs');
  assert.equal(t.received('me'), ['theirs']);
  assert.equal(t.received('other'), ['mine', 'theirs']);
});

test('4:§4.7 v4: without No Local (3.1.1) a publisher subscribed to its topic receives its own message', () => {
  const t = rig();
  t.connected('me');
  t.subscribe('me', 'a', 0);
  t.publish('me', 'a', 'echo');
  assert.equal(t.received('me'), ['echo']);
});

// ---- wildcards and $ through the broker ----

const MATCHES: Array<[string, string, boolean]> = [
  ['sport/#', 'sport', true],
  ['sport/#', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport/', true],
  ['sport/+', 'sport', false],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['#', 'a/b/c', true],
  ['+/b', 'a/b', true],
  ['a/b', 'A/b', false],
  ['a b/c', 'a b/c', true],
];
for (const version of [4, 5]) {
  const ids = version === 4 ? '4:§4.7 · 4:MQTT-4.7.1-2 · 4:MQTT-4.7.1-3 · 4:MQTT-4.7.3-4' : '5:§4.7 · 5:MQTT-4.7.1-1 · 5:MQTT-4.7.1-2 · 5:MQTT-4.7.3-4';
  for (const [filter, topic, expected] of MATCHES) {
    test(`${ids} v${version}: filter "${filter}" ${expected ? 'receives' : 'does not receive'} "${topic}"`, () => {
      const t = rig();
      t.connected('s', { version });
      assert.equal(t.subscribe('s', filter, 0), [0]);
      t.connected('p', { version });
      t.publish('p', topic, 'x');
      assert.equal(t.received('s'), expected ? ['x'] : []);
    });
  }
}

for (const [filter, expected] of [['#', false], ['+/monitor/Clients', false], ['$SYS/#', true], ['$SYS/monitor/+', true]] as Array<[string, boolean]>) {
  test(`4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1: filter "${filter}" ${expected ? 'receives' : 'does not receive'} "$SYS/monitor/Clients"`, () => {
    const t = rig({ sysIntervalMs: 0 });
    t.connected('s');
    t.subscribe('s', filter, 0);
    t.broker.publish('$SYS/monitor/Clients', 'x', 0, false, t.now);
    assert.equal(t.received('s'), expected ? ['x'] : []);
  });
}

test('5:MQTT-3.2.2-10 v5: SUBSCRIBE requesting QoS 2 is granted (the broker supports every QoS)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  assert.equal(t.subscribe('s', 'a', 2), [2]);
});

for (const version of [3, 4]) {
  test(`4:MQTT-4.7.3-1 v${version}: an empty Topic Filter in SUBSCRIBE closes the connection (no SUBACK)`, () => {
    const t = rig();
    t.connected('s', { version });
    t.feed('s', hex('82 05 00 01 00 00 00'));   // SUBSCRIBE id 1, filter "" QoS 0
    assert.is(toHex(t.sent('s')), '');
    assert.not.ok(t.isOpen('s'));
  });

  test(`4:MQTT-4.7.3-1 v${version}: an empty Topic Filter in UNSUBSCRIBE closes the connection (no UNSUBACK)`, () => {
    const t = rig();
    t.connected('s', { version });
    t.subscribe('s', 'a', 0);
    t.feed('s', hex('A2 07 00 02 00 01 61 00 00'));   // UNSUBSCRIBE id 2, "a", ""
    assert.is(toHex(t.sent('s')), '');
    assert.not.ok(t.isOpen('s'));
  });
}

test('5:MQTT-4.7.3-1 v5: an empty Topic Filter in SUBSCRIBE is refused in the SUBACK (0x8F); the connection stays', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('82 06 00 01 00 00 00 00'));   // SUBSCRIBE id 1, property length 0, filter "" QoS 0
  assert.is(toHex(t.sent('s')), '90 04 00 01 00 8F');
  assert.ok(t.isOpen('s'));
});

test('3.1 Part 4: MQTT 3.1 has no SUBACK failure code, so a refused filter closes the connection', () => {
  const t = rig({}, { authorizeSubscribe: (_c, filter) => filter !== 'secret' });
  t.connected('old', { version: 3 });
  t.feed('old', hex('82 0b 00 01 00 06 73 65 63 72 65 74 00'));   // SUBSCRIBE id 1 "secret" QoS 0
  assert.is(t.sent('old').length, 0);                              // no SUBACK 0x80 a 3.1 client cannot read
  assert.not.ok(t.isOpen('old'));
});

test.run();
