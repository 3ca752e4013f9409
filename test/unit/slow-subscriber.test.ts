// A subscriber that stops reading hurts only itself (design.md §1, §2; issue 14 §3): its
// backlog is bounded in messages and bytes (maxQueued, maxQueuedBytes), and what a full one
// does is slowSubscriberPolicy: dropNew, dropOldest, disconnect, or (opt-in) hold. Bytes in,
// bytes out, fake clock.
//
// The scene: subscribers "slow" and "fast" on "q" at QoS 1, a publisher "pub". slow's
// transport takes one frame and then says it is full (a client that stopped reading), so m1
// is in flight to it and what follows is queued. Each queued message counts its topic and
// payload plus 80 for its entry: "q" + "mN" + 80 = 83 bytes, so maxQueuedBytes 249 holds m2,
// m3 and m4.
//
//   40 02 00 0N      PUBACK id N
//   30 05 00 01 71 6D 3N   3.x PUBLISH QoS 0 "q" "mN" (7 bytes)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH, createBroker } from '../../core/index.js';
import type { BrokerOptions, PublishPacket, Session } from '../../core/index.js';
import { disconnectOf, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { ConnectOptions, Rig } from '../helpers/rig.js';

const V5_PERSIST: ConnectOptions = { version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } };

function scene(o: BrokerOptions, pubVersion = 4, slow: ConnectOptions = {}): Rig {
  const t = rig({ maxInflight: 100, maxQueued: 100, maxQueuedBytes: 249, sysIntervalMs: 0, ...o });
  t.connected('slow', slow);
  t.subscribe('slow', 'q', 1);
  t.connected('fast');
  t.subscribe('fast', 'q', 1);
  t.connected('pub', { version: pubVersion });
  t.client('slow').transport.full = true;
  return t;
}

/** pub sends QoS 1 "m<from>".."m<to>" to "q" with packet ids from..to. */
function flood(t: Rig, from: number, to: number): void {
  for (let i = from; i <= to; i++) t.publish('pub', 'q', 'm' + i, 1, i);
}

function pubacks(from: number, to: number): string {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push('40 02 00 0' + i.toString(16).toUpperCase());
  return out.join(' ');
}

/** slow starts reading again: its transport takes everything from now on. */
function reads(t: Rig, name = 'slow'): void {
  t.client(name).transport.full = false;
  t.client(name).connection.writable(t.now);
}

function session(t: Rig, id: string): Session {
  return t.broker.sessions.get(id) as Session;
}

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push('m' + i);
  return out;
}

// ---- defaults ----

test('(design) the default policy never holds the publisher: dropOldest on the core, holdTimeoutMs 1 s if hold is chosen', () => {
  const l = createBroker({}, {}, 0).limits;
  assert.is(l.slowSubscriberPolicy, 'dropOldest');
  assert.is(l.maxQueuedBytes, 32768);
  assert.is(l.holdTimeoutMs, 1000);
  const t = scene({ maxQueuedBytes: undefined, slowSubscriberPolicy: undefined, maxQueued: 2 });
  flood(t, 1, 6);
  assert.is(toHex(t.sent('pub')), pubacks(1, 6));
  assert.not.ok(t.client('pub').transport.paused);
});

test('(design) an unknown slowSubscriberPolicy is refused when the broker is made', () => {
  assert.throws(() => createBroker({ slowSubscriberPolicy: 'wait' as unknown as 'hold' }, {}, 0), /slowSubscriberPolicy must be one of dropNew, dropOldest, disconnect, hold, got wait/);
});

// ---- dropNew ----

test('4:MQTT-4.3.2-2 (design) dropNew: with one subscriber\'s backlog full, the 3.1.1 publisher gets every PUBACK at once and the other subscriber every message', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew' });
  flood(t, 1, 8);
  assert.is(toHex(t.sent('pub')), pubacks(1, 8));
  assert.not.ok(t.client('pub').transport.paused);
  assert.equal(t.received('fast'), range(1, 8));
  assert.is(t.broker.stats.dropped, 4);
  assert.is(session(t, 'slow').dropped, 4);
  assert.is(session(t, 'fast').dropped, 0);
});

test('5:MQTT-4.3.2-4 (design) dropNew: a 5.0 publisher gets PUBACK 0x00, never 0x97, while a subscriber\'s backlog is full', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew' }, 5);
  flood(t, 1, 8);
  assert.is(toHex(t.sent('pub')), pubacks(1, 8));
  assert.equal(t.received('fast'), range(1, 8));
});

test('4:MQTT-4.6.0-6 · 5:MQTT-4.6.0-5 dropNew: what the slow subscriber gets is in order, the oldest kept', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew' });
  flood(t, 1, 8);
  assert.equal(t.received('slow'), ['m1']);
  reads(t);
  assert.equal(t.received('slow'), ['m2', 'm3', 'm4']);
  flood(t, 9, 9);
  assert.equal(t.received('slow'), ['m9']);
});

test('(design) the message bound acts too: maxQueued 2 keeps two whatever their bytes', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew', maxQueued: 2, maxQueuedBytes: 1 << 20 });
  flood(t, 1, 5);
  reads(t);
  assert.equal(t.received('slow'), ['m1', 'm2', 'm3']);
  assert.is(session(t, 'slow').dropped, 2);
});

// ---- dropOldest ----

test('4:MQTT-4.6.0-6 · 5:MQTT-4.6.0-5 dropOldest: the newest are kept, delivered in order after the one already in flight', () => {
  const t = scene({ slowSubscriberPolicy: 'dropOldest' });
  flood(t, 1, 8);
  assert.is(toHex(t.sent('pub')), pubacks(1, 8));
  assert.equal(t.received('fast'), range(1, 8));
  reads(t);
  assert.equal(t.received('slow'), ['m1', 'm6', 'm7', 'm8']);
  assert.is(session(t, 'slow').dropped, 4);
});

test('(design) dropOldest: a message larger than the whole backlog is dropped itself; the queue is not emptied for nothing', () => {
  const t = scene({ slowSubscriberPolicy: 'dropOldest' });
  flood(t, 1, 3);
  const big = 'x'.repeat(200);       // 1 + 200 + 80 > 249
  t.publish('pub', 'q', big, 1, 4);
  reads(t);
  assert.equal(t.received('slow'), ['m1', 'm2', 'm3']);
  assert.equal(t.received('fast'), ['m1', 'm2', 'm3', big]);
  assert.is(session(t, 'slow').dropped, 1);
});

// ---- disconnect ----

test('5:§3.14.2.1 disconnect: a 5.0 subscriber whose backlog is full gets DISCONNECT 0x97 (Quota exceeded) and is closed; the others go on', () => {
  const t = scene({ slowSubscriberPolicy: 'disconnect' }, 4, { version: 5 });
  flood(t, 1, 6);
  assert.is(toHex(t.sent('pub')), pubacks(1, 6));
  assert.equal(t.received('fast'), range(1, 6));
  const frames = t.frames('slow');
  assert.is(disconnectOf(Uint8Array.from(frames[frames.length - 1].split(' ').map((x) => parseInt(x, 16)))), 'E0 97 +reason');
  assert.not.ok(t.isOpen('slow'));
  assert.ok(t.isOpen('pub'));
});

test('4:MQTT-4.8.0-1 disconnect: a 3.1.1 subscriber whose backlog is full is closed (3.1.1 has no server DISCONNECT)', () => {
  const t = scene({ slowSubscriberPolicy: 'disconnect' });
  flood(t, 1, 5);
  assert.not.ok(t.isOpen('slow'));
  assert.ok(t.packets('slow').every((p) => p.type === PUBLISH));
  assert.equal(t.received('fast'), range(1, 5));
});

test('4:MQTT-4.4.0-1 · 5:MQTT-4.4.0-1 disconnect: a persistent session keeps its queue; on return it gets the in-flight message again, then the queue, in order', () => {
  const t = scene({ slowSubscriberPolicy: 'disconnect' }, 4, V5_PERSIST);
  flood(t, 1, 7);                 // m5 fills it: disconnected; m6, m7 find its offline queue full
  assert.not.ok(t.isOpen('slow'));
  assert.is(session(t, 'slow').dropped, 3);
  t.connect('slow', V5_PERSIST);
  const got = t.packets('slow').filter((p) => p.type === PUBLISH) as PublishPacket[];
  const td = new TextDecoder();
  assert.equal(got.map((p) => td.decode(p.payload)), ['m1', 'm2', 'm3', 'm4']);
  assert.ok(got[0].dup, 'm1 was sent before: DUP 1');
});

// ---- hold (opt-in) ----

test('4:MQTT-4.3.2-2 (design) hold: the 3.1.1 publisher is held, unacknowledged and unread, until the subscriber has room', () => {
  const t = scene({ slowSubscriberPolicy: 'hold' });
  flood(t, 1, 5);
  assert.is(toHex(t.sent('pub')), pubacks(1, 4));          // no PUBACK for m5
  assert.ok(t.client('pub').transport.paused);
  reads(t);
  assert.is(toHex(t.sent('pub')), pubacks(5, 5));
  assert.not.ok(t.client('pub').transport.paused);
  assert.is(t.broker.stats.dropped, 0);
  assert.equal(t.received('slow'), range(1, 5));
});

test('(design) hold: a 5.0 publisher is held the same way (no PUBACK 0x97)', () => {
  const t = scene({ slowSubscriberPolicy: 'hold' }, 5);
  flood(t, 1, 5);
  assert.is(toHex(t.sent('pub')), pubacks(1, 4));
  assert.ok(t.client('pub').transport.paused);
});

test('(design) hold: after holdTimeoutMs the held message goes on and only the full subscriber loses it, counted', () => {
  const t = scene({ slowSubscriberPolicy: 'hold', holdTimeoutMs: 500 });
  flood(t, 1, 5);
  t.sent('pub');
  t.advance(499);
  assert.is(t.sent('pub').length, 0);
  t.advance(1);
  assert.is(toHex(t.sent('pub')), pubacks(5, 5));
  assert.equal(t.received('fast'), range(1, 5));
  assert.is(session(t, 'slow').dropped, 1);
});

test('(design) hold is logged once while publishers wait, not once per message', () => {
  const t = scene({ slowSubscriberPolicy: 'hold', holdTimeoutMs: 500 });
  flood(t, 1, 5);
  t.advance(500);
  flood(t, 6, 6);
  assert.is(t.logs.filter((l) => l.includes('held')).length, 1);
});

// ---- what counts in the backlog ----

test('(design) frames held unsent count in the backlog: they leave QoS 1 less room', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew', maxOutboundBytes: 1000, maxQueuedBytes: 89 });
  t.publish('pub', 'q', 'm1', 0);      // written; the transport is full after it
  t.publish('pub', 'q', 'm2', 0);      // held unsent: 7 bytes
  t.publish('pub', 'q', 'm3', 0);      // held unsent: 14 bytes
  t.publish('pub', 'q', 'm4', 1, 4);   // 14 + 83 > 89: dropped (alone it would fit)
  assert.is(session(t, 'slow').dropped, 1);
  reads(t);
  assert.equal(t.received('slow'), ['m1', 'm2', 'm3']);
  assert.equal(t.received('fast'), range(1, 4));
});

test('(design) QoS 0 past the backlog is dropped even below maxOutboundBytes', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew', maxOutboundBytes: 1000, maxQueuedBytes: 89 });
  for (let i = 1; i <= 14; i++) t.publish('pub', 'q', 'm' + (i % 10), 0);   // m1 written, then 12 x 7 = 84 held, the 14th (91) dropped
  assert.is(session(t, 'slow').dropped, 1);
  assert.is(t.client('slow').connection.outboundBytes, 84);
});

test('(design) the queue\'s bytes are given back as it drains: a later burst has the whole backlog again', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew' });
  flood(t, 1, 5);
  reads(t);
  t.received('slow');
  t.client('slow').transport.full = true;
  flood(t, 6, 10);
  reads(t);
  assert.equal(t.received('slow'), ['m6', 'm7', 'm8', 'm9']);
  assert.is(session(t, 'slow').queuedBytes, 0);
});

// ---- shared subscriptions ----

test('5:§4.8.2 (design) every member of a shared subscription full: one member\'s policy takes the message (counted), the publisher is not held', () => {
  const t = rig({ maxInflight: 100, maxQueued: 1, sysIntervalMs: 0, slowSubscriberPolicy: 'dropNew' });
  for (const n of ['a', 'b']) {
    t.connected(n, { version: 5 });
    t.subscribe5(n, '$share/g/q', 1);
    t.client(n).transport.full = true;
  }
  t.connected('pub', { version: 5 });
  flood(t, 1, 6);                    // a and b: one in flight and one queued each, then full
  assert.is(toHex(t.sent('pub')), pubacks(1, 6));
  assert.is(session(t, 'a').dropped + session(t, 'b').dropped, 2);
});

// ---- counted and logged ----

test('(design) a full backlog is logged once per episode with the client id, and its end with what was lost', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew' });
  flood(t, 1, 12);
  const full = t.logs.filter((l) => l.startsWith('slow: backlog full'));
  assert.equal(full, ['slow: backlog full: 3 messages, 249 bytes (maxQueued 100, maxQueuedBytes 249); slowSubscriberPolicy dropNew']);
  reads(t);
  assert.ok(t.logs.includes('slow: backlog drained, 8 messages lost while full (8 in all)'), t.logs.join('\n'));
  t.client('slow').transport.full = true;
  flood(t, 13, 18);
  assert.is(t.logs.filter((l) => l.startsWith('slow: backlog full')).length, 2);
});

test('(design) $SYS: clients/slow counts full backlogs, clients/{id}/dropped reports each that lost messages since the last report', () => {
  const t = scene({ slowSubscriberPolicy: 'dropNew', sysIntervalMs: 1000 }, 4, { clientId: 'laggard' });
  t.connected('ops');
  t.subscribe('ops', '$SYS/broker/clients/slow', 0);
  t.subscribe('ops', '$SYS/broker/clients/+/dropped', 0, 2);
  t.advance(1000);
  t.received('ops');
  flood(t, 1, 7);
  t.advance(1000);
  const td = new TextDecoder();
  const report = () => t.packets('ops').filter((p) => p.type === PUBLISH).map((p) => (p as PublishPacket).topic + ' ' + td.decode((p as PublishPacket).payload));
  assert.equal(report(), ['$SYS/broker/clients/laggard/dropped 3', '$SYS/broker/clients/slow 1']);
  reads(t);
  t.advance(1000);
  assert.equal(report(), ['$SYS/broker/clients/laggard/dropped 3', '$SYS/broker/clients/slow 0']);
  t.advance(1000);
  assert.equal(report(), ['$SYS/broker/clients/slow 0']);
});

test('(design) offline: dropNew keeps the oldest queued messages of an offline persistent session, dropOldest the newest', () => {
  for (const [policy, kept] of [['dropNew', ['m1', 'm2', 'm3']], ['dropOldest', ['m3', 'm4', 'm5']]] as const) {
    const t = rig({ maxQueuedBytes: 249, sysIntervalMs: 0, slowSubscriberPolicy: policy });
    t.connected('s', V5_PERSIST);
    t.subscribe('s', 'q', 1);
    t.drop('s');
    t.connected('pub');
    flood(t, 1, 5);
    assert.is(toHex(t.sent('pub')), pubacks(1, 5));
    t.connect('s', V5_PERSIST);
    assert.equal(t.received('s'), kept, policy);
  }
});

test.run();
