// Limits on sessions of clients gone away (issue 13 §2), through bytes and the fake clock: a
// 3.x persistent session ends persistentSessionExpirySeconds after its client left, at most
// maxSessions sessions are kept (the one away longest ends first), and the messages queued
// for sessions whose client is away fit maxOfflineBytes broker-wide.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH } from '../../core/index.js';
import { toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

const HOUR = 3600 * 1000;

/** A persistent 3.1.1 session `name` subscribed to a/b at QoS 1, its client gone. */
function away(t: ReturnType<typeof rig>, name: string): void {
  t.connected(name, { clean: false });
  t.subscribe(name, 'a/b', 1);
  t.drop(name);
}

// ---- persistentSessionExpirySeconds ----

test('4:MQTT-3.1.2-4 (limit) persistentSessionExpirySeconds: a Clean Session 0 session ends an hour (the default) after its client left, counted', () => {
  const t = rig();
  away(t, 's');
  t.advance(HOUR - 1000);
  assert.ok(t.broker.sessions.has('s'));
  t.advance(2000);
  assert.is(t.broker.sessions.has('s'), false);
  assert.is(t.broker.stats.sessionsExpired, 1);
  assert.is(t.broker.sessionCount, 0);
});

test('4:MQTT-3.1.2-4 (limit) persistentSessionExpirySeconds: the client back in time finds its session (Session Present 1), and the hour starts again when it leaves', () => {
  const t = rig({ persistentSessionExpirySeconds: 60 });
  away(t, 's');
  t.advance(59000);
  t.connect('s', { clean: false });
  assert.is(toHex(t.sent('s')), '20 02 01 00');
  t.drop('s');
  t.advance(59000);
  assert.ok(t.broker.sessions.has('s'));
  t.advance(2000);
  assert.is(t.broker.sessions.has('s'), false);
});

test('4:MQTT-3.1.2-4 (limit) persistentSessionExpirySeconds: maxSessionExpirySeconds caps it too', () => {
  const t = rig({ persistentSessionExpirySeconds: 3600, maxSessionExpirySeconds: 60 });
  away(t, 's');
  t.advance(61000);
  assert.is(t.broker.sessions.has('s'), false);
});

// ---- maxSessions ----

test('(limit) maxSessions: a new session past it ends the session whose client has been away longest, counted', () => {
  const t = rig({ maxSessions: 2 });
  away(t, 'old');
  t.advance(1000);
  away(t, 'newer');
  t.connected('c');
  assert.is(t.broker.sessions.has('old'), false);
  assert.ok(t.broker.sessions.has('newer'));
  assert.is(t.broker.sessionCount, 2);
  assert.is(t.broker.stats.sessionsCapped, 1);
  t.connect('old2', { clientId: 'old', clean: false });
  assert.is(toHex(t.sent('old2')), CONNACK_OK_ABSENT);
});

const CONNACK_OK_ABSENT = '20 02 00 00';

test('4:MQTT-3.2.2-6 (0x03) maxSessions: with every session online a new one is refused: CONNACK 0x03, counted', () => {
  const t = rig({ maxSessions: 1 });
  t.connected('a');
  t.connect('b');
  assert.is(toHex(t.sent('b')), '20 02 00 03');
  assert.is(t.isOpen('b'), false);
  assert.is(t.broker.stats.sessionsCapped, 1);
});

test('5:MQTT-3.2.2-6 (0x97) v5 maxSessions: with every session online a new one is refused: CONNACK 0x97 Quota exceeded', () => {
  const t = rig({ maxSessions: 1 });
  t.connected('a', { version: 5 });
  t.connect('b', { version: 5 });
  assert.is(toHex(t.sent('b')), '20 03 00 97 00');
});

test('(limit) maxSessions: a client that has a session gets back in at the limit, and one taking its session over too', () => {
  const t = rig({ maxSessions: 1 });
  away(t, 'a');
  t.connect('a', { clean: false });
  assert.is(toHex(t.sent('a')), '20 02 01 00');
  t.connect('a2', { clientId: 'a', clean: false });
  assert.is(toHex(t.sent('a2')), '20 02 01 00');
  assert.is(t.broker.stats.sessionsCapped, 0);
});

test('(limit) maxSessions: the application\'s own subscriptions are not sessions it counts', () => {
  const t = rig({ maxSessions: 1 });
  t.broker.subscribe('x/#', () => {}, 0);
  t.connected('a');
  assert.is(t.broker.sessionCount, 1);
});

// ---- maxOfflineBytes ----

// Each queued message here counts 3 (a/b) + 50 (payload) + 80 (the entry) = 133 bytes.
const P = 'x'.repeat(50);

test('4:MQTT-3.1.2-5 (limit) maxOfflineBytes: messages for a session whose client is away fit it; past it the new one is dropped, counted', () => {
  const t = rig({ maxOfflineBytes: 300 });
  away(t, 's');
  t.connected('pub');
  for (let i = 1; i <= 3; i++) t.publish('pub', 'a/b', P + i, 1, i);
  assert.is(t.broker.offlineBytes, 268);   // 134 each: the payload is 51 bytes here
  assert.is(t.broker.stats.offlineDropped, 1);
  assert.is(t.broker.stats.dropped, 1);
  t.connect('s', { clean: false });
  assert.equal(t.received('s'), [P + 1, P + 2]);
});

test('4:MQTT-3.1.2-5 (limit) maxOfflineBytes: the cap is broker-wide: one session\'s queue leaves less room for another', () => {
  const t = rig({ maxOfflineBytes: 300 });
  away(t, 's1');
  away(t, 's2');
  t.connected('pub');
  t.publish('pub', 'a/b', P, 1, 1);   // one copy each: 266
  t.publish('pub', 'a/b', P, 1, 2);   // s1's copy does not fit, nor s2's
  assert.is(t.broker.offlineBytes, 266);
  assert.is(t.broker.stats.offlineDropped, 2);
});

test('4:MQTT-3.1.2-5 (limit) maxOfflineBytes: the session\'s own oldest QoS 0 message goes first (dropOldestQoS0)', () => {
  const t = rig({ maxOfflineBytes: 300, queueQoS0Offline: true });
  t.connected('s', { clean: false });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.connected('pub');
  t.publish('pub', 'a/b', P + 'q0', 0);
  t.publish('pub', 'a/b', P + 1, 1, 1);
  t.publish('pub', 'a/b', P + 2, 1, 2);
  assert.is(t.broker.stats.offlineDropped, 1);
  t.connect('s', { clean: false });
  assert.equal(t.received('s'), [P + 1, P + 2]);
});

test('(limit) maxOfflineBytes: a client back takes its bytes out of the count, and an ended session gives them back', () => {
  const t = rig({ maxOfflineBytes: 1000, persistentSessionExpirySeconds: 60 });
  away(t, 's1');
  away(t, 's2');
  t.connected('pub');
  t.publish('pub', 'a/b', P, 1, 1);
  assert.is(t.broker.offlineBytes, 266);
  t.connect('s1', { clean: false });
  assert.is(t.broker.offlineBytes, 133);
  t.advance(61000);
  assert.is(t.broker.sessions.has('s2'), false);
  assert.is(t.broker.offlineBytes, 0);
});

test('(limit) maxOfflineBytes: messages queued for an online client over its window do not count', () => {
  const t = rig({ maxOfflineBytes: 100, maxInflight: 1 });
  t.connected('s', { clean: false });
  t.subscribe('s', 'a/b', 1);
  t.connected('pub');
  t.publish('pub', 'a/b', P + 1, 1, 1);
  t.publish('pub', 'a/b', P + 2, 1, 2);
  assert.is(t.broker.offlineBytes, 0);
  assert.is(t.broker.stats.offlineDropped, 0);
  assert.is(t.broker.sessions.get('s')?.queue.length, 1);
});

// ---- $SYS ----

test('(limit) $SYS: limits/maxSessions, limits/maxOfflineBytes and clients/expired count each limit acting', () => {
  const t = rig({ maxSessions: 3, maxOfflineBytes: 150, persistentSessionExpirySeconds: 10, sysIntervalMs: 60000 });
  away(t, 'gone');
  t.connected('pub');
  t.publish('pub', 'a/b', P, 1, 1);
  t.publish('pub', 'a/b', P, 1, 2);   // over maxOfflineBytes
  t.advance(11000);                    // 'gone' expires
  t.connected('sub');
  t.subscribe('sub', '$SYS/broker/#', 0);
  t.packets('sub');
  away(t, 'x');
  t.connected('y');                    // past maxSessions 3: 'x' ends
  t.advance(60000);
  const got = new Map<string, string>();
  const td = new TextDecoder();
  for (const p of t.packets('sub')) if (p.type === PUBLISH) got.set(p.topic, td.decode(p.payload));
  assert.is(got.get('$SYS/broker/limits/maxOfflineBytes'), '1');
  assert.is(got.get('$SYS/broker/clients/expired'), '1');
  assert.is(got.get('$SYS/broker/limits/maxSessions'), '1');
  assert.is(got.get('$SYS/broker/sessions/count'), '3');
});

test.run();
