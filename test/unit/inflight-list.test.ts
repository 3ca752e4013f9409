// InflightList: a session's QoS 1/2 messages in flight, oldest first [MQTT-4.6.0-1]; the
// oldest leaves by moving a head index, any other by splicing it out.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Outgoing } from '../../core/broker/session.js';
import { InflightList, NO_INFLIGHT } from '../../core/broker/session.js';
import { createMessage } from '../../core/broker/message.js';

function entry(packetId: number): Outgoing {
  return {
    packetId: packetId, qos: 1, retain: false, message: createMessage('t', new Uint8Array(1), 1, false, null, 'p'),
    state: 0, sent: true, subscriptionIds: null, shareKey: '',
  };
}

function ids(l: InflightList): number[] {
  const out: number[] = [];
  for (let i = 0; i < l.length; i++) out.push(l.item(i).packetId);
  return out;
}

test('entries keep the order they were pushed in', () => {
  const l = new InflightList([]);
  for (let id = 1; id <= 5; id++) l.push(entry(id));
  assert.is(l.length, 5);
  assert.equal(ids(l), [1, 2, 3, 4, 5]);
});

test('removing the oldest, then one in the middle, keeps the others in order', () => {
  const l = new InflightList([]);
  for (let id = 1; id <= 5; id++) l.push(entry(id));
  l.removeAt(0);
  assert.equal(ids(l), [2, 3, 4, 5]);
  l.removeAt(2);
  assert.equal(ids(l), [2, 3, 5]);
  l.push(entry(6));
  assert.equal(ids(l), [2, 3, 5, 6]);
});

test('a window acknowledged in order, over and over, stays in order and empties', () => {
  const l = new InflightList([]);
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
});

test.run();
