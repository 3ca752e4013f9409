// Persistence through the Store contract (core/broker/store.ts, issue 15 §1): a broker on a
// durable store records every change of session and retained state (core/broker/state/),
// holds PUBACK / PUBREC / PUBCOMP until the records are stored, and a new broker built from
// the records (a restart after a crash: the old broker is simply dropped) gives a reconnecting
// client what the old one owed it. The store here keeps the records' bytes in an array; the
// clock is the rig's fake one, and wall-clock time passes while the broker is "down".

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrokerOptions, Hooks, Packet, RecordVisitor, Store } from '../../core/index.js';
import { PUBLISH, PUBREC, PUBREL, encodeRecord, frameRecords, visitFrames } from '../../core/index.js';
import { Rig } from '../helpers/rig.js';

const WALL_START = 1_764_000_000_000;   // the wall clock when the first broker starts

/** A durable store in memory: records as bytes, in order; `answer` decides each done(). */
class ArrayStore implements Store {
  durable = true;
  kept: Uint8Array[] = [];
  appends = 0;
  compactions = 0;
  bound = Infinity;          // compactionDue past this many records appended since the last snapshot
  sinceSnapshot = 0;
  appended = 0;             // records appended, ever
  failing = false;           // done(false) for every append
  later: Array<() => void> | null = null;   // non-null: done() is called when the test says so

  /**
   * As a file or flash store does: the records framed in one buffer, each visited as that
   * buffer and its bounds; then the buffer is overwritten, so a broker that kept a view of it
   * instead of a copy has garbage (a store may reuse its buffer for the next segment).
   */
  load(visit: RecordVisitor): void {
    const all = frameRecords(this.kept, 0, this.kept.length);
    visitFrames(all, all.length, visit);
    all.fill(0xee);
  }
  append(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.appends++;
    const finish = (): void => {
      if (this.failing) { done(false); return; }
      for (const r of records) this.kept.push(r.slice());
      this.sinceSnapshot += records.length;
      this.appended += records.length;
      done(true);
    };
    if (this.later !== null) this.later.push(finish); else finish();
  }
  compactionDue(): boolean { return this.sinceSnapshot > this.bound; }
  compact(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.compactions++;
    if (this.failing) { done(false); return; }
    this.kept = records.map((r) => r.slice());
    this.sinceSnapshot = 0;
    done(true);
  }
}

/** A broker on `store`, started when the wall clock says `wallMs`. */
function start(store: Store, wallMs = WALL_START, options: BrokerOptions = {}, hooks: Partial<Hooks> = {}): Rig {
  return new Rig({ store, wallClockMs: wallMs, maxInflightIn: 100, ...options }, hooks);
}

/** Drops `t` (a crash: nothing more happens in it) and starts another after `downMs`. */
function restart(t: Rig, store: Store, downMs = 1000, options: BrokerOptions = {}, hooks: Partial<Hooks> = {}): Rig {
  const wall = (t as Rig & { wall?: number }).wall ?? WALL_START;
  const next = start(store, wall + t.now + downMs, options, hooks);
  (next as Rig & { wall?: number }).wall = wall + t.now + downMs;
  return next;
}

function publishes(t: Rig, name: string): Array<{ payload: string; dup: boolean; packetId: number; qos: number; retain: boolean; topic: string }> {
  const td = new TextDecoder();
  return t.packets(name).filter((p) => p.type === PUBLISH).map((p) => {
    const q = p as unknown as { payload: Uint8Array; dup: boolean; packetId: number; qos: number; retain: boolean; topic: string };
    return { payload: td.decode(q.payload), dup: q.dup, packetId: q.packetId, qos: q.qos, retain: q.retain, topic: q.topic };
  });
}

/** Connects `name` to its stored session; what came after the CONNACK, which must say Session Present. */
function resume(t: Rig, name: string, o: Parameters<Rig['connect']>[1] = { clean: false }): Packet[] {
  t.connect(name, o);
  const all = t.packets(name);
  const ack = all.shift() as { type: number; reasonCode: number; sessionPresent: boolean };
  if (ack.type !== 2 || ack.reasonCode !== 0 || !ack.sessionPresent) throw new Error(name + ' did not resume its session: ' + JSON.stringify(ack));
  return all;
}

function texts(packets: Packet[]): string[] {
  const td = new TextDecoder();
  return packets.filter((p) => p.type === PUBLISH).map((p) => td.decode((p as { payload: Uint8Array }).payload));
}

/** A persistent subscriber to `filter` that then goes away. */
function offlineSubscriber(t: Rig, name: string, filter: string, qos: 0 | 1 | 2, version = 4): void {
  t.connected(name, { clean: false, version, properties: version === 5 ? { sessionExpiryInterval: 3600 } : null });
  t.subscribe(name, filter, qos);
  t.drop(name);
}

test('4:MQTT-3.1.2-4 QoS 1 messages queued for an offline persistent session survive a restart, in order', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a/#', 1);
  t.connected('pub');
  for (let i = 1; i <= 3; i++) t.publish('pub', 'a/x', 'm' + i, 1, i);
  const u = restart(t, store);
  const ack = u.connect('sub', { clean: false });
  const got = u.packets('sub');
  assert.is((got[0] as { sessionPresent: boolean }).sessionPresent, true);
  assert.equal(got.filter((p) => p.type === PUBLISH).map((p) => new TextDecoder().decode((p as { payload: Uint8Array }).payload)), ['m1', 'm2', 'm3']);
  assert.ok(ack);
});

test('4:MQTT-4.4.0-1 a QoS 1 message in flight when the broker stopped is sent again with DUP 1 and its packet id', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('sub', { clean: false });
  t.subscribe('sub', 'a', 1);
  t.connected('pub');
  t.publish('pub', 'a', 'hello', 1, 1);
  const first = publishes(t, 'sub');
  assert.is(first.length, 1);
  const u = restart(t, store);
  const again = resume(u, 'sub').map((p) => {
    const q = p as unknown as { payload: Uint8Array; dup: boolean; packetId: number; qos: number; retain: boolean; topic: string };
    return { payload: new TextDecoder().decode(q.payload), dup: q.dup, packetId: q.packetId, qos: q.qos, retain: q.retain, topic: q.topic };
  });
  assert.equal(again, [{ payload: 'hello', dup: true, packetId: first[0].packetId, qos: 1, retain: false, topic: 'a' }]);
});

test('4:MQTT-4.4.0-1 an outgoing QoS 2 message past PUBREC gets its PUBREL again after a restart, not the PUBLISH', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('sub', { clean: false });
  t.subscribe('sub', 'a', 2);
  t.connected('pub');
  t.publish('pub', 'a', 'x', 2, 1);
  const [m] = publishes(t, 'sub');
  t.send('sub', { type: 5, packetId: m.packetId, reasonCode: 0, properties: null });   // PUBREC
  assert.is(t.packets('sub')[0].type, PUBREL);
  const u = restart(t, store);
  const after = resume(u, 'sub');
  assert.equal(after.map((p) => p.type), [PUBREL]);
  assert.is((after[0] as { packetId: number }).packetId, m.packetId);
});

test('4:MQTT-4.3.3-2 an incoming QoS 2 id awaiting PUBREL survives a restart: the PUBLISH again is not delivered twice, PUBREL gets PUBCOMP', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('sub', { clean: false });
  t.subscribe('sub', 'a', 0);
  t.connected('pub', { clean: false, version: 5, properties: { sessionExpiryInterval: 600 } });
  t.publish('pub', 'a', 'once', 2, 7);
  assert.equal(t.packets('pub').map((p) => p.type), [5]);   // PUBREC
  assert.equal(t.received('sub'), ['once']);
  const u = restart(t, store);
  u.connected('sub', { clean: false });
  u.connected('pub', { clean: false, version: 5, properties: { sessionExpiryInterval: 600 } });
  u.send('pub', { type: PUBLISH, dup: true, qos: 2, retain: false, topic: 'a', packetId: 7, properties: null, payload: new TextEncoder().encode('once') });
  assert.equal(u.received('sub'), []);
  u.send('pub', { type: PUBREL, packetId: 7, reasonCode: 0, properties: null });
  const comp = u.packets('pub').filter((p) => p.type === 7);
  assert.is((comp[0] as { reasonCode: number }).reasonCode, 0);   // not 0x92: the id was held
});

test('subscriptions survive a restart: a message published after it reaches the persistent session', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'home/+/temp', 1);
  const u = restart(t, store);
  u.connected('pub');
  u.publish('pub', 'home/kitchen/temp', '21', 1, 1);
  assert.equal(texts(resume(u, 'sub')), ['21']);
});

test('4:MQTT-3.3.1-5 4:MQTT-3.3.1-10 retained messages survive a restart, and a deleted one stays deleted', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('pub');
  t.publish('pub', 'r/1', 'one', 1, 1, true);
  t.publish('pub', 'r/2', 'two', 0, 0, true);
  t.publish('pub', 'r/2', '', 0, 0, true);
  const u = restart(t, store);
  u.connected('sub');
  u.subscribe('sub', 'r/#', 1);
  const got = publishes(u, 'sub');
  assert.equal(got.map((m) => [m.topic, m.payload, m.retain]), [['r/1', 'one', true]]);
});

test('5:MQTT-3.1.2-23 a session whose expiry passes while the broker is down is gone after the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1, 5);   // 3600 s
  const u = restart(t, store, 3601_000);
  u.advance(0);
  u.connect('sub', { clean: false, version: 5, properties: { sessionExpiryInterval: 3600 } });
  assert.is((u.packets('sub')[0] as { sessionPresent: boolean }).sessionPresent, false);
  assert.is(u.broker.stats.sessionsExpired, 1);
});

test('5:MQTT-3.1.2-23 a session expiry still ahead at the restart falls due at its wall-clock time, not later', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1, 5);   // ends 3600 s after it went away
  const u = restart(t, store, 3000_000);
  u.advance(599_000);
  assert.ok(u.broker.sessions.has('sub'));
  u.advance(2_000);
  assert.not.ok(u.broker.sessions.has('sub'));
});

test('5:MQTT-3.1.3-9 a delayed will whose delay passes while the broker is down goes out at the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', {
    version: 5, properties: { sessionExpiryInterval: 600 },
    will: { topic: 'will/w', payload: 'gone', qos: 1, retain: true, properties: { willDelayInterval: 30 } },
  });
  t.drop('w');
  t.advance(10_000);
  assert.is(t.broker.retained.count, 0);   // not yet
  const u = restart(t, store, 60_000);
  u.advance(0);   // the port's timer, armed for nextDeadline(): due now
  u.connected('sub');
  u.subscribe('sub', 'will/#', 1);
  assert.equal(publishes(u, 'sub').map((m) => m.payload), ['gone']);
});

test('5:MQTT-3.1.2-8 a delayed will still waiting at the restart goes out at its wall-clock time', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', {
    version: 5, properties: { sessionExpiryInterval: 600 },
    will: { topic: 'will/w', payload: 'gone', qos: 0, retain: true, properties: { willDelayInterval: 30 } },
  });
  t.drop('w');
  const u = restart(t, store, 10_000);   // 20 s of the delay left
  u.advance(19_000);
  assert.is(u.broker.retained.count, 0);
  u.advance(2_000);
  assert.is(u.broker.retained.count, 1);
});

test('5:MQTT-3.1.2-8 broker.close() on a durable store keeps a delayed will: not published at close, published at its time after the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  const got: string[] = [];
  t.broker.subscribe('will/#', (m) => { got.push(m.topic); }, t.now);
  t.connected('w', {
    version: 5, properties: { sessionExpiryInterval: 600 },
    will: { topic: 'will/w', payload: 'gone', qos: 0, retain: true, properties: { willDelayInterval: 30 } },
  });
  t.drop('w');
  t.broker.close(t.now);
  assert.equal(got, [], 'its session is kept: the delay runs on');
  const u = restart(t, store, 10_000);   // 20 s of the delay left
  u.advance(19_000);
  assert.is(u.broker.retained.count, 0);
  u.advance(2_000);
  assert.is(u.broker.retained.count, 1);
});

test('4:MQTT-3.1.2-8 a client whose connection was alive when the broker stopped lost it: its will goes out at the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: false, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: true } });
  const u = restart(t, store);
  assert.is(u.broker.retained.count, 1);
  u.connected('sub');
  u.subscribe('sub', 'will/w', 0);
  assert.equal(publishes(u, 'sub').map((m) => m.payload), ['lost']);
});

/** What `name`, subscribed to will/#, gets: the payloads published to it. */
function willsSeen(u: Rig): string[] {
  u.connected('sub');
  u.subscribe('sub', 'will/#', 0);
  return publishes(u, 'sub').map((m) => m.payload);
}

test('4:MQTT-3.1.2-8 a Clean Session client whose connection was alive when the broker stopped: its will goes out at the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: true, will: { topic: 'will/w', payload: 'lost', qos: 1, retain: true } });
  const u = restart(t, store);
  assert.equal(willsSeen(u), ['lost']);
  assert.is(u.broker.sessions.has('w'), false, 'its session is not kept');
});

test('5:MQTT-3.1.2-8 5.0 §3.1.3.2.2 a client with Session Expiry 0 alive when the broker stopped: its session ended then, so its will goes out at the restart, before its Will Delay', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { version: 5, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: true, properties: { willDelayInterval: 60 } } });
  const u = restart(t, store);
  assert.is(u.broker.retained.count, 1, 'published at the restart, not 60 s after it');
  assert.equal(willsSeen(u), ['lost']);
});

test('4:MQTT-3.1.2-10 a Clean Session client\'s will discarded by DISCONNECT is not published after a restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: true, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: true } });
  t.send('w', { type: 14, reasonCode: 0, properties: null });
  const u = restart(t, store);
  assert.is(u.broker.retained.count, 0);
  assert.is(u.broker.stats.errors, 0);
});

test('4:MQTT-3.1.2-8 a Clean Session client\'s will that went out when its connection broke is not published again after a restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: true, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: false } });
  t.drop('w');
  const asked: string[] = [];
  restart(t, store, 1000, {}, { authorizePublish: (_c, topic) => { asked.push(topic); return true; } });
  assert.equal(asked, []);
});

test('4:MQTT-3.1.2-8 a will published at a restart is published once: not again at the next restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: true, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: false } });
  const asked: string[] = [];
  const hooks: Partial<Hooks> = { authorizePublish: (_c, topic) => { asked.push(topic); return true; } };
  const u = restart(t, store, 1000, {}, hooks);
  assert.equal(asked, ['will/w']);
  restart(u, store, 1000, {}, hooks);
  assert.equal(asked, ['will/w'], 'not published again');
});

test('a Clean Session client\'s will is asked for as its own user\'s at the restart, and kept through a snapshot', () => {
  const store = new ArrayStore();
  store.bound = 5;
  const t = start(store);
  t.connected('w', { clean: true, username: 'alice', will: { topic: 'will/w', payload: 'lost', qos: 0, retain: true } });
  t.connected('pub');
  for (let i = 1; i <= 10; i++) t.publish('pub', 'keep', 'r' + i, 0, 0, true);
  assert.ok(store.compactions > 0, 'compactions ' + store.compactions);
  const asked: Array<string | null> = [];
  const u = restart(t, store, 1000, {}, { authorizePublish: (c, topic) => { if (topic === 'will/w') asked.push(c.username); return true; } });
  assert.equal(asked, ['alice']);
  assert.is(new TextDecoder().decode(u.broker.retained.get('will/w')?.payload), 'lost');
});

test('a Clean Session client taken over by a new connection with no will: the old will is not published again after a restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: true, will: { topic: 'will/w', payload: 'old', qos: 0, retain: false } });
  t.connected('w2', { clean: true, clientId: 'w' });
  const asked: string[] = [];
  restart(t, store, 1000, {}, { authorizePublish: (_c, topic) => { asked.push(topic); return true; } });
  assert.equal(asked, []);
});

test('4:MQTT-3.1.2-10 a will discarded by DISCONNECT is not published after a restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('w', { clean: false, will: { topic: 'will/w', payload: 'lost', qos: 0, retain: true } });
  t.send('w', { type: 14, reasonCode: 0, properties: null });
  const u = restart(t, store);
  assert.is(u.broker.retained.count, 0);
});

test('5:MQTT-3.3.2-5 a queued message whose expiry passes while the broker is down is not delivered after the restart', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1, 5);
  t.connected('pub', { version: 5 });
  t.send('pub', { type: PUBLISH, dup: false, qos: 1, retain: false, topic: 'a', packetId: 1, properties: { messageExpiryInterval: 60 }, payload: new TextEncoder().encode('short') });
  t.send('pub', { type: PUBLISH, dup: false, qos: 1, retain: false, topic: 'a', packetId: 2, properties: { messageExpiryInterval: 600 }, payload: new TextEncoder().encode('long') });
  const u = restart(t, store, 120_000);
  assert.equal(texts(resume(u, 'sub', { clean: false, version: 5, properties: { sessionExpiryInterval: 3600 } })), ['long']);
});

test('5:MQTT-3.3.2-6 a queued message delivered after a restart carries the expiry left by the wall clock', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1, 5);
  t.connected('pub', { version: 5 });
  t.send('pub', { type: PUBLISH, dup: false, qos: 1, retain: false, topic: 'a', packetId: 1, properties: { messageExpiryInterval: 600 }, payload: new TextEncoder().encode('m') });
  const u = restart(t, store, 100_000);
  const p = resume(u, 'sub', { clean: false, version: 5, properties: { sessionExpiryInterval: 3600 } }).find((x) => x.type === PUBLISH) as { properties: { messageExpiryInterval: number } };
  assert.is(p.properties.messageExpiryInterval, 500);
});

test('a session keeps the identity that made it across a restart: another user cannot take it', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('sub', { clean: false, username: 'alice' });
  t.subscribe('sub', 'a', 1);
  t.drop('sub');
  const u = restart(t, store);
  u.connect('sub', { clean: false, username: 'mallory' });
  assert.is((u.packets('sub')[0] as { reasonCode: number }).reasonCode, 5);   // 3.1.1 not authorized
  u.connect('sub', { clean: false, username: 'alice' });
  assert.is((u.packets('sub')[0] as { sessionPresent: boolean }).sessionPresent, true);
});

test('PUBACKs wait for the store\'s late done(true) and go out in the order of their PUBLISHes', () => {
  const store = new ArrayStore();
  store.later = [];
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub');
  (store.later as Array<() => void>).splice(0).forEach((f) => f());
  t.publish('pub', 'a', '1', 1, 1);
  t.publish('pub', 'a', '2', 1, 2);
  assert.equal(t.packets('pub'), []);
  const pending = store.later as Array<() => void>;
  assert.is(pending.length, 2);   // one batch per entry point
  pending[0]();
  assert.equal(t.packets('pub').map((p) => (p as { packetId: number }).packetId), [1]);
  pending[1]();
  assert.equal(t.packets('pub').map((p) => (p as { packetId: number }).packetId), [2]);
});

test('5:§3.4.2.1 records the store could not keep: 5.0 PUBACK and PUBREC 0x97, counted and logged; the next batch is a snapshot', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub', { version: 5 });
  store.failing = true;
  t.publish('pub', 'a', '1', 1, 1);
  t.publish('pub', 'a', '2', 2, 2);
  const acks = t.packets('pub') as Array<{ type: number; reasonCode: number }>;
  assert.equal(acks.map((p) => [p.type, p.reasonCode]), [[4, 0x97], [5, 0x97]]);
  assert.is(t.broker.journal?.failures, 2);
  assert.ok(t.logs.some((l) => l.includes('acknowledgements withheld')));
  store.failing = false;
  const before = store.compactions;
  t.advance(1000);   // a snapshot is tried at most once a second while the store fails
  t.publish('pub', 'a', '3', 1, 3);
  assert.is(store.compactions, before + 1);   // the first batch after the failure
  const u = restart(t, store);
  assert.equal(texts(resume(u, 'sub')), ['1', '2', '3']);   // the snapshot holds what memory held
});

test('a store that keeps failing is sent a snapshot at most once a second, and nothing is acknowledged meanwhile', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub');
  store.failing = true;
  for (let i = 1; i <= 50; i++) t.publish('pub', 'a', 'm' + i, 1, i);
  assert.is(store.compactions, 1);   // the first batch after the failure; the other 48 are not tried
  assert.equal(t.packets('pub'), []);
  assert.is(t.logs.filter((l) => l.includes('acknowledgements withheld')).length, 2);   // as it began, and the snapshot tried
  t.advance(999);
  t.publish('pub', 'a', 'm51', 1, 51);
  assert.is(store.compactions, 1);
  t.advance(1);
  t.publish('pub', 'a', 'm52', 1, 52);
  assert.is(store.compactions, 2);
  assert.equal(t.packets('pub'), []);
  store.failing = false;
  t.advance(1000);
  t.publish('pub', 'a', 'm53', 1, 53);   // the snapshot holds the queue as memory has it, and m53's PUBACK waits for it
  assert.is(store.compactions, 3);
  assert.equal(t.packets('pub').map((p) => (p as { packetId: number }).packetId), [53]);
  const queued = (r: Rig): string[] => {
    const q = (r.broker.sessions.get('sub') as NonNullable<ReturnType<typeof r.broker.sessions.get>>).queue;
    const out: string[] = [];
    for (let i = 0; i < q.length; i++) out.push(new TextDecoder().decode(q.item(i).message.payload));
    return out;
  };
  const u = restart(t, store);
  assert.equal(queued(u), queued(t));
  assert.is(queued(u)[queued(u).length - 1], 'm53');
});

test('4:MQTT-4.3.2-2 3.1.1: records the store could not keep get no PUBACK', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub');
  store.failing = true;
  t.publish('pub', 'a', '1', 1, 1);
  assert.equal(t.packets('pub'), []);
});

test('a store past its bound gets a snapshot that rebuilds the same state', () => {
  const store = new ArrayStore();
  store.bound = 20;
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a/#', 1);
  t.connected('pub');
  for (let i = 1; i <= 30; i++) t.publish('pub', 'keep', 'r' + i, 0, 0, true);   // each replaces the one before
  for (let i = 1; i <= 3; i++) t.publish('pub', 'a/' + i, 'm' + i, 1, i);
  assert.ok(store.compactions > 0, 'compactions ' + store.compactions);
  assert.ok(store.kept.length < store.appended, 'kept ' + store.kept.length + ' of ' + store.appended);
  const u = restart(t, store);
  const got = texts(resume(u, 'sub'));
  assert.equal(got, ['m1', 'm2', 'm3']);
  assert.is(new TextDecoder().decode(u.broker.retained.get('keep')?.payload), 'r30');
});

test('a snapshot that names its messages out of id order (as its sessions hold them), then a log after it: every queue comes back', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'A', 'a', 1);
  t.connected('B', { clean: false });
  t.subscribe('B', 'b', 1);
  t.subscribe('B', 'a', 1, 2);
  t.drop('B');
  t.connected('pub');
  t.publish('pub', 'b', 'm1', 1, 1);   // message 1: B only
  t.publish('pub', 'a', 'm2', 1, 2);   // message 2: A and B
  store.bound = 0;                     // the next batch is followed by a snapshot: A's message 2 first, then B's 1
  t.publish('pub', 'x', 'kept', 0, 0, true);
  assert.is(store.compactions, 1);
  store.bound = Infinity;
  t.publish('pub', 'a', 'm3', 1, 3);   // message 3, in the log after the snapshot
  const u = restart(t, store);
  assert.equal(texts(resume(u, 'A')), ['m2', 'm3']);
  assert.equal(texts(resume(u, 'B')), ['m1', 'm2', 'm3']);
});

test('a damaged record is skipped and logged; everything else loads', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub');
  t.publish('pub', 'a', 'kept', 1, 1);
  store.kept.splice(1, 0, new Uint8Array([0xff, 1, 2]), encodeRecord({ kind: 14, clientId: 'nobody', packetId: 1 }));
  const u = restart(t, store);
  assert.ok(u.logs.some((l) => l.includes('2 of') && l.includes('skipped')));
  assert.equal(texts(resume(u, 'sub')), ['kept']);
});

test('a clean session leaves no record; the in-memory store is never called', () => {
  const store = new ArrayStore();
  const t = start(store);
  t.connected('c');
  t.subscribe('c', 'a', 1);
  t.publish('c', 'a', 'x', 1, 1);
  assert.equal(store.kept, []);
  const calls: string[] = [];
  const spy: Store = {
    durable: false,
    load: () => { calls.push('load'); return []; },
    append: (_r, done) => { calls.push('append'); done(true); },
    compactionDue: () => { calls.push('compactionDue'); return false; },
    compact: (_r, done) => { calls.push('compact'); done(true); },
  };
  const m = new Rig({ store: spy });
  m.connected('p', { clean: false });
  m.subscribe('p', 'a', 1);
  m.publish('p', 'a', 'x', 1, 1);
  assert.equal(calls, []);
});

test('a restart from the records of a restarted broker gives the same sessions again', () => {
  const store = new ArrayStore();
  const t = start(store);
  offlineSubscriber(t, 'sub', 'a', 1);
  t.connected('pub');
  t.publish('pub', 'a', 'm', 1, 1);
  const u = restart(t, store);
  const v = restart(u, store);
  assert.equal(texts(resume(v, 'sub')), ['m']);
});

/** The store's late answers so far, given now (done(true) for each batch waiting). */
function answerAll(store: ArrayStore): void {
  (store.later as Array<() => void>).splice(0).forEach((f) => f());
}

/** A store that answers when told, persistent 'sub' on 'a' at `qos` and persistent 'pub' (and `others`), set up and stored. */
function heldStore(qos: 1 | 2, others: string[] = []): { store: ArrayStore; t: Rig } {
  const store = new ArrayStore();
  store.later = [];
  const t = start(store);
  t.connected('sub', { clean: false });
  t.subscribe('sub', 'a', qos);
  t.connected('pub', { clean: false });
  for (const o of others) t.connected(o);
  answerAll(store);
  return { store, t };
}

test('4:MQTT-4.3.3-2 an incoming QoS 2 message reaches no subscriber before the record of its packet id is stored', () => {
  const { store, t } = heldStore(2);
  t.publish('pub', 'a', 'x', 2, 1);
  assert.equal(publishes(t, 'sub'), []);
  assert.equal(t.packets('pub'), []);
  answerAll(store);
  assert.equal(publishes(t, 'sub').map((m) => m.payload), ['x']);
  assert.equal(t.packets('pub').map((p) => p.type), [PUBREC]);
});

test('4:MQTT-4.3.3-2 an incoming QoS 2 message whose records a crash lost reaches its subscriber once, when its publisher sends it again', () => {
  const { store, t } = heldStore(2);
  t.publish('pub', 'a', 'x', 2, 1);
  const before = publishes(t, 'sub').length;
  store.later = null;   // the crash: that batch was never written
  const u = restart(t, store);
  resume(u, 'sub');
  resume(u, 'pub');
  u.send('pub', { type: PUBLISH, dup: true, qos: 2, retain: false, topic: 'a', packetId: 1, properties: null, payload: new TextEncoder().encode('x') });
  assert.is(before + publishes(u, 'sub').length, 1);
  assert.equal(u.packets('pub').map((p) => p.type), [PUBREC]);
});

test('a QoS 2 message held for the store holds what its subscriber is sent after it, in order', () => {
  const { store, t } = heldStore(2, ['other']);
  t.publish('pub', 'a', 'first', 2, 1);
  t.publish('other', 'a', 'second', 0);
  assert.equal(publishes(t, 'sub'), []);
  answerAll(store);
  assert.equal(publishes(t, 'sub').map((m) => m.payload), ['first', 'second']);
});

test('a QoS 1 message reaches its subscriber before its records are stored (a crash makes at most a duplicate)', () => {
  const { t } = heldStore(1);
  t.publish('pub', 'a', 'x', 1, 1);
  assert.equal(publishes(t, 'sub').map((m) => m.payload), ['x']);
  assert.equal(t.packets('pub'), []);   // its PUBACK waits for the store
});

test.run();
