// Limits before login (issue 13 §2), through bytes and the fake clock: a CONNECT has its own
// maximum (maxConnectSize, checked on the fixed header), connections that have not completed
// CONNECT are capped in number (maxPending) and in the bytes their decoders hold
// (maxPendingBytes), the oldest closed first, and maxConnections counts accepted clients only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONNECT, PUBLISH, encode } from '../../core/index.js';
import type { Hooks } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

/** A 3.1.1 CONNECT of exactly `size` bytes (the password pads it), client id `id`. */
function connectOfSize(size: number, id: string): Uint8Array {
  const make = (pad: number): Uint8Array => encode({
    type: CONNECT, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null, clientId: id,
    will: null, username: 'u', password: new Uint8Array(pad),
  }, 4);
  let pad = size - make(0).length;
  while (make(pad).length > size) pad--;
  const bytes = make(pad);
  if (bytes.length !== size) throw new Error('cannot make a CONNECT of ' + size + ' bytes');
  return bytes;
}

const CONNACK_OK = '20 02 00 00';
const CONNACK_SERVER_UNAVAILABLE = '20 02 00 03';

// ---- maxConnectSize ----

test('(limit) maxConnectSize: a CONNECT whose fixed header announces more is refused on the header, before a body byte is kept', () => {
  const t = rig({ maxConnectSize: 1024, maxPacketSize: 65536 });
  t.open('a');
  t.feed('a', hex('10 80 80 04'));   // CONNECT, Remaining Length 65,536: nothing of the body sent yet
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
  assert.is(t.broker.stats.connectTooLarge, 1);
  assert.is(t.broker.pendingBytes, 0);
});

test('(limit) maxConnectSize: a CONNECT of exactly maxConnectSize bytes is accepted, one byte more is refused', () => {
  const t = rig({ maxConnectSize: 600, maxPacketSize: 65536 });
  t.open('a');
  t.feed('a', connectOfSize(600, 'a'));
  assert.is(toHex(t.sent('a')), CONNACK_OK);
  t.open('b');
  t.feed('b', connectOfSize(601, 'b'));
  assert.is(t.isOpen('b'), false);
  assert.is(toHex(t.sent('b')), '');
});

test('(limit) maxConnectSize: a 5.0 CONNECT full of User Properties is bounded by it (refused, nothing answered)', () => {
  const t = rig({ maxConnectSize: 65536, maxPacketSize: 1 << 20 });
  const userProperties: Array<[string, string]> = [];
  for (let i = 0; i < 12000; i++) userProperties.push(['k' + i, 'v'.repeat(50)]);   // about 750 KB
  t.open('a', 5);
  t.send('a', {
    type: CONNECT, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0, properties: { userProperties },
    clientId: 'a', will: null, username: null, password: null,
  });
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
  assert.is(t.broker.stats.connectTooLarge, 1);
});

test('(limit) maxConnectSize: a smaller maxPacketSize still bounds the CONNECT', () => {
  const t = rig({ maxConnectSize: 4096, maxPacketSize: 512 });
  t.open('a');
  t.feed('a', connectOfSize(513, 'a'));
  assert.is(t.isOpen('a'), false);
});

test('(limit) maxConnectSize: once accepted, packets up to maxPacketSize are read', () => {
  const t = rig({ maxConnectSize: 256, maxPacketSize: 4096 });
  t.connected('sub');
  t.subscribe('sub', 't', 0);
  t.connected('pub');
  t.publish('pub', 't', 'x'.repeat(2000));
  assert.ok(t.isOpen('pub'));
  assert.is(t.received('sub')[0].length, 2000);
});

// ---- maxPending ----

test('(limit) maxPending: past it the oldest connection that has not completed CONNECT is closed, counted', () => {
  const t = rig({ maxPending: 2 });
  t.open('s1');
  t.advance(1);
  t.open('s2');
  t.open('s3');
  assert.is(t.isOpen('s1'), false);
  assert.ok(t.isOpen('s2'));
  assert.ok(t.isOpen('s3'));
  assert.is(t.broker.stats.pendingClosed, 1);
  assert.is(t.broker.pending.size, 2);
});

test('(limit) maxPending: a real client connects while silent connections hold every pending place', () => {
  const t = rig({ maxPending: 3, maxConnections: 2 });
  for (let i = 0; i < 10; i++) t.open('silent' + i);
  t.connect('real');
  assert.is(toHex(t.sent('real')), CONNACK_OK);
  assert.is(t.broker.clientCount, 1);
  assert.is(t.broker.pending.size, 2);
});

test('(limit) maxPending: an accepted client is not pending and is never closed for it', () => {
  const t = rig({ maxPending: 1 });
  t.connected('a');
  t.open('s1');
  t.open('s2');
  assert.ok(t.isOpen('a'));
  assert.is(t.isOpen('s1'), false);
});

const DECIDING: Partial<Hooks> = { authenticate: () => new Promise<boolean>(() => { /* never settles */ }) };

test('(limit) maxPending: a silent connection is closed before an older one whose authentication is deciding', () => {
  const t = rig({ maxPending: 2 }, DECIDING);
  t.connect('deciding');
  t.open('silent');
  t.open('next');
  assert.ok(t.isOpen('deciding'));
  assert.is(t.isOpen('silent'), false);
  assert.ok(t.isOpen('next'));
});

test('(limit) maxPending: connections whose authentication is deciding are pending too: with no silent one left, the oldest goes', () => {
  const t = rig({ maxPending: 1 }, DECIDING);
  t.connect('deciding');
  t.open('next');
  assert.is(t.isOpen('deciding'), false);
  assert.ok(t.isOpen('next'));
});

// ---- maxConnections counts accepted clients ----

test('4:MQTT-3.2.2-6 (0x03) maxConnections counts accepted clients: silent connections do not fill it', () => {
  const t = rig({ maxConnections: 1, maxPending: 8 });
  for (let i = 0; i < 5; i++) t.open('silent' + i);
  t.connect('a');
  assert.is(toHex(t.sent('a')), CONNACK_OK);
  t.connect('b');
  assert.is(toHex(t.sent('b')), CONNACK_SERVER_UNAVAILABLE);
  assert.is(t.broker.clientCount, 1);
});

test('4:MQTT-3.1.4-2 maxConnections: a client taking over its own session is let in at the limit', () => {
  const t = rig({ maxConnections: 1 });
  t.connected('a', { clean: false });
  t.connect('a2', { clientId: 'a', clean: false });
  assert.is(toHex(t.sent('a2')), '20 02 01 00');
  assert.is(t.isOpen('a'), false);
  assert.is(t.broker.clientCount, 1);
});

test('4:MQTT-3.2.2-6 (0x03) maxConnections: clients accepted while a hook decided count when it answers', async () => {
  let answer: (ok: boolean) => void = () => {};
  const t = rig({ maxConnections: 1 }, { authenticate: (_c, user) => user === 'late' ? new Promise<boolean>((r) => { answer = r; }) : true });
  t.connect('late', { username: 'late' });
  t.connect('quick');
  assert.is(toHex(t.sent('quick')), CONNACK_OK);
  answer(true);
  await Promise.resolve();
  await Promise.resolve();
  assert.is(toHex(t.sent('late')), CONNACK_SERVER_UNAVAILABLE);
  assert.is(t.broker.clientCount, 1);
});

// ---- maxPendingBytes ----

/** Sends all but the last byte of a CONNECT of `size` bytes in two reads: its body spans them. */
function halfSend(t: ReturnType<typeof rig>, name: string, size: number): void {
  const bytes = connectOfSize(size, name);
  t.open(name);
  t.feed(name, bytes.subarray(0, 10));
  t.feed(name, bytes.subarray(10, size - 1));
}

test('(limit) maxPendingBytes: a CONNECT spanning reads holds its body against it until it completes', () => {
  const t = rig({ maxConnectSize: 1000, maxPendingBytes: 4000 });
  const bytes = connectOfSize(1000, 'a');
  t.open('a');
  t.feed('a', bytes.subarray(0, 10));
  assert.is(t.broker.pendingBytes, 997);   // the body: 1000 less the 3-byte fixed header
  t.feed('a', bytes.subarray(10));
  assert.is(toHex(t.sent('a')), CONNACK_OK);
  assert.is(t.broker.pendingBytes, 0);
});

test('(limit) maxPendingBytes: past it the oldest pending connection holding bytes is closed first, counted', () => {
  const t = rig({ maxConnectSize: 1000, maxPendingBytes: 2500, maxPending: 16 });
  t.open('silent');
  halfSend(t, 'h1', 1000);
  halfSend(t, 'h2', 1000);
  halfSend(t, 'h3', 1000);
  assert.is(t.isOpen('h1'), false);
  assert.ok(t.isOpen('h2') && t.isOpen('h3') && t.isOpen('silent'));
  assert.is(t.broker.stats.pendingBytesClosed, 1);
  assert.is(t.broker.pendingBytes, 2 * 997);
});

test('(limit) maxPendingBytes: a CONNECT that cannot fit on its own is refused before its body is allocated', () => {
  const t = rig({ maxConnectSize: 4000, maxPendingBytes: 1000 });
  t.open('big');
  t.feed('big', connectOfSize(2000, 'big').subarray(0, 10));
  assert.is(t.isOpen('big'), false);
  assert.is(t.broker.pendingBytes, 0);
});

test('(limit) maxPendingBytes: a CONNECT read whole in one chunk holds nothing and always gets in', () => {
  const t = rig({ maxConnectSize: 1000, maxPendingBytes: 1000 });
  halfSend(t, 'h1', 1000);
  t.open('real');
  t.feed('real', connectOfSize(900, 'real'));
  assert.is(toHex(t.sent('real')), CONNACK_OK);
  assert.ok(t.isOpen('h1'));
});

test('(limit) maxPendingBytes: a closed pending connection gives its bytes back', () => {
  const t = rig({ maxConnectSize: 1000, maxPendingBytes: 4000 });
  halfSend(t, 'h1', 1000);
  t.drop('h1');
  assert.is(t.broker.pendingBytes, 0);
  assert.is(t.broker.pending.size, 0);
});

test('(limit) connect timeout: a half-sent CONNECT is closed after connectTimeoutMs and gives its bytes back', () => {
  const t = rig({ maxConnectSize: 1000, connectTimeoutMs: 5000 });
  halfSend(t, 'h1', 1000);
  t.advance(5001);
  assert.is(t.isOpen('h1'), false);
  assert.is(t.broker.pendingBytes, 0);
});

// ---- $SYS ----

test('(limit) $SYS: clients/connected counts accepted clients, clients/pending the others, limits/* how often each acted', () => {
  const t = rig({ maxPending: 1, sysIntervalMs: 1000 });
  t.connected('sub');
  t.subscribe('sub', '$SYS/broker/#', 0);
  t.packets('sub');
  t.open('s1');
  t.open('s2');
  t.advance(1000);
  const got = new Map<string, string>();
  const td = new TextDecoder();
  for (const p of t.packets('sub')) if (p.type === PUBLISH) got.set(p.topic, td.decode(p.payload));
  assert.is(got.get('$SYS/broker/clients/connected'), '1');
  assert.is(got.get('$SYS/broker/clients/pending'), '1');
  assert.is(got.get('$SYS/broker/limits/maxPending'), '1');
  assert.is(got.get('$SYS/broker/limits/maxConnectSize'), '0');
  assert.is(got.get('$SYS/broker/limits/maxPendingBytes'), '0');
});

test.run();
