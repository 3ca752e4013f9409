// Shared subscriptions and the read check (issue 14 §2): a message goes to a member of the
// group that may read it (5.0 §4.8.2 "the Server chooses"; a member the ACL refuses would
// take the message from one it allows); when no member may, it is not delivered, and a 5.0
// publisher nothing else delivered to gets 0x10 "No matching subscribers" (5.0 §3.4.2.1).
// Fake clock and bytes only.
//
//   40 02 00 0N     PUBACK N (success)      40 03 00 0N 10   5.0 PUBACK N, 0x10 no matching subscribers

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrokerOptions } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

/** Each client may read only topics under its own name: alice reads alice/..., bob bob/... */
function own(options: BrokerOptions = {}): Rig {
  return rig({ sysIntervalMs: 0, ...options }, { authorizeRead: (id, _user, topic) => topic.startsWith(id + '/') });
}

function members(t: Rig, names: string[], qos: 0 | 1 = 1, props: Record<string, number> | null = null): void {
  for (const n of names) {
    t.connected(n, { version: 5, properties: props });
    assert.equal(t.subscribe5(n, '$share/h/#', qos), [qos]);
  }
  t.connected('p', { version: 5 });
}

test('5:§4.8.2 · read check v5: alice and bob share $share/h/#: all 20 of alice\'s messages go to alice, none to bob', () => {
  const t = own({ maxInflight: 20 });
  members(t, ['alice', 'bob']);
  for (let i = 1; i <= 20; i++) t.publish('p', 'alice/x', 'm' + i, 1, i);
  assert.is(t.received('alice').length, 20);
  assert.equal(t.received('bob'), []);
  assert.is(toHex(t.sent('p')).split('40 02').length - 1, 20);   // each PUBACK a success
});

test('5:§4.8.2 · read check v5: QoS 0 too: every message to the member that may read it', () => {
  const t = own();
  members(t, ['alice', 'bob'], 0);
  for (let i = 1; i <= 6; i++) t.publish('p', i % 2 === 0 ? 'alice/x' : 'bob/x', 'm' + i);
  assert.equal(t.received('alice'), ['m2', 'm4', 'm6']);
  assert.equal(t.received('bob'), ['m1', 'm3', 'm5']);
});

test('5:§3.4.2.1 · 5:§4.8.2 v5: no member may read it: not delivered, the publisher gets PUBACK 0x10 (40 03 00 01 10)', () => {
  const t = own();
  members(t, ['alice', 'bob']);
  t.publish('p', 'carol/x', 'nobody', 1, 1);
  assert.is(toHex(t.sent('p')), '40 03 00 01 10');
  assert.equal(t.received('alice'), []);
  assert.equal(t.received('bob'), []);
});

test('5:§3.4.2.1 v5: a direct subscriber the read check refuses does not count: PUBACK 0x10', () => {
  const t = own();
  t.connected('bob', { version: 5 });
  t.subscribe5('bob', '#', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'alice/x', 'm', 1, 1);
  assert.is(toHex(t.sent('p')), '40 03 00 01 10');
});

test('5:§3.4.2.1 · 5:§4.8.2 v5: no group member may read it but a direct subscriber got it: PUBACK success', () => {
  const t = own();
  t.connected('carol', { version: 5 });
  t.subscribe5('carol', 'carol/#', 1);
  members(t, ['alice', 'bob']);
  t.publish('p', 'carol/x', 'm', 1, 1);
  assert.is(toHex(t.sent('p')), '40 02 00 01');
  assert.equal(t.received('carol'), ['m']);
});

test('5:§4.8.2 · read check v5: round robin among the members that may read: a, c, a, c with b refused', () => {
  const t = rig({ sysIntervalMs: 0 }, { authorizeRead: (id) => id !== 'b' });
  members(t, ['a', 'b', 'c']);
  for (let i = 1; i <= 4; i++) t.publish('p', 'x', 'm' + i, 1, i);
  assert.equal(t.received('a'), ['m1', 'm3']);
  assert.equal(t.received('b'), []);
  assert.equal(t.received('c'), ['m2', 'm4']);
});

test('5:§4.8.2 · read check v5: an offline member that may read keeps the message rather than an online one that may not', () => {
  const t = own();
  t.connected('alice', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe5('alice', '$share/h/#', 1);
  t.drop('alice');
  members(t, ['bob']);
  t.publish('p', 'alice/x', 'kept', 1, 1);
  assert.is(toHex(t.sent('p')), '40 02 00 01');
  assert.equal(t.received('bob'), []);
  t.connect('alice', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.equal(t.received('alice'), ['kept']);
});

test('5:§4.8.2 · read check v5: a member\'s session ends with a message in flight; the other member may not read it: dropped, counted', () => {
  const t = own();
  members(t, ['alice', 'bob']);
  t.publish('p', 'alice/x', 'm', 1, 1);
  assert.equal(t.received('alice'), ['m']);
  const before = t.broker.stats.dropped;
  t.drop('alice');                               // session expiry 0: it ends, m is re-dispatched
  assert.equal(t.received('bob'), []);
  assert.is(t.broker.stats.dropped - before, 1);
});

test('4:MQTT-3.3.4-1 · read check v4: a full subscriber that may not read the topic does not hold its publisher', () => {
  const t = rig({ sysIntervalMs: 0, maxInflight: 1, maxQueued: 1 }, { authorizeRead: (id, _u, topic) => id !== 'slow' || topic.startsWith('y/') });
  t.connected('slow');
  t.subscribe('slow', '#', 1);
  t.connected('p');
  t.publish('p', 'y/1', 'a', 1, 1);
  t.publish('p', 'y/2', 'b', 1, 2);              // slow: one in flight, one queued: full
  assert.is(toHex(t.sent('p')), '40 02 00 01 40 02 00 02');
  t.publish('p', 'x/1', 'c', 1, 3);
  assert.is(toHex(t.sent('p')), '40 02 00 03');   // acknowledged at once, not held
  t.feed('slow', hex('40 02 00 01'));
  assert.equal(t.received('slow'), ['a', 'b']);
});

test.run();
