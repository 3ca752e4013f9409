// End-to-end flows through the broker core: bytes in, bytes out, fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Rig } from '../helpers/rig.js';
import { rig } from '../helpers/rig.js';
import type { Store } from '../../core/broker/store.js';
import { PUBREC } from '../../core/codec/index.js';
import { hex, toHex } from '../helpers/hex.js';

test('4:MQTT-3.2.2-1 a clean 3.1.1 CONNECT gets CONNACK 20 02 00 00', () => {
  const t = rig();
  t.connect('a');
  assert.is(toHex(t.sent('a')), toHex(hex('20 02 00 00')));
});

test('4:MQTT-4.3.1-1 a QoS 0 PUBLISH reaches a QoS 0 subscriber byte for byte', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/+', 0);
  t.feed('pub', hex('30 06 00 03 61 2f 62 78'));            // PUBLISH QoS 0 "a/b" "x"
  assert.is(toHex(t.sent('sub')), toHex(hex('30 06 00 03 61 2f 62 78')));
});

test('4:MQTT-4.3.2-2 QoS 1 in: PUBACK to the publisher, QoS 1 out with a fresh packet id', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/b', 1);
  t.feed('pub', hex('32 08 00 03 61 2f 62 00 05 79'));      // PUBLISH QoS 1 id 5 "a/b" "y"
  assert.is(toHex(t.sent('pub')), toHex(hex('40 02 00 05'))); // PUBACK 5
  assert.is(toHex(t.sent('sub')), toHex(hex('32 08 00 03 61 2f 62 00 01 79'))); // id 1 towards sub
});

test('4:MQTT-4.3.3-2 a repeated QoS 2 PUBLISH gets PUBREC again and is delivered once', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/b', 2);
  t.feed('pub', hex('34 08 00 03 61 2f 62 00 01 78'));      // PUBLISH QoS 2, id 1
  assert.is(toHex(t.sent('pub')), toHex(hex('50 02 00 01'))); // PUBREC 1
  t.feed('pub', hex('3c 08 00 03 61 2f 62 00 01 78'));      // the same with DUP=1
  assert.is(toHex(t.sent('pub')), toHex(hex('50 02 00 01'))); // PUBREC 1 again
  t.feed('pub', hex('62 02 00 01'));                         // PUBREL 1
  assert.is(toHex(t.sent('pub')), toHex(hex('70 02 00 01'))); // PUBCOMP 1
  assert.equal(t.received('sub'), ['x']);
});

test('4:MQTT-3.3.1-6 a retained message is sent to a new subscriber with retain set', () => {
  const t = rig();
  t.connected('pub');
  t.publish('pub', 'r/1', 'kept', 0, 0, true);
  t.connected('late');
  t.feed('late', hex('82 08 00 01 00 03 72 2f 23 00'));      // SUBSCRIBE id 1 "r/#" QoS 0
  assert.is(toHex(t.sent('late')), toHex(hex('90 03 00 01 00' + // SUBACK 1 [0], then
    ' 31 09 00 03 72 2f 31 6b 65 70 74')));                  // PUBLISH retain "r/1" "kept"
});

test('4:MQTT-3.1.2-8 the will is published when the connection drops without DISCONNECT', () => {
  const t = rig();
  t.connected('sub');
  t.subscribe('sub', 'w', 0);
  t.connected('w', { will: { topic: 'w', payload: 'bye', qos: 0, retain: false } });
  t.drop('w');
  assert.equal(t.received('sub'), ['bye']);
});

test('4:MQTT-3.1.2-24 silence for 1.5 x Keep Alive closes the connection', () => {
  const t = rig();
  t.connected('c', { keepAlive: 10 });
  t.advance(15000); assert.ok(t.isOpen('c'));
  t.advance(1); assert.not.ok(t.isOpen('c'));
});

test('4:MQTT-3.1.0-1 a first packet other than CONNECT closes the connection', () => {
  const t = rig();
  t.open('x');
  t.feed('x', hex('c0 00'));                                 // PINGREQ
  assert.not.ok(t.isOpen('x'));
  assert.is(t.sent('x').length, 0);
});

test('garbage from one client closes only that client', () => {
  const t = rig();
  t.connected('good'); t.connected('bad');
  t.subscribe('good', '#', 0);
  t.feed('bad', hex('00 00 ff ff'));                         // reserved packet type 0
  assert.not.ok(t.isOpen('bad'));
  t.publish('good', 'still/here', 'ok');
  assert.equal(t.received('good'), ['ok']);
});


// ---- full queues (the slow-subscriber policies: slow-subscriber.test.ts) ----

test('an offline persistent session with a full queue drops the new message and counts it (dropNew)', () => {
  const t = rig({ maxQueued: 2, sysIntervalMs: 0, slowSubscriberPolicy: 'dropNew' });
  t.connected('sub', { clean: false });
  t.subscribe('sub', 'q', 1);
  t.drop('sub');
  t.connected('pub');
  for (let id = 1; id <= 3; id++) t.publish('pub', 'q', 'm' + id, 1, id);
  assert.is(t.packets('pub').length, 3);                                     // the publisher is not held
  assert.is(t.broker.stats.dropped, 1);
  t.connect('sub', { clean: false });
  const got = t.packets('sub').filter((p) => p.type === 3);
  assert.is(got.length, 2);
});

/** A durable store whose appends wait: `pending` holds their done callbacks, oldest first. */
function deferredStore(): { store: Store; pending: Array<(ok: boolean) => void> } {
  const pending: Array<(ok: boolean) => void> = [];
  const store: Store = {
    durable: true,
    load: () => [],
    append: (_records: Uint8Array[], done: (ok: boolean) => void) => { pending.push(done); },
    compactionDue: () => false,
    compact: (_records: Uint8Array[], done: (ok: boolean) => void) => { pending.push(done); },
  };
  return { store, pending };
}

test('a durable store delays PUBACK until the record of what it changed is stored', () => {
  const d = deferredStore();
  const t = rig({ store: d.store, sysIntervalMs: 0 });
  t.connected('pub');
  t.publish('pub', 'x', 'durable', 1, 9, true);   // retained: a record to wait for
  assert.is(t.sent('pub').length, 0);
  assert.is(d.pending.length, 1);
  d.pending[0](true);
  assert.is(toHex(t.sent('pub')), toHex(hex('40 02 00 09')));
});

/** A persistent subscriber that has just been sent QoS 2 "x" on q2 with packet id 1, everything before stored. */
function qos2Delivered(d: { store: Store; pending: Array<(ok: boolean) => void> }, version: 4 | 5): Rig {
  const t = rig({ store: d.store, sysIntervalMs: 0 });
  t.connected('sub', { clean: false, version, properties: version === 5 ? { sessionExpiryInterval: 60 } : null });
  t.subscribe('sub', 'q2', 2);
  t.connected('pub');
  t.publish('pub', 'q2', 'x', 2, 7);
  while (d.pending.length > 0) (d.pending.shift() as (ok: boolean) => void)(true);
  assert.equal(t.received('sub'), ['x']);
  return t;
}

test('4:MQTT-4.3.3-1 on a durable store the PUBREL for a subscriber\'s PUBREC waits until that PUBREC is stored: a crash before sends the PUBLISH again, never once PUBREL went out', () => {
  const d = deferredStore();
  const t = qos2Delivered(d, 4);
  t.send('sub', { type: PUBREC, packetId: 1, reasonCode: 0, properties: null });
  assert.is(t.sent('sub').length, 0);
  assert.is(d.pending.length, 1);
  (d.pending.shift() as (ok: boolean) => void)(true);
  assert.is(toHex(t.sent('sub')), toHex(hex('62 02 00 01')));   // PUBREL 1
});

test('5:MQTT-4.3.3-5 a PUBREC whose record the store could not keep gets no PUBREL (no PUBREL reason code says so): it goes out when the subscriber comes back', () => {
  const d = deferredStore();
  const t = qos2Delivered(d, 5);
  t.send('sub', { type: PUBREC, packetId: 1, reasonCode: 0, properties: null });
  (d.pending.shift() as (ok: boolean) => void)(false);
  assert.is(t.sent('sub').length, 0);
});

// ---- server-to-client Topic Aliases (5.0 §3.3.2.3.4), an option ----

test('5:MQTT-3.1.2-26 with topicAliasesOut the first PUBLISH carries topic and alias, the next only the alias', () => {
  const t = rig({ topicAliasesOut: 4, sysIntervalMs: 0 });
  t.connected('sub', { version: 5, properties: { topicAliasMaximum: 2 } });
  t.subscribe('sub', '#', 0);
  t.connected('pub');
  t.publish('pub', 'a/b', 'x');
  t.publish('pub', 'a/b', 'y');
  // PUBLISH "a/b", properties 03: 23 00 01 (Topic Alias 1), "x"; then "" with alias 1, "y"
  assert.is(toHex(t.sent('sub')), toHex(hex('30 0a 00 03 61 2f 62 03 23 00 01 78  30 07 00 00 03 23 00 01 79')));
});

test('5:MQTT-3.1.2-26 no more aliases than the client allows: later topics go out in full', () => {
  const t = rig({ topicAliasesOut: 4, sysIntervalMs: 0 });
  t.connected('sub', { version: 5, properties: { topicAliasMaximum: 1 } });
  t.subscribe('sub', '#', 0);
  t.connected('pub');
  t.publish('pub', 'a', '1');
  t.publish('pub', 'b', '2');
  t.publish('pub', 'b', '3');
  // "a" takes alias 1; "b" has none left: topic in full, no alias property, both times
  assert.is(toHex(t.sent('sub')), toHex(hex('30 08 00 01 61 03 23 00 01 31  30 05 00 01 62 00 32  30 05 00 01 62 00 33')));
});

test('5:MQTT-3.1.2-27 a client that set no Topic Alias Maximum gets no aliases', () => {
  const t = rig({ topicAliasesOut: 4, sysIntervalMs: 0 });
  t.connected('sub', { version: 5 });
  t.subscribe('sub', '#', 0);
  t.connected('pub');
  t.publish('pub', 'a', '1');
  t.publish('pub', 'a', '2');
  assert.is(toHex(t.sent('sub')), toHex(hex('30 05 00 01 61 00 31  30 05 00 01 61 00 32')));
});

test('5:§3.3.2.3.4 an alias whose frame was dropped (slow client) is not used afterwards', () => {
  const t = rig({ topicAliasesOut: 4, maxOutboundBytes: 1, sysIntervalMs: 0 });
  t.connected('sub', { version: 5, properties: { topicAliasMaximum: 4 } });
  t.subscribe('sub', '#', 0);
  t.connected('pub');
  t.client('sub').transport.full = true;
  t.publish('pub', 'a', '0');        // written: the transport answers "full" after it
  t.publish('pub', 'b', '1');        // dropped: nothing may wait beyond 1 byte
  t.client('sub').transport.full = false;
  t.sent('sub');
  t.writable('sub');
  t.publish('pub', 'b', '2');        // "b" must come in full with a (new) alias
  assert.is(toHex(t.sent('sub')), toHex(hex('30 08 00 01 62 03 23 00 02 32')));
});

test('the connected and disconnected hooks see each accepted client come and go', () => {
  const seen: string[] = [];
  const t = rig({ sysIntervalMs: 0 }, {
    connected: (c) => { seen.push('+' + c.clientId); },
    disconnected: (c, clean) => { seen.push('-' + c.clientId + (clean ? ' clean' : ' lost')); },
  });
  t.connected('a');
  t.connected('b');
  t.feed('a', hex('e0 00'));        // DISCONNECT
  t.drop('b');
  t.open('never');                  // no CONNECT: never accepted, so never reported
  t.drop('never');
  assert.equal(seen, ['+a', '+b', '-a clean', '-b lost']);
});

test('authorizeRead filters each delivery and each retained message by topic', () => {
  const t = rig({ sysIntervalMs: 0 }, { authorizeRead: (_id, _user, topic) => !topic.startsWith('secret/') });
  t.connected('pub');
  t.publish('pub', 'secret/r', 'hidden', 0, 0, true);
  t.publish('pub', 'open/r', 'shown', 0, 0, true);
  t.connected('sub');
  t.subscribe('sub', '#', 0);
  assert.equal(t.received('sub'), ['shown']);          // retained: only what may be read
  t.publish('pub', 'secret/x', 'no');
  t.publish('pub', 'open/x', 'yes');
  assert.equal(t.received('sub'), ['yes']);
});

test('a kept payload is a copy, not a view of the receive buffer (even when that buffer is a Node Buffer)', () => {
  const t = rig({ sysIntervalMs: 0 });
  t.connected('pub');
  const chunk = Buffer.from(hex('31 06 00 01 61 78 79 7a'));   // PUBLISH retain "a" "xyz"
  t.feed('pub', chunk);
  chunk[5] = 0x51;                                              // the port reuses its buffer
  t.connected('sub');
  t.subscribe('sub', 'a', 0);
  assert.equal(t.received('sub'), ['xyz']);
});

test('packet ids wrap from 65535 to 1 and skip ids still in flight [MQTT-2.2.1-4]', () => {
  const t = rig({ maxInflight: 4, sysIntervalMs: 0 });
  t.connected('s');
  t.subscribe('s', 'a', 1);
  t.connected('p');
  const session = t.client('s').connection.session!;
  session.nextPacketId = 65535;
  t.publish('p', 'a', 'm1', 1, 1);      // id 65535, left unacknowledged
  t.publish('p', 'a', 'm2', 1, 2);      // id 1
  const ids = t.packets('s').filter((p) => p.type === 3).map((p) => (p as { packetId: number }).packetId);
  assert.equal(ids, [65535, 1]);
  session.nextPacketId = 1;             // round again while 1 is still in flight
  t.publish('p', 'a', 'm3', 1, 3);
  const next = t.packets('s').filter((p) => p.type === 3).map((p) => (p as { packetId: number }).packetId);
  assert.equal(next, [2]);
});

test.run();
