// The bridge's queue kept through the broker's store (core/bridge/queue-records.ts): what it
// held comes back after a restart (a new broker and bridge on the same store: the old ones are
// simply dropped, as in a crash), in flight with its packet id; QoS 2 frames wait for their
// records. Through bytes, a fake port, a fake clock and a store in memory
// (test/helpers/bridge-rig.ts). The same across a real kill -9: test/integration/bridge-kill.test.ts.
//
// Frames (3.1.1 §3):
//   20 02 00 00 / 20 02 01 00   CONNACK, Session Present 0 / 1
//   40 02 00 01                 PUBACK 1
//   50 02 00 01 / 70 02 00 01   PUBREC 1 / PUBCOMP 1
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet, PublishPacket } from '../../core/index.js';
import { PUBLISH, PUBREL, REC_BRIDGE_DONE, REC_BRIDGE_PUBREC, REC_BRIDGE_QUEUED, REC_BRIDGE_SENT, decodeRecord } from '../../core/index.js';
import * as queueRecords from '../../core/bridge/queue-records.js';
import { BridgeRig, RecordStore } from '../helpers/bridge-rig.js';

const text = (u8: Uint8Array): string => new TextDecoder().decode(u8);

function rigOn(store: RecordStore, topics = ['s/# out 2']): BridgeRig {
  const r = new BridgeRig({ addresses: ['a0'], topics }, { store });
  r.bridge.start(r.now);
  return r;
}

/** What the bridge sends once connected again on a resumed (or lost) upstream session. */
function resumed(r: BridgeRig, sessionPresent: boolean): Packet[] {
  r.up();
  r.packets();   // CONNECT
  r.feed(sessionPresent ? '20 02 01 00' : '20 02 00 00');
  return r.packets();
}

function publishes(p: Packet[]): Array<[string, string, number, boolean, number]> {
  return (p.filter((x) => x.type === PUBLISH) as PublishPacket[]).map((x) => [x.topic, text(x.payload), x.qos, x.dup, x.packetId]);
}

test('with persistence, a message queued while the upstream is away survives a restart and goes once connected', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);
  r1.publishLocally('s/1', 'a', 1);
  r1.publishLocally('s/2', 'b', 2);
  const r2 = rigOn(store);
  assert.is(r2.bridge.stats().queuedMessages, 2);
  assert.ok(r2.logs.some((l) => l.includes('2 messages for the upstream back from the store')), r2.logs.join('\n'));
  assert.equal(publishes(resumed(r2, false)), [['s/1', 'a', 1, false, 1], ['s/2', 'b', 2, false, 2]]);
});

test('[MQTT-4.4.0-1] a QoS 2 message in flight at the crash goes again with DUP and its packet id on the resumed session', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);
  r1.connected();
  r1.publishLocally('s/1', 'a', 2);
  assert.equal(publishes(r1.packets()), [['s/1', 'a', 2, false, 1]]);
  const r2 = rigOn(store);
  assert.equal(publishes(resumed(r2, true)), [['s/1', 'a', 2, true, 1]]);
});

test('[MQTT-4.3.3-1] a QoS 2 message whose PUBREC came before the crash gets PUBREL after it, never PUBLISH again', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);
  r1.connected();
  r1.publishLocally('s/1', 'a', 2);
  r1.packets();
  r1.feed('50 02 00 01');   // PUBREC 1
  assert.is(r1.packets()[0].type, PUBREL);
  const r2 = rigOn(store);
  const p = resumed(r2, true);
  assert.equal(p.map((x) => [x.type, (x as { packetId: number }).packetId]), [[PUBREL, 1]]);
});

test('a message the upstream acknowledged before the crash does not come back', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);
  r1.connected();
  r1.publishLocally('s/1', 'a', 1);
  r1.publishLocally('s/2', 'b', 2);
  r1.packets();
  r1.feed('40 02 00 01');   // PUBACK 1
  r1.feed('50 02 00 02');   // PUBREC 2
  r1.feed('70 02 00 02');   // PUBCOMP 2
  const r2 = rigOn(store);
  assert.is(r2.bridge.stats().queuedMessages, 0);
  assert.equal(resumed(r2, true), []);
});

test('the upstream lost the session at the restart (Session Present 0): what was in flight goes as new messages, none lost', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);
  r1.connected();
  r1.publishLocally('s/1', 'a', 2);
  r1.packets();
  const r2 = rigOn(store);
  assert.equal(publishes(resumed(r2, false)), [['s/1', 'a', 2, false, 1]]);
  assert.is(r2.bridge.client.stats.requeued, 1);
});

test('QoS 2: the PUBLISH goes out only once the record of its packet id is stored', () => {
  const store = new RecordStore();
  const r = rigOn(store);
  r.connected();
  store.deferred = true;
  r.publishLocally('s/1', 'a', 2);
  assert.equal(r.packets(), []);
  store.finish();
  assert.equal(publishes(r.packets()), [['s/1', 'a', 2, false, 1]]);
});

test('QoS 2: the PUBREL goes out only once the PUBREC\'s record is stored', () => {
  const store = new RecordStore();
  const r = rigOn(store);
  r.connected();
  r.publishLocally('s/1', 'a', 2);
  r.packets();
  store.deferred = true;
  r.feed('50 02 00 01');   // PUBREC 1
  assert.equal(r.packets(), []);
  store.finish();
  assert.equal(r.packets().map((x) => x.type), [PUBREL]);
});

test('QoS 1: the PUBLISH does not wait for the store (a resend under a new id is a duplicate QoS 1 allows)', () => {
  const store = new RecordStore();
  const r = rigOn(store, ['s/# out 1']);
  r.connected();
  store.deferred = true;
  r.publishLocally('s/1', 'a', 1);
  assert.equal(publishes(r.packets()), [['s/1', 'a', 1, false, 1]]);
});

test('QoS 0 is not kept (it may be lost anyway)', () => {
  const store = new RecordStore();
  const r1 = rigOn(store, ['s/# out 0']);
  r1.connected();
  r1.publishLocally('s/1', 'a', 0);
  assert.ok(store.kept.every((b) => { const k = decodeRecord(b).kind; return k < 22 || k > 25; }));
});

test('a snapshot keeps the live queue: after compaction a restart still gives back what was held, and only that', () => {
  const store = new RecordStore();
  const r1 = rigOn(store, ['s/# out 1']);
  r1.connected();
  for (let i = 0; i < 5; i++) r1.publishLocally('s/' + i, 'x' + i, 1);
  r1.packets();
  r1.feed('40 02 00 01');   // PUBACK 1
  r1.feed('40 02 00 02');   // PUBACK 2
  store.bound = 0;          // the next append asks for a snapshot
  r1.publishLocally('s/5', 'x5', 1);
  assert.ok(store.compactions >= 1);
  const r2 = rigOn(store, ['s/# out 1']);
  assert.equal(publishes(resumed(r2, true)).map((x) => [x[0], x[3], x[4]]),
    [['s/2', true, 3], ['s/3', true, 4], ['s/4', true, 5], ['s/5', true, 6]]);
});

test('the queue of a bridge no longer configured is dropped once, counted, and not in the next snapshot', () => {
  const store = new RecordStore();
  const r1 = rigOn(store);   // the bridge 'up'
  r1.publishLocally('s/1', 'a', 1);
  r1.publishLocally('s/2', 'b', 2);
  const other = new BridgeRig({ name: 'other', addresses: ['a0'], topics: ['s/# out 2'] }, { store });
  assert.equal(queueRecords.dropUnclaimed(other.broker), [{ bridge: 'up', messages: 2 }]);
  assert.equal(queueRecords.dropUnclaimed(other.broker), []);
  assert.is(other.broker.snapshot().length, new BridgeRig({ name: 'other', addresses: ['a0'] }).broker.snapshot().length);
  const r3 = rigOn(store);   // 'up' configured again: what it held was ended
  assert.is(r3.bridge.stats().queuedMessages, 0);
});

test('without persistence the bridge keeps no records and holds no frame', () => {
  const r = new BridgeRig({ topics: ['s/# out 2'] });
  r.bridge.start(r.now);
  r.connected();
  r.publishLocally('s/1', 'a', 2);
  assert.is(r.bridge.records, null);
  assert.equal(publishes(r.packets()), [['s/1', 'a', 2, false, 1]]);
});

test('the bridge\'s record kinds (queue-records.ts, by value for the device bundles) are those of records.ts', () => {
  assert.equal([queueRecords.REC_BRIDGE_QUEUED, queueRecords.REC_BRIDGE_SENT, queueRecords.REC_BRIDGE_PUBREC, queueRecords.REC_BRIDGE_DONE],
    [REC_BRIDGE_QUEUED, REC_BRIDGE_SENT, REC_BRIDGE_PUBREC, REC_BRIDGE_DONE]);
});

test.run();
