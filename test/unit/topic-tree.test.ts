// TopicTree: the subscription trie (5.0 §4.7, 3.1.1 §4.7). Expected matches come from the
// specifications' text and examples (spec-checklist §1.19, §1.20), and, in the property
// tests, from a plain level-by-level matcher written here from the same rules.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { TopicTree } from '../../core/broker/topic-tree.js';
import { isValidTopicFilter } from '../../core/index.js';

const MAX_LEVELS = 32;

/** Values matched by `topic` in a tree holding `filter` (key 'c', value = the filter). */
function matchOne(filter: string, topic: string): boolean {
  assert.ok(isValidTopicFilter(filter), 'test filter must be valid: ' + filter);
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add(filter, 'c', filter);
  const out: string[] = [];
  const n = t.match(topic, out);
  assert.ok(n <= 1);
  return n === 1 && out[0] === filter;
}

function matched<T>(t: TopicTree<T>, topic: string): T[] {
  const out: T[] = [];
  const n = t.match(topic, out);
  return out.slice(0, n);
}

function sorted(a: string[]): string[] {
  return a.slice().sort();
}

// ---- matching: '#' ---------------------------------------------------------------------

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 sport/# matches sport', () => {
  assert.ok(matchOne('sport/#', 'sport'));
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 sport/tennis/player1/# matches the level itself and every level below', () => {
  assert.ok(matchOne('sport/tennis/player1/#', 'sport/tennis/player1'));
  assert.ok(matchOne('sport/tennis/player1/#', 'sport/tennis/player1/ranking'));
  assert.ok(matchOne('sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'));
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 sport/tennis/player1/# does not match a sibling or the parent', () => {
  assert.not.ok(matchOne('sport/tennis/player1/#', 'sport/tennis/player2'));
  assert.not.ok(matchOne('sport/tennis/player1/#', 'sport/tennis'));
  assert.not.ok(matchOne('sport/tennis/player1/#', 'sport/tennis/player10'));
});

test('4:MQTT-4.7.1-2 · 5:MQTT-4.7.1-1 # alone matches every topic that does not start with $', () => {
  for (const topic of ['a', 'sport/tennis', '/', '/finance', 'a//b', ' ', 'x/']) assert.ok(matchOne('#', topic), topic);
});

test('4:§4.7 · 5:§4.7 sport/# matches sport/ (an empty level below)', () => {
  assert.ok(matchOne('sport/#', 'sport/'));
});

// ---- matching: '+' ---------------------------------------------------------------------

test('4:MQTT-4.7.1-3 · 5:MQTT-4.7.1-2 sport/tennis/+ matches sport/tennis/player1 and sport/tennis/player2', () => {
  assert.ok(matchOne('sport/tennis/+', 'sport/tennis/player1'));
  assert.ok(matchOne('sport/tennis/+', 'sport/tennis/player2'));
});

test('4:MQTT-4.7.1-3 · 5:MQTT-4.7.1-2 sport/tennis/+ does not match sport/tennis/player1/ranking', () => {
  assert.not.ok(matchOne('sport/tennis/+', 'sport/tennis/player1/ranking'));
});

test('4:§4.7 · 5:§4.7 sport/+ matches sport/ (+ matches an empty level)', () => {
  assert.ok(matchOne('sport/+', 'sport/'));
});

test('4:§4.7 · 5:§4.7 sport/+ does not match sport', () => {
  assert.not.ok(matchOne('sport/+', 'sport'));
});

test('4:MQTT-4.7.1-3 · 5:MQTT-4.7.1-2 + may be used at several levels and with #: +/+, +/tennis/#, sport/+/player1', () => {
  assert.ok(matchOne('+/+', 'sport/tennis'));
  assert.ok(matchOne('+/tennis/#', 'sport/tennis'));
  assert.ok(matchOne('+/tennis/#', 'sport/tennis/player1/ranking'));
  assert.ok(matchOne('sport/+/player1', 'sport/tennis/player1'));
  assert.not.ok(matchOne('sport/+/player1', 'sport/tennis/player2'));
});

test('4:MQTT-4.7.1-3 · 5:MQTT-4.7.1-2 + alone matches one level only', () => {
  assert.ok(matchOne('+', 'sport'));
  assert.not.ok(matchOne('+', 'sport/tennis'));
});

// ---- matching: empty levels, '/', spaces, many levels -----------------------------------

test('4:§4.7 · 5:§4.7 /finance matches +/+', () => {
  assert.ok(matchOne('+/+', '/finance'));
});

test('4:§4.7 · 5:§4.7 /finance matches /+', () => {
  assert.ok(matchOne('/+', '/finance'));
});

test('4:§4.7 · 5:§4.7 /finance does not match +', () => {
  assert.not.ok(matchOne('+', '/finance'));
});

test('4:§4.7 · 5:§4.7 empty levels count as levels: a//b matches a/+/b and a//b, not a/b or a/+', () => {
  assert.ok(matchOne('a/+/b', 'a//b'));
  assert.ok(matchOne('a//b', 'a//b'));
  assert.not.ok(matchOne('a/b', 'a//b'));
  assert.not.ok(matchOne('a/+', 'a//b'));
});

test('4:§4.7 · 5:§4.7 / alone is a topic of two empty levels: it matches +/+, /, # and not +', () => {
  assert.ok(matchOne('+/+', '/'));
  assert.ok(matchOne('/', '/'));
  assert.ok(matchOne('#', '/'));
  assert.not.ok(matchOne('+', '/'));
});

test('4:§4.7 · 5:§4.7 spaces are ordinary characters', () => {
  assert.ok(matchOne('sport tennis/+', 'sport tennis/player 1'));
  assert.not.ok(matchOne('sport tennis/+', 'sporttennis/player 1'));
});

test('4:§4.7 · 5:§4.7 a topic of any number of levels is matched (1000 levels)', () => {
  const topic = new Array(1000).fill('x').join('/');
  assert.ok(matchOne('#', topic));
  assert.ok(matchOne('x/x/#', topic));
  assert.ok(matchOne('+/+/#', topic));
  assert.not.ok(matchOne('x/+', topic));
});

test('4:MQTT-4.7.3-4 · 5:MQTT-4.7.3-4 matching is case-sensitive', () => {
  assert.ok(matchOne('ACCOUNTS', 'ACCOUNTS'));
  assert.not.ok(matchOne('ACCOUNTS', 'Accounts'));
  assert.not.ok(matchOne('Accounts/+', 'accounts/x'));
});

test('4:MQTT-4.7.3-4 · 5:MQTT-4.7.3-4 no normalisation: a trailing /, a trailing space, composed vs decomposed é are other topics', () => {
  assert.not.ok(matchOne('a/b', 'a/b/'));
  assert.not.ok(matchOne('a/b', 'a/b '));
  assert.not.ok(matchOne('caf\u00e9', 'cafe\u0301'));   // U+00E9 vs e + U+0301
  assert.ok(matchOne('caf\u00e9/+', 'caf\u00e9/x'));
});

// ---- topics beginning with $ -----------------------------------------------------------

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 # does not match $SYS/x', () => {
  assert.not.ok(matchOne('#', '$SYS/x'));
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 +/monitor/Clients does not match $SYS/monitor/Clients', () => {
  assert.not.ok(matchOne('+/monitor/Clients', '$SYS/monitor/Clients'));
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 + and +/# do not match $SYS', () => {
  assert.not.ok(matchOne('+', '$SYS'));
  assert.not.ok(matchOne('+/#', '$SYS'));
  assert.not.ok(matchOne('+/#', '$SYS/x/y'));
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 $SYS/# matches $SYS/x', () => {
  assert.ok(matchOne('$SYS/#', '$SYS/x'));
  assert.ok(matchOne('$SYS/#', '$SYS'));
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 $SYS/monitor/+ matches $SYS/monitor/Clients', () => {
  assert.ok(matchOne('$SYS/monitor/+', '$SYS/monitor/Clients'));
});

test('4:MQTT-4.7.2-1 · 5:MQTT-4.7.2-1 a $ below the first level is an ordinary character', () => {
  assert.ok(matchOne('#', 'a/$SYS'));
  assert.ok(matchOne('+/+', 'a/$SYS'));
  assert.ok(matchOne('a/#', 'a/$SYS/x'));
});

// ---- add / replace / get ---------------------------------------------------------------

test('add returns 1 for a new (filter, key) and get returns its value', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  assert.is(t.add('a/+', 'c1', 1), 1);
  assert.is(t.get('a/+', 'c1'), 1);
  assert.is(t.size, 1);
});

test('4:MQTT-3.8.4-3 · 5:MQTT-3.8.4-3 add of the same filter by the same key replaces the value (returns 0, size unchanged)', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/+', 'c1', 1);
  assert.is(t.add('a/+', 'c1', 2), 0);
  assert.is(t.get('a/+', 'c1'), 2);
  assert.is(t.size, 1);
  assert.equal(matched(t, 'a/b'), [2]);
});

test('get of an unknown filter or key is undefined', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/b', 'c1', 1);
  assert.is(t.get('a/b', 'c2'), undefined);
  assert.is(t.get('a/+', 'c1'), undefined);
  assert.is(t.get('a', 'c1'), undefined);
  assert.is(t.get('a/b/c', 'c1'), undefined);
});

test('several keys on one filter are each reported once', () => {
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add('a/b', 'c1', 'v1');
  t.add('a/b', 'c2', 'v2');
  t.add('a/b', 'c3', 'v3');
  assert.equal(sorted(matched(t, 'a/b')), ['v1', 'v2', 'v3']);
});

test('one key with overlapping filters is reported once per filter (dedup is the caller\'s)', () => {
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add('a/+', 'c1', 'plus');
  t.add('a/#', 'c1', 'hash');
  t.add('a/b', 'c1', 'exact');
  t.add('#', 'c1', 'all');
  assert.equal(sorted(matched(t, 'a/b')), ['all', 'exact', 'hash', 'plus']);
});

test('many keys on one filter (past the index threshold): get, replace, remove and match stay right', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  for (let i = 0; i < 100; i++) assert.is(t.add('a/b', 'c' + i, i), 1);
  assert.is(t.add('a/b', 'c50', 1050), 0);
  for (let i = 0; i < 100; i += 2) assert.ok(t.remove('a/b', 'c' + i));
  assert.is(t.size, 50);
  for (let i = 0; i < 100; i++) assert.is(t.get('a/b', 'c' + i), i % 2 === 0 ? undefined : i);
  const expect: number[] = [];
  for (let i = 1; i < 100; i += 2) expect.push(i);
  assert.equal(matched(t, 'a/b').sort((x, y) => x - y), expect);
});

// ---- remove / prune --------------------------------------------------------------------

test('4:MQTT-3.10.4-1 · 5:MQTT-3.10.4-1 remove compares filters literally: removing a/+ leaves a/b', () => {
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add('a/b', 'c1', 'exact');
  assert.is(t.remove('a/+', 'c1'), false);
  assert.is(t.remove('a/#', 'c1'), false);
  assert.is(t.remove('#', 'c1'), false);
  assert.equal(matched(t, 'a/b'), ['exact']);
  assert.is(t.size, 1);
});

test('4:MQTT-3.10.4-1 · 5:MQTT-3.10.4-1 remove of an exact filter deletes that subscription only', () => {
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add('a/+', 'c1', 'c1');
  t.add('a/+', 'c2', 'c2');
  t.add('a/#', 'c1', 'c1#');
  assert.is(t.remove('a/+', 'c1'), true);
  assert.equal(sorted(matched(t, 'a/b')), ['c1#', 'c2']);
  assert.is(t.get('a/+', 'c1'), undefined);
  assert.is(t.size, 2);
});

test('remove of an absent (filter, key) returns false and changes nothing', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/b', 'c1', 1);
  assert.is(t.remove('a/b', 'c2'), false);
  assert.is(t.remove('x', 'c1'), false);
  assert.is(t.remove('a/b/c', 'c1'), false);
  assert.is(t.size, 1);
  assert.is(t.nodeCount(), 2);
});

test('an empty tree holds no nodes', () => {
  assert.is(new TopicTree<number>(MAX_LEVELS).nodeCount(), 0);
});

test('add creates one node per filter level, shared by common prefixes', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/b/c', 'c1', 1);
  assert.is(t.nodeCount(), 3);
  t.add('a/b/+', 'c1', 2);
  t.add('a/#', 'c1', 3);
  t.add('a/b/c', 'c2', 4);
  assert.is(t.nodeCount(), 5);          // a, a/b, a/b/c, a/b/+, a/#
});

test('after removing every subscription the tree holds no nodes', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  const filters = ['a/b/c', 'a/b/+', 'a/#', '#', '+', '+/+/x', '/', '//', 'a//b', '$SYS/#', 'a/b'];
  for (let i = 0; i < filters.length; i++) {
    t.add(filters[i], 'c1', i);
    t.add(filters[i], 'c2', i);
  }
  assert.ok(t.nodeCount() > 0);
  for (let i = filters.length - 1; i >= 0; i--) {
    assert.ok(t.remove(filters[i], 'c1'));
    assert.ok(t.remove(filters[i], 'c2'));
  }
  assert.is(t.size, 0);
  assert.is(t.nodeCount(), 0);
  assert.is(t.match('a/b/c', []), 0);
});

test('removing one filter prunes only the nodes no other filter uses', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/b/c/d', 'c1', 1);
  t.add('a/x', 'c1', 2);
  assert.is(t.nodeCount(), 5);
  t.remove('a/b/c/d', 'c1');
  assert.is(t.nodeCount(), 2);          // a, a/x
  assert.equal(matched(t, 'a/x'), [2]);
});

test('a node that ends one filter and leads to another is kept while either is subscribed', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('a/b', 'c1', 1);
  t.add('a/b/c', 'c1', 2);
  t.remove('a/b/c', 'c1');
  assert.is(t.nodeCount(), 2);
  assert.equal(matched(t, 'a/b'), [1]);
  t.add('a/b/c', 'c1', 2);
  t.remove('a/b', 'c1');
  assert.is(t.nodeCount(), 3);
  assert.equal(matched(t, 'a/b/c'), [2]);
});

// ---- limits ----------------------------------------------------------------------------

test('a filter with more levels than maxLevels is refused (-1) and leaves nothing behind', () => {
  const t = new TopicTree<number>(3);
  assert.is(t.add('a/b/c/d', 'c1', 1), -1);
  assert.is(t.add('+/+/+/#', 'c1', 1), -1);
  assert.is(t.add('a/b/c/', 'c1', 1), -1);   // 4 levels, the last one empty
  assert.is(t.size, 0);
  assert.is(t.nodeCount(), 0);
  assert.is(t.get('a/b/c/d', 'c1'), undefined);
  assert.is(t.remove('a/b/c/d', 'c1'), false);
});

test('a filter of exactly maxLevels levels is accepted', () => {
  const t = new TopicTree<number>(3);
  assert.is(t.add('a/b/c', 'c1', 1), 1);
  assert.is(t.add('+/+/#', 'c1', 2), 1);
  assert.equal(matched(t, 'a/b/c').sort(), [1, 2]);
});

// ---- the out array ---------------------------------------------------------------------

test('match writes into out[0..n), grows it only when too short and never shrinks it', () => {
  const t = new TopicTree<string>(MAX_LEVELS);
  t.add('a/b', 'c1', 'v1');
  const out = ['s', 's', 's', 's', 's'];
  assert.is(t.match('a/b', out), 1);
  assert.equal(out, ['v1', 's', 's', 's', 's']);
  assert.is(t.match('x', out), 0);
  assert.is(out.length, 5);
  t.add('a/+', 'c1', 'v2');
  t.add('#', 'c1', 'v3');
  const short = ['s'];
  assert.is(t.match('a/b', short), 3);
  assert.equal(sorted(short), ['v1', 'v2', 'v3']);
});

// ---- cost ------------------------------------------------------------------------------

test('matching cost does not depend on the number of subscriptions (10 vs 10,000 on dev/<i>/temp)', () => {
  function visitsWith(from: number, to: number): number {
    const t = new TopicTree<number>(MAX_LEVELS);
    for (let i = from; i < to; i++) t.add('dev/' + i + '/temp', 'c' + i, i);
    const out: number[] = [];
    assert.is(t.match('dev/5000/temp', out), 1);
    assert.is(out[0], 5000);
    return t.lastVisits;
  }
  const small = visitsWith(4995, 5005);
  const large = visitsWith(0, 10000);
  assert.is(large, small);
  assert.is(small, 1);                   // the whole topic looked up once: no wildcard filter, no walk
});

test('a filter without wildcards is found by one lookup beside wildcard filters elsewhere; the walk skips branches without wildcards', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  for (let i = 0; i < 1000; i++) t.add('dev/' + i + '/temp', 'c' + i, i);
  t.add('other/+', 'w', -1);
  assert.equal(matched(t, 'dev/500/temp'), [500]);
  assert.is(t.lastVisits, 2);            // the lookup, then the root: no wildcard below dev
  assert.equal(matched(t, 'other/x'), [-1]);
});

test('matching cost with wildcards grows with topic levels and matches only', () => {
  const t = new TopicTree<number>(MAX_LEVELS);
  t.add('dev/+/temp', 'w', -1);
  t.add('dev/#', 'w', -2);
  t.add('dev/5000/temp', 'c', 5000);
  const before = (t.match('dev/5000/temp', []), t.lastVisits);
  for (let i = 0; i < 10000; i++) t.add('dev/' + i + '/hum', 'c' + i, i);
  const out: number[] = [];
  assert.is(t.match('dev/5000/temp', out), 3);
  assert.is(t.lastVisits, before);
});

// ---- property tests against a reference matcher ---------------------------------------

// Reference: the rules of 4.7 applied level by level on split strings.
function refMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const tp = topic.split('/');
  if (topic.charCodeAt(0) === 0x24 && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;                     // also the parent level: tp.length === i
    if (i >= tp.length) return false;
    if (f[i] !== '+' && f[i] !== tp[i]) return false;
  }
  return f.length === tp.length;
}

const level = fc.constantFrom('', 'a', 'b', '$a', 'A', 'a b');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((s) => s.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([l, hash]) => (hash ? (l as string[]).concat(['#']) : l).join('/'))
  .filter((s) => s.length > 0 && isValidTopicFilter(s));

test('4:§4.7 · 5:§4.7 property: match agrees with a level-by-level reference matcher', () => {
  fc.assert(
    fc.property(fc.array(filterArb, { maxLength: 12 }), topicArb, (filters, topic) => {
      const t = new TopicTree<string>(MAX_LEVELS);
      const uniq = Array.from(new Set(filters));
      for (const f of uniq) t.add(f, 'c', f);
      const got = sorted(matched(t, topic));
      const want = sorted(uniq.filter((f) => refMatches(f, topic)));
      assert.equal(got, want, 'topic ' + JSON.stringify(topic));
    }),
    { numRuns: 2000 },
  );
});

test('4:§4.7 · 5:§4.7 property: after any sequence of add/remove, match agrees with the reference matcher over what is left', () => {
  const op = fc.tuple(fc.boolean(), filterArb, fc.constantFrom('c1', 'c2'));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), fc.array(topicArb, { minLength: 1, maxLength: 4 }), (ops, topics) => {
      const t = new TopicTree<string>(MAX_LEVELS);
      const ref = new Map<string, string>();   // filter + key -> filter
      for (const [isAdd, f, k] of ops) {
        if (isAdd) {
          t.add(f, k, f);
          ref.set(f + '\u0000' + k, f);
        } else {
          t.remove(f, k);
          ref.delete(f + '\u0000' + k);
        }
      }
      for (const topic of topics) {
        const want = sorted(Array.from(ref.values()).filter((f) => refMatches(f, topic)));
        assert.equal(sorted(matched(t, topic)), want, 'topic ' + JSON.stringify(topic));
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: after any sequence of add/remove, get and size agree with a reference map and removing all leaves no nodes', () => {
  const op = fc.tuple(fc.boolean(), filterArb, fc.constantFrom('c1', 'c2', 'c3'), fc.integer());
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const t = new TopicTree<number>(MAX_LEVELS);
      const ref = new Map<string, number>();
      for (const [isAdd, f, k, v] of ops) {
        const id = f + '\u0000' + k;
        if (isAdd) {
          assert.is(t.add(f, k, v), ref.has(id) ? 0 : 1);
          ref.set(id, v);
        } else {
          assert.is(t.remove(f, k), ref.delete(id));
        }
        assert.is(t.size, ref.size);
      }
      for (const [id, v] of ref) {
        const [f, k] = id.split('\u0000');
        assert.is(t.get(f, k), v);
      }
      for (const id of ref.keys()) {
        const [f, k] = id.split('\u0000');
        assert.ok(t.remove(f, k));
      }
      assert.is(t.size, 0);
      assert.is(t.nodeCount(), 0);
    }),
    { numRuns: 500 },
  );
});

test.run();
