// A device store's writeInflight option (issue 19: "in-flight state of connected clients is
// written only when the option asks for it"), through the broker (test/helpers/rig.ts) on the
// Espruino store (ports/espruino/storage-store.ts) over the fake Storage and NOR flash. A power
// cut is the board stopping dead after the store's last flush: the next broker boots from what
// the chip holds.
//   - writeInflight true: a QoS 1/2 message in flight to a connected persistent subscriber
//     survives the cut and is sent again with DUP 1 and its packet id [MQTT-4.4.0-1];
//   - false (the default): the cut loses exactly the messages in flight to connected clients
//     (README "Persistence on the devices"); the session, its subscriptions, retained messages,
//     queued messages and what was in flight when the client went away are kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet, QoS } from '../../core/index.js';
import { PUBLISH, PUBREL } from '../../core/index.js';
import { BrokerBoard } from './broker-board.js';
import type { Rig } from '../helpers/rig.js';

const PUBACK = 4, PUBREC = 5;

/** A board whose store has `writeInflight` as given, and a broker with that in-flight window. */
class Board extends BrokerBoard {
  constructor(writeInflight: boolean | undefined, maxInflight = 16) {
    super({ writeInflight }, { maxInflight });
  }
}

interface Got { payload: string; dup: boolean; packetId: number; qos: number }

function publishes(ps: Packet[]): Got[] {
  const td = new TextDecoder();
  return ps.filter((p) => p.type === PUBLISH).map((p) => {
    const q = p as unknown as { payload: Uint8Array; dup: boolean; packetId: number; qos: number };
    return { payload: td.decode(q.payload), dup: q.dup, packetId: q.packetId, qos: q.qos };
  });
}

/** A persistent 3.1.1 subscriber to `filter`, left connected. */
function subscriber(b: Board, filter: string, qos: QoS): void {
  b.t.connected('sub', { clean: false });
  b.t.subscribe('sub', filter, qos);
  b.tick();
}

/** A persistent 3.1.1 session `name` subscribed to `filters` at QoS 1, gone away. */
function offline(b: Board, name: string, filters: string[]): void {
  b.t.connected(name, { clean: false });
  for (let i = 0; i < filters.length; i++) b.t.subscribe(name, filters[i], 1, i + 1);
  b.t.drop(name);
}

/** `pub` publishes and its acknowledgement comes back once the store has written (the next tick). */
function publish(b: Board, topic: string, payload: string, qos: QoS, packetId: number, retain = false): void {
  b.t.publish('pub', topic, payload, qos, packetId, retain);
  b.tick();
  const acks = b.t.packets('pub').filter((p) => p.type === (qos === 1 ? PUBACK : PUBREC));
  assert.is(acks.length, 1, payload + ' acknowledged');
}

/** `sub` takes up its session again: what it is sent after a CONNACK with Session Present. */
function resume(t: Rig): Packet[] {
  t.connect('sub', { clean: false });
  const all = t.packets('sub');
  const ack = all.shift() as { type: number; sessionPresent: boolean };
  assert.ok(ack.type === 2 && ack.sessionPresent, 'the session came back');
  return all;
}

test('writeInflight: 4:MQTT-4.4.0-1 a QoS 1 message in flight to a connected persistent subscriber survives a power cut and is sent again with DUP 1 and its packet id', () => {
  const b = new Board(true);
  b.boot();
  subscriber(b, 'a', 1);
  b.t.connected('pub');
  publish(b, 'a', 'hello', 1, 1);
  const [first] = publishes(b.t.packets('sub'));
  const u = b.cut();
  assert.equal(publishes(resume(u)), [{ payload: 'hello', dup: true, packetId: first.packetId, qos: 1 }]);
});

test('writeInflight: 4:MQTT-4.4.0-1 QoS 2 messages in flight survive a power cut: one unanswered is sent again, one past PUBREC gets its PUBREL', () => {
  const b = new Board(true);
  b.boot();
  subscriber(b, 'a', 2);
  b.t.connected('pub');
  publish(b, 'a', 'one', 2, 1);
  publish(b, 'a', 'two', 2, 2);
  const [one, two] = publishes(b.t.packets('sub'));
  b.t.send('sub', { type: PUBREC, packetId: one.packetId, reasonCode: 0, properties: null });
  b.tick();   // the PUBREL waits for its record
  assert.equal(b.t.packets('sub').map((p) => p.type), [PUBREL]);
  const u = b.cut();
  const after = resume(u);
  assert.equal(after.map((p) => p.type), [PUBREL, PUBLISH]);
  assert.is((after[0] as { packetId: number }).packetId, one.packetId);
  assert.equal(publishes(after), [{ payload: 'two', dup: true, packetId: two.packetId, qos: 2 }]);
});

test('without writeInflight: a QoS 1/2 message to a connected subscriber writes nothing, so its PUBACK / PUBREC waits for no write', () => {
  const b = new Board(undefined);
  b.boot();
  subscriber(b, 'a', 2);
  b.t.connected('pub');
  const before = b.store.journal.stats.bytes;
  b.t.publish('pub', 'a', 'q1', 1, 1);
  b.t.publish('pub', 'a', 'q2', 2, 2);
  assert.equal(b.t.packets('pub').map((p) => p.type), [PUBACK, PUBREC]);   // before any flush
  const sent = publishes(b.t.packets('sub'));
  b.t.send('sub', { type: PUBACK, packetId: sent[0].packetId, reasonCode: 0, properties: null });
  b.t.send('sub', { type: PUBREC, packetId: sent[1].packetId, reasonCode: 0, properties: null });
  b.tick();
  assert.is(b.store.journal.stats.bytes - before, 0, 'bytes written');
});

test('without writeInflight: a power cut loses the messages in flight to a connected client, and only them', () => {
  const b = new Board(undefined);
  b.boot();
  subscriber(b, 'a/#', 1);
  offline(b, 'off', ['a/x', 'a/y']);   // an offline persistent session's queue is written as ever
  b.t.connected('pub');
  publish(b, 'a/r', 'kept', 1, 1, true);         // retained, and in flight to sub
  publish(b, 'a/x', 'queued', 1, 2);              // in flight to sub, queued for off
  assert.equal(publishes(b.t.packets('sub')).map((m) => m.payload), ['kept', 'queued']);
  const u = b.cut();
  assert.equal(publishes(resume(u)), [], 'what was in flight to sub is lost');
  u.connected('pub');
  u.publish('pub', 'a/y', 'after', 1, 3);
  b.tick();
  assert.equal(publishes(u.packets('sub')).map((m) => m.payload), ['after'], 'its subscription was kept');
  u.connect('off', { clean: false });
  assert.equal(publishes(u.packets('off')).map((m) => m.payload), ['queued', 'after'], 'the queued message was kept');
  u.connected('new');
  u.subscribe('new', 'a/r', 0);
  assert.equal(publishes(u.packets('new')).map((m) => m.payload), ['kept'], 'the retained message was kept');
});

test('without writeInflight: 4:MQTT-4.6.0-1 what is in flight when the client goes away is written then, and after a power cut resent in the order first sent', () => {
  const b = new Board(undefined, 3);
  b.boot();
  subscriber(b, 'a', 2);
  b.t.connected('pub');
  publish(b, 'a', 'm1', 1, 1);   // the window (3) fills with m1 m2 m3, sent straight: not written
  publish(b, 'a', 'm2', 2, 2);
  publish(b, 'a', 'm3', 1, 3);
  publish(b, 'a', 'm4', 1, 4);   // queued behind the window: written
  const sent = publishes(b.t.packets('sub'));
  assert.equal(sent.map((m) => m.payload), ['m1', 'm2', 'm3']);
  b.t.send('sub', { type: PUBACK, packetId: sent[0].packetId, reasonCode: 0, properties: null });   // m4 goes out (recorded: it was queued)
  b.t.send('sub', { type: PUBREC, packetId: sent[1].packetId, reasonCode: 0, properties: null });   // m2 waits for its PUBCOMP
  const m4 = publishes(b.t.packets('sub'));
  assert.equal(m4.map((m) => m.payload), ['m4']);
  b.t.drop('sub');
  const u = b.cut();
  const after = resume(u);
  assert.equal(after.map((p) => p.type), [PUBREL, PUBLISH, PUBLISH]);
  assert.is((after[0] as { packetId: number }).packetId, sent[1].packetId);
  assert.equal(publishes(after), [
    { payload: 'm3', dup: true, packetId: sent[2].packetId, qos: 1 },
    { payload: 'm4', dup: true, packetId: m4[0].packetId, qos: 1 },
  ]);
});

test('without writeInflight: a message written anew when its client goes away loads even after a compaction dropped its first record', () => {
  const b = new Board(undefined);
  b.boot();
  subscriber(b, 'a', 1);
  offline(b, 'off', ['a']);
  b.t.connected('pub');
  publish(b, 'a', 'shared', 1, 1);               // in flight to sub (not written), queued for off (written)
  b.t.connect('off', { clean: false });
  const got = publishes(b.t.packets('off'));
  b.t.send('off', { type: PUBACK, packetId: got[0].packetId, reasonCode: 0, properties: null });
  b.tick();
  // A snapshot now holds no message: nothing written refers to "shared" any more.
  let kept = false;
  b.store.compact(b.t.broker.snapshot(), (ok) => { kept = ok; });
  assert.ok(kept, 'the snapshot was kept');
  b.t.drop('sub');
  const u = b.cut();
  assert.equal(publishes(resume(u)).map((m) => [m.payload, m.dup]), [['shared', true]]);
  assert.equal(u.logs.filter((l) => l.indexOf('skipped') >= 0), [], 'no record skipped at load');
});

test.run();
