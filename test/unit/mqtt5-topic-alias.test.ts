// MQTT 5.0 Topic Alias, client to server (5.0 §3.3.2.3.4, §3.2.2.3.8, checklist 1.23).
// The broker accepts aliases 1..topicAliasMaximum (default 8) per connection, strips them from
// what it forwards, and sends no aliases of its own (server-to-client aliases are a MAY).
//
// Frames (hand-derived, 5.0 §3.3):
//   30 0B 00 03 61 2F 62 03 23 00 01 68 69   PUBLISH QoS 0 "a/b", properties 03: Topic Alias (0x23) 1, "hi"
//   30 08 00 00 03 23 00 01 68 69            PUBLISH QoS 0, empty topic, Topic Alias 1, "hi"
//   30 08 00 03 61 2F 62 00 68 69            what a 5.0 subscriber gets: "a/b", no properties
//   30 07 00 03 61 2F 62 68 69               what a 3.1.1 subscriber gets

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

const SET_1 = '30 0B 00 03 61 2F 62 03 23 00 01 68 69';
const USE_1 = '30 08 00 00 03 23 00 01 68 69';
const OUT_5 = '30 08 00 03 61 2F 62 00 68 69';

function pubsub(options = {}) {
  const t = rig(options);
  t.connected('s', { version: 5 });
  t.subscribe('s', '#', 0);
  t.connected('p', { version: 5 });
  return t;
}

test('5:§3.2.2.3.8 v5: CONNACK announces Topic Alias Maximum 8 by default (22 00 08)', () => {
  const t = rig();
  t.connect('c', { version: 5 });
  assert.ok(toHex(t.sent('c')).includes('22 00 08'));
});

test('5:§3.2.2.3.8 v5: CONNACK announces the topicAliasMaximum option (3: 22 00 03)', () => {
  const t = rig({ topicAliasMaximum: 3 });
  t.connect('c', { version: 5 });
  const frame = toHex(t.sent('c'));
  assert.ok(frame.includes('22 00 03'), frame);
});

test('5:MQTT-3.3.2-12 · 5:§3.3.4 (2) · 5:§3.3.4 (3) v5: alias 1 set with "a/b", then an empty topic with alias 1 reaches "a/b" subscribers', () => {
  const t = pubsub();
  t.feed('p', hex(SET_1));
  t.feed('p', hex(USE_1));
  assert.equal(t.frames('s'), [OUT_5, OUT_5]);
  assert.ok(t.isOpen('p'));
});

test('5:MQTT-3.3.2-12 v5: the highest alias, topicAliasMaximum (8), is accepted', () => {
  const t = pubsub();
  t.feed('p', hex('30 0B 00 03 61 2F 62 03 23 00 08 68 69'));
  t.feed('p', hex('30 08 00 00 03 23 00 08 68 69'));
  assert.equal(t.frames('s'), [OUT_5, OUT_5]);
  assert.is(toHex(t.sent('p')), '');
});

test('5:§3.3.4 (1) v5: alias 9, above topicAliasMaximum 8, gets DISCONNECT 0x94, then close, not routed', () => {
  const t = pubsub();
  t.feed('p', hex('30 0B 00 03 61 2F 62 03 23 00 09 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 94 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.3.4 (1) v5: alias 0 gets DISCONNECT 0x94 (Topic Alias invalid), then close', () => {
  const t = pubsub();
  t.feed('p', hex('30 0B 00 03 61 2F 62 03 23 00 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 94 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.3.4 (1) v5: with topicAliasMaximum 2, alias 3 gets DISCONNECT 0x94', () => {
  const t = pubsub({ topicAliasMaximum: 2 });
  t.feed('p', hex('30 0B 00 03 61 2F 62 03 23 00 03 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 94 +reason');
  assert.is(t.isOpen('p'), false);
});

test('5:§3.3.4 (3) v5: an empty topic with an alias never set gets DISCONNECT 0x82 (Protocol Error), not routed', () => {
  const t = pubsub();
  t.feed('p', hex('30 08 00 00 03 23 00 02 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 82 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.3.4 (2) v5: a known alias sent with a new Topic Name is re-mapped to it', () => {
  const t = pubsub();
  t.feed('p', hex(SET_1));
  t.feed('p', hex('30 0B 00 03 63 2F 64 03 23 00 01 68 69'));   // alias 1 -> "c/d"
  t.feed('p', hex(USE_1));
  assert.equal(t.frames('s'), [OUT_5, '30 08 00 03 63 2F 64 00 68 69', '30 08 00 03 63 2F 64 00 68 69']);
});

test('5:MQTT-3.3.2-7 v5: aliases belong to the connection: a resumed session starts with none (empty topic + alias 1 is 0x82)', () => {
  const t = rig();
  t.connected('p', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.feed('p', hex(SET_1));
  t.drop('p');
  t.connected('p', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.feed('p', hex(USE_1));
  assert.is(disconnectOf(t.sent('p')), 'E0 82 +reason');
});

test('5:MQTT-3.3.2-7 v5: aliases are per connection: another client cannot use the alias one client set', () => {
  const t = pubsub();
  t.feed('p', hex(SET_1));
  t.connected('q', { version: 5 });
  t.feed('q', hex(USE_1));
  assert.is(disconnectOf(t.sent('q')), 'E0 82 +reason');
  assert.ok(t.isOpen('p'));
});

test('5:§3.3.4 (2) v5: a QoS 1 PUBLISH with an empty topic and a known alias is acknowledged (40 02 00 05) and delivered', () => {
  const t = pubsub();
  t.feed('p', hex(SET_1));
  t.feed('p', hex('32 0A 00 00 00 05 03 23 00 01 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 05');
  assert.equal(t.frames('s'), [OUT_5, OUT_5]);
});

test('(design) 1.23 v5: the alias is resolved before authorisation: authorizePublish sees "a/b"', () => {
  const seen: string[] = [];
  const t = rig({}, { authorizePublish: (_c, topic) => { seen.push(topic); return true; } });
  t.connected('p', { version: 5 });
  t.feed('p', hex(SET_1));
  t.feed('p', hex(USE_1));
  assert.equal(seen, ['a/b', 'a/b']);
});

test('(design) 1.23 v5: a retained message that sets an alias is stored under its topic and replayed without the alias', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 0B 00 03 61 2F 62 03 23 00 01 68 69'));   // retained, sets alias 1
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31 08 00 03 61 2F 62 00 68 69']);
});

test('(design) 1.23 · 5:MQTT-3.3.1-5 v5: a retained PUBLISH with an empty topic and a known alias replaces the topic\'s retained message', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31 0B 00 03 61 2F 62 03 23 00 01 68 69'));   // retained "hi", sets alias 1
  t.feed('p', hex('31 08 00 00 03 23 00 01 79 6F'));            // retained "yo" through alias 1
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31 08 00 03 61 2F 62 00 79 6F']);
});

test('(mixed versions) 1.23: a 3.1.1 subscriber gets a message published through an alias as 30 07 00 03 61 2F 62 68 69', () => {
  const t = rig();
  t.connected('s', { version: 4 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex(SET_1));
  t.feed('p', hex(USE_1));
  assert.equal(t.frames('s'), ['30 07 00 03 61 2F 62 68 69', '30 07 00 03 61 2F 62 68 69']);
});

test('5:MQTT-3.1.2-26 · 5:MQTT-3.1.2-27 · 5:MQTT-3.3.2-8 · 5:MQTT-3.3.2-11 v5: no Topic Alias is ever sent to a client, whatever Topic Alias Maximum it announced', () => {
  for (const tam of [undefined, 0, 10]) {
    const t = rig();
    t.connected('s', { version: 5, properties: tam === undefined ? null : { topicAliasMaximum: tam } });
    t.subscribe('s', 'a/b', 0);
    t.connected('p', { version: 5 });
    for (let i = 0; i < 3; i++) t.publish('p', 'a/b', 'hi');
    assert.equal(t.frames('s'), [OUT_5, OUT_5, OUT_5], 'client Topic Alias Maximum ' + tam);
  }
});

test.run();
