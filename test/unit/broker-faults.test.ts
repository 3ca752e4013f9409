// Issue 13 §1: no exception from one connection leaves the core. A peer's huge strings never
// reach an error message or a Reason String whole; every packet we send fits the client's
// Maximum Packet Size or is not sent; and whatever a hook, a transport or a bug throws under
// an entry point closes that one connection (5.0: DISCONNECT 0x83), is counted in
// stats.errors ($SYS/broker/errors) and logged once with its stack, while every other
// client carries on.
//
// Frames (5.0 §3.3, §3.14): 30 LL 00 03 61 2F 62 00 ...  PUBLISH QoS 0 "a/b", no properties
//   E0 LL 83 ...  DISCONNECT 0x83 Implementation specific error (+ a Reason String)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, quote, truncateUtf8, encodeUtf8, REASON_STRING_MAX } from '../../core/index.js';
import { disconnectOf, hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const plus = (n: number): string => '+'.repeat(n);

/** A canary pair on their own connections: the broker still routes between them. */
function canaryRoutes(t: Rig): boolean {
  if (!t.clients.has('canary-sub')) {
    t.connected('canary-sub');
    t.subscribe('canary-sub', 'canary', 0);
    t.connected('canary-pub');
  }
  t.publish('canary-pub', 'canary', 'tweet');
  return t.received('canary-sub').join() === 'tweet';
}

/** The Reason String of a 5.0 DISCONNECT as bytes (empty when it has none). */
function reasonOf(bytes: Uint8Array): Uint8Array {
  // E0, Remaining Length (varint), reason code, Property Length (varint), 1F, length, text
  let i = 1;
  while (bytes[i] & 0x80) i++;
  i += 2;                                   // last length byte, reason code
  if (i >= bytes.length) return new Uint8Array(0);
  while (bytes[i] & 0x80) i++;
  i++;
  if (bytes[i] !== 0x1f) return new Uint8Array(0);
  const n = (bytes[i + 1] << 8) | bytes[i + 2];
  return bytes.subarray(i + 3, i + 3 + n);
}

function publish5(responseTopic: string): Uint8Array {
  return encode({ type: 3, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0,
    properties: { responseTopic }, payload: new Uint8Array(1) }, 5);
}

// ---- the packet that killed the process ----

test('5:MQTT-3.3.2-14 v5: a Response Topic of 65,510 "+" closes that connection with DISCONNECT 0x82 and a short Reason String; others carry on', () => {
  const t = rig({ maxPacketSize: 1 << 20 });
  t.connected('p', { version: 5 });
  t.feed('p', publish5(plus(65510)));
  const d = t.sent('p');
  assert.is(d[0], 0xe0, toHex(d.subarray(0, 8)));
  assert.is(d[d[1] & 0x80 ? 3 : 2], 0x82);
  assert.ok(reasonOf(d).length <= REASON_STRING_MAX, 'reason of ' + reasonOf(d).length + ' bytes');
  assert.is(t.isOpen('p'), false);
  assert.is(t.broker.stats.errors, 0);   // a peer's mistake, not a fault
  assert.ok(canaryRoutes(t));
});

test('issue 13: an error message quotes a peer\'s string cut short, never whole', () => {
  const t = rig({ maxPacketSize: 1 << 20 });
  t.connected('p', { version: 5 });
  t.feed('p', publish5(plus(65510)));
  const line = t.logs.find((l) => l.includes('Response Topic')) as string;
  assert.ok(line !== undefined, t.logs.join('\n'));
  assert.ok(line.length < 300, 'log line of ' + line.length + ' characters');
  assert.ok(line.includes('(65510 bytes)'), line);
});

test('issue 13: quote() escapes control characters and cuts after 64 units, not inside a surrogate pair', () => {
  assert.is(quote('a\nb"c'), '"a\\nb\\"c"');
  const s = 'x'.repeat(63) + '\u{1F600}' + 'y'.repeat(10);   // the pair straddles the cut
  const q = quote(s);
  assert.ok(q.startsWith('"' + 'x'.repeat(63) + '"'), q);
  assert.ok(q.endsWith('... (77 bytes)'), q);
});

test('issue 13: truncateUtf8() keeps at most the given bytes and cuts between code points', () => {
  assert.is(truncateUtf8('abc', 128), 'abc');
  const s = 'é'.repeat(100);                      // 200 bytes
  const cut = truncateUtf8(s, 127);
  assert.is(encodeUtf8(cut).length, 126);         // 63 whole characters, not half of the 64th
  assert.is(truncateUtf8('ab\u{1F600}', 5), 'ab');
  assert.is(truncateUtf8('ab\u{1F600}', 6), 'ab\u{1F600}');
});

test('5:MQTT-3.14.2-3 v5: a server Reason String is at most 128 bytes, cut on a UTF-8 boundary', () => {
  const t = rig({ maxPacketSize: 1 << 20 });
  t.connected('p', { version: 5 });
  // The error quotes the start of the topic: 64 two-byte characters make a reason over 128 bytes.
  t.feed('p', publish5('+' + 'é'.repeat(500)));
  const r = reasonOf(t.sent('p'));
  assert.ok(r.length > 0 && r.length <= REASON_STRING_MAX, 'reason of ' + r.length + ' bytes');
  new TextDecoder('utf-8', { fatal: true }).decode(r);   // throws unless well-formed UTF-8
});

test('5:MQTT-3.1.0-2 · 5:§3.14.2.1 v5: a second CONNECT naming no protocol gets DISCONNECT 0x82, never the CONNACK-only 0x84', () => {
  const t = rig();
  t.connected('c', { version: 5 });
  t.feed('c', hex('10 0D 00 00 4D 51 54 54 05 02 00 00 00 00 00'));   // CONNECT, protocol name ""
  assert.is(disconnectOf(t.sent('c')), 'E0 82 +reason');
  assert.is(t.isOpen('c'), false);
});

// ---- the client's Maximum Packet Size, CONNACK included ----

test('5:MQTT-3.1.2-24 v5: a client that allows 8 bytes gets no 16-byte CONNACK: nothing is sent and the connection is closed', () => {
  const t = rig();
  t.connect('c', { version: 5, properties: { maximumPacketSize: 8 } });
  assert.is(toHex(t.sent('c')), '');
  assert.is(t.isOpen('c'), false);
  assert.is(t.broker.connectionCount, 0);
  assert.is(t.broker.sessions.has('c'), false);   // Session Expiry 0: ended with the connection
  assert.ok(canaryRoutes(t));
});

test('5:MQTT-3.1.2-24 v5: a client that allows 16 bytes gets the 16-byte CONNACK', () => {
  const t = rig();
  t.connect('c', { version: 5, properties: { maximumPacketSize: 16 } });
  assert.is(t.sent('c').length, 16);
  assert.ok(t.isOpen('c'));
});

test('5:MQTT-3.1.2-24 v5: a PINGRESP (2 bytes) is not sent to a client that allows 1 byte: closed instead', () => {
  const t = rig();
  // A CONNACK must fit first: a refusal never does, so the check is made on an open connection
  // whose limit is lowered afterwards, as a client's could be on a broker that let it through.
  t.connected('c', { version: 5 });
  t.client('c').connection.maximumPacketSize = 1;
  t.feed('c', hex('C0 00'));   // PINGREQ
  assert.is(toHex(t.sent('c')), '');
  assert.is(t.isOpen('c'), false);
});

// ---- faults under an entry point ----

test('issue 13: a hook that throws closes that connection with DISCONNECT 0x83, counts and logs it once with its stack', () => {
  const t = rig({}, { authorizePublish: (_c, topic) => { if (topic === 'boom') throw new Error('hook bug'); return true; } });
  t.connected('p', { version: 5 });
  t.publish('p', 'boom', 'x');
  assert.is(disconnectOf(t.sent('p')), 'E0 83 +reason');
  assert.is(t.isOpen('p'), false);
  assert.is(t.broker.stats.errors, 1);
  const lines = t.logs.filter((l) => l.includes('hook bug'));
  assert.is(lines.length, 1);
  assert.ok(lines[0].includes('broker-faults.test.ts'), lines[0]);   // the stack
  assert.ok(canaryRoutes(t));
});

test('issue 13: a 3.1.1 connection whose hook throws is closed (no DISCONNECT in 3.1.1)', () => {
  const t = rig({}, { authorizeSubscribe: () => { throw new Error('acl bug'); } });
  t.connected('s');
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.is(toHex(t.sent('s')), '');
  assert.is(t.isOpen('s'), false);
  assert.is(t.broker.stats.errors, 1);
});

test('issue 13: an authenticate hook that throws closes the connection without CONNACK, counted', () => {
  const t = rig({}, { authenticate: (c) => { if (c.clientId === 'c') throw new Error('auth bug'); return true; } });
  t.connect('c', { version: 5 });
  assert.is(toHex(t.sent('c')), '');
  assert.is(t.isOpen('c'), false);
  assert.is(t.broker.stats.errors, 1);
  assert.is(t.broker.connectionCount, 0);
  assert.ok(canaryRoutes(t));
});

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

test('issue 13: a rejected authorizeSubscribe closes the connection with 0x83, counted', async () => {
  const t = rig({}, { authorizeSubscribe: () => Promise.reject(new Error('backend down')) });
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  await settle();
  assert.is(disconnectOf(t.sent('s')), 'E0 83 +reason');
  assert.is(t.broker.stats.errors, 1);
  assert.ok(t.logs.some((l) => l.includes('authorizeSubscribe') && l.includes('backend down')), t.logs.join('\n'));
});

test('issue 13: a rejected authenticate refuses the CONNECT as a server fault (CONNACK 0x83 / 3), counted', async () => {
  const t = rig({}, { authenticate: () => Promise.reject(new Error('db down')) });
  t.connect('c', { version: 5 });
  t.connect('d', { version: 4 });
  await settle();
  assert.is(toHex(t.sent('c')), '20 03 00 83 00');
  assert.is(toHex(t.sent('d')), '20 02 00 03');
  assert.is(t.broker.stats.errors, 2);
});

test('issue 13: authorizeSubscribe answering a Promise for one filter and throwing for the next leaves no rejection unhandled', async () => {
  let unhandled = 0;
  const onUnhandled = (): void => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  let reject: (e: Error) => void = () => {};
  const t = rig({}, {
    authorizeSubscribe: (_c, filter) => {
      if (filter === 'a') return new Promise<boolean>((_res, rej) => { reject = rej; });
      throw new Error('acl bug');
    },
  });
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [
    { topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    { topicFilter: 'b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  reject(new Error('late'));
  await settle();
  process.off('unhandledRejection', onUnhandled);
  assert.is(unhandled, 0);
  assert.is(disconnectOf(t.sent('s')), 'E0 83 +reason');
  assert.is(t.broker.stats.errors, 1);
});

test('issue 13: a throw in a Promise callback (the connected hook after a late authenticate) is caught, not unhandled', async () => {
  let unhandled = 0;
  const onUnhandled = (): void => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  const t = rig({}, { authenticate: () => Promise.resolve(true), connected: () => { throw new Error('connected bug'); } });
  t.connect('c', { version: 5 });
  await settle();
  process.off('unhandledRejection', onUnhandled);
  assert.is(unhandled, 0);
  assert.is(t.broker.stats.errors, 1);
  assert.is(t.isOpen('c'), false);
});

test('issue 13: a subscriber whose transport throws on write is closed; the publisher and others carry on', () => {
  const t = rig();
  t.connected('bad');
  t.subscribe('bad', 'a/b', 1);
  t.connected('good');
  t.subscribe('good', 'a/b', 1);
  t.connected('p');
  t.client('bad').transport.write = () => { throw new Error('socket gone'); };
  t.publish('p', 'a/b', 'hi', 1, 7);
  assert.is(toHex(t.sent('p')), '40 02 00 07');   // PUBACK
  assert.ok(t.isOpen('p'));
  assert.is(t.isOpen('bad'), false);
  assert.equal(t.received('good'), ['hi']);
  assert.is(t.broker.stats.errors, 1);
  assert.ok(canaryRoutes(t));
});

test('issue 13: a 5.0 subscriber whose authorizeRead hook throws gets DISCONNECT 0x83 once the publisher\'s call returns', () => {
  const t = rig({}, { authorizeRead: (clientId) => { if (clientId === 'bad') throw new Error('read bug'); return true; } });
  t.connected('bad', { version: 5 });
  t.subscribe('bad', 'a', 0);
  t.connected('p');
  t.publish('p', 'a', 'x');
  assert.is(disconnectOf(t.sent('bad')), 'E0 83 +reason');
  assert.is(t.isOpen('bad'), false);
  assert.ok(t.isOpen('p'));
});

test('issue 13: a hook that throws in the timer (disconnected, on a keep-alive timeout) is caught; other deadlines still run', () => {
  const t = rig({}, { disconnected: (c) => { if (c.clientId === 'a') throw new Error('disconnected bug'); } });
  t.connected('a', { keepAlive: 1 });
  t.connected('b', { keepAlive: 1 });
  t.advance(2000);
  assert.is(t.isOpen('a'), false);
  assert.is(t.isOpen('b'), false);
  assert.is(t.broker.stats.errors, 1);
  assert.is(t.broker.connectionCount, 0);
});

test('issue 13: $SYS/broker/errors publishes the count', () => {
  const t = rig({ sysIntervalMs: 1000 }, { authorizePublish: (_c, topic) => { if (topic === 'boom') throw new Error('x'); return true; } });
  t.connected('p');
  t.publish('p', 'boom', 'x');
  t.connected('s');
  t.advance(1000);
  t.subscribe('s', '$SYS/broker/errors', 0);
  assert.equal(t.received('s'), ['1']);
});

test('issue 13: a log hook that throws changes nothing else', () => {
  const t = rig({}, { log: () => { throw new Error('log bug'); } });
  t.connected('s');
  t.subscribe('s', 'a', 0);
  t.connected('p');
  t.publish('p', 'a', 'x');
  assert.equal(t.received('s'), ['x']);
});

test('issue 13: the in-process publish refuses a topic that is not a Topic Name (-1); a throwing local subscriber loses that message only', () => {
  const t = rig();
  assert.is(t.broker.publish('a/+', 'x', 0, false, t.now), -1);
  t.broker.subscribe('a', () => { throw new Error('local bug'); }, t.now);
  t.connected('s');
  t.subscribe('s', 'a', 0);
  assert.is(t.broker.publish('a', 'x', 0, false, t.now), 2);
  assert.equal(t.received('s'), ['x']);
  assert.is(t.broker.stats.errors, 1);
  assert.ok(canaryRoutes(t));
});

test('issue 13: an authorizeRead hook that throws for one subscriber closes that subscriber, not the publisher', () => {
  const t = rig({}, { authorizeRead: (clientId) => { if (clientId === 'bad') throw new Error('read bug'); return true; } });
  t.connected('bad');
  t.subscribe('bad', 'a', 0);
  t.connected('good');
  t.subscribe('good', 'a', 0);
  t.connected('p');
  t.publish('p', 'a', 'x');
  assert.ok(t.isOpen('p'));
  assert.is(t.isOpen('bad'), false);
  assert.equal(t.received('good'), ['x']);
  assert.is(t.broker.stats.errors, 1);
  assert.ok(canaryRoutes(t));
});

test.run();
