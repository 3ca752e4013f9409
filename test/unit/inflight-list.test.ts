// HeadList (session.ts): a session's QoS 1/2 messages in flight, oldest first [MQTT-4.6.0-1],
// and its queue; the oldest leaves by moving a head index, any other by splicing it out.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Outgoing } from '../../core/broker/session.js';
import type { InflightList } from '../../core/broker/session.js';
import { NO_INFLIGHT, NO_QUEUE, newInflight } from '../../core/broker/session.js';
import { PUBLISH, encode } from '../../core/index.js';
import { rig } from '../helpers/rig.js';
import { createMessage } from '../../core/broker/message.js';

function entry(packetId: number): Outgoing {
  return {
    packetId: packetId, qos: 1, retain: false, message: createMessage('t', new Uint8Array(1), 1, false, null, 'p'),
    state: 0, sent: true, subscriptionIds: null, shareKey: '', recorded: false,
  };
}

function ids(l: InflightList): number[] {
  const out: number[] = [];
  for (let i = 0; i < l.length; i++) out.push(l.item(i).packetId);
  return out;
}

test('entries keep the order they were pushed in', () => {
  const l = newInflight();
  for (let id = 1; id <= 5; id++) l.push(entry(id));
  assert.is(l.length, 5);
  assert.equal(ids(l), [1, 2, 3, 4, 5]);
});

test('removing the oldest, then one in the middle, keeps the others in order', () => {
  const l = newInflight();
  for (let id = 1; id <= 5; id++) l.push(entry(id));
  l.removeAt(0);
  assert.equal(ids(l), [2, 3, 4, 5]);
  l.removeAt(2);
  assert.equal(ids(l), [2, 3, 5]);
  l.push(entry(6));
  assert.equal(ids(l), [2, 3, 5, 6]);
});

test('a window acknowledged in order, over and over, stays in order and empties', () => {
  const l = newInflight();
  let next = 1;
  let oldest = 1;
  for (let id = 0; id < 100; id++) l.push(entry(next++));
  for (let round = 0; round < 1000; round++) {
    assert.is(l.item(0).packetId, oldest);
    l.removeAt(0);
    oldest++;
    l.push(entry(next++));
    assert.is(l.length, 100);
  }
  assert.equal(ids(l), Array.from({ length: 100 }, (_, i) => oldest + i));
  for (let i = 0; i < 100; i++) l.removeAt(0);
  assert.is(l.length, 0);
  l.push(entry(7));
  assert.equal(ids(l), [7]);
});

test('the shared empty list refuses a push (a session must make its own first)', () => {
  assert.is(NO_INFLIGHT.length, 0);
  assert.throws(() => NO_INFLIGHT.push(entry(1)));
  assert.is(NO_INFLIGHT.length, 0);
  assert.throws(() => NO_QUEUE.push({ message: entry(1).message, qos: 1, retain: false, subscriptionIds: null, shareKey: '', bytes: 1 }));
});

test('4:MQTT-4.6.0-1 a session\'s queue of 20,000 messages drains to its returning client in order, each once', () => {
  const n = 20000;
  const t = rig({ maxQueued: n, maxQueuedBytes: 64 << 20, maxOfflineBytes: 64 << 20, maxInflight: 100 });
  t.connected('s', { clean: false });
  t.subscribe('s', 'q', 1);
  t.drop('s');
  t.connected('p');
  const chunk: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) chunk.push(encode({ type: PUBLISH, dup: false, qos: 1, retain: false, topic: 'q', packetId: (i % 65535) + 1, properties: null, payload: new TextEncoder().encode('' + i) }, 4));
  const all = new Uint8Array(chunk.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunk) { all.set(c, o); o += c.length; }
  t.feed('p', all);
  assert.is(t.broker.sessions.get('s')?.queue.length, n);
  t.connect('s', { clean: false });
  const got: number[] = [];
  for (;;) {
    const ps = t.packets('s').filter((p) => p.type === PUBLISH) as Array<{ packetId: number; payload: Uint8Array }>;
    if (ps.length === 0) break;
    for (const p of ps) {
      got.push(+new TextDecoder().decode(p.payload));
      t.feed('s', encode({ type: 4, packetId: p.packetId, reasonCode: 0, properties: null }, 4));   // PUBACK
    }
  }
  assert.is(got.length, n);
  assert.ok(got.every((v, i) => v === i + 1));
  assert.is(t.broker.sessions.get('s')?.queue.length, 0);
});

test.run();
