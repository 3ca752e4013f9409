// The core's side of the port contract (core/broker/PORT.md): broker.close(), the oldest
// pending connection closed for a port at its socket cap, and the events given with each
// log line. Through bytes and the fake clock (test/helpers/rig.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLOSED, LOG_CONNECTED, LOG_FAULT, LOG_LIMIT, LOG_REFUSED } from '../../core/index.js';
import { FakeTransport, rig } from '../helpers/rig.js';
import type { Message } from '../../core/index.js';

test('5:§3.14.2.1 broker.close(): an accepted 5.0 client gets DISCONNECT 0x8B Server shutting down, then every transport is closed', () => {
  const r = rig();
  r.connected('five', { version: 5 });
  r.connected('four');
  r.open('silent');
  r.broker.close(r.now);
  // DISCONNECT: E0, remaining length, reason code 0x8B (and a property length, when given).
  const p = r.packets('five');
  assert.is(p.length, 1);
  assert.is(p[0].type, 14);
  assert.is((p[0] as { reasonCode: number }).reasonCode, 0x8b);
  assert.is(r.sent('four').length, 0, '3.1.1 has no DISCONNECT from the server [MQTT-4.8.0-1]');
  for (const n of ['five', 'four', 'silent']) assert.not.ok(r.isOpen(n), n + ' closed');
  assert.is(r.broker.connections.length, 0);
});

test('MQTT-3.1.2-8 broker.close() publishes the wills of the clients it closes', () => {
  const r = rig();
  const got: string[] = [];
  r.broker.subscribe('w/#', (m: Message) => { got.push(m.topic); }, r.now);
  r.connected('a', { will: { topic: 'w/a', payload: 'gone', qos: 0, retain: false } });
  r.broker.close(r.now);
  assert.equal(got, ['w/a']);
});

/** A 5.0 client with a session that outlives it and a will delayed by 30 s. */
function delayedWill(r: ReturnType<typeof rig>, name: string): void {
  r.connected(name, {
    version: 5, properties: { sessionExpiryInterval: 600 },
    will: { topic: 'w/' + name, payload: 'gone', qos: 0, retain: false, properties: { willDelayInterval: 30 } },
  });
}

test('5:MQTT-3.1.2-8 broker.close() on the memory store: a delayed will of a client already away goes out at once, to the clients still connected', () => {
  const r = rig();
  r.connected('sub', { version: 5 });
  r.subscribe('sub', 'w/#', 0);
  delayedWill(r, 'away');
  r.drop('away');
  r.advance(1000);
  assert.equal(r.received('sub'), [], 'waiting for its delay');
  r.broker.close(r.now);
  // Its session ends with the broker (nothing is kept): the will goes out before the DISCONNECT 0x8B.
  assert.equal(r.packets('sub').map((p) => p.type), [3, 14]);
});

test('5:MQTT-3.1.2-8 broker.close() on the memory store: the delayed will of a connection it closes goes out too', () => {
  const r = rig();
  const got: string[] = [];
  r.broker.subscribe('w/#', (m: Message) => { got.push(m.topic); }, r.now);
  delayedWill(r, 'here');
  r.broker.close(r.now);
  assert.equal(got, ['w/here']);
  assert.is(r.broker.nextDeadline(), -1);
});

test('after broker.close(): nextDeadline() is -1 and a new connection is closed at once', () => {
  const r = rig({ sysIntervalMs: 1000 });
  r.connected('k', { keepAlive: 10 });
  assert.ok(r.broker.nextDeadline() >= 0);
  r.broker.close(r.now);
  assert.is(r.broker.nextDeadline(), -1);
  const late = r.open('late');
  assert.ok(late.transport.closed);
  assert.is(late.connection.state, CLOSED);
});

test('closeOldestPending: at a port\'s socket cap the oldest connection without CONNECT is closed, counted as maxPending', () => {
  const r = rig();
  r.connected('client');
  r.open('old');
  r.open('young');
  assert.ok(r.broker.closeOldestPending(r.now, 'sockets 4'));
  assert.not.ok(r.isOpen('old'));
  assert.ok(r.isOpen('young') && r.isOpen('client'));
  assert.is(r.broker.stats.pendingClosed, 1);
  assert.ok(r.logs.some((l) => l === 'closed before CONNACK: limit sockets 4'), r.logs.join('\n'));
});

test('closeOldestPending: false when every pending connection has sent its CONNECT (a hook deciding): nothing is closed', () => {
  const r = rig({}, { authenticate: () => new Promise<boolean>(() => {}) });
  r.connect('deciding');
  assert.not.ok(r.broker.closeOldestPending(r.now, 'sockets 2'));
  assert.ok(r.isOpen('deciding'));
  assert.is(r.broker.stats.pendingClosed, 0);
});

test('log lines carry their event: connected, refused with its CONNACK code, a limit, a fault', () => {
  const events: Array<[string, number, number]> = [];
  const r = rig({ maxConnections: 1, maxPacketSize: 64 }, { log: (_c, line, event, code) => { events.push([line, event, code]); } });
  r.connected('a');
  r.connect('b');                                                  // refused: 3.1.1 code 3, Server unavailable
  r.feed('a', new Uint8Array([0x30, 0x7f]));                     // a PUBLISH of 129 bytes, over maxPacketSize
  const t = new FakeTransport();
  t.write = () => { throw new Error('a bad transport'); };
  r.broker.connect(t, r.now).receive(new Uint8Array([0x10, 0x0d, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, 1, 0x63]), r.now);
  const of = (event: number): string[] => events.filter((e) => e[1] === event).map((e) => e[0]);
  assert.equal(of(LOG_CONNECTED), ['a: connected (MQTT 3.1.1)', 'c: connected (MQTT 3.1.1)']);   // c: once a had gone
  assert.equal(events.filter((e) => e[1] === LOG_REFUSED).map((e) => [e[0], e[2]]), [['refused: CONNACK 0x3', 3]]);
  assert.ok(of(LOG_LIMIT).some((l) => l.startsWith('a: closing: a packet of 129 bytes')), JSON.stringify(events));
  assert.ok(of(LOG_FAULT).some((l) => l.includes('a bad transport')), JSON.stringify(events));
  assert.is(events.filter((e) => e[1] !== LOG_REFUSED && e[2] !== -1).length, 0, 'code is -1 but for refusals');
});

test.run();
