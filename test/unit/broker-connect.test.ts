// Broker conformance: CONNECT and CONNACK (3.1, 3.1.1, 5.0), driven with bytes through the
// test rig (fake transports, fake clock). Expected answers are written as hex, derived by hand
// from the specifications (OASIS MQTT 3.1.1 §3.1-3.2, MQTT 5.0 §3.1-3.2, MQTT 3.1 for "MQIsdp").
//
// 5.0 CONNACK with our default limits (hand-derived, properties in identifier order):
//   20 0F                 CONNACK, remaining length 15
//   00 00                 flags (Session Present 0), reason 0x00
//   0C                    property length 12
//   21 00 10              Receive Maximum 16 (maxInflightIn default)
//   27 00 00 20 00        Maximum Packet Size 8192
//   29 00                 Subscription Identifier Available 0
//   2A 00                 Shared Subscription Available 0

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONNACK, DISCONNECT, SUBSCRIBE, PINGREQ, encode } from '../../core/index.js';
import type { ConnackPacket, Packet } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

const CONNACK5_OK = '20 0E 00 00 0B 21 00 10 22 00 08 27 00 00 20 00';
const CONNACK5_OK_PRESENT = '20 0E 01 00 0B 21 00 10 22 00 08 27 00 00 20 00';

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---- first packet, second CONNECT ----

for (const version of [3, 4, 5]) {
  test(`4:MQTT-3.1.0-1 · 5:MQTT-3.1.0-1 v${version}: a PINGREQ before CONNECT closes the connection and gets no answer`, () => {
    const t = rig();
    t.open('a', version);
    t.feed('a', hex('C0 00'));
    assert.is(t.isOpen('a'), false);
    assert.is(toHex(t.sent('a')), '');
  });

  test(`4:MQTT-3.1.0-1 · 5:MQTT-3.1.0-1 v${version}: a PUBLISH before CONNECT is not routed`, () => {
    const t = rig();
    t.connected('sub', { version: 4 });
    t.subscribe('sub', 'a/b', 0);
    t.open('a', version);
    t.feed('a', hex('30 05 00 03 61 2F 62'));   // PUBLISH QoS 0 "a/b", empty payload
    assert.is(t.isOpen('a'), false);
    assert.equal(t.received('sub'), []);
  });
}

test('4:MQTT-3.1.0-2 v4: a second CONNECT on a connection closes it without an answer', () => {
  const t = rig();
  t.connected('a');
  t.feed('a', hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 61'));
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
});

test('4:MQTT-3.1.0-2 v3: a second CONNECT on an MQIsdp connection closes it', () => {
  const t = rig();
  t.connected('a', { version: 3 });
  t.feed('a', hex('10 0F 00 06 4D 51 49 73 64 70 03 02 00 00 00 01 61'));
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
});

test('5:MQTT-3.1.0-2 v5: a second CONNECT gets DISCONNECT 0x82 (Protocol Error), then close', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.feed('a', hex('10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 61'));
  assert.is(disconnectOf(t.sent('a')), 'E0 82 +reason');
  assert.is(t.isOpen('a'), false);
});

// ---- protocol level ----

test('4:MQTT-3.1.2-2: protocol "MQTT" level 6 gets CONNACK 20 02 00 01, then close', () => {
  const t = rig();
  t.open('a', 4);
  t.feed('a', hex('10 0D 00 04 4D 51 54 54 06 02 00 00 00 01 61'));
  assert.is(toHex(t.sent('a')), '20 02 00 01');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-2 (3.1 Part 4): protocol "MQIsdp" with level 4 gets CONNACK 20 02 00 01, then close', () => {
  const t = rig();
  t.open('a', 3);
  t.feed('a', hex('10 0F 00 06 4D 51 49 73 64 70 04 02 00 00 00 01 61'));
  assert.is(toHex(t.sent('a')), '20 02 00 01');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-2: protocol "MQTT" level 3 (3.1 uses "MQIsdp") gets CONNACK 20 02 00 01, then close', () => {
  const t = rig();
  t.open('a', 4);
  t.feed('a', hex('10 0D 00 04 4D 51 54 54 03 02 00 00 00 01 61'));
  assert.is(toHex(t.sent('a')), '20 02 00 01');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-1: an unknown protocol name is closed and never processed as MQTT (no CONNACK 0x00)', () => {
  const t = rig();
  t.open('a', 4);
  t.feed('a', hex('10 0D 00 04 4D 51 54 58 04 02 00 00 00 01 61'));   // "MQTX"
  assert.is(t.isOpen('a'), false);
  const out = toHex(t.sent('a'));
  assert.ok(out === '' || out === '20 02 00 01', out);
});

// ---- CONNACK bytes, session present ----

test('4:MQTT-3.1.4-4 · 4:MQTT-3.2.0-1 · 4:MQTT-3.2.2-1 v4: a valid CONNECT with Clean Session 1 gets 20 02 00 00 first', () => {
  const t = rig();
  t.connect('a');
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.ok(t.isOpen('a'));
});

test('4:MQTT-3.1.4-4 v3: a valid MQIsdp CONNECT gets 20 02 00 00', () => {
  const t = rig();
  t.connect('a', { version: 3 });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.ok(t.isOpen('a'));
});

test('5:MQTT-3.1.4-5 · 5:MQTT-3.2.0-1 · 5:MQTT-3.2.2-2 · 5:§3.2.2.3 v5: a valid CONNECT gets CONNACK 0x00 with our limits announced', () => {
  const t = rig();
  t.connect('a', { version: 5 });
  assert.is(toHex(t.sent('a')), CONNACK5_OK);
});

test('4:MQTT-3.2.2-2 v4: Clean Session 0 with no stored session gets Session Present 0 (20 02 00 00)', () => {
  const t = rig();
  t.connect('a', { clean: false });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
});

test('4:MQTT-3.2.2-2 · 4:MQTT-3.1.2-4 · 4:§3.2.2.1 v4: Clean Session 0 with a stored session gets Session Present 1 (20 02 01 00)', () => {
  const t = rig();
  t.connected('a', { clean: false });
  t.drop('a');
  t.connect('a', { clean: false });
  assert.is(toHex(t.sent('a')), '20 02 01 00');
});

test('4:MQTT-3.2.2-1 v4: Clean Session 1 gets Session Present 0 even when a session was stored', () => {
  const t = rig();
  t.connected('a', { clean: false });
  t.drop('a');
  t.connect('a', { clean: true });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
});

test('3.1 (Part 4) v3: CONNACK has no Session Present: a resumed session still gets 20 02 00 00', () => {
  const t = rig();
  t.connected('a', { version: 3, clean: false });
  t.subscribe('a', 'x', 1);
  t.drop('a');
  t.connect('a', { version: 3, clean: false });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
});

test('5:MQTT-3.2.2-3 · 5:MQTT-3.1.2-5 · 5:MQTT-3.2.2-1 v5: Clean Start 0 with a stored session gets Session Present 1', () => {
  const t = rig();
  t.connected('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.drop('a');
  t.connect('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.is(toHex(t.sent('a')), CONNACK5_OK_PRESENT);
});

test('5:MQTT-3.1.2-6 v5: Clean Start 0 with no stored session gets Session Present 0', () => {
  const t = rig();
  t.connect('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.is(toHex(t.sent('a')), CONNACK5_OK);
});

test('5:MQTT-3.1.2-4 · 5:MQTT-3.2.2-2 v5: Clean Start 1 gets Session Present 0 even when a session was stored', () => {
  const t = rig();
  t.connected('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.drop('a');
  t.connect('a', { version: 5, clean: true });
  assert.is(toHex(t.sent('a')), CONNACK5_OK);
});

// ---- client identifiers ----

test('3.1 (Part 4) v3: a client id of 23 characters is accepted', () => {
  const t = rig();
  t.connect('a', { version: 3, clientId: 'abcdefghijklmnopqrstuvw' });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
});

test('3.1 (Part 4) v3: a client id of 24 characters gets CONNACK 0x02 (20 02 00 02), then close', () => {
  const t = rig();
  t.connect('a', { version: 3, clientId: 'abcdefghijklmnopqrstuvwx' });
  assert.is(toHex(t.sent('a')), '20 02 00 02');
  assert.is(t.isOpen('a'), false);
});

test('3.1 (Part 4) v3: an empty client id gets CONNACK 0x02, then close', () => {
  const t = rig();
  t.connect('a', { version: 3, clientId: '' });
  assert.is(toHex(t.sent('a')), '20 02 00 02');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.3-6 v4: an empty client id with Clean Session 1 is accepted (20 02 00 00)', () => {
  const t = rig();
  t.connect('a', { clientId: '', clean: true });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.ok(t.isOpen('a'));
});

test('4:MQTT-3.1.3-6 v4: two clients with empty ids get distinct sessions (neither takes the other over)', () => {
  const t = rig();
  t.connected('a', { clientId: '' });
  t.connected('b', { clientId: '' });
  assert.ok(t.isOpen('a'));
  assert.ok(t.isOpen('b'));
  assert.is.not(t.client('a').connection.clientId, t.client('b').connection.clientId);
});

test('4:MQTT-3.1.3-8 · 4:MQTT-3.1.3-9 · 4:MQTT-3.2.2-5 v4: an empty client id with Clean Session 0 gets 20 02 00 02, then close', () => {
  const t = rig();
  t.connect('a', { clientId: '', clean: false });
  assert.is(toHex(t.sent('a')), '20 02 00 02');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.3-6 · 5:MQTT-3.1.3-7 · 5:MQTT-3.2.2-16 v5: an empty client id is assigned one, returned in CONNACK, unique', () => {
  const t = rig();
  t.connect('a', { version: 5, clientId: '' });
  t.connect('b', { version: 5, clientId: '', clean: false });
  const a = t.packets('a')[0] as ConnackPacket;
  const b = t.packets('b')[0] as ConnackPacket;
  assert.is(a.reasonCode, 0);
  assert.is(b.reasonCode, 0);
  const ida = a.properties?.assignedClientIdentifier;
  const idb = b.properties?.assignedClientIdentifier;
  assert.type(ida, 'string');
  assert.type(idb, 'string');
  assert.ok((ida as string).length > 0);
  assert.is.not(ida, idb);
  assert.is(t.client('a').connection.clientId, ida);
});

test('5:MQTT-3.1.3-7 v5: a non-empty client id gets no Assigned Client Identifier', () => {
  const t = rig();
  t.connect('a', { version: 5 });
  const p = t.packets('a')[0] as ConnackPacket;
  assert.is(p.properties?.assignedClientIdentifier, undefined);
});

// ---- authentication hook ----

test('5:MQTT-3.1.4-2 (4:§3.1.4) v4: authenticate() answering false gets CONNACK 0x04 (20 02 00 04), then close', () => {
  const t = rig({}, { authenticate: () => false });
  t.connect('a', { username: 'u', password: 'p' });
  assert.is(toHex(t.sent('a')), '20 02 00 04');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.4-2 (4:§3.1.4) v3: authenticate() answering false gets CONNACK 0x04 (20 02 00 04), then close', () => {
  const t = rig({}, { authenticate: () => false });
  t.connect('a', { version: 3, username: 'u', password: 'p' });
  assert.is(toHex(t.sent('a')), '20 02 00 04');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.4-2 · 5:MQTT-3.2.2-7 v5: authenticate() answering false gets CONNACK 0x86 (20 03 00 86 00), then close', () => {
  const t = rig({}, { authenticate: () => false });
  t.connect('a', { version: 5, username: 'u', password: 'p' });
  assert.is(toHex(t.sent('a')), '20 03 00 86 00');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.4-2 v5: authenticate() answering 0x87 gets CONNACK 0x87 (20 03 00 87 00)', () => {
  const t = rig({}, { authenticate: () => 0x87 });
  t.connect('a', { version: 5 });
  assert.is(toHex(t.sent('a')), '20 03 00 87 00');
  assert.is(t.isOpen('a'), false);
});

test('4:§3.2.2.3 v4: authenticate() answering 0x89 (server busy) gets return code 3, Server unavailable (20 02 00 03)', () => {
  const t = rig({}, { authenticate: () => 0x89 });
  t.connect('a', { username: 'u', password: 'p' });
  assert.is(toHex(t.sent('a')), '20 02 00 03');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.4-4 v4: authenticate() sees the user name and password and answering true accepts', () => {
  const seen: Array<[string | null, string | null]> = [];
  const t = rig({}, {
    authenticate: (_c, u, p) => { seen.push([u, p === null ? null : new TextDecoder().decode(p)]); return true; },
  });
  t.connect('a', { username: 'alice', password: 'secret' });
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.equal(seen, [['alice', 'secret']]);
});

test('4:MQTT-3.1.4-4 v4: authenticate() answering a Promise of true sends CONNACK 0x00 once it resolves', async () => {
  let release: (ok: boolean) => void = () => {};
  const t = rig({}, { authenticate: () => new Promise<boolean>((r) => { release = r; }) });
  t.connect('a');
  assert.is(toHex(t.sent('a')), '');
  release(true);
  await flush();
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.ok(t.isOpen('a'));
});

test('5:MQTT-3.1.4-2 v4: authenticate() answering a Promise of false sends 20 02 00 04 and closes', async () => {
  const t = rig({}, { authenticate: () => Promise.resolve(false) });
  t.connect('a');
  await flush();
  assert.is(toHex(t.sent('a')), '20 02 00 04');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.4-2 v5: authenticate() answering a Promise of false sends 20 03 00 86 00 and closes', async () => {
  const t = rig({}, { authenticate: () => Promise.resolve(false) });
  t.connect('a', { version: 5 });
  await flush();
  assert.is(toHex(t.sent('a')), '20 03 00 86 00');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.4-5 v4: packets pipelined behind CONNECT wait for an asynchronous authenticate() and are then processed', async () => {
  const t = rig({}, { authenticate: () => Promise.resolve(true) });
  const c = t.open('a', 4);
  const connect = encode({
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null,
    clientId: 'a', will: null, username: null, password: null,
  }, 4);
  const sub = encode({ type: SUBSCRIBE, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'x', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, 4);
  c.connection.receive(new Uint8Array([...connect, ...sub, 0xc0, 0x00]), t.now);
  assert.is(toHex(t.sent('a')), '');
  await flush();
  // CONNACK, SUBACK (id 1, QoS 0), PINGRESP, in that order
  assert.is(toHex(t.sent('a')), '20 02 00 00 90 03 00 01 00 D0 00');
});

test('4:MQTT-3.1.4-5 v4: packets pipelined behind a refused CONNECT are ignored', () => {
  const t = rig({}, { authenticate: () => false });
  const c = t.open('a', 4);
  const connect = encode({
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null,
    clientId: 'a', will: null, username: 'u', password: null,
  }, 4);
  c.connection.receive(new Uint8Array([...connect, 0xc0, 0x00]), t.now);
  assert.is(toHex(t.sent('a')), '20 02 00 04');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.2.2-6 v5: a refused CONNECT has Session Present 0 even when a session is stored (20 03 00 86 00)', () => {
  let allow = true;
  const t = rig({}, { authenticate: () => allow });
  t.connected('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.drop('a');
  allow = false;
  t.connect('a', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.is(toHex(t.sent('a')), '20 03 00 86 00');
});

test('4:MQTT-3.2.2-4 v4: a refused CONNECT has Session Present 0 even when a session is stored', () => {
  let allow = true;
  const t = rig({}, { authenticate: () => allow });
  t.connected('a', { clean: false });
  t.drop('a');
  allow = false;
  t.connect('a', { clean: false });
  assert.is(toHex(t.sent('a')), '20 02 00 04');
});

// ---- 5.0 features not offered ----

test('5:MQTT-4.12.0-1 v5: CONNECT with an Authentication Method gets CONNACK 0x8C (20 03 00 8C 00), then close', () => {
  const t = rig();
  t.connect('a', { version: 5, properties: { authenticationMethod: 'SCRAM-SHA-1' } });
  assert.is(toHex(t.sent('a')), '20 03 00 8C 00');
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-4.12.0-7 · 5:§3.15 v5: an AUTH packet after CONNACK gets DISCONNECT 0x82, then close', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.feed('a', hex('F0 00'));
  assert.is(disconnectOf(t.sent('a')), 'E0 82 +reason');
  assert.is(t.isOpen('a'), false);
});

test('(no id) 1.12 server-only packets v5: a SUBACK from the client gets DISCONNECT 0x82, then close', () => {
  const t = rig();
  t.connected('a', { version: 5 });
  t.feed('a', hex('90 04 00 01 00 00'));
  assert.is(disconnectOf(t.sent('a')), 'E0 82 +reason');
  assert.is(t.isOpen('a'), false);
});

test('(no id) 1.12 server-only packets v4: a PINGRESP from the client closes the connection', () => {
  const t = rig();
  t.connected('a');
  t.feed('a', hex('D0 00'));
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
});

test('5:MQTT-3.14.0-1 v5: a refused CONNECT is answered by CONNACK only, never by DISCONNECT', () => {
  const t = rig({}, { authenticate: () => false });
  t.connect('a', { version: 5 });
  const out = t.packets('a');
  assert.equal(out.map((p) => p.type), [CONNACK]);
});

test('4:MQTT-2.2.2-2 v4: packet type 15 (reserved in 3.1.1) closes the connection', () => {
  const t = rig();
  t.connected('a');
  t.feed('a', hex('F0 00'));
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
});

// ---- takeover ----

test('4:MQTT-3.1.4-2 v4: a second connection with the same client id closes the first', () => {
  const t = rig();
  t.connected('old', { clientId: 'same' });
  t.connect('new', { clientId: 'same' });
  assert.is(t.isOpen('old'), false);
  assert.is(toHex(t.sent('old')), '');
  assert.is(toHex(t.sent('new')), '20 02 00 00');
  assert.ok(t.isOpen('new'));
});

test('4:MQTT-3.1.4-2 v3: a second MQIsdp connection with the same client id closes the first', () => {
  const t = rig();
  t.connected('old', { version: 3, clientId: 'same' });
  t.connect('new', { version: 3, clientId: 'same' });
  assert.is(t.isOpen('old'), false);
  assert.is(toHex(t.sent('new')), '20 02 00 00');
});

test('5:MQTT-3.1.4-3 v5: a second connection with the same client id: the first gets DISCONNECT 0x8E, then close', () => {
  const t = rig();
  t.connected('old', { version: 5, clientId: 'same' });
  t.connect('new', { version: 5, clientId: 'same' });
  assert.is(disconnectOf(t.sent('old')), 'E0 8E +reason');
  assert.is(t.isOpen('old'), false);
  assert.is(toHex(t.sent('new')), CONNACK5_OK);
});

test('4:MQTT-3.1.4-2 · 4:§3.1.2.4 (design): a 5.0 connection taken over by a 3.1.1 one with Clean Session 0 resumes its session', () => {
  const t = rig();
  t.connected('old', { version: 5, clientId: 'same', clean: false, properties: { sessionExpiryInterval: 0xffffffff } });
  t.subscribe('old', 'x', 1);
  t.connect('new', { version: 4, clientId: 'same', clean: false });
  assert.is(disconnectOf(t.sent('old')), 'E0 8E +reason');
  assert.is(toHex(t.sent('new')), '20 02 01 00');
  t.connected('pub');
  t.publish('pub', 'x', 'hi', 1, 1);
  assert.equal(t.received('new'), ['hi']);
});

// ---- limits ----

test('4:MQTT-3.2.2-6 (0x03) v4: over maxConnections the new connection gets CONNACK 0x03 (20 02 00 03), then close', () => {
  const t = rig({ maxConnections: 1 });
  t.connected('a');
  t.connect('b');
  assert.is(toHex(t.sent('b')), '20 02 00 03');
  assert.is(t.isOpen('b'), false);
  assert.ok(t.isOpen('a'));
});

test('5:MQTT-3.1.4-2 v5: over maxConnections the new connection gets CONNACK 0x89 (20 03 00 89 00), then close', () => {
  const t = rig({ maxConnections: 1 });
  t.connected('a', { version: 5 });
  t.connect('b', { version: 5 });
  assert.is(toHex(t.sent('b')), '20 03 00 89 00');
  assert.is(t.isOpen('b'), false);
});

test('(design) maxConnections: a slot freed by a closed connection can be used again', () => {
  const t = rig({ maxConnections: 1 });
  t.connected('a');
  t.drop('a');
  t.connect('b');
  assert.is(toHex(t.sent('b')), '20 02 00 00');
});

test('(design) connect timeout: a connection silent for longer than connectTimeoutMs is closed without an answer', () => {
  const t = rig({ connectTimeoutMs: 5000 });
  t.open('a', 4);
  t.advance(5000);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
});

test('(design) connect timeout: a connection that sent CONNECT is not closed by the connect timeout', () => {
  const t = rig({ connectTimeoutMs: 5000 });
  t.connected('a');
  t.advance(60000);
  assert.ok(t.isOpen('a'));
});

test('5:MQTT-3.2.0-2 v5: exactly one CONNACK per connection (a pipelined second CONNECT gets DISCONNECT, not CONNACK)', () => {
  const t = rig();
  t.open('a', 5);
  const one = hex('10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 61');
  t.feed('a', new Uint8Array([...one, ...one]));
  const out = t.packets('a') as Packet[];
  assert.equal(out.map((p) => p.type), [CONNACK, DISCONNECT]);
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.12.4-1 v4: PINGREQ built by the codec is answered D0 00', () => {
  const t = rig();
  t.connected('a');
  t.send('a', { type: PINGREQ });
  assert.is(toHex(t.sent('a')), 'D0 00');
});

test.run();
