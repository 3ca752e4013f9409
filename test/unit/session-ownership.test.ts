// A session belongs to the identity that made it (issue 14 §1): a CONNECT naming another
// user's client id is refused as not authorized (5.0 §3.1.4 step 2 "authorization checks",
// 3.1.1 §3.1.4 "MAY perform authentication and authorization checks") and touches neither the
// connected owner nor the session; allowClientIdTakeover lets it in as a clean start. Fake
// clock and bytes only.
//
//   20 02 00 05      3.x CONNACK "not authorized"        20 03 00 87 00   5.0 CONNACK 0x87
//   20 02 01 00      3.x CONNACK session present          20 02 00 00      3.x CONNACK, no session
//   30 05 00 01 61 78 79 / 32 ...: PUBLISH "a"

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { ConnectOptions, Rig } from '../helpers/rig.js';

const td = new TextDecoder();

/** Connects `name`; its CONNACK's Session Present and the payloads that followed it. */
function resume(t: Rig, name: string, o: ConnectOptions): { present: boolean; payloads: string[] } {
  t.connect(name, o);
  const p = t.packets(name);
  if (p.length === 0 || p[0].type !== 2 || (p[0] as { reasonCode: number }).reasonCode !== 0) throw new Error(name + ' was refused: ' + JSON.stringify(p));
  return {
    present: (p[0] as { sessionPresent: boolean }).sessionPresent,
    payloads: p.filter((x) => x.type === 3).map((x) => td.decode((x as { payload: Uint8Array }).payload)),
  };
}

const ALICE: ConnectOptions = { clientId: 'alice-phone', clean: false, username: 'alice' };
const BOB: ConnectOptions = { clientId: 'alice-phone', clean: false, username: 'bob' };

/** alice's persistent session subscribed to `a` at QoS 1, then offline with `queued` waiting. */
function aliceAway(t: Rig, queued: string[]): void {
  t.connected('alice', ALICE);
  t.subscribe('alice', 'a', 1);
  t.drop('alice');
  t.connected('p');
  for (let i = 0; i < queued.length; i++) t.publish('p', 'a', queued[i], 1, i + 1);
  t.packets('p');
}

for (const version of [3, 4]) {
  test(`5:MQTT-3.1.4-2 (4:§3.1.4) v${version}: bob naming connected alice's client id gets CONNACK 5 (20 02 00 05), then close; alice stays`, () => {
    const t = rig();
    t.connected('alice', { ...ALICE, version });
    t.connect('bob', { ...BOB, version });
    assert.is(toHex(t.sent('bob')), '20 02 00 05');
    assert.is(t.isOpen('bob'), false);
    assert.ok(t.isOpen('alice'));
    assert.is(toHex(t.sent('alice')), '');
  });
}

test('5:MQTT-3.1.4-2 · 5:MQTT-3.2.2-7 v5: bob naming connected alice\'s client id gets CONNACK 0x87 (20 03 00 87 00), then close; alice gets no DISCONNECT 0x8E', () => {
  const t = rig();
  t.connected('alice', { ...ALICE, version: 5, properties: { sessionExpiryInterval: 60 } });
  t.connect('bob', { ...BOB, version: 5 });
  assert.is(toHex(t.sent('bob')), '20 03 00 87 00');
  assert.is(t.isOpen('bob'), false);
  assert.ok(t.isOpen('alice'));
  assert.is(toHex(t.sent('alice')), '');
});

test('5:MQTT-3.1.4-2 v4: a refused bob leaves alice connected and subscribed: she still gets what is published', () => {
  const t = rig();
  t.connected('alice', ALICE);
  t.subscribe('alice', 'a', 1);
  t.connect('bob', BOB);
  t.connected('p');
  t.publish('p', 'a', 'x', 1, 1);
  assert.equal(t.received('alice'), ['x']);
});

test('5:MQTT-3.1.4-2 v4: alice\'s queued messages (and a retained one) stay hers: bob is refused, alice resumes with all of them', () => {
  const t = rig();
  t.connected('r');
  t.publish('r', 'a', 'kept', 1, 1, true);
  aliceAway(t, ['m1', 'm2']);
  t.connect('bob', BOB);
  assert.is(toHex(t.sent('bob')), '20 02 00 05');
  // "kept" went out at SUBSCRIBE and was never acknowledged: it is resent first [MQTT-4.4.0-1].
  assert.equal(resume(t, 'alice2', ALICE), { present: true, payloads: ['kept', 'm1', 'm2'] });
});

test('5:MQTT-3.1.4-2 v4: messages published while bob is refused are queued for alice, not lost', () => {
  const t = rig();
  aliceAway(t, []);
  t.connect('bob', BOB);
  t.publish('p', 'a', 'during', 1, 5);
  assert.equal(resume(t, 'alice2', ALICE), { present: true, payloads: ['during'] });
});

test('5:MQTT-3.1.4-2 v4: an anonymous client cannot resume alice\'s session', () => {
  const t = rig();
  aliceAway(t, ['m1']);
  t.connect('anon', { clientId: 'alice-phone', clean: false });
  assert.is(toHex(t.sent('anon')), '20 02 00 05');
  assert.equal(resume(t, 'alice2', ALICE), { present: true, payloads: ['m1'] });
});

test('5:MQTT-3.1.4-2 v4: a user cannot resume an anonymous client\'s session', () => {
  const t = rig();
  t.connected('anon', { clientId: 'shared-id', clean: false });
  t.subscribe('anon', 'a', 1);
  t.drop('anon');
  t.connect('alice', { clientId: 'shared-id', clean: false, username: 'alice' });
  assert.is(toHex(t.sent('alice')), '20 02 00 05');
  t.connect('anon2', { clientId: 'shared-id', clean: false });
  assert.is(toHex(t.sent('anon2')), '20 02 01 00');
});

test('5:MQTT-3.1.4-2 v4: another identity is refused even with Clean Session 1: alice\'s session is not thrown away', () => {
  const t = rig();
  aliceAway(t, ['m1']);
  t.connect('bob', { ...BOB, clean: true });
  assert.is(toHex(t.sent('bob')), '20 02 00 05');
  assert.equal(resume(t, 'alice2', ALICE), { present: true, payloads: ['m1'] });
});

test('5:MQTT-3.1.4-2 v4: the identity is the user name authenticate() leaves on the connection (a certificate\'s CN with useIdentityAsUsername)', () => {
  // As ports/node does for a TLS client certificate: the hook sets the user name from the CN.
  const t = rig({}, { authenticate: (c, username) => { if (username === 'cert:alice') c.username = 'alice'; return true; } });
  t.connected('tls', { clientId: 'alice-phone', clean: false, username: 'cert:alice' });
  t.subscribe('tls', 'a', 1);
  t.drop('tls');
  t.connect('bob', BOB);
  assert.is(toHex(t.sent('bob')), '20 02 00 05');
  assert.equal(resume(t, 'alice', ALICE), { present: true, payloads: [] });   // the same identity: alice
});

test('4:MQTT-3.1.4-2 v4: the same identity still takes its own session over (the old connection is closed)', () => {
  const t = rig();
  t.connected('alice', ALICE);
  t.connect('alice2', ALICE);
  assert.is(toHex(t.sent('alice2')), '20 02 01 00');
  assert.is(t.isOpen('alice'), false);
});

test('5:MQTT-3.1.4-2 v4: the application\'s own subscription ($local/0) is never a client\'s session, even with allowClientIdTakeover', () => {
  const t = rig({ allowClientIdTakeover: true });
  const got: string[] = [];
  t.broker.subscribe('a', (m) => { got.push(m.topic); }, t.now);
  t.connect('x', { clientId: '$local/0' });
  assert.is(toHex(t.sent('x')), '20 02 00 05');
  t.connected('p');
  t.publish('p', 'a', 'x');
  assert.equal(got, ['a']);
});

test('5:MQTT-3.1.2-4 (allowClientIdTakeover) v4: bob takes the id as a clean start: session present 0, alice closed, none of her messages', () => {
  const t = rig({ allowClientIdTakeover: true });
  t.connected('r');
  t.publish('r', 'a', 'kept', 1, 1, true);
  aliceAway(t, ['m1']);
  t.connected('alice', ALICE);   // connected again, with m1 and the retained message waiting in her session
  t.packets('alice');
  t.publish('p', 'a', 'm2', 1, 9);
  assert.equal(resume(t, 'bob', BOB), { present: false, payloads: [] });
  assert.is(t.isOpen('alice'), false);
  t.publish('p', 'a', 'after', 1, 10);
  assert.equal(t.received('bob'), []);   // alice's subscription went with her session
});

test('5:MQTT-3.1.4-3 (allowClientIdTakeover) v5: the connected owner gets DISCONNECT 0x8E; the new session is bob\'s from then on', () => {
  const t = rig({ allowClientIdTakeover: true });
  t.connected('alice', { ...ALICE, version: 5, properties: { sessionExpiryInterval: 60 } });
  assert.equal(resume(t, 'bob', { ...BOB, version: 5, properties: { sessionExpiryInterval: 60 } }), { present: false, payloads: [] });
  assert.is(toHex(t.sent('alice')).slice(0, 2), 'E0');
  assert.is(t.isOpen('alice'), false);
  t.subscribe('bob', 'a', 1);
  t.drop('bob');
  // Now the session is bob's: alice taking the id back starts afresh too, without his subscription.
  assert.equal(resume(t, 'alice2', { ...ALICE, version: 5 }), { present: false, payloads: [] });
});

test('4:MQTT-3.1.2-4 (allowClientIdTakeover) v4: bob\'s Clean Session 0 start persists as his: he resumes it and gets what was queued', () => {
  const t = rig({ allowClientIdTakeover: true });
  aliceAway(t, ['m1']);
  t.connected('bob', BOB);
  t.subscribe('bob', 'b', 1);
  t.drop('bob');
  t.publish('p', 'b', 'for-bob', 1, 7);
  assert.equal(resume(t, 'bob2', BOB), { present: true, payloads: ['for-bob'] });
});

test.run();
