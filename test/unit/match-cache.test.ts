// Folded match lists kept between publishes (core/broker/routing.ts): the list each
// connection keeps for the topic it last published to, and the broker's two-half cache of
// costly lists. Whatever is kept, a message goes to exactly the subscriptions that exist
// when it is published [MQTT-3.3.2-3 · 4:MQTT-4.7.1-1]: subscribing, unsubscribing and a
// session ending are seen by the very next publish, and a full cache loses nothing.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const UNSUBSCRIBE = 10;

/** `count` subscribers s0..s<count-1> on `filter`, QoS 0. */
function subscribers(t: Rig, prefix: string, count: number, filter: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = prefix + i;
    t.connected(n);
    t.subscribe(n, filter, 0);
    names.push(n);
  }
  return names;
}

function kept(t: Rig): number {
  return t.broker.matchCache.size + t.broker.matchCacheOld.size;
}

/** 'pub' has published once to x/y, which 'a' subscribes to: 'pub' keeps that topic's list. */
function publishedOnce(): Rig {
  const t = rig();
  t.connected('pub');
  t.connected('a');
  t.subscribe('a', 'x/y', 0);
  t.publish('pub', 'x/y', '1');
  assert.equal(t.received('a'), ['1']);
  return t;
}

test('a publisher\'s kept list: a new subscription gets the next publish to the same topic [MQTT-3.3.2-3]', () => {
  const t = publishedOnce();
  t.connected('b');
  t.subscribe('b', 'x/y', 0);
  t.publish('pub', 'x/y', '2');
  assert.equal(t.received('a'), ['2']);
  assert.equal(t.received('b'), ['2']);
});

test('a publisher\'s kept list: after UNSUBSCRIBE the next publish is not delivered [MQTT-3.10.4-2]', () => {
  const t = publishedOnce();
  t.send('a', { type: UNSUBSCRIBE, packetId: 2, properties: null, topicFilters: ['x/y'] });
  t.packets('a');   // the UNSUBACK
  t.publish('pub', 'x/y', '2');
  assert.equal(t.received('a'), []);
});

test('a publisher\'s kept list: a subscriber whose session ended gets nothing more, the others go on [MQTT-3.1.2-6]', () => {
  const t = rig();
  t.connected('pub');
  subscribers(t, 's', 2, 'x/y');
  t.publish('pub', 'x/y', '1');
  assert.equal(t.received('s0'), ['1']);
  t.drop('s0');   // clean session: the session ends with the connection
  t.publish('pub', 'x/y', '2');
  assert.equal(t.received('s1'), ['1', '2']);
  assert.is(t.broker.stats.dropped, 0);
});

test('a publisher alternating between topics gets each topic\'s own subscribers', () => {
  const t = rig();
  t.connected('pub');
  t.connected('a');
  t.subscribe('a', 'one', 0);
  t.connected('b');
  t.subscribe('b', 'two', 0);
  for (let i = 0; i < 3; i++) {
    t.publish('pub', 'one', 'a' + i);
    t.publish('pub', 'two', 'b' + i);
  }
  assert.equal(t.received('a'), ['a0', 'a1', 'a2']);
  assert.equal(t.received('b'), ['b0', 'b1', 'b2']);
});

test('topics with a few exact subscribers are not cached: many topics do not churn the cache', () => {
  const t = rig({ matchCacheSize: 8, maxSubscriptionsPerClient: 100 });
  t.connected('pub');
  t.connected('a');
  for (let i = 0; i < 50; i++) t.subscribe('a', 'dev/' + i, 0, i + 1);
  for (let i = 0; i < 50; i++) t.publish('pub', 'dev/' + i, String(i));
  assert.is(t.received('a').length, 50);
  assert.is(kept(t), 0);
});

test('a full cache drops its older half, never all of it, and loses no message', () => {
  const t = rig({ matchCacheSize: 4, maxConnections: 64 });
  t.connected('pub');
  // Six topics, each with 4 subscribers: lists worth caching.
  for (let k = 0; k < 6; k++) subscribers(t, 't' + k + '-', 4, 'fan/' + k);
  for (let k = 0; k < 6; k++) {
    t.publish('pub', 'fan/' + k, 'm' + k);
    assert.ok(kept(t) >= 1 && kept(t) <= 4, 'kept ' + kept(t) + ' after topic ' + k);
  }
  for (let k = 0; k < 6; k++) for (let i = 0; i < 4; i++) assert.equal(t.received('t' + k + '-' + i), ['m' + k]);
  assert.ok(t.broker.matchCache.has('fan/5'));
});

test('a cached list in the older half moves back to the newer one when used', () => {
  const t = rig({ matchCacheSize: 4, maxConnections: 64 });
  t.connected('p1');
  t.connected('p2');
  for (let k = 0; k < 3; k++) subscribers(t, 't' + k + '-', 4, 'fan/' + k);
  t.publish('p1', 'fan/0', 'a');
  t.publish('p1', 'fan/1', 'b');
  t.publish('p1', 'fan/2', 'c');   // the newer half (2 lists) was full: fan/0 and fan/1 are the older
  assert.ok(t.broker.matchCacheOld.has('fan/0'));
  t.publish('p2', 'fan/0', 'd');
  assert.ok(t.broker.matchCache.has('fan/0'));
  assert.equal(t.received('t0-0'), ['a', 'd']);
});

test('matchCacheSize 0: nothing is cached and every subscriber still gets every message', () => {
  const t = rig({ matchCacheSize: 0 });
  t.connected('pub');
  subscribers(t, 's', 5, 'fan/+');
  t.publish('pub', 'fan/a', '1');
  t.publish('pub', 'fan/b', '2');
  for (let i = 0; i < 5; i++) assert.equal(t.received('s' + i), ['1', '2']);
  assert.is(kept(t), 0);
});

test.run();
