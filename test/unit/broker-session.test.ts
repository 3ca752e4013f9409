// Broker conformance: sessions (clean / persistent / 5.0 expiry), resumption and resend,
// takeover, the Will, keep-alive, PINGREQ, limits (in-flight window, queues) and slow
// consumers. Fake clock only. Expected answers are hand-derived hex (3.1.1 §3.1-3.14, §4.1-4.6;
// 5.0 §3.1-3.14, §4.1-4.9).
//
//   D0 00                    PINGRESP
//   E0 01 8D / 8E            5.0 DISCONNECT Keep Alive timeout / Session taken over
//   3A 06 00 01 62 00 01 31  3.x PUBLISH DUP 1 QoS 1, topic "b", id 1, payload "1"
//   62 02 00 02              PUBREL id 2

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONNECT, PUBLISH, PUBREL, encode } from '../../core/index.js';
import type { PublishPacket, QoS } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig, ConnectOptions } from '../helpers/rig.js';

const td = new TextDecoder();

function publishes(t: Rig, name: string): PublishPacket[] {
  return t.packets(name).filter((p) => p.type === PUBLISH) as PublishPacket[];
}

function puback(t: Rig, name: string, id: number): void {
  t.feed(name, new Uint8Array([0x40, 0x02, id >> 8, id & 0xff]));
}

const PERSIST5: ConnectOptions = { version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } };

function will(qos: QoS = 0, retain = false) {
  return { topic: 'will/a', payload: 'gone', qos, retain };
}

/** A watcher subscribed to the will topic. */
function watch(t: Rig, qos: QoS = 2): void {
  t.connected('w');
  t.subscribe('w', 'will/#', qos);
}

// ---- PINGREQ / keep-alive ----

for (const version of [3, 4, 5]) {
  test(`4:MQTT-3.12.4-1 · 5:MQTT-3.12.4-1 v${version}: PINGREQ (C0 00) is answered with PINGRESP D0 00`, () => {
    const t = rig();
    t.connected('a', { version });
    t.feed('a', hex('C0 00'));
    assert.is(toHex(t.sent('a')), 'D0 00');
  });
}

for (const version of [3, 4]) {
  test(`4:MQTT-3.1.2-24 v${version}: Keep Alive 10 s: still open at exactly 15 s of silence, closed after, no packet sent`, () => {
    const t = rig();
    t.connected('a', { version, keepAlive: 10 });
    t.advance(15000);
    assert.ok(t.isOpen('a'));
    t.advance(1);
    assert.is(t.isOpen('a'), false);
    assert.is(toHex(t.sent('a')), '');
  });
}

test('5:MQTT-3.1.2-22 v5: Keep Alive 10 s: open at exactly 15 s, then DISCONNECT 0x8D (E0 01 8D) and close', () => {
  const t = rig();
  t.connected('a', { version: 5, keepAlive: 10 });
  t.advance(15000);
  assert.ok(t.isOpen('a'));
  assert.is(toHex(t.sent('a')), '');
  t.advance(1);
  assert.is(disconnectOf(t.sent('a')), 'E0 8D +reason');
  assert.is(t.isOpen('a'), false);
});

test('4:§3.1.2.10 v4: any packet (here PINGREQ) resets the keep-alive timer', () => {
  const t = rig();
  t.connected('a', { keepAlive: 10 });
  t.advance(14000);
  t.feed('a', hex('C0 00'));
  t.advance(14000);
  assert.ok(t.isOpen('a'));
  t.advance(1001);
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-24 v4: any packet, not only PINGREQ, resets the keep-alive timer (a PUBLISH)', () => {
  const t = rig();
  t.connected('a', { keepAlive: 2 });
  t.advance(2500);
  t.publish('a', 'x', 'y');
  t.advance(2500);
  assert.ok(t.isOpen('a'));
});

test('4:MQTT-3.1.2-24 v4: Keep Alive 0 means no timeout', () => {
  const t = rig();
  t.connected('a', { keepAlive: 0 });
  t.advance(24 * 3600 * 1000);
  assert.ok(t.isOpen('a'));
});

// ---- clean and persistent sessions ----

test('4:MQTT-3.1.2-6 v4: Clean Session 1 discards the stored subscriptions', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('s', { clean: true });
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  assert.equal(t.received('s'), []);
});

test('4:MQTT-3.1.2-6 v4: Clean Session 1 discards the queued messages', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'queued', 1, 1);
  t.connect('s', { clean: true });
  assert.is(toHex(t.sent('s')), '20 02 00 00');
});

test('4:MQTT-3.1.2-6 v4: a Clean Session 1 session is not kept after the connection: later Clean Session 0 finds none', () => {
  const t = rig();
  t.connected('s', { clean: true });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connect('s', { clean: false });
  assert.is(toHex(t.sent('s')), '20 02 00 00');
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  assert.equal(t.received('s'), []);
});

test('4:MQTT-3.1.2-4 · 4:MQTT-3.1.3-2 v4: Clean Session 0 keeps the subscriptions across connections', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('s', { clean: false });
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  assert.equal(t.received('s'), ['x']);
});

test('4:MQTT-3.1.2-5 · 4:MQTT-4.5.0-1 v4: QoS 1 and 2 messages are queued while offline and delivered on reconnect, in order', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 2);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'one', 1, 1);
  t.publish('p', 'a', 'two', 2, 2);
  t.publish('p', 'a', 'zero', 0);
  t.connect('s', { clean: false });
  const out = t.packets('s');
  assert.is(out[0].type, 2);
  const pubs = out.filter((p) => p.type === PUBLISH) as PublishPacket[];
  assert.equal(pubs.map((p) => td.decode(p.payload)), ['one', 'two']);   // QoS 0 not queued by default
  assert.equal(pubs.map((p) => p.qos), [1, 2]);
  assert.ok(pubs.every((p) => p.packetId > 0 && !p.dup));
});

test('4:MQTT-3.1.2-5 (option) v4: with queueQoS0Offline QoS 0 messages are queued too', () => {
  const t = rig({ queueQoS0Offline: true });
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 0);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'zero', 0);
  t.connect('s', { clean: false });
  assert.equal(t.received('s'), ['zero']);
});

test('5:MQTT-3.1.2-23 v5: without a Session Expiry Interval the session ends with the connection', () => {
  const t = rig();
  t.connected('s', { version: 5, clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connect('s', { version: 5, clean: false });
  const c = t.packets('s')[0] as { sessionPresent: boolean };
  assert.is(c.sessionPresent, false);
});

test('5:MQTT-3.1.2-23 · 5:MQTT-4.1.0-2 v5: Session Expiry 10 s: resumable after 9 s, gone after 10 s', () => {
  const t = rig();
  t.connected('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 10 } });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.advance(9000);
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 10 } });
  assert.is((t.packets('s')[0] as { sessionPresent: boolean }).sessionPresent, true);
  t.drop('s');
  t.advance(10000);
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 10 } });
  assert.is((t.packets('s')[0] as { sessionPresent: boolean }).sessionPresent, false);
});

test('5:§3.14.2.2.2 v5: DISCONNECT raising Session Expiry from 0 gets DISCONNECT 0x82', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  // DISCONNECT, reason 0x00, properties 05: 11 00 00 00 0A (Session Expiry Interval 10)
  t.feed('s', hex('E0 07 00 05 11 00 00 00 0A'));
  assert.is(disconnectOf(t.sent('s')), 'E0 82 +reason');
  assert.is(t.isOpen('s'), false);
});

test('5:§3.14.2.2.2 v5: DISCONNECT may shorten the Session Expiry to 0: the session ends', () => {
  const t = rig();
  t.connected('s', PERSIST5);
  t.subscribe('s', 'a', 1);
  t.feed('s', hex('E0 07 00 05 11 00 00 00 00'));
  assert.is(t.isOpen('s'), false);
  t.connect('s', PERSIST5);
  assert.is((t.packets('s')[0] as { sessionPresent: boolean }).sessionPresent, false);
});

test('4:§3.1.2.4 · 5:§3.1.2.4 (design): a 3.1.1 persistent session resumed by a 5.0 client keeps its queued messages', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'kept', 1, 1);
  t.connect('s', PERSIST5);
  const out = t.packets('s');
  assert.is((out[0] as { sessionPresent: boolean }).sessionPresent, true);
  assert.equal((out.filter((p) => p.type === PUBLISH) as PublishPacket[]).map((p) => td.decode(p.payload)), ['kept']);
});

// ---- resend on resume ----

test('4:MQTT-4.4.0-1 · 4:MQTT-3.3.1-1 · 4:MQTT-4.6.0-1 v4: on resume unacknowledged PUBLISH are resent with DUP 1 and PUBREL for those past PUBREC, in order', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 2);
  t.subscribe('s', 'b', 1, 2);
  t.connected('p');
  t.publish('p', 'b', '1', 1, 1);
  t.publish('p', 'a', '2', 2, 2);
  t.publish('p', 'a', '3', 2, 3);
  assert.is(toHex(t.sent('s')), '32 06 00 01 62 00 01 31 34 06 00 01 61 00 02 32 34 06 00 01 61 00 03 33');
  t.feed('s', hex('50 02 00 02'));   // PUBREC for id 2
  assert.is(toHex(t.sent('s')), '62 02 00 02');
  t.drop('s');
  t.connect('s', { clean: false });
  assert.is(toHex(t.sent('s')), '20 02 01 00 3A 06 00 01 62 00 01 31 62 02 00 02 3C 06 00 01 61 00 03 33');
});

test('5:MQTT-4.4.0-1 · 5:MQTT-3.3.1-1 v5: on resume the unacknowledged QoS 1 PUBLISH is resent with DUP 1 and the same id', () => {
  const t = rig();
  t.connected('s', PERSIST5);
  t.subscribe('s', 'b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'b', '1', 1, 9);
  assert.is(toHex(t.sent('s')), '32 07 00 01 62 00 01 00 31');
  t.drop('s');
  t.connect('s', PERSIST5);
  const all = toHex(t.sent('s'));
  assert.ok(all.endsWith('3A 07 00 01 62 00 01 00 31'), all);
  assert.ok(all.startsWith('20 0E 01 00'), all);
});

test('4:MQTT-4.4.0-1 v4: resent messages come before messages queued while offline', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.connected('p');
  t.publish('p', 'a', 'inflight', 1, 1);
  t.drop('s');
  t.publish('p', 'a', 'queued', 1, 2);
  t.connect('s', { clean: false });
  const pubs = publishes(t, 's');
  assert.equal(pubs.map((p) => [td.decode(p.payload), p.dup]), [['inflight', true], ['queued', false]]);
  assert.is.not(pubs[0].packetId, pubs[1].packetId);
});

test('4:MQTT-4.3.3-1 v4: a resent PUBREL is completed by PUBCOMP and the message is never resent as PUBLISH', () => {
  const t = rig();
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 2);
  t.connected('p');
  t.publish('p', 'a', 'x', 2, 1);
  t.sent('s');
  t.feed('s', hex('50 02 00 01'));
  t.drop('s');
  t.connect('s', { clean: false });
  assert.is(toHex(t.sent('s')), '20 02 01 00 62 02 00 01');
  t.feed('s', hex('70 02 00 01'));
  t.drop('s');
  t.connect('s', { clean: false });
  assert.is(toHex(t.sent('s')), '20 02 01 00');
});

test('4:MQTT-4.3.3-2 · 5:§3.7.2.1 v5: an incoming QoS 2 id awaiting PUBREL survives a reconnect: PUBREL gets PUBCOMP 0x00', () => {
  const t = rig();
  t.connected('w', { version: 5 });
  t.subscribe('w', 'a', 0);
  t.connected('p', PERSIST5);
  t.publish('p', 'a', 'once', 2, 5);
  assert.is(toHex(t.sent('p')), '50 02 00 05');
  t.drop('p');
  t.connected('p', PERSIST5);
  t.publish('p', 'a', 'once', 2, 5);   // the client resends before PUBREL: not a new message
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '50 02 00 05 70 02 00 05');
  assert.equal(t.received('w'), ['once']);
});

// ---- packet ids ----

test('4:MQTT-2.3.1-4 · 5:MQTT-2.2.1-4 v4: outgoing packet ids wrap from 65535 to 1 (never 0) and skip ids in flight', () => {
  const t = rig({ maxInflight: 8 });
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);                               // id 1, left unacknowledged
  const session = t.client('s').connection.session;
  assert.ok(session !== null);
  session.nextPacketId = 0xffff;
  t.publish('p', 'a', 'y', 1, 2);
  t.publish('p', 'a', 'z', 1, 3);
  assert.equal(publishes(t, 's').map((p) => p.packetId), [1, 0xffff, 2]);
});

test('4:MQTT-2.3.1-4 v4: a PUBREL awaiting PUBCOMP keeps its id busy', () => {
  const t = rig({ maxInflight: 8 });
  t.connected('s');
  t.subscribe('s', 'a', 2);
  t.connected('p');
  t.publish('p', 'a', 'x', 2, 1);
  t.feed('s', hex('50 02 00 01'));
  const session = t.client('s').connection.session;
  assert.ok(session !== null);
  session.nextPacketId = 1;         // as if the ids had gone round past 65535
  session.idsWrapped = true;
  t.packets('s');
  t.publish('p', 'a', 'y', 2, 2);
  assert.equal(publishes(t, 's').map((p) => p.packetId), [2]);
});

// ---- takeover ----

test('4:MQTT-3.1.4-2 · 4:MQTT-3.1.2-8 v4: a taken-over connection ended without DISCONNECT: its Will is published', () => {
  const t = rig();
  watch(t);
  t.connected('old', { clientId: 'same', will: will() });
  t.connected('new', { clientId: 'same' });
  assert.is(t.isOpen('old'), false);
  assert.equal(t.received('w'), ['gone']);
});

test('4:MQTT-3.1.4-2 v4: takeover with Clean Session 0 keeps the session: the new connection gets its messages', () => {
  const t = rig();
  t.connected('old', { clientId: 'same', clean: false });
  t.subscribe('old', 'a', 1);
  t.connect('new', { clientId: 'same', clean: false });
  assert.is(toHex(t.sent('new')), '20 02 01 00');
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  assert.equal(t.received('new'), ['x']);
  assert.equal(t.received('old'), []);
});

test('5:MQTT-3.1.4-3 v5: the taken-over connection gets DISCONNECT 0x8E and nothing after it', () => {
  const t = rig();
  t.connected('old', { ...PERSIST5, clientId: 'same' });
  t.subscribe('old', 'a', 1);
  t.connected('new', { ...PERSIST5, clientId: 'same' });
  t.connected('p', { version: 5 });
  t.publish('p', 'a', 'x', 1, 1);
  assert.is(disconnectOf(t.sent('old')), 'E0 8E +reason');
  assert.equal(t.received('new'), ['x']);
});

// ---- the Will ----

for (const version of [3, 4, 5]) {
  test(`4:MQTT-3.1.2-8 · 5:MQTT-3.1.2-8 v${version}: the Will is published when the connection drops without DISCONNECT`, () => {
    const t = rig();
    watch(t);
    t.connected('a', { version, will: will() });
    t.drop('a');
    assert.equal(t.received('w'), ['gone']);
  });
}

for (const version of [4, 5]) {
  test(`4:MQTT-3.1.2-8 · 5:MQTT-3.1.2-8 v${version}: the Will is a copy: the CONNECT's chunk changed after receive() does not change it`, () => {
    const t = rig();
    watch(t);
    t.open('a', version);
    const te = new TextEncoder();
    const chunk = encode({
      type: CONNECT, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0,
      properties: null, clientId: 'a', username: null, password: null,
      will: { topic: 'will/a', payload: te.encode('gone'), qos: 0, retain: false,
        properties: version === 5 ? { correlationData: te.encode('corr') } : null },
    }, version);
    t.feed('a', chunk);
    assert.is(t.packets('a')[0].type, 2);
    chunk.fill(0x21);   // a port that reuses its read buffer, or the chunk's memory kept alive through a view
    t.drop('a');
    const got = t.packets('w').filter((p) => p.type === PUBLISH) as PublishPacket[];
    assert.is(got.length, 1);
    assert.is(new TextDecoder().decode(got[0].payload), 'gone');
    assert.is(got[0].topic, 'will/a');
  });
}

test('5:MQTT-3.1.2-8 v5: the Will\'s Correlation Data is a copy too', () => {
  const t = rig();
  t.connected('w', { version: 5 });
  t.subscribe('w', 'will/#', 0);
  t.open('a', 5);
  const chunk = encode({
    type: CONNECT, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0,
    properties: null, clientId: 'a', username: null, password: null,
    will: { topic: 'will/a', payload: new Uint8Array([1]), qos: 0, retain: false, properties: { correlationData: new Uint8Array([7, 8]) } },
  }, 5);
  t.feed('a', chunk);
  chunk.fill(0);
  t.drop('a');
  const got = t.packets('w').filter((p) => p.type === PUBLISH) as PublishPacket[];
  assert.equal(Array.from((got[0].properties as { correlationData: Uint8Array }).correlationData), [7, 8]);
});

for (const version of [3, 4]) {
  test(`4:MQTT-3.14.4-3 · 4:MQTT-3.1.2-10 v${version}: no Will after DISCONNECT (E0 00)`, () => {
    const t = rig();
    watch(t);
    t.connected('a', { version, will: will() });
    t.feed('a', hex('E0 00'));
    assert.is(t.isOpen('a'), false);
    t.drop('a');
    assert.equal(t.received('w'), []);
  });
}

test('5:MQTT-3.14.4-3 · 5:MQTT-3.1.2-10 v5: no Will after DISCONNECT 0x00 (E0 01 00)', () => {
  const t = rig();
  watch(t);
  t.connected('a', { version: 5, will: will() });
  t.feed('a', hex('E0 01 00'));
  assert.is(t.isOpen('a'), false);
  assert.equal(t.received('w'), []);
});

test('5:MQTT-3.14.4-3 v5: DISCONNECT 0x04 (Disconnect with Will Message, E0 01 04) publishes the Will', () => {
  const t = rig();
  watch(t);
  t.connected('a', { version: 5, will: will() });
  t.feed('a', hex('E0 01 04'));
  assert.is(t.isOpen('a'), false);
  assert.equal(t.received('w'), ['gone']);
});

test('4:MQTT-3.1.2-8 · 4:MQTT-3.1.2-24 v4: the Will is published on keep-alive timeout', () => {
  const t = rig();
  watch(t);
  t.connected('a', { keepAlive: 1, will: will() });
  t.advance(1501);
  assert.is(t.isOpen('a'), false);
  assert.equal(t.received('w'), ['gone']);
});

test('5:MQTT-3.1.2-22 · 5:MQTT-3.1.2-8 v5: the Will is published on keep-alive timeout', () => {
  const t = rig();
  watch(t);
  t.connected('a', { version: 5, keepAlive: 1, will: will() });
  t.advance(1501);
  assert.equal(t.received('w'), ['gone']);
});

test('4:MQTT-3.1.2-8 · 4:MQTT-4.8.0-1 v4: the Will is published when the broker closes the connection for a protocol violation', () => {
  const t = rig();
  watch(t);
  t.connected('a', { will: will() });
  t.feed('a', hex('20 02 00 00'));   // a CONNACK from a client
  assert.is(t.isOpen('a'), false);
  assert.equal(t.received('w'), ['gone']);
});

test('4:MQTT-3.1.2-8 v4: a refused CONNECT publishes no Will', () => {
  const t = rig({}, { authenticate: () => false });
  t.broker.subscribe('will/#', () => { throw new Error('will published for a refused connection'); }, t.now);
  t.connect('a', { will: will() });
  t.drop('a');
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-16 · 5:MQTT-3.1.2-14 v4: Will Retain 0: the Will is not retained', () => {
  const t = rig();
  t.connected('a', { will: will(0, false) });
  t.drop('a');
  t.connected('late');
  t.subscribe('late', 'will/#', 0);
  assert.equal(t.received('late'), []);
});

test('4:MQTT-3.1.2-17 · 5:MQTT-3.1.2-15 v4: Will Retain 1: the Will is published as a retained message', () => {
  const t = rig();
  t.connected('a', { will: will(1, true) });
  t.drop('a');
  t.connected('late');
  t.subscribe('late', 'will/#', 1);
  const p = publishes(t, 'late');
  assert.is(p.length, 1);
  assert.is(p[0].retain, true);
  assert.is(td.decode(p[0].payload), 'gone');
});

test('4:MQTT-3.1.2-8 v4: the Will QoS is honoured (QoS 1 Will to a QoS 2 subscriber arrives at QoS 1)', () => {
  const t = rig();
  watch(t, 2);
  t.connected('a', { will: will(1) });
  t.drop('a');
  const p = publishes(t, 'w');
  assert.is(p.length, 1);
  assert.is(p[0].qos, 1);
});

test('4:MQTT-3.1.2-8 v4: the Will QoS is capped by the subscription (QoS 2 Will to a QoS 0 subscriber arrives at QoS 0)', () => {
  const t = rig();
  watch(t, 0);
  t.connected('a', { will: will(2) });
  t.drop('a');
  const p = publishes(t, 'w');
  assert.is(p.length, 1);
  assert.is(p[0].qos, 0);
});

test('4:MQTT-3.3.5-2 (design) v4: a Will refused by authorizePublish is not published', () => {
  const t = rig({}, { authorizePublish: (_c, topic) => !topic.startsWith('will/') });
  watch(t);
  t.connected('a', { will: will() });
  t.drop('a');
  assert.equal(t.received('w'), []);
});

test('4:MQTT-3.1.2-12 v4: no Will flag: nothing is published when the connection drops', () => {
  const t = rig();
  t.connected('w');
  t.subscribe('w', '#', 0);
  t.connected('a');
  t.drop('a');
  assert.equal(t.received('w'), []);
});

// ---- in-flight window, queues ----

test('4:§4.3 (design) · 5:MQTT-3.3.4-9 v4: no more than maxInflight unacknowledged QoS 1 PUBLISH; the rest follow the PUBACKs in order', () => {
  const t = rig({ maxInflight: 2 });
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p');
  for (let i = 1; i <= 5; i++) t.publish('p', 'a', 'm' + i, 1, i);
  let got = publishes(t, 's');
  assert.equal(got.map((p) => td.decode(p.payload)), ['m1', 'm2']);
  puback(t, 's', got[0].packetId);
  got = publishes(t, 's');
  assert.equal(got.map((p) => td.decode(p.payload)), ['m3']);
  puback(t, 's', got[0].packetId);
  puback(t, 's', 2);
  assert.equal(t.received('s'), ['m4', 'm5']);
});

test('5:MQTT-3.3.4-9 · 5:MQTT-4.9.0-2 v5: the client\'s Receive Maximum 1 limits unacknowledged PUBLISH to one', () => {
  const t = rig({ maxInflight: 8 });
  t.connected('s', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe('s', 'a', 2);
  t.connected('p', { version: 5 });
  t.publish('p', 'a', 'm1', 2, 1);
  t.publish('p', 'a', 'm2', 2, 2);
  assert.equal(t.received('s'), ['m1']);
  t.feed('s', hex('50 02 00 01'));
  assert.equal(t.packets('s').map((p) => p.type), [PUBREL]);   // PUBREC does not free the slot
  t.feed('s', hex('70 02 00 01'));
  assert.equal(t.received('s'), ['m2']);
});

test('5:MQTT-3.3.4-10 · 5:MQTT-4.9.0-3 v5: with the window full, PINGRESP and QoS 0 still flow', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { receiveMaximum: 1 } });
  t.subscribe('s', 'a', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a', 'm1', 1, 1);
  t.publish('p', 'a', 'm2', 1, 2);
  t.sent('s');
  t.feed('s', hex('C0 00'));
  assert.is(toHex(t.sent('s')), 'D0 00');
  t.broker.publish('a', 'zero', 0, false, t.now);
  assert.equal(t.received('s'), ['zero']);
});

test('5:MQTT-3.3.4-9 · 5:§4.9 v5: messages resent after reconnect count against the new connection\'s Receive Maximum', () => {
  const t = rig({ maxInflight: 8 });
  t.connected('s', PERSIST5);
  t.subscribe('s', 'a', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a', 'm1', 1, 1);
  t.publish('p', 'a', 'm2', 1, 2);
  t.publish('p', 'a', 'm3', 1, 3);
  t.drop('s');
  t.connect('s', { ...PERSIST5, properties: { sessionExpiryInterval: 3600, receiveMaximum: 1 } });
  assert.is(publishes(t, 's').length, 1);
});

// Policy (README, "Limits"): an OFFLINE persistent session's queue is bounded; when it is full
// the message is still accepted for everyone else and that session loses one, counted in
// $SYS/broker/messages/dropped (oldest QoS 0 first when dropOldestQoS0; then the new one
// under dropNew, the oldest under dropOldest: slow-subscriber.test.ts). Holding publishers
// back for a session that may never return would let one abandoned session stop a topic.
test('4:MQTT-3.1.2-5 · 4:MQTT-4.5.0-1 (design) v5: a full offline queue: the message is acknowledged, that session loses it, counted', () => {
  const t = rig({ maxQueued: 2, sysIntervalMs: 0, slowSubscriberPolicy: 'dropNew' });
  t.connected('s', PERSIST5);
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  t.publish('p', 'a', 'm1', 1, 1);
  t.publish('p', 'a', 'm2', 1, 2);
  t.sent('p');
  t.publish('p', 'a', 'm3', 1, 5);
  assert.is(toHex(t.sent('p')), '40 02 00 05');
  assert.is(t.broker.stats.dropped, 1);
  t.connect('s', PERSIST5);
  assert.equal(t.received('s'), ['m1', 'm2']);
});

test('4:MQTT-3.1.2-5 · 4:MQTT-4.5.0-1 (design) v4: a full offline queue drops its oldest QoS 0 first to keep a QoS 1 message', () => {
  const t = rig({ maxQueued: 2, queueQoS0Offline: true, sysIntervalMs: 0 });
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 1);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'q0', 0);
  t.publish('p', 'a', 'm1', 1, 1);
  t.publish('p', 'a', 'm2', 1, 2);
  assert.is(toHex(t.sent('p')), '40 02 00 01 40 02 00 02');
  assert.is(t.broker.stats.dropped, 1);
  t.connect('s', { clean: false });
  assert.equal(t.received('s'), ['m1', 'm2']);
});

test('4:MQTT-3.1.2-5 (design) v4: with dropOldestQoS0 off a full offline queue keeps what it has and drops the new message', () => {
  const t = rig({ maxQueued: 1, dropOldestQoS0: false, queueQoS0Offline: true, sysIntervalMs: 0, slowSubscriberPolicy: 'dropNew' });
  t.connected('s', { clean: false });
  t.subscribe('s', 'a', 2);
  t.drop('s');
  t.connected('p');
  t.publish('p', 'a', 'q0', 0);
  t.publish('p', 'a', 'm2', 2, 2);
  assert.is(toHex(t.sent('p')), '50 02 00 02');
  assert.ok(t.isOpen('p'));
  assert.is(t.broker.stats.dropped, 1);
  t.connect('s', { clean: false });
  assert.equal(t.received('s'), ['q0']);
});

// ---- slow consumers ----

test('(design) slow consumer: QoS 0 beyond maxOutboundBytes is dropped and counted; delivery resumes after writable()', () => {
  // Each frame "a" + one digit is 30 04 00 01 61 3x = 6 bytes. The first write returns false
  // (the port took the frame but is now full); 3 more fit in 20 bytes; the 5th and 6th are dropped.
  const t = rig({ maxOutboundBytes: 20 });
  t.connected('s');
  t.subscribe('s', 'a', 0);
  t.connected('p');
  t.client('s').transport.full = true;
  for (let i = 1; i <= 6; i++) t.publish('p', 'a', '' + i);
  assert.equal(t.received('s'), ['1']);
  assert.is(t.broker.stats.dropped, 2);
  t.client('s').transport.full = false;
  t.writable('s');
  assert.equal(t.received('s'), ['2', '3', '4']);
  t.publish('p', 'a', '7');
  assert.equal(t.received('s'), ['7']);
  assert.ok(t.isOpen('s'));
});

test('(design) slow consumer: other subscribers and the publisher are not held up', () => {
  const t = rig({ maxOutboundBytes: 10 });
  t.connected('slow');
  t.connected('fast');
  t.subscribe('slow', 'a', 0);
  t.subscribe('fast', 'a', 0);
  t.connected('p');
  t.client('slow').transport.full = true;
  for (let i = 1; i <= 5; i++) t.publish('p', 'a', '' + i, 1, i);
  assert.equal(t.received('fast'), ['1', '2', '3', '4', '5']);
  assert.is(t.packets('p').length, 5);
});

test('(design) slow consumer: QoS 1 within its backlog is not dropped; it waits in the queue and is sent after writable()', () => {
  const t = rig({ maxOutboundBytes: 10, maxQueued: 10 });
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p');
  t.client('s').transport.full = true;
  for (let i = 1; i <= 4; i++) t.publish('p', 'a', '' + i, 1, i);
  assert.equal(t.received('s'), ['1']);
  t.client('s').transport.full = false;
  t.writable('s');
  assert.equal(t.received('s'), ['2', '3', '4']);
  assert.is(t.broker.stats.dropped, 0);
});

test('(design) slow consumer: once more than maxOutboundBytes of answers wait, the port is asked to pause reading, and to resume after writable()', () => {
  // The first write returns false (blocked); each PINGRESP (2 bytes) then waits in the core.
  // With maxOutboundBytes 4 the third waiting PINGRESP (6 bytes > 4) stops reading.
  const t = rig({ maxOutboundBytes: 4 });
  t.connected('s');
  t.subscribe('s', 'a', 0);
  t.client('s').transport.full = true;
  t.broker.publish('a', 'x', 0, false, t.now);
  t.feed('s', hex('C0 00 C0 00 C0 00 C0 00 C0 00'));
  assert.is(t.client('s').transport.paused, true);
  t.client('s').transport.full = false;
  t.writable('s');
  assert.is(t.client('s').transport.paused, false);
  const out = t.packets('s');
  assert.equal(out.map((p) => p.type), [PUBLISH, 13, 13, 13, 13, 13]);   // every PINGREQ answered, in order, none lost
});

test.run();
