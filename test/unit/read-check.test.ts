// The read check (the authorizeRead hook) runs on every delivery, not only when a message is
// routed (issue 14 §1): a queued message when it leaves the queue, an in-flight one when it is
// resent on resume [MQTT-4.4.0-1]. Rules that changed meanwhile (an ACL reload) stop what
// was queued under the old ones; a refused message is dropped and counted, its in-flight slot
// freed; a QoS 2 delivery once sent completes all the same: PUBLISH again until PUBREC, then
// PUBREL [MQTT-4.3.3-1].
// Fake clock and bytes only.
//
//   40 02 00 0N  PUBACK N    50 02 00 0N  PUBREC N    62 02 00 0N  PUBREL N    70 02 00 0N  PUBCOMP N

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrokerOptions } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { ConnectOptions, Rig } from '../helpers/rig.js';

const S: ConnectOptions = { clientId: 's', clean: false };

/** A rig whose read rule refuses topics under `rules.deny` ('' refuses nothing) as the test changes it. */
function ruled(options: BrokerOptions = {}): { t: Rig; rules: { deny: string } } {
  const rules = { deny: '' };
  const t = rig({ sysIntervalMs: 0, ...options }, { authorizeRead: (_id, _user, topic) => rules.deny === '' || !topic.startsWith(rules.deny) });
  return { t, rules };
}

/** `s` subscribed to `a/#` at `qos` in a persistent session, and a publisher `p`. */
function subscribed(t: Rig, qos: 0 | 1 | 2): void {
  t.connected('s', S);
  t.subscribe('s', 'a/#', qos);
  t.connected('p');
}

test('4:MQTT-4.4.0-1 · read check: messages queued for an offline session and no longer readable are not sent on resume, counted as dropped', () => {
  const { t, rules } = ruled();
  subscribed(t, 1);
  t.drop('s');
  t.publish('p', 'a/secret/1', 'x1', 1, 1);
  t.publish('p', 'a/open', 'ok', 1, 2);
  t.publish('p', 'a/secret/2', 'x2', 1, 3);
  rules.deny = 'a/secret/';                       // the ACL is reloaded while s is away
  const before = t.broker.stats.dropped;
  t.connect('s2', S);
  assert.equal(t.received('s2'), ['ok']);
  assert.is(t.broker.stats.dropped - before, 2);
});

test('4:MQTT-3.1.2-5 · read check: a queued QoS 0 message (queueQoS0Offline) no longer readable is dropped on resume', () => {
  const { t, rules } = ruled({ queueQoS0Offline: true });
  subscribed(t, 0);
  t.drop('s');
  t.publish('p', 'a/secret/1', 'x1');
  rules.deny = 'a/secret/';
  const before = t.broker.stats.dropped;
  t.connect('s2', S);
  assert.equal(t.received('s2'), []);
  assert.is(t.broker.stats.dropped - before, 1);
});

test('4:MQTT-4.3.2-1 · read check: a message queued behind a full window is checked when the window opens', () => {
  const { t, rules } = ruled({ maxInflight: 1 });
  subscribed(t, 1);
  t.publish('p', 'a/secret/1', 'x1', 1, 1);
  t.publish('p', 'a/secret/2', 'x2', 1, 2);      // queued: the window of 1 is full
  assert.equal(t.received('s'), ['x1']);
  rules.deny = 'a/secret/';
  t.feed('s', hex('40 02 00 01'));               // PUBACK 1 opens the window
  assert.is(toHex(t.sent('s')), '');
  t.publish('p', 'a/open', 'ok', 1, 3);
  assert.equal(t.received('s'), ['ok']);         // the refused one left no slot taken
});

test('4:MQTT-4.4.0-1 · read check: an unacknowledged QoS 1 message no longer readable is not resent; its slot in the window is free', () => {
  const { t, rules } = ruled({ maxInflight: 1 });
  subscribed(t, 1);
  t.publish('p', 'a/secret/1', 'x1', 1, 1);
  assert.equal(t.received('s'), ['x1']);       // and never acknowledged
  t.drop('s');
  rules.deny = 'a/secret/';
  const before = t.broker.stats.dropped;
  t.connect('s2', S);
  assert.is(toHex(t.sent('s2')), '20 02 01 00');   // CONNACK, session present, no resend
  assert.is(t.broker.stats.dropped - before, 1);
  t.publish('p', 'a/open', 'ok', 1, 2);
  assert.equal(t.received('s2'), ['ok']);
});

test('4:MQTT-4.3.3-1 · 4:MQTT-4.4.0-1 read check: a QoS 2 message sent before the rules changed is sent again with DUP until its PUBREC', () => {
  const { t, rules } = ruled({ maxInflight: 1 });
  subscribed(t, 2);
  t.publish('p', 'a/secret/1', 'x1', 2, 1);
  assert.equal(t.received('s'), ['x1']);       // no PUBREC came
  t.drop('s');
  rules.deny = 'a/secret/';
  const before = t.broker.stats.dropped;
  t.connect('s2', S);
  // CONNACK, then PUBLISH DUP=1 QoS 2 id 1 again: the client may hold id 1 waiting for a PUBREL
  assert.is(toHex(t.sent('s2')), '20 02 01 00 3C 10 00 0A 61 2F 73 65 63 72 65 74 2F 31 00 01 78 31');
  assert.is(t.broker.stats.dropped - before, 0);
  t.feed('s2', hex('50 02 00 01'));             // PUBREC 1
  assert.is(toHex(t.sent('s2')), '62 02 00 01');  // PUBREL 1
});

test('4:MQTT-4.3.3-1 · 4:MQTT-4.4.0-1 read check: a QoS 2 delivery past PUBREC still gets its PUBREL on resume, and PUBCOMP ends it', () => {
  const { t, rules } = ruled({ maxInflight: 1 });
  subscribed(t, 2);
  t.publish('p', 'a/secret/1', 'x1', 2, 1);
  assert.equal(t.received('s'), ['x1']);
  t.feed('s', hex('50 02 00 01'));               // PUBREC 1
  assert.is(toHex(t.sent('s')), '62 02 00 01');  // PUBREL 1
  t.drop('s');                                   // no PUBCOMP
  rules.deny = 'a/secret/';
  t.connect('s2', S);
  assert.is(toHex(t.sent('s2')), '20 02 01 00 62 02 00 01');   // CONNACK, PUBREL 1 again
  t.publish('p', 'a/open', 'ok', 1, 2);
  assert.equal(t.received('s2'), []);            // the window of 1 is still taken by id 1
  t.feed('s2', hex('70 02 00 01'));              // PUBCOMP 1
  assert.equal(t.received('s2'), ['ok']);
});

test('read check: rules unchanged, a resumed session gets its queued and unacknowledged messages as before', () => {
  const { t } = ruled({ maxInflight: 1 });
  subscribed(t, 1);
  t.publish('p', 'a/x', 'm1', 1, 1);
  t.publish('p', 'a/x', 'm2', 1, 2);
  t.packets('s');
  t.drop('s');
  t.connect('s2', S);
  const p = t.packets('s2');
  assert.is(p.length, 2);                        // CONNACK, m1 resent (window of 1)
  assert.is((p[1] as { dup: boolean }).dup, true);
  t.feed('s2', hex('40 02 00 01'));
  assert.equal(t.received('s2'), ['m2']);
});

test.run();
