// RetainedStore: retained messages by topic (5.0 §3.3.1.3, 3.1.1 §3.3.1.3), bounded by count
// and bytes, matched against a subscription's filter with the rules of 4.7. Byte counts are
// derived by hand: payload length + UTF-8 length of the topic.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RetainedStore } from '../../core/broker/retained-store.js';
import type { Message } from '../../core/broker/message.js';
import { createMessage } from '../../core/broker/message.js';
import { RC_QUOTA_EXCEEDED, isValidTopicFilter } from '../../core/index.js';

type Msg = Message;

function msg(topic: string, payloadBytes: number): Msg {
  return createMessage(topic, new Uint8Array(payloadBytes).fill(0x61), 0, true, null, 'pub');
}

/** The store gives back a message made from its bytes: equal in content, not the same object. */
function same(got: Msg | undefined, want: Msg): void {
  assert.ok(got !== undefined, 'a message for ' + want.topic);
  const g = got as Msg;
  assert.is(g.topic, want.topic);
  assert.equal(Array.from(g.payload), Array.from(want.payload));
  assert.is(g.qos, want.qos);
  assert.is(g.retain, true);
  assert.equal(g.properties, want.properties);
  assert.is(g.expiresAtMs, want.expiresAtMs);
}

const LEVELS = 32;

function big(): RetainedStore {
  return new RetainedStore(100000, 1 << 24, LEVELS);
}

/** Topics of the retained messages that `filter` matches, sorted. */
function topics(s: RetainedStore, filter: string): string[] {
  assert.ok(isValidTopicFilter(filter), 'test filter must be valid: ' + filter);
  const out: Msg[] = [];
  const n = s.match(filter, out);
  return out.slice(0, n).map((m) => m.topic).sort();
}

function storeOf(list: string[]): RetainedStore {
  const s = big();
  for (const t of list) assert.is(s.set(t, msg(t, 1)), 0);
  return s;
}

// ---- set / get / replace / delete ------------------------------------------------------

test('set stores a message (returns 0) and get returns it', () => {
  const s = big();
  const m = msg('a/b', 3);
  assert.is(s.set('a/b', m), 0);
  same(s.get('a/b'), m);
  assert.is(s.count, 1);
  assert.is(s.get('a'), undefined);
  assert.is(s.get('a/b/c'), undefined);
});

test('4:MQTT-3.3.1-5 · 5:MQTT-3.3.1-5 a retained message replaces the previous one for its topic', () => {
  const s = big();
  s.set('a/b', msg('a/b', 3));
  const m2 = msg('a/b', 4);
  assert.is(s.set('a/b', m2), 0);
  same(s.get('a/b'), m2);
  assert.is(s.count, 1);
  assert.is(s.bytes, 4 + 3);
});

test('4:MQTT-3.3.1-10 · 5:MQTT-3.3.1-6 an empty payload deletes the topic\'s retained message', () => {
  const s = big();
  s.set('a/b', msg('a/b', 3));
  assert.is(s.set('a/b', msg('a/b', 0)), 0);
  assert.is(s.get('a/b'), undefined);
  assert.is(s.count, 0);
  assert.equal(topics(s, '#'), []);
});

test('4:MQTT-3.3.1-11 · 5:MQTT-3.3.1-7 an empty payload is never stored', () => {
  const s = big();
  assert.is(s.set('a/b', msg('a/b', 0)), 0);
  assert.is(s.get('a/b'), undefined);
  assert.is(s.count, 0);
  assert.is(s.bytes, 0);
  assert.is(s.regionBytes, 0);
});

test('deleting one topic leaves the others, including its parent and children', () => {
  const s = storeOf(['a', 'a/b', 'a/b/c']);
  s.set('a/b', msg('a/b', 0));
  assert.equal(topics(s, '#'), ['a', 'a/b/c']);
  assert.is(s.count, 2);
});

// ---- bytes -----------------------------------------------------------------------------

test('bytes count the payload plus the UTF-8 length of the topic', () => {
  const s = big();
  s.set('a/b', msg('a/b', 10));                 // 10 + 3
  assert.is(s.bytes, 13);
  s.set('caf\u00e9', msg('caf\u00e9', 1));      // 1 + 5 ("é" is C3 A9)
  assert.is(s.bytes, 19);
  s.set('\u{1F600}', msg('\u{1F600}', 2));      // 2 + 4 (U+1F600 is F0 9F 98 80)
  assert.is(s.bytes, 25);
});

test('deleting a message frees its bytes and its count', () => {
  const s = big();
  s.set('a/b', msg('a/b', 10));
  s.set('x', msg('x', 5));
  s.set('a/b', msg('a/b', 0));
  assert.is(s.bytes, 6);
  assert.is(s.count, 1);
});

test('deleting every message leaves no bytes in the region', () => {
  const list = ['a/b/c', 'a/b', 'a', '/', '//x', '$SYS/x', 'a/b/d/e'];
  const s = storeOf(list);
  assert.ok(s.regionBytes > 0);
  for (const t of list) s.set(t, msg(t, 0));
  assert.is(s.count, 0);
  assert.is(s.bytes, 0);
  assert.is(s.regionBytes, 0);
});

// ---- bounds ----------------------------------------------------------------------------

test('a new topic past maxCount is refused with 0x97 (Quota exceeded) and nothing changes', () => {
  const s = new RetainedStore(2, 1000, LEVELS);
  assert.is(s.set('a', msg('a', 1)), 0);
  assert.is(s.set('b', msg('b', 1)), 0);
  const region = s.regionBytes;
  assert.is(s.set('c', msg('c', 1)), RC_QUOTA_EXCEEDED);
  assert.is(RC_QUOTA_EXCEEDED, 0x97);
  assert.is(s.get('c'), undefined);
  assert.is(s.count, 2);
  assert.is(s.bytes, 4);
  assert.is(s.regionBytes, region);
  assert.equal(topics(s, '#'), ['a', 'b']);
});

test('replacing a topic when the store is at maxCount is allowed', () => {
  const s = new RetainedStore(2, 1000, LEVELS);
  s.set('a', msg('a', 1));
  s.set('b', msg('b', 1));
  const m = msg('a', 7);
  assert.is(s.set('a', m), 0);
  same(s.get('a'), m);
  assert.is(s.count, 2);
});

test('a new topic that would pass maxBytes is refused with 0x97 and nothing changes', () => {
  const s = new RetainedStore(100, 20, LEVELS);
  assert.is(s.set('a/b', msg('a/b', 10)), 0);   // 13 bytes
  assert.is(s.set('c/d', msg('c/d', 5)), RC_QUOTA_EXCEEDED);   // 13 + 8 = 21 > 20
  assert.is(s.count, 1);
  assert.is(s.bytes, 13);
  assert.is(s.get('c/d'), undefined);
  assert.is(s.set('c/d', msg('c/d', 4)), 0);   // 13 + 7 = 20: exactly the bound
  assert.is(s.bytes, 20);
});

test('a replacement that would pass maxBytes is refused with 0x97 and the old message is kept', () => {
  const s = new RetainedStore(100, 20, LEVELS);
  const old = msg('a/b', 10);
  s.set('a/b', old);                             // 13
  s.set('x', msg('x', 2));                       // 3 -> 16
  assert.is(s.set('a/b', msg('a/b', 15)), RC_QUOTA_EXCEEDED);   // 16 - 13 + 18 = 21
  same(s.get('a/b'), old);
  assert.is(s.bytes, 16);
  assert.is(s.set('a/b', msg('a/b', 14)), 0);   // 16 - 13 + 17 = 20
  assert.is(s.bytes, 20);
});

test('a replacement that shrinks frees bytes for a new topic', () => {
  const s = new RetainedStore(100, 20, LEVELS);
  s.set('a/b', msg('a/b', 15));                  // 18
  assert.is(s.set('x', msg('x', 3)), RC_QUOTA_EXCEEDED);   // 18 + 4 = 22
  assert.is(s.set('a/b', msg('a/b', 5)), 0);    // 8
  assert.is(s.bytes, 8);
  assert.is(s.set('x', msg('x', 3)), 0);        // 12
  assert.is(s.bytes, 12);
});

test('deletion frees room for a new topic at maxCount', () => {
  const s = new RetainedStore(1, 1000, LEVELS);
  s.set('a', msg('a', 1));
  assert.is(s.set('b', msg('b', 1)), RC_QUOTA_EXCEEDED);
  s.set('a', msg('a', 0));
  assert.is(s.set('b', msg('b', 1)), 0);
});

test('deleting a topic that has no retained message returns 0 and changes nothing, even when full', () => {
  const s = new RetainedStore(1, 1000, LEVELS);
  s.set('a', msg('a', 1));
  assert.is(s.set('b', msg('b', 0)), 0);
  assert.is(s.count, 1);
  assert.is(s.bytes, 2);
});

test('a topic with more levels than maxLevels is refused with 0x97', () => {
  const s = new RetainedStore(100, 1000, 3);
  assert.is(s.set('a/b/c/d', msg('a/b/c/d', 1)), RC_QUOTA_EXCEEDED);
  assert.is(s.count, 0);
  assert.is(s.regionBytes, 0);
  assert.is(s.set('a/b/c', msg('a/b/c', 1)), 0);
});

// ---- matching --------------------------------------------------------------------------

const SPORT = ['sport', 'sport/', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking',
  'sport/tennis/player1/score/wimbledon', 'sport/tennis/player2', 'sport/chess', '/finance', 'finance', '/', 'Sport'];

test('a filter with no wildcard returns exactly that topic\'s message', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, 'sport/tennis'), ['sport/tennis']);
  assert.equal(topics(s, 'sport/golf'), []);
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 sport/# matches sport and everything below it', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, 'sport/#'), ['sport', 'sport/', 'sport/chess', 'sport/tennis', 'sport/tennis/player1',
    'sport/tennis/player1/ranking', 'sport/tennis/player1/score/wimbledon', 'sport/tennis/player2']);
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 sport/tennis/player1/# matches player1, its ranking and its score/wimbledon', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, 'sport/tennis/player1/#'), ['sport/tennis/player1', 'sport/tennis/player1/ranking',
    'sport/tennis/player1/score/wimbledon']);
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 # matches every topic', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, '#'), SPORT.slice().sort());
});

test('4:MQTT-4.7.1-3 · 5:MQTT-4.7.1-2 sport/tennis/+ matches player1 and player2, not player1/ranking', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, 'sport/tennis/+'), ['sport/tennis/player1', 'sport/tennis/player2']);
});

test('4:§4.7 · 5:§4.7 sport/+ matches sport/ but not sport', () => {
  const s = storeOf(SPORT);
  assert.equal(topics(s, 'sport/+'), ['sport/', 'sport/chess', 'sport/tennis']);
});

test('4:§4.7 · 5:§4.7 /finance matches +/+ and /+ but not +', () => {
  const s = storeOf(['/finance']);
  assert.equal(topics(s, '+/+'), ['/finance']);
  assert.equal(topics(s, '/+'), ['/finance']);
  assert.equal(topics(s, '+'), []);
});

test('4:§4.7 · 5:§4.7 / is a topic of two empty levels: +/+ matches it, + does not', () => {
  const s = storeOf(['/']);
  assert.equal(topics(s, '+/+'), ['/']);
  assert.equal(topics(s, '+'), []);
  assert.equal(topics(s, '/'), ['/']);
});

test('4:§4.7 · 5:§4.7 empty levels count as levels: a//b matches a/+/b only', () => {
  const s = storeOf(['a//b', 'a/b']);
  assert.equal(topics(s, 'a/+/b'), ['a//b']);
  assert.equal(topics(s, 'a/+'), ['a/b']);
});

test('4:MQTT-4.7.3-4 · 5:MQTT-4.7.3-4 matching is case-sensitive and does not normalise', () => {
  const s = storeOf(['Sport', 'sport', 'caf\u00e9', 'cafe\u0301']);
  assert.equal(topics(s, 'Sport'), ['Sport']);
  assert.equal(topics(s, 'caf\u00e9'), ['caf\u00e9']);
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 # does not match $SYS/x', () => {
  const s = storeOf(['$SYS/x', 'a']);
  assert.equal(topics(s, '#'), ['a']);
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 +/monitor/Clients does not match $SYS/monitor/Clients', () => {
  const s = storeOf(['$SYS/monitor/Clients', 'x/monitor/Clients']);
  assert.equal(topics(s, '+/monitor/Clients'), ['x/monitor/Clients']);
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 $SYS/# matches $SYS/x and $SYS/monitor/+ matches $SYS/monitor/Clients', () => {
  const s = storeOf(['$SYS/x', '$SYS/monitor/Clients', 'a']);
  assert.equal(topics(s, '$SYS/#'), ['$SYS/monitor/Clients', '$SYS/x']);
  assert.equal(topics(s, '$SYS/monitor/+'), ['$SYS/monitor/Clients']);
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 a $ below the first level is an ordinary character', () => {
  const s = storeOf(['a/$SYS', 'a/$SYS/x']);
  assert.equal(topics(s, '#'), ['a/$SYS', 'a/$SYS/x']);
  assert.equal(topics(s, '+/+'), ['a/$SYS']);
});

test('match writes into out[0..n), grows it only when too short and never shrinks it', () => {
  const s = storeOf(['a/b', 'a/c']);
  const sentinel = msg('sentinel', 1);
  const out = [sentinel, sentinel, sentinel, sentinel];
  assert.is(s.match('a/b', out), 1);
  assert.is(out.length, 4);
  assert.is(out[0].topic, 'a/b');
  assert.is(out[1], sentinel);
  const short: Msg[] = [];
  assert.is(s.match('a/+', short), 2);
  assert.equal(short.map((m) => m.topic).sort(), ['a/b', 'a/c']);
});

test('a/b/+ compares only the topics that begin with a/b, however many others are retained', () => {
  const s = storeOf(['a/b/1', 'a/b/2', 'a/c', 'a', 'b/b/1']);
  assert.equal(topics(s, 'a/b/+'), ['a/b/1', 'a/b/2']);
  const before = s.lastVisits;
  for (let i = 0; i < 5000; i++) s.set('x/' + i, msg('x/' + i, 1));
  assert.equal(topics(s, 'a/b/+'), ['a/b/1', 'a/b/2']);
  assert.is(s.lastVisits, before);
  assert.is(before, 2);                         // a/b/1, a/b/2
  assert.equal(topics(s, 'a/b'), []);
  assert.is(s.lastVisits, 0);                   // no wildcard: one binary search, nothing found
});

test('# matches every one of 10,000 topics, and a topic 200 levels deep', () => {
  const s = big();
  for (let i = 0; i < 10000; i++) s.set('w/' + i, msg('w/' + i, 1));
  const deep = new Array(200).fill('d').join('/');
  const d = new RetainedStore(10, 100000, 1000);
  d.set(deep, msg(deep, 1));
  const out: Msg[] = [];
  assert.is(s.match('#', out), 10000);
  assert.is(d.match('#', out), 1);
  assert.is(out[0].topic, deep);
});

// ---- what a record keeps ------------------------------------------------------------------

test('a record keeps the QoS, the 5.0 properties and the expiry deadline; the message is flagged retained', () => {
  const s = big();
  const m = createMessage('a/b', new Uint8Array([1, 2, 3]), 2, true, {
    payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'r/t',
    correlationData: new Uint8Array([9, 8]), userProperties: [['k', 'v'], ['k', 'w']],
  }, 'pub');
  m.expiresAtMs = 1234567890123;
  assert.is(s.set('a/b', m), 0);
  same(s.get('a/b'), m);
  const n = createMessage('c', new Uint8Array([7]), 1, false, null, 'pub');
  s.set('c', n);
  same(s.get('c'), n);
  assert.is((s.get('c') as Msg).expiresAtMs, -1);
});

test('the store copies what it keeps: changing the caller\'s payload afterwards changes nothing', () => {
  const s = big();
  const m = msg('a', 4);
  s.set('a', m);
  m.payload.fill(0x7a);
  assert.equal(Array.from((s.get('a') as Msg).payload), [0x61, 0x61, 0x61, 0x61]);
});

test('replacing one topic over and over keeps the region near the size of one record', () => {
  const s = big();
  for (let i = 0; i < 10000; i++) s.set('a/b', msg('a/b', 1 + (i % 50)));
  assert.is(s.count, 1);
  assert.ok(s.regionBytes < 2000, 'region ' + s.regionBytes);
  assert.is((s.get('a/b') as Msg).payload.length, 1 + (9999 % 50));
});

test('a message handed out stays whole after its record is replaced and the region compacted', () => {
  const s = big();
  s.set('a', msg('a', 8));
  const held = s.get('a') as Msg;
  for (let i = 0; i < 1000; i++) s.set('a', createMessage('a', new Uint8Array([i & 0xff]), 0, true, null, 'pub'));
  assert.equal(Array.from(held.payload), [0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61]);
});

test('the index shrinks after most topics are deleted, and inserting and deleting go on working', () => {
  const s = big();
  for (let i = 0; i < 40; i++) s.set('t/' + (100 + i), msg('t/' + (100 + i), 2));
  for (let i = 0; i < 36; i++) s.set('t/' + (100 + i), msg('t/' + (100 + i), 0));   // index shrinks on the way
  assert.equal(topics(s, '#'), ['t/136', 't/137', 't/138', 't/139']);
  s.set('t/137', msg('t/137', 0));
  s.set('t/000', msg('t/000', 3));                                                   // sorts first
  s.set('t/1365', msg('t/1365', 1));                                                 // sorts in the middle
  assert.equal(topics(s, 't/+'), ['t/000', 't/136', 't/1365', 't/138', 't/139']);
  assert.is(s.count, 5);
});

test('topics are compared as UTF-8 bytes: multi-byte levels match and sort like any other', () => {
  const s = storeOf(['caf\u00e9/x', 'cafe/x', '\u{1F600}/y', 'caf\u00e9']);
  assert.equal(topics(s, 'caf\u00e9/+'), ['caf\u00e9/x']);
  assert.equal(topics(s, 'caf\u00e9/#'), ['caf\u00e9', 'caf\u00e9/x']);
  assert.equal(topics(s, '+/y'), ['\u{1F600}/y']);
  same(s.get('\u{1F600}/y'), msg('\u{1F600}/y', 1));
});

// ---- property test against a reference matcher -----------------------------------------

function refMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const tp = topic.split('/');
  if (topic.charCodeAt(0) === 0x24 && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= tp.length) return false;
    if (f[i] !== '+' && f[i] !== tp[i]) return false;
  }
  return f.length === tp.length;
}

const level = fc.constantFrom('', 'a', 'b', '$a', 'A');
const topicArb = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/')).filter((s) => s.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([l, hash]) => (hash ? (l as string[]).concat(['#']) : l).join('/'))
  .filter((s) => s.length > 0 && isValidTopicFilter(s));

test('4:§4.7 · 5:§4.7 property: match agrees with a level-by-level reference matcher; count and bytes with a reference map', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(topicArb, fc.nat(3)), { maxLength: 20 }), filterArb, (sets, filter) => {
      const s = big();
      const ref = new Map<string, number>();
      for (const [t, len] of sets) {
        assert.is(s.set(t, msg(t, len)), 0);
        if (len === 0) ref.delete(t);
        else ref.set(t, len);
      }
      let bytes = 0;
      for (const [t, len] of ref) bytes += len + Buffer.byteLength(t, 'utf8');
      assert.is(s.count, ref.size);
      assert.is(s.bytes, bytes);
      const want = Array.from(ref.keys()).filter((t) => refMatches(filter, t)).sort();
      assert.equal(topics(s, filter), want, 'filter ' + JSON.stringify(filter));
    }),
    { numRuns: 2000 },
  );
});

test.run();
