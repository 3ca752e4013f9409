// Exact deadlines (issue 13 §3, core/broker/deadlines.ts): the port passes the time into every
// call and arms one timer for broker.nextDeadline(); the rig's advance() does exactly that, so
// a deadline the core did not announce, or announced early, shows here. Keep-alive counts
// whole Control Packets [MQTT-3.1.2-24]; a connection that has not finished CONNECT (a hook
// that never answers, enhanced authentication left half way) times out as one that never
// sent it; a publisher the broker holds is not closed while we are the ones not reading it;
// maxKeepAlive caps what a client may ask (5.0: Server Keep Alive, §3.2.2.3.14).
//
// Frames (hand-derived, 3.1.1 §3.2 and 5.0 §3.2):
//   3.1.1 CONNACK accepted 20 02 00 00; identifier rejected 20 02 00 02
//   5.0 CONNACK accepted, no properties but the broker's own: 20 LL 00 00 PL ...
//   Server Keep Alive property: 13 + two bytes (30 s: 13 00 1E)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const PINGREQ = hex('C0 00');

function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function connack(t: Rig, name: string): Packet & { reasonCode: number; properties: Record<string, unknown> | null } {
  const p = t.packets(name);
  if (p.length < 1 || p[0].type !== 2) throw new Error('no CONNACK for ' + name + ': ' + JSON.stringify(p));
  return p[0] as Packet & { reasonCode: number; properties: Record<string, unknown> | null };
}

// ---- the one timer ----

test('(design) an idle broker has no deadline: nextDeadline() is -1 and the port\'s timer sleeps', () => {
  const t = rig();
  assert.is(t.broker.nextDeadline(), -1);
  t.connected('a', { keepAlive: 0 });
  t.advance(24 * 3600 * 1000);
  assert.is(t.broker.nextDeadline(), -1);
  assert.ok(t.isOpen('a'));
});

test('(design) a new connection announces its connect timeout: nextDeadline() is opened + connectTimeoutMs + 1', () => {
  const t = rig({ connectTimeoutMs: 3000 });
  t.advance(250);
  t.open('a');
  assert.is(t.broker.nextDeadline(), 3251);
});

test('(design) keep-alive costs one wake per period, not one per packet: PINGREQ every second for a minute with Keep Alive 10 wakes the broker at most 5 times', () => {
  const t = rig();
  t.connected('a', { keepAlive: 10 });
  t.timeouts = 0;
  for (let i = 0; i < 60; i++) {
    t.advance(1000);
    t.feed('a', PINGREQ);
  }
  assert.ok(t.isOpen('a'));
  assert.ok(t.timeouts <= 5, t.timeouts + ' wakes');
});

test('(design) a clock that goes backwards is not followed: a deadline never moves earlier', () => {
  const t = rig();
  t.advance(5000);
  t.connected('a', { keepAlive: 1 });
  assert.is(t.broker.nextDeadline(), 6501);
  t.client('a').connection.receive(PINGREQ, 100);   // a port whose clock jumped back
  assert.is(t.broker.nowMs, 5000);
  assert.is(t.broker.nextDeadline(), 6501);
});

// ---- keep-alive [MQTT-3.1.2-24] ----

test('4:MQTT-3.1.2-24 v4: PINGREQ every 1.3 s with Keep Alive 1 keeps the connection open (1.5 s allowed, never less)', () => {
  const t = rig();
  t.connected('a', { keepAlive: 1 });
  for (let i = 0; i < 20; i++) {
    t.advance(1300);
    assert.ok(t.isOpen('a'), 'open at ' + t.now + ' ms');
    t.feed('a', PINGREQ);
  }
  t.advance(1500);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-24 v4: a partial PUBLISH trickled one byte every 2 s does not count: Keep Alive 5 closes at 7.5 s after CONNECT', () => {
  const t = rig();
  t.connected('a', { keepAlive: 5 });
  // PUBLISH QoS 0 "a/b" "hello": 30 0A 00 03 61 2F 62 68 65 6C 6C 6F, sent a byte at a time
  const bytes = hex('30 0A 00 03 61 2F 62 68 65 6C 6C 6F');
  t.advance(2000);
  t.feed('a', bytes.subarray(0, 1));
  t.advance(2000);
  t.feed('a', bytes.subarray(1, 2));
  t.advance(2000);
  t.feed('a', bytes.subarray(2, 3));
  t.advance(1500);   // 7.5 s since CONNECT, the last whole Control Packet
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
});

test('4:MQTT-3.1.2-24 v4: the packet completed by the last byte of a trickle counts, from the time it completed', () => {
  const t = rig();
  t.connected('a', { keepAlive: 5 });
  t.advance(4000);
  t.feed('a', hex('C0'));
  t.advance(3000);
  t.feed('a', hex('00'));   // PINGREQ complete at 7 s
  assert.is(toHex(t.sent('a')), 'D0 00');
  t.advance(7500);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.1.2-22 v5: keep-alive is exact also when the packet came between two of the broker\'s wakes', () => {
  const t = rig();
  t.connected('a', { version: 5, keepAlive: 2 });
  t.advance(2999);
  t.feed('a', PINGREQ);   // the entry still says 3001: the broker wakes then and finds it later
  t.sent('a');
  t.advance(3000);   // 3 s since the PINGREQ: 1.5 x Keep Alive, not more
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(disconnectOf(t.sent('a')), 'E0 8D +reason');
  assert.is(t.isOpen('a'), false);
});

// ---- CONNECT not finished ----

test('(design) v4: an authenticate hook that never answers: closed at connectTimeoutMs like a missing CONNECT, no CONNACK', () => {
  const t = rig({ connectTimeoutMs: 5000 }, { authenticate: () => new Promise<boolean>(() => { /* never */ }) });
  t.connect('a');
  t.advance(5000);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');
  assert.ok(t.logs.some((l) => /CONNECT not completed within 5000 ms/.test(l)), JSON.stringify(t.logs));
});

test('5:§4.12 (design) v5: enhanced authentication left half way (AUTH 0x18 sent, no answer): closed at connectTimeoutMs', () => {
  const t = rig({ connectTimeoutMs: 4000 }, { authenticateEnhanced: () => ({ reasonCode: 0x18 }) });
  t.connect('a', { version: 5, properties: { authenticationMethod: 'M' } });
  assert.is(t.packets('a')[0].type, 15);   // AUTH continue
  t.advance(4000);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
  assert.is(toHex(t.sent('a')), '');   // never accepted: no DISCONNECT (5.0 §4.13)
});

test('4:MQTT-3.1.2-24 v4: Keep Alive 1 with an authenticate hook that answers at 5 s: the period starts when we read again, closed at 6.501 s', async () => {
  let answer: (ok: boolean) => void = () => {};
  const t = rig({}, { authenticate: () => new Promise<boolean>((resolve) => { answer = resolve; }) });
  t.connect('a', { keepAlive: 1 });
  t.advance(5000);
  answer(true);
  await flush();
  assert.is(connack(t, 'a').reasonCode, 0);
  t.advance(1500);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
});

// ---- a publisher the broker holds (slowSubscriberPolicy 'hold') ----

/** Subscriber "s" (window 1, queue 1) with m1 in flight and m2 queued from publisher "p": p's next QoS 1 PUBLISH is held. */
function fullSubscriber(holdTimeoutMs: number, publisherKeepAlive: number): Rig {
  const t = rig({ maxInflight: 1, maxQueued: 1, slowSubscriberPolicy: 'hold', holdTimeoutMs });
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p', { keepAlive: publisherKeepAlive });
  t.publish('p', 'a', 'm1', 1, 1);   // in flight
  t.publish('p', 'a', 'm2', 1, 2);   // queued
  t.sent('p');
  return t;
}

test('(design) · 4:MQTT-3.1.2-24 v4: a publisher held for a full subscriber is not closed for keep-alive while held; its period starts again when released', () => {
  const t = fullSubscriber(30000, 1);
  t.publish('p', 'a', 'm3', 1, 3);   // no room: held, and p is no longer read
  t.advance(10000);
  assert.ok(t.isOpen('p'), 'held for 10 s with Keep Alive 1: still open');
  t.feed('s', hex('40 02 00 01'));   // PUBACK 1: m2 goes out, m3 into the queue, p read again
  assert.is(toHex(t.sent('p')), '40 02 00 03');
  t.advance(1500);
  assert.ok(t.isOpen('p'));
  t.advance(1);
  assert.is(t.isOpen('p'), false);
});

test('(design) a held publisher goes on at exactly holdTimeoutMs, not before', () => {
  const t = fullSubscriber(3000, 0);
  t.advance(100);
  t.publish('p', 'a', 'm3', 1, 3);   // held at 100 ms
  t.advance(2999);
  assert.is(toHex(t.sent('p')), '');
  t.advance(1);
  assert.is(toHex(t.sent('p')), '40 02 00 03');
});

// ---- will delay and session expiry, at the time the connection ended ----

test('5:MQTT-3.1.3-9 · 5:MQTT-3.1.2-8 v5: Will Delay 3 s after a drop at 0.7 s: nothing at 3.699 s, the will at 3.7 s', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'w', 0);
  t.connected('c', { version: 5, properties: { sessionExpiryInterval: 60 }, will: { topic: 'w', payload: 'gone', qos: 0, retain: false, properties: { willDelayInterval: 3 } } });
  t.advance(700);
  t.drop('c');
  assert.is(t.broker.nextDeadline(), 3700);
  t.advance(2999);
  assert.equal(t.frames('s'), []);
  t.advance(1);
  assert.equal(t.frames('s'), ['30 08 00 01 77 00 67 6F 6E 65']);
});

test('5:MQTT-3.1.2-23 v5: Session Expiry 2 s: a reconnect at 1.999 s after the drop finds the session, one at 2 s does not', () => {
  for (const [after, present] of [[1999, true], [2000, false]] as Array<[number, boolean]>) {
    const t = rig();
    const o = { version: 5, clean: false, properties: { sessionExpiryInterval: 2 } };
    t.connected('c', o);
    t.subscribe('c', 'x', 1);
    t.advance(300);
    t.drop('c');
    t.advance(after);
    t.connect('c', o);
    const p = connack(t, 'c') as unknown as { sessionPresent: boolean };
    assert.is(p.sessionPresent, present, after + ' ms after the drop');
  }
});

// ---- maxKeepAlive ----

test('5:§3.2.2.3.14 · 5:MQTT-3.1.2-22 v5: maxKeepAlive 30: a client asking 60 is told Server Keep Alive 30 (13 00 1E) and held to it: open at 45 s, DISCONNECT 0x8D after', () => {
  const t = rig({ maxKeepAlive: 30 });
  t.connect('a', { version: 5, keepAlive: 60 });
  assert.ok(toHex(t.sent('a')).includes('13 00 1E'));
  t.advance(45000);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(disconnectOf(t.sent('a')), 'E0 8D +reason');
});

test('5:§3.2.2.3.14 · 5:MQTT-3.1.2-22 v5: maxKeepAlive 30: a client asking Keep Alive 0 is told Server Keep Alive 30', () => {
  const t = rig({ maxKeepAlive: 30 });
  t.connect('a', { version: 5, keepAlive: 0 });
  assert.is(connack(t, 'a').properties?.serverKeepAlive, 30);
  t.advance(45001);
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.2.2-22 v5: maxKeepAlive 30: a client asking 20 gets no Server Keep Alive and keeps its 20', () => {
  const t = rig({ maxKeepAlive: 30 });
  t.connect('a', { version: 5, keepAlive: 20 });
  assert.is(connack(t, 'a').properties?.serverKeepAlive, undefined);
  t.advance(30000);
  assert.ok(t.isOpen('a'));
  t.advance(1);
  assert.is(t.isOpen('a'), false);
});

test('5:MQTT-3.2.2-22 v5: serverKeepAlive equal to the client\'s Keep Alive is not sent (it changes nothing)', () => {
  const t = rig({ serverKeepAlive: 20 });
  t.connect('a', { version: 5, keepAlive: 20 });
  assert.is(connack(t, 'a').properties?.serverKeepAlive, undefined);
});

test('5:§3.2.2.3.14 · 5:MQTT-3.1.2-22 v5: serverKeepAlive 60 over maxKeepAlive 30: the client is told 30', () => {
  const t = rig({ serverKeepAlive: 60, maxKeepAlive: 30 });
  t.connect('a', { version: 5, keepAlive: 10 });
  assert.is(connack(t, 'a').properties?.serverKeepAlive, 30);
});

for (const version of [3, 4]) {
  test(`(design) v${version}: maxKeepAlive 30 with the default policy "accept": Keep Alive 60 is accepted and kept (3.x cannot be told otherwise)`, () => {
    const t = rig({ maxKeepAlive: 30 });
    t.connect('a', { version, keepAlive: 60 });
    assert.is(toHex(t.sent('a')), '20 02 00 00');
    t.advance(90000);
    assert.ok(t.isOpen('a'));
    t.advance(1);
    assert.is(t.isOpen('a'), false);
  });

  test(`(design) v${version}: maxKeepAlive 30 with the default policy "accept": Keep Alive 0 is accepted, never timed out`, () => {
    const t = rig({ maxKeepAlive: 30 });
    t.connect('a', { version, keepAlive: 0 });
    assert.is(toHex(t.sent('a')), '20 02 00 00');
    t.advance(3600 * 1000);
    assert.ok(t.isOpen('a'));
  });

  test(`4:MQTT-3.2.2-6 (design) v${version}: maxKeepAlivePolicy3x "refuse": Keep Alive 60 over maxKeepAlive 30 gets CONNACK 0x02 (20 02 00 02) and is closed, as mosquitto does`, () => {
    const t = rig({ maxKeepAlive: 30, maxKeepAlivePolicy3x: 'refuse' });
    t.connect('a', { version, keepAlive: 60 });
    assert.is(toHex(t.sent('a')), '20 02 00 02');
    assert.is(t.isOpen('a'), false);
  });

  test(`4:MQTT-3.2.2-6 (design) v${version}: maxKeepAlivePolicy3x "refuse" also refuses Keep Alive 0 (no keep-alive is more than any maximum)`, () => {
    const t = rig({ maxKeepAlive: 30, maxKeepAlivePolicy3x: 'refuse' });
    t.connect('a', { version, keepAlive: 0 });
    assert.is(toHex(t.sent('a')), '20 02 00 02');
    assert.is(t.isOpen('a'), false);
  });

  test(`(design) v${version}: maxKeepAlivePolicy3x "refuse": Keep Alive 30 (the maximum) is accepted`, () => {
    const t = rig({ maxKeepAlive: 30, maxKeepAlivePolicy3x: 'refuse' });
    t.connect('a', { version, keepAlive: 30 });
    assert.is(toHex(t.sent('a')), '20 02 00 00');
  });
}

test.run();
