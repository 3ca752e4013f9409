// The bridge in the core (core/bridge): states, failover order, backoff as a deadline, the
// look back at the first address, topic rules on both sides, the queue while away, $SYS and
// a port that misbehaves, through bytes, a fake port and a fake clock
// (test/helpers/bridge-rig.ts). The same bridge against real upstreams over sockets:
// test/integration/bridge.test.ts.
//
// Frames (3.1.1 §3):
//   20 02 00 00 / 20 02 01 00 / 20 02 00 01   CONNACK accepted (Session Present 0 / 1), refused 0x01
//   40 02 00 01                               PUBACK 1
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectPacket, PublishPacket, SubscribePacket } from '../../core/index.js';
import { CONNECT, DISCONNECT, PUBLISH, SUBSCRIBE } from '../../core/index.js';
import { backoffMs } from '../../core/bridge/index.js';
import { BridgeRig } from '../helpers/bridge-rig.js';

const text = (u8: Uint8Array): string => new TextDecoder().decode(u8);

test('start dials the first address and is connecting', () => {
  const r = new BridgeRig();
  r.bridge.start(r.now);
  assert.equal(r.dials, [0]);
  assert.is(r.bridge.stats().state, 'connecting');
  assert.is(r.bridge.stats().address, 'a0');
});

test('4:MQTT-3.1.0-1 once the dial is up, CONNECT goes out (the persistent session of the options)', () => {
  const r = new BridgeRig();
  r.bridge.start(r.now);
  r.up();
  const p = r.packets();
  assert.is(p[0].type, CONNECT);
  assert.is((p[0] as ConnectPacket).clientId, 'site');
  assert.is((p[0] as ConnectPacket).cleanStart, false);
});

test('tryPrivate: a 3.1.1 CONNECT carries mosquitto\'s bridge flag, protocol level 0x84', () => {
  const r = new BridgeRig({ tryPrivate: true });
  r.bridge.start(r.now);
  r.up();
  assert.is(r.transport.written[0][8], 0x84);   // 10 LL 00 04 'MQTT' level
});

test('4:MQTT-3.2.2-5 a CONNACK 0x01 to the bridge flag: the same address again with plain 3.1.1 (level 4)', () => {
  const r = new BridgeRig({ tryPrivate: true });
  r.bridge.start(r.now);
  r.up();
  r.feed('20 02 00 01');
  assert.equal(r.dials, [0, 0]);
  r.up();
  assert.is(r.transport.written[0][8], 0x04);
  assert.ok(r.logs.some((l) => l.includes('refused the bridge flag')));
});

test('CONNACK 0: connected; a new session gets SUBSCRIBE for the in / both rules at their QoS', () => {
  const r = new BridgeRig({ topics: ['s/# out 1', 'cmd/# in 2 "" site/', 'x/# both 1'] });
  r.bridge.start(r.now);
  r.up();
  r.packets();
  r.feed('20 02 00 00');
  assert.is(r.bridge.stats().state, 'connected');
  const p = r.packets();
  assert.is(p.length, 1);
  assert.is(p[0].type, SUBSCRIBE);
  assert.equal((p[0] as SubscribePacket).subscriptions.map((s) => [s.topicFilter, s.qos]), [['site/cmd/#', 2], ['x/#', 1]]);
});

test('3.1.1 with Session Present 1: no SUBSCRIBE again (the upstream kept them; each would resend the retained messages)', () => {
  const r = new BridgeRig({ topics: ['cmd/# in 1'] });
  r.bridge.start(r.now);
  r.up();
  r.packets();
  r.feed('20 02 01 00');
  assert.equal(r.packets(), []);
});

test('5.0: SUBSCRIBE on every connect, with No Local, Retain As Published and Retain Handling 1', () => {
  const r = new BridgeRig({ version: 5, topics: ['cmd/# in 1'] });
  r.bridge.start(r.now);
  r.up();
  r.packets();
  r.feed('20 03 01 00 00');   // CONNACK 5.0, Session Present 1
  const p = r.packets();
  const s = (p[0] as SubscribePacket).subscriptions[0];
  assert.equal([s.noLocal, s.retainAsPublished, s.retainHandling], [true, true, 1]);
});

test('a failed dial moves to the next address at once', () => {
  const r = new BridgeRig();
  r.bridge.start(r.now);
  r.bridge.dialFailed('ECONNREFUSED', r.now);
  assert.equal(r.dials, [0, 1]);
  assert.is(r.bridge.stats().state, 'connecting');
  assert.is(r.bridge.stats().lastError, 'ECONNREFUSED');
});

test('every address failed: backoff, with the wait as a deadline; then the first again', () => {
  const r = new BridgeRig({ backoffMinMs: 1000 });
  r.randomValue = 0;   // the shortest wait: half of 2 x 1000
  r.bridge.start(r.now);
  r.bridge.dialFailed('x', r.now);
  r.bridge.dialFailed('y', r.now);
  assert.is(r.bridge.stats().state, 'backoff');
  assert.is(r.bridge.nextDeadline(), 1000);
  r.advance(999);
  assert.equal(r.dials, [0, 1]);
  r.advance(1);
  assert.equal(r.dials, [0, 1, 0]);
  assert.ok(r.logs.some((l) => l.startsWith('warn bridge up: backoff every address failed (y); retrying in 1.0 s')), r.logs.join('\n'));
});

test('each failed round doubles the wait, up to backoffMaxMs', () => {
  const r = new BridgeRig({ addresses: ['a0'], backoffMinMs: 1000, backoffMaxMs: 5000 });
  r.randomValue = 0.999999;
  r.bridge.start(r.now);
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    r.bridge.dialFailed('x', r.now);
    waits.push(r.bridge.nextDeadline() - r.now);
    r.advance(r.bridge.nextDeadline() - r.now);
  }
  assert.equal(waits, [2000, 4000, 5000, 5000]);
});

test('backoffMs: jittered between half and the whole; a broken random source still stays within', () => {
  assert.is(backoffMs(0, 1000, 60000, () => 0), 500);
  assert.is(backoffMs(0, 1000, 60000, () => 0.999999), 1000);
  assert.is(backoffMs(3, 1000, 60000, () => 0.5), 6000);
  assert.is(backoffMs(1000, 1000, 60000, () => 0), 30000);
  assert.is(backoffMs(1, 1000, 60000, () => NaN), 1500);
  assert.is(backoffMs(1, 1000, 60000, () => 7), 1500);
});

test('a lost connection: backoff from the shortest wait, then the first address', () => {
  const r = new BridgeRig({ backoffMinMs: 1000 });
  r.randomValue = 0;
  r.bridge.start(r.now);
  r.bridge.dialFailed('x', r.now);   // on a1 now
  r.connected();
  r.bridge.closed(r.now);
  assert.is(r.bridge.stats().state, 'backoff');
  assert.is(r.bridge.nextDeadline() - r.now, 500);
  r.advance(500);
  assert.equal(r.dials, [0, 1, 0]);
});

test('a dial not answered within connectTimeoutMs is hung up, and the next address dialled', () => {
  const r = new BridgeRig({ connectTimeoutMs: 3000 });
  r.bridge.start(r.now);
  r.advance(2999);
  assert.is(r.hangUps, 0);
  r.advance(1);
  assert.is(r.hangUps, 1);
  assert.equal(r.dials, [0, 1]);
  assert.is(r.bridge.stats().lastError, 'no connection within 3000 ms');
});

test('a connection that comes after its dial was hung up is closed at once; a late failure is ignored', () => {
  const r = new BridgeRig({ addresses: ['a0'], connectTimeoutMs: 3000 });
  r.bridge.start(r.now);
  r.advance(3000);
  assert.is(r.bridge.stats().state, 'backoff');
  r.up();
  assert.ok(r.transport.closed);
  assert.equal(r.transport.written, []);
  r.bridge.dialFailed('late', r.now);
  assert.is(r.bridge.stats().lastError, 'no connection within 3000 ms');
});

test('on a later address: the first is probed every primaryRetryMs; reachable, the bridge disconnects and moves back', () => {
  const r = new BridgeRig({ primaryRetryMs: 10000 });
  r.bridge.start(r.now);
  r.bridge.dialFailed('x', r.now);
  r.connected();
  r.advance(9999);
  assert.equal(r.probes, []);
  r.advance(1);
  assert.equal(r.probes, [0]);
  r.bridge.probed(false, r.now);
  r.advance(10000);
  assert.equal(r.probes, [0, 0]);
  r.bridge.probed(true, r.now);
  assert.is(r.packets()[0].type, DISCONNECT);
  assert.ok(r.transport.closed);
  assert.equal(r.dials, [0, 1, 0]);
  assert.is(r.bridge.stats().state, 'connecting');
});

test('on the first address nothing is probed', () => {
  const r = new BridgeRig({ primaryRetryMs: 1000 });
  r.bridge.start(r.now);
  r.connected();
  r.advance(5000);
  assert.equal(r.probes, []);
});

test('a local message under an out rule goes upstream with the remote prefix, at most the rule\'s QoS', () => {
  const r = new BridgeRig({ topics: ['s/# out 1 "" site-a/'] });
  r.bridge.start(r.now);
  r.connected();
  r.publishLocally('s/t', '21.5', 2);
  const p = r.packets()[0] as PublishPacket;
  assert.equal([p.type, p.topic, text(p.payload), p.qos], [PUBLISH, 'site-a/s/t', '21.5', 1]);
  r.feed('40 02 00 01');   // PUBACK
  assert.is(r.bridge.stats().sent, 1);
});

test('a local message outside every rule stays local', () => {
  const r = new BridgeRig({ topics: ['s/# out 1'] });
  r.bridge.start(r.now);
  r.connected();
  r.publishLocally('other/t', 'x', 1);
  assert.equal(r.packets(), []);
});

test('an upstream message under an in rule is published locally with the local prefix, and not sent back by a both rule', () => {
  const r = new BridgeRig({ topics: ['cmd/# both 1 local/ site/'] });
  const got = r.listen('local/#');
  r.bridge.start(r.now);
  r.connected();
  r.packets();
  r.feed('30 0E 00 0C 73 69 74 65 2F 63 6D 64 2F 6C 65 64');   // PUBLISH QoS 0 "site/cmd/led", no payload
  assert.equal(got, [{ topic: 'local/cmd/led', payload: '', qos: 0, retain: false, properties: null }]);
  assert.equal(r.packets(), []);
  assert.is(r.bridge.stats().received, 1);
});

test('store-and-forward: QoS 1 published while away waits, counted, and goes in order once connected', () => {
  const r = new BridgeRig({ addresses: ['a0'], topics: ['s/# out 1'] });
  r.bridge.start(r.now);
  r.bridge.dialFailed('x', r.now);
  r.publishLocally('s/1', 'a', 1);
  r.publishLocally('s/2', 'b', 1);
  assert.equal([r.bridge.stats().queuedMessages, r.bridge.stats().queuedBytes], [2, 2 * (3 + 1 + 80)]);
  r.advance(r.bridge.nextDeadline() - r.now);
  r.up();
  r.packets();
  r.feed('20 02 00 00');
  const p = r.packets() as PublishPacket[];
  assert.equal(p.map((x) => [x.topic, x.qos, x.dup]), [['s/1', 1, false], ['s/2', 1, false]]);
});

test('QoS 0 while away is dropped and counted (queueQoS0 false)', () => {
  const r = new BridgeRig({ addresses: ['a0'], topics: ['s/# out 1'] });
  r.bridge.start(r.now);
  r.publishLocally('s/1', 'a', 0);
  assert.is(r.bridge.stats().dropped, 1);
  assert.is(r.bridge.stats().queuedMessages, 0);
});

test('stop: DISCONNECT to the upstream, local subscriptions ended, stopped', () => {
  const r = new BridgeRig({ topics: ['s/# out 1'] });
  r.bridge.start(r.now);
  r.connected();
  r.bridge.stop(r.now);
  assert.is(r.packets()[0].type, DISCONNECT);
  assert.is(r.bridge.stats().state, 'stopped');
  r.publishLocally('s/1', 'a', 1);
  assert.is(r.bridge.stats().queuedMessages, 0);
  assert.is(r.bridge.nextDeadline(), -1);
});

test('stop while dialling hangs the dial up', () => {
  const r = new BridgeRig();
  r.bridge.start(r.now);
  r.bridge.stop(r.now);
  assert.is(r.hangUps, 1);
});

test('a port whose dial throws: counted, that address failed, nothing thrown', () => {
  const r = new BridgeRig({ addresses: ['a0'] });
  r.throwOnDial = true;
  r.bridge.start(r.now);
  assert.is(r.bridge.stats().state, 'backoff');
  assert.is(r.bridge.stats().errors, 1);
  assert.is(r.bridge.stats().lastError, 'dial: port bug');
});

test('$SYS/broker/bridge/NAME/...: retained values on each change of state and every sysIntervalMs', () => {
  const r = new BridgeRig({ sysIntervalMs: 10000, topics: ['s/# out 1'] });
  const got = r.listen('$SYS/broker/bridge/up/#');
  r.bridge.start(r.now);
  const state = (): string[] => got.filter((m) => m.topic.endsWith('/state')).map((m) => m.payload);
  assert.equal(state(), ['connecting']);
  r.connected();
  assert.equal(state(), ['connecting', 'connected']);
  assert.ok(got.every((m) => m.retain));
  r.publishLocally('s/1', 'a', 1);
  r.advance(10000);
  const queued = got.filter((m) => m.topic.endsWith('/queued/messages')).map((m) => m.payload);
  assert.is(queued[queued.length - 1], '1');
  const names = got.map((m) => m.topic.slice('$SYS/broker/bridge/up/'.length));
  for (const n of ['state', 'address', 'queued/messages', 'queued/bytes', 'messages/sent', 'messages/received', 'messages/dropped', 'messages/refused', 'error']) {
    assert.ok(names.includes(n), n);
  }
});

test('$SYS values of the bridge are not counted as messages in', () => {
  const r = new BridgeRig({ sysIntervalMs: 1000 });
  r.bridge.start(r.now);
  r.advance(5000);
  assert.is(r.broker.stats.messagesIn, 0);
});

test.run();
