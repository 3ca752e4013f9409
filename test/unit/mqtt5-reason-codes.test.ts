// MQTT 5.0 reason codes on every acknowledgement (5.0 §2.4, checklist Part 2): each packet
// type carries only the codes the spec lists for it, and the specific codes the broker
// chooses (0x10 No matching subscribers, 0x87 Not authorized, 0x11 No subscription existed).
// Each scenario below is driven with bytes; the code byte of the answer is checked exactly
// where the scenario fixes it, and against the spec's list for that packet type.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectOptions, Rig } from '../helpers/rig.js';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { BrokerOptions, Hooks } from '../../core/index.js';

// 5.0 reason codes allowed per packet the server sends (5.0 §3.2.2.2, §3.4.2.1, §3.5.2.1,
// §3.6.2.1, §3.7.2.1, §3.9.3, §3.11.3, §3.14.2.1, §3.15.2.1).
const CONNACK_CODES = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f];
const PUBACK_CODES = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const SUBACK_CODES = [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2];
const UNSUBACK_CODES = [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91];
const DISCONNECT_CODES = [0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2];

// ---- specific codes ----

test('5:§3.4.2.1 · 5:MQTT-3.5.2-1 v5: a QoS 2 PUBLISH with no subscriber gets PUBREC 0x10 (50 03 00 05 10); the id is held: PUBREL gets 70 02 00 05', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '50 03 00 05 10');
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '70 02 00 05');
});

test('5:§3.4.2.1 v5: a QoS 1 PUBLISH whose only matching subscription is a shared one gets PUBACK 0x00 (40 02 00 05)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe5('s', '$share/g/a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 05');
});

test('5:§3.4.2.1 v5: a QoS 1 PUBLISH to an offline persistent subscriber gets PUBACK 0x00 (it has a matching subscriber)', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 05');
});

test('5:§4.13.2 v5: a QoS 0 PUBLISH refused by authorizePublish is dropped: no answer, connection kept, not routed', () => {
  const t = rig({}, { authorizePublish: (c) => c.clientId !== 'p' });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.is(toHex(t.sent('p')), '');
  assert.ok(t.isOpen('p'));
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.11.3-1 · 5:MQTT-3.11.3-2 v5: UNSUBSCRIBE of one existing and one unknown filter: UNSUBACK B0 05 00 02 00 00 11', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  // UNSUBSCRIBE id 2, no properties, "a/b", "x"
  t.feed('s', hex('A2 0B 00 02 00 00 03 61 2F 62 00 01 78'));
  assert.is(toHex(t.sent('s')), 'B0 05 00 02 00 00 11');
});

test('5:MQTT-3.9.3-2 v5: SUBSCRIBE refused by authorizeSubscribe next to a granted one: SUBACK 90 05 00 01 00 87 01', () => {
  const t = rig({}, { authorizeSubscribe: (_c, f) => f !== 'secret' });
  t.connected('s', { version: 5 });
  // SUBSCRIBE id 1, no properties, "secret" QoS 1, "a/b" QoS 1
  t.feed('s', hex('82 12 00 01 00 00 06 73 65 63 72 65 74 01 00 03 61 2F 62 01'));
  assert.is(toHex(t.sent('s')), '90 05 00 01 00 87 01');
});

// ---- every code sent is one the spec allows for that packet ----

function connackCode(options: BrokerOptions, hooks: Partial<Hooks>, o: ConnectOptions): number {
  const t = rig(options, hooks);
  t.connect('c', { version: 5, ...o });
  const f = t.sent('c');
  assert.is(f[0], 0x20, 'a CONNACK: ' + toHex(f));
  return f[3];
}

test('5:MQTT-3.2.2-8 v5: every CONNACK reason code the broker sends is a CONNACK code (success and each refusal)', () => {
  const codes = [
    connackCode({}, {}, {}),
    connackCode({}, { authenticate: () => false }, {}),
    connackCode({}, { authenticate: () => 0x87 }, {}),
    connackCode({ maxConnections: 0 }, {}, {}),
    connackCode({}, {}, { properties: { authenticationMethod: 'X' } }),
    connackCode({ maximumQoS: 0 }, {}, { will: { topic: 'w', payload: 'x', qos: 1, retain: false } }),
    connackCode({ retainAvailable: false }, {}, { will: { topic: 'w', payload: 'x', qos: 0, retain: true } }),
    connackCode({ serverReference: 'h' }, {}, {}),
    connackCode({}, { authenticateEnhanced: () => ({ reasonCode: 0x8c }) }, { properties: { authenticationMethod: 'X' } }),
  ];
  assert.equal(codes, [0x00, 0x86, 0x87, 0x89, 0x8c, 0x9b, 0x9a, 0x9c, 0x8c]);
  for (const c of codes) assert.ok(CONNACK_CODES.includes(c), '0x' + c.toString(16));
});

function lastDisconnect(t: Rig, name: string): number {
  const f = t.frames(name).filter((x) => x.startsWith('E0'));
  assert.is(f.length, 1, 'one DISCONNECT');
  return hex(f[0])[2];
}

test('5:MQTT-3.14.2-1 · 5:MQTT-4.13.1-1 v5: every DISCONNECT reason code the broker sends is a DISCONNECT code', () => {
  const cases: Array<[BrokerOptions, string, number, ConnectOptions?]> = [
    [{}, '10 0D 00 04 4D 51 54 54 05 02 00 00 00 00 00', 0x82],           // second CONNECT
    [{}, '30 03 00 01 2B', 0x82],                                          // wildcard in Topic Name (Protocol Error or Topic Name invalid)
    [{}, '36 0A 00 03 61 2F 62 00 01 00 68 69', 0x81],                     // QoS 3
    [{ topicAliasMaximum: 1 }, '30 0B 00 03 61 2F 62 03 23 00 02 68 69', 0x94],
    [{ maxPacketSize: 32 }, '30 20 00 03 61 2F 62 00 ' + Array(28).fill('78').join(' '), 0x95],
    [{ maximumQoS: 0 }, '32 0A 00 03 61 2F 62 00 01 00 68 69', 0x9b],
    [{ retainAvailable: false }, '31 08 00 03 61 2F 62 00 68 69', 0x9a],
    [{ subscriptionIdentifiersAvailable: false }, '82 0B 00 01 02 0B 05 00 03 61 2F 62 01', 0xa1],
    [{ maxInflightIn: 1 }, '34 0A 00 03 61 2F 62 00 01 00 68 69 34 0A 00 03 61 2F 62 00 02 00 68 69', 0x93],
  ];
  for (const [options, bytes, expected] of cases) {
    const t = rig(options);
    t.connected('c', { version: 5 });
    t.feed('c', hex(bytes));
    const rc = lastDisconnect(t, 'c');
    if (expected === 0x82 && bytes.startsWith('30 03')) assert.ok(rc === 0x82 || rc === 0x90, bytes);
    else assert.is(rc, expected, bytes);
    assert.ok(DISCONNECT_CODES.includes(rc), '0x' + rc.toString(16));
  }
  // keep-alive timeout and takeover
  const k = rig();
  k.connected('c', { version: 5, keepAlive: 1 });
  k.advance(2000);
  assert.is(lastDisconnect(k, 'c'), 0x8d);
  const o = rig();
  o.connected('c', { version: 5 });
  o.connect('c2', { version: 5, clientId: 'c' });
  assert.is(lastDisconnect(o, 'c'), 0x8e);
});

test('5:MQTT-3.4.2-1 · 5:MQTT-3.5.2-1 v5: every PUBACK / PUBREC code the broker sends is a PUBACK / PUBREC code', () => {
  const seen: number[] = [];
  const run = (options: BrokerOptions, hooks: Partial<Hooks>, withSub: boolean, publish: string) => {
    const t = rig(options, hooks);
    if (withSub) { t.connected('s', { version: 5 }); t.subscribe('s', 'a/b', 1); }
    t.connected('p', { version: 5 });
    t.feed('p', hex(publish));
    const f = t.sent('p');
    assert.ok(f[0] === 0x40 || f[0] === 0x50, toHex(f));
    seen.push(f.length === 4 ? 0 : f[4]);
  };
  for (const head of ['32', '34']) {
    const pub = head + ' 0A 00 03 61 2F 62 00 05 00 68 69';
    run({}, {}, true, pub);                                         // 0x00
    run({}, {}, false, pub);                                        // 0x10
    run({}, { authorizePublish: () => false }, true, pub);          // 0x87
    run({}, {}, true, head + ' 0C 00 03 61 2F 62 00 05 02 01 01 FF FE');   // 0x99
  }
  assert.equal(seen, [0x00, 0x10, 0x87, 0x99, 0x00, 0x10, 0x87, 0x99]);
  for (const c of seen) assert.ok(PUBACK_CODES.includes(c), '0x' + c.toString(16));
});

test('5:MQTT-3.9.3-2 v5: every SUBACK code the broker sends is a SUBACK code (granted, 0x87, 0x8F, 0x97, 0x9E, 0xA2)', () => {
  const seen: number[] = [];
  const sub = (options: BrokerOptions, hooks: Partial<Hooks>, filter: string, qos: 0 | 1 | 2) => {
    const t = rig(options, hooks);
    t.connected('s', { version: 5 });
    seen.push(...t.subscribe5('s', filter, qos));
  };
  sub({}, {}, 'a/b', 0);
  sub({}, {}, 'a/b', 1);
  sub({}, {}, 'a/b', 2);
  sub({}, { authorizeSubscribe: () => false }, 'a/b', 1);
  sub({}, {}, 'a/#/b', 1);
  sub({ maxSubscriptionsPerClient: 0 }, {}, 'a/b', 1);
  sub({ sharedSubscriptionAvailable: false }, {}, '$share/g/a', 1);
  sub({ wildcardSubscriptionAvailable: false }, {}, 'a/+', 1);
  assert.equal(seen, [0x00, 0x01, 0x02, 0x87, 0x8f, 0x97, 0x9e, 0xa2]);
  for (const c of seen) assert.ok(SUBACK_CODES.includes(c), '0x' + c.toString(16));
});

test('5:MQTT-3.11.3-2 · 5:MQTT-3.6.2-1 · 5:MQTT-3.7.2-1 v5: UNSUBACK, PUBREL and PUBCOMP codes are from their lists', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 2);
  t.feed('s', hex('A2 0B 00 02 00 00 03 61 2F 62 00 01 78'));
  const unsuback = hex(t.frames('s')[0]);
  for (const c of unsuback.subarray(5)) assert.ok(UNSUBACK_CODES.includes(c));
  // PUBREL from the broker: 0x00 (short form allowed)
  t.subscribe('s', 'a/b', 2, 3);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(toHex(t.sent('p')), '50 02 00 01');
  t.sent('s');
  t.feed('s', hex('50 02 00 01'));
  const pubrel = hex(t.frames('s')[0]);
  assert.is(pubrel[0], 0x62);
  assert.ok(pubrel.length === 4 || pubrel[4] === 0x00, toHex(pubrel));
  // PUBCOMP from the broker: 0x00 for a known id, 0x92 for an unknown one
  t.feed('p', hex('62 02 00 01 62 02 00 09'));
  assert.equal(t.frames('p'), ['70 02 00 01', '70 03 00 09 92']);
});

test('5:MQTT-3.15.2-1 v5: AUTH codes the broker sends are 0x00 or 0x18', () => {
  const answers = [{ reasonCode: 0x18 }, { reasonCode: 0x00 }, { reasonCode: 0x00 }];
  const t = rig({}, { authenticateEnhanced: () => answers.shift() as { reasonCode: number } });
  t.connect('c', { version: 5, properties: { authenticationMethod: 'M' } });
  const first = hex(t.frames('c')[0]);
  t.feed('c', hex('F0 06 18 04 15 00 01 4D'));   // AUTH 0x18 "M"
  t.sent('c');
  t.feed('c', hex('F0 06 19 04 15 00 01 4D'));   // AUTH 0x19 "M"
  const last = hex(t.frames('c')[0]);
  assert.is(first[0], 0xf0);
  assert.is(first[2], 0x18);
  assert.is(last[0], 0xf0);
  assert.is(last[2], 0x00);
});

test.run();
