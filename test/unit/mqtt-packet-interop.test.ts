// Property-based interoperability with mqtt-packet (the codec of MQTT.js and aedes):
// random VALID packets of every type and version, in both directions:
//   A. mqtt-packet's generate() writes them; our decoder must give the original packet back;
//   B. our encode() writes them; mqtt-packet's parser must read the original packet back.
// Packets are compared through test/helpers/mqtt-packet-bridge.ts. Fixed seeds: a failure
// is reproducible and fast-check prints the shrunk counterexample.
//
// Where mqtt-packet deviates from the specification the case is excluded (fc.pre) or the
// comparison narrowed, never our codec weakened:
//   - user properties: mqtt-packet keeps them in an object, so the order across different
//     names is lost (5.0 MQTT-3.3.2-18 says keep it): compared as a multiset. Its parser also
//     drops a repeated name's first value when that value is "" (truthiness test): excluded.
//   - CONNECT: its generate() refuses a password without a user name (allowed in 5.0) and an
//     empty client id with Clean Start 0 (allowed in 5.0, 3.1.3.1): excluded in direction A.
//   - AUTH: its parser cannot read the short form F0 00 (5.0 §3.15.2.1): excluded in B.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as mqttPacket from 'mqtt-packet';
import { Buffer } from 'node:buffer';
import { decodeAll, encode, isValidTopicFilter, isValidTopicName } from '../../core/index.js';
import type { ConnectPacket, Packet, Properties, QoS } from '../../core/index.js';
import {
  allUserProperties, fromMqttPacket, sortUserProperties, toMqttPacket, userPropertiesLostByParser,
} from '../helpers/mqtt-packet-bridge.js';
import type { MqttPacketObject } from '../helpers/mqtt-packet-bridge.js';
import { toHex } from '../helpers/hex.js';

const RUNS = { seed: 42, numRuns: 300 };
type Version = 3 | 4 | 5;
const VERSIONS: Version[] = [3, 4, 5];
const vname = (v: number): string => (v === 3 ? '3.1' : v === 4 ? '3.1.1' : '5.0');

// ---- arbitraries: valid MQTT UTF-8, topics, filters --------------------------------------

// A character of a valid MQTT UTF-8 string: any Unicode scalar value except U+0000 (so no
// lone surrogates [MQTT-1.5.4-1], no NUL [MQTT-1.5.4-2]); mostly printable ASCII to keep
// counterexamples readable, the BOM U+FEFF now and then [MQTT-1.5.4-3].
function charArb(exclude: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)) },
    { weight: 1, arbitrary: fc.constantFrom('\uFEFF', 'é', '€', '𝄞') },
  ).filter((ch) => exclude.indexOf(ch) < 0);
}

const str = fc.string({ unit: charArb(''), maxLength: 12 });
const level = fc.string({ unit: charArb('/+#'), maxLength: 6 });

// Topic Name: at least one character, no wildcard [MQTT-4.7.3-1] [MQTT-3.3.2-2].
const topicName = fc.array(level, { minLength: 1, maxLength: 4 }).map((a) => a.join('/')).filter((t) => t.length > 0);

// Topic Filter: '+' fills a level, '#' only last [MQTT-4.7.1-1, -2]; sometimes shared.
const plainFilter = fc.tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? levels.concat(['#']) : levels).join('/'))
  .filter((f) => f.length > 0);
const shareName = fc.string({ unit: charArb('/+#'), minLength: 1, maxLength: 5 });
const sharedFilter = fc.tuple(shareName, plainFilter).map(([n, f]) => `$share/${n}/${f}`);

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packetId = fc.integer({ min: 1, max: 0xffff });
const bit = fc.constantFrom(0, 1);
const bytes = fc.uint8Array({ maxLength: 24 });
const payloadArb = fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 100, maxLength: 400 }));
const qosArb = fc.constantFrom<QoS>(0, 1, 2);

// User properties: names often repeat ("a", "b", "") to exercise repeated names.
const userProperties = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom('a', 'b', ''), str), str),
  { minLength: 1, maxLength: 4 },
).map((pairs) => pairs.map(([n, v]) => [n, v] as [string, string]));

// An optional-fields record of properties, null when empty; Authentication Data only with a
// method (5.0 §3.1.2.11.10 makes data without method a Protocol Error).
function propsArb(model: { [name: string]: fc.Arbitrary<unknown> }): fc.Arbitrary<Properties | null> {
  return fc.record(model, { requiredKeys: [] }).map((p) => {
    const out = { ...(p as { [k: string]: unknown }) };
    if (out.authenticationData !== undefined && out.authenticationMethod === undefined) delete out.authenticationData;
    return Object.keys(out).length === 0 ? null : (out as Properties);
  });
}

const connectProps = propsArb({
  sessionExpiryInterval: u32, receiveMaximum: fc.integer({ min: 1, max: 0xffff }),
  maximumPacketSize: fc.integer({ min: 1, max: 0xffffffff }), topicAliasMaximum: u16,
  requestResponseInformation: bit, requestProblemInformation: bit, userProperties,
  authenticationMethod: str, authenticationData: bytes,
});
const willProps = propsArb({
  willDelayInterval: u32, payloadFormatIndicator: bit, messageExpiryInterval: u32, contentType: str,
  responseTopic: topicName, correlationData: bytes, userProperties,
});
const connackProps = propsArb({
  sessionExpiryInterval: u32, receiveMaximum: fc.integer({ min: 1, max: 0xffff }), maximumQoS: bit,
  retainAvailable: bit, maximumPacketSize: fc.integer({ min: 1, max: 0xffffffff }), assignedClientIdentifier: str,
  topicAliasMaximum: u16, reasonString: str, userProperties, wildcardSubscriptionAvailable: bit,
  subscriptionIdentifiersAvailable: bit, sharedSubscriptionAvailable: bit, serverKeepAlive: u16,
  responseInformation: str, serverReference: str, authenticationMethod: str, authenticationData: bytes,
});
const subscriptionId = fc.integer({ min: 1, max: 268435455 });
const publishProps = propsArb({
  payloadFormatIndicator: bit, messageExpiryInterval: u32, topicAlias: fc.integer({ min: 1, max: 0xffff }),
  responseTopic: topicName, correlationData: bytes, userProperties,
  subscriptionIdentifier: fc.array(subscriptionId, { minLength: 1, maxLength: 3 }), contentType: str,
});
const ackProps = propsArb({ reasonString: str, userProperties });
const subscribeProps = propsArb({ subscriptionIdentifier: subscriptionId.map((n) => [n]), userProperties });
const unsubscribeProps = propsArb({ userProperties });
const disconnectProps = propsArb({ sessionExpiryInterval: u32, reasonString: str, userProperties, serverReference: str });

// Reason codes each 5.0 packet may carry (5.0 §3.2.2.2, §3.4.2.1, ..., §3.15.2.1).
const RC = {
  connack: [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f],
  pubackPubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrelPubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
    0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2],
  auth: [0x00, 0x18, 0x19],
};

// ---- packet arbitraries, per type and version --------------------------------------------

function connectArb(v: Version): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  return fc.record({
    cleanStart: fc.boolean(),
    keepAlive: u16,
    properties: v5 ? connectProps : fc.constant(null),
    // 3.1 client identifiers are 1 to 23 characters.
    clientId: v === 3 ? fc.string({ unit: charArb(''), minLength: 1, maxLength: 23 }) : str,
    will: fc.option(fc.record({
      topic: topicName, payload: bytes, qos: qosArb, retain: fc.boolean(),
      properties: v5 ? willProps : fc.constant(null),
    }), { nil: null }),
    username: fc.option(str, { nil: null }),
    password: fc.option(bytes, { nil: null }),
  }).map((r): Packet => ({
    type: 1, protocolName: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v,
    // 3.1.1 [MQTT-3.1.3-7]: a zero-byte client id comes with Clean Session 1.
    cleanStart: v === 4 && r.clientId === '' ? true : r.cleanStart,
    keepAlive: r.keepAlive, properties: r.properties, clientId: r.clientId, will: r.will, username: r.username,
    // 3.x [4:MQTT-3.1.2-22]: no password without a user name (5.0 allows it).
    password: !v5 && r.username === null ? null : r.password,
  }));
}

function connackArb(v: Version): fc.Arbitrary<Packet> {
  const codes = v === 5 ? RC.connack : [0, 1, 2, 3, 4, 5];
  return fc.record({
    sessionPresent: fc.boolean(), reasonCode: fc.constantFrom(...codes),
    properties: v === 5 ? connackProps : fc.constant(null),
  }).map((r): Packet => ({
    type: 2,
    // No session present in 3.1; and never with a refusal [4:MQTT-3.2.2-4] [5:MQTT-3.2.2-6].
    sessionPresent: v !== 3 && r.reasonCode === 0 && r.sessionPresent,
    reasonCode: r.reasonCode, properties: r.properties,
  }));
}

function publishArb(v: Version): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  return fc.record({
    qos: qosArb, dup: fc.boolean(), retain: fc.boolean(), topic: topicName, packetId,
    properties: v5 ? publishProps : fc.constant(null), payload: payloadArb,
    aliasOnly: v5 ? fc.integer({ min: 1, max: 0xffff }).chain((a) => fc.option(fc.constant(a), { freq: 4 })) : fc.constant(null),
  }).map((r): Packet => {
    let topic = r.topic;
    let properties = r.properties;
    if (r.aliasOnly !== null) {
      // 5.0 §3.3.2.1: an empty Topic Name with a Topic Alias.
      topic = '';
      properties = { ...(properties || {}), topicAlias: r.aliasOnly };
    }
    return {
      type: 3, dup: r.qos > 0 && r.dup,   // [MQTT-3.3.1-2] DUP is 0 for QoS 0
      qos: r.qos, retain: r.retain, topic, packetId: r.qos > 0 ? r.packetId : 0, properties, payload: r.payload,
    };
  });
}

function ackArb(v: Version, type: 4 | 5 | 6 | 7): fc.Arbitrary<Packet> {
  const codes = type === 4 || type === 5 ? RC.pubackPubrec : RC.pubrelPubcomp;
  return fc.record({
    packetId, reasonCode: v === 5 ? fc.constantFrom(...codes) : fc.constant(0),
    properties: v === 5 ? ackProps : fc.constant(null),
  }).map((r): Packet => ({ type, packetId: r.packetId, reasonCode: r.reasonCode, properties: r.properties }));
}

function subscribeArb(v: Version): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  const sub = fc.record({
    shared: v5 ? fc.boolean() : fc.constant(false),
    plain: plainFilter, sharedF: sharedFilter, qos: qosArb,
    noLocal: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2),
  }).map((s) => ({
    topicFilter: s.shared ? s.sharedF : s.plain, qos: s.qos,
    // [5:MQTT-3.8.3-4] No Local is not allowed on a shared subscription.
    noLocal: v5 && !s.shared && s.noLocal, retainAsPublished: v5 && s.rap, retainHandling: v5 ? s.rh : 0,
  }));
  return fc.record({
    packetId, properties: v5 ? subscribeProps : fc.constant(null),
    subscriptions: fc.array(sub, { minLength: 1, maxLength: 4 }),
  }).map((r): Packet => ({ type: 8, packetId: r.packetId, properties: r.properties, subscriptions: r.subscriptions }));
}

function subackArb(v: Version): fc.Arbitrary<Packet> {
  const codes = v === 5 ? RC.suback : [0, 1, 2, 0x80];
  return fc.record({
    packetId, properties: v === 5 ? ackProps : fc.constant(null),
    reasonCodes: fc.array(fc.constantFrom(...codes), { minLength: 1, maxLength: 5 }),
  }).map((r): Packet => ({ type: 9, packetId: r.packetId, properties: r.properties, reasonCodes: r.reasonCodes }));
}

function unsubscribeArb(v: Version): fc.Arbitrary<Packet> {
  return fc.record({
    packetId, properties: v === 5 ? unsubscribeProps : fc.constant(null),
    topicFilters: fc.array(fc.oneof(plainFilter, sharedFilter), { minLength: 1, maxLength: 4 }),
  }).map((r): Packet => ({ type: 10, packetId: r.packetId, properties: r.properties, topicFilters: r.topicFilters }));
}

function unsubackArb(v: Version): fc.Arbitrary<Packet> {
  return fc.record({
    packetId, properties: v === 5 ? ackProps : fc.constant(null),
    // 3.x UNSUBACK has no payload; 5.0 has one reason code per topic filter.
    reasonCodes: v === 5 ? fc.array(fc.constantFrom(...RC.unsuback), { minLength: 1, maxLength: 5 }) : fc.constant([] as number[]),
  }).map((r): Packet => ({ type: 11, packetId: r.packetId, properties: r.properties, reasonCodes: r.reasonCodes }));
}

function disconnectArb(v: Version): fc.Arbitrary<Packet> {
  return fc.record({
    reasonCode: v === 5 ? fc.constantFrom(...RC.disconnect) : fc.constant(0),
    properties: v === 5 ? disconnectProps : fc.constant(null),
  }).map((r): Packet => ({ type: 14, reasonCode: r.reasonCode, properties: r.properties }));
}

// AUTH: a reason other than 0x00 needs an Authentication Method (5.0 §3.15.2.2.2); 0x00 may
// come bare (the short form) or with a method.
const authWithMethod = fc.record({
  authenticationMethod: str,
  extra: propsArb({ authenticationData: bytes, reasonString: str, userProperties }),
}).map((r): Properties => ({ authenticationMethod: r.authenticationMethod, ...(r.extra || {}) }));
const authArb: fc.Arbitrary<Packet> = fc.oneof(
  fc.constant<Packet>({ type: 15, reasonCode: 0, properties: null }),
  fc.record({ reasonCode: fc.constantFrom(...RC.auth), properties: authWithMethod })
    .map((r): Packet => ({ type: 15, reasonCode: r.reasonCode, properties: r.properties })),
);

interface Kind { name: string; arb: (v: Version) => fc.Arbitrary<Packet>; only5?: boolean }

const KINDS: Kind[] = [
  { name: 'CONNECT', arb: connectArb },
  { name: 'CONNACK', arb: connackArb },
  { name: 'PUBLISH', arb: publishArb },
  { name: 'PUBACK', arb: (v) => ackArb(v, 4) },
  { name: 'PUBREC', arb: (v) => ackArb(v, 5) },
  { name: 'PUBREL', arb: (v) => ackArb(v, 6) },
  { name: 'PUBCOMP', arb: (v) => ackArb(v, 7) },
  { name: 'SUBSCRIBE', arb: subscribeArb },
  { name: 'SUBACK', arb: subackArb },
  { name: 'UNSUBSCRIBE', arb: unsubscribeArb },
  { name: 'UNSUBACK', arb: unsubackArb },
  { name: 'PINGREQ', arb: () => fc.constant<Packet>({ type: 12 }) },
  { name: 'PINGRESP', arb: () => fc.constant<Packet>({ type: 13 }) },
  { name: 'DISCONNECT', arb: disconnectArb },
  { name: 'AUTH', arb: () => authArb, only5: true },
];

// ---- helpers ------------------------------------------------------------------------------

function clean(x: unknown): unknown {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
  if (Array.isArray(x)) return x.map(clean);
  const out: { [k: string]: unknown } = {};
  for (const k of Object.keys(x as object)) {
    const v = (x as { [k: string]: unknown })[k];
    if (v !== undefined) out[k] = clean(v);
  }
  return out;
}

// Normal form for comparing with mqtt-packet: undefined keys dropped, user properties sorted.
function norm(p: unknown): unknown {
  return sortUserProperties(clean(p));
}

function mqttGenerate(p: Packet, v: Version): Uint8Array {
  // generate() reports a packet it refuses by emitting 'error' with no listener: a throw.
  const out = mqttPacket.generate(toMqttPacket(p, v), { protocolVersion: v });
  return new Uint8Array(out);   // a plain Uint8Array, not a Buffer, like a port's chunk
}

function mqttParse(bytes: Uint8Array, v: Version): { packets: MqttPacketObject[]; error: Error | null } {
  const parser = mqttPacket.parser({ protocolVersion: v });
  const packets: MqttPacketObject[] = [];
  let error: Error | null = null;
  parser.on('packet', (p: MqttPacketObject) => packets.push(p));
  parser.on('error', (e: Error) => { error = e; });
  parser.parse(Buffer.from(bytes));
  return { packets, error };
}

// Cases mqtt-packet's generate() cannot write (see the top of the file).
function mqttCannotGenerate(p: Packet): boolean {
  if (p.type !== 1) return false;
  const c = p as ConnectPacket;
  return (c.password !== null && c.username === null) || (c.clientId === '' && !c.cleanStart);
}

// Cases mqtt-packet's parser cannot read back (see the top of the file).
function mqttCannotParse(p: Packet): boolean {
  if (p.type === 15 && p.reasonCode === 0 && p.properties === null) return true;
  for (const list of allUserProperties(p)) if (userPropertiesLostByParser(list)) return true;
  return false;
}

// ---- the tests ----------------------------------------------------------------------------

test('the arbitraries produce valid topic names and topic filters', () => {
  fc.assert(fc.property(topicName, (t) => isValidTopicName(t) && t.indexOf('\u0000') < 0), RUNS);
  fc.assert(fc.property(fc.oneof(plainFilter, sharedFilter), (f) => isValidTopicFilter(f)), RUNS);
});

for (const v of VERSIONS) {
  for (const k of KINDS) {
    if (k.only5 && v !== 5) continue;

    test(`${vname(v)} ${k.name}: bytes from mqtt-packet's generate() decode to the same packet`, () => {
      fc.assert(fc.property(k.arb(v), (p) => {
        fc.pre(!mqttCannotGenerate(p));
        const bytes = mqttGenerate(p, v);
        const r = decodeAll(bytes, v);
        assert.is(r.error, null, r.error ? `${r.error.rule} ${r.error.message} in ${toHex(bytes)}` : '');
        assert.is(r.packets.length, 1);
        assert.equal(norm(r.packets[0]), norm(p));
      }), RUNS);
    });

    test(`${vname(v)} ${k.name}: bytes from our encode() parse in mqtt-packet to the same packet`, () => {
      fc.assert(fc.property(k.arb(v), (p) => {
        fc.pre(!mqttCannotParse(p));
        const bytes = encode(p, v);
        const r = mqttParse(bytes, v);
        assert.is(r.error, null, r.error ? `mqtt-packet: ${(r.error as Error).message} in ${toHex(bytes)}` : '');
        assert.is(r.packets.length, 1, `mqtt-packet parsed ${r.packets.length} packets from ${toHex(bytes)}`);
        assert.equal(norm(fromMqttPacket(r.packets[0], v)), norm(p));
      }), RUNS);
    });
  }
}

// The deviations excluded above, shown once each so they stay documented and checked: if
// mqtt-packet fixes one, these tests say so.
test('mqtt-packet deviation: its parser cannot read the 5.0 AUTH short form F0 00', () => {
  const r = mqttParse(encode({ type: 15, reasonCode: 0, properties: null }, 5), 5);
  assert.ok(r.error !== null || r.packets.length === 0 || r.packets[0].reasonCode !== 0);
});

test('mqtt-packet deviation: its parser loses a repeated user property whose first value is ""', () => {
  const p: Packet = { type: 14, reasonCode: 0, properties: { userProperties: [['a', ''], ['a', 'x']] } };
  const r = mqttParse(encode(p, 5), 5);
  assert.is(r.error, null);
  assert.equal(r.packets[0].properties.userProperties.a, 'x');   // "" is gone
});

test('mqtt-packet deviation: its object form reorders user properties across names', () => {
  const p: Packet = { type: 14, reasonCode: 0x80, properties: { userProperties: [['b', '1'], ['a', '2'], ['b', '3']] } };
  const bytes = mqttGenerate(p, 5);
  const r = decodeAll(bytes, 5);
  assert.is(r.error, null);
  assert.equal((r.packets[0] as { properties: Properties }).properties.userProperties, [['b', '1'], ['b', '3'], ['a', '2']]);
});

test.run();
