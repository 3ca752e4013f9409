// MQTT 5.0 PUBLISH properties the broker forwards unchanged (5.0 §3.3.2.3: Payload Format
// Indicator, Content Type, Response Topic, Correlation Data, User Properties), payload format
// validation (option validatePayloadFormat, default on; 0x99), and request / response
// (Request Response Information -> CONNACK Response Information, 5.0 §4.10).
//
// Frames (hand-derived, 5.0 §3.3.2.3; properties in the order of the spec's table):
//   30 1E 00 03 61 2F 62 16                  PUBLISH QoS 0 "a/b", property length 22:
//      01 01                                   Payload Format Indicator 1
//      03 00 01 74                             Content Type "t"
//      08 00 01 72                             Response Topic "r"
//      09 00 02 01 02                          Correlation Data 01 02
//      26 00 01 6B 00 01 76                    User Property ("k", "v")
//   68 69                                    payload "hi"

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH } from '../../core/index.js';
import type { ConnackPacket, PublishPacket } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const ALL = '30 1E 00 03 61 2F 62 16 01 01 03 00 01 74 08 00 01 72 09 00 02 01 02 26 00 01 6B 00 01 76 68 69';

function pubsub(options = {}, subQoS: 0 | 1 | 2 = 0): Rig {
  const t = rig(options);
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', subQoS);
  t.connected('p', { version: 5 });
  return t;
}

// ---- forwarded unchanged ----

test('5:MQTT-3.3.2-4 · 5:MQTT-3.3.2-15 · 5:MQTT-3.3.2-16 · 5:MQTT-3.3.2-17 · 5:MQTT-3.3.2-20 v5: PFI, Content Type, Response Topic, Correlation Data and User Property reach the subscriber byte for byte', () => {
  const t = pubsub();
  t.feed('p', hex(ALL));
  assert.equal(t.frames('s'), [ALL]);
});

test('5:MQTT-3.3.2-17 · 5:MQTT-3.3.2-18 v5: repeated User Property names are forwarded all, in order ("z"="1", "a"="2", "z"="3")', () => {
  const t = pubsub();
  // property length 21: three User Properties of 7 bytes each
  const frame = '30 1D 00 03 61 2F 62 15 26 00 01 7A 00 01 31 26 00 01 61 00 01 32 26 00 01 7A 00 01 33 68 69';
  t.feed('p', hex(frame));
  assert.equal(t.frames('s'), [frame]);
});

test('5:MQTT-3.3.2-16 v5: Correlation Data is forwarded unchanged also when the message is queued (offline session)', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { sessionExpiryInterval: 60 } });
  t.subscribe('s', 'a/b', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  // QoS 1 id 1, properties 05: Correlation Data 00 02 CA FE
  const input = hex('32 0F 00 03 61 2F 62 00 01 05 09 00 02 CA FE 68 69');
  t.feed('p', input);
  input.fill(0, 10, 15);   // the publisher's receive buffer is reused: the broker must have copied what it kept
  t.connect('s', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  assert.is(t.frames('s')[1], '32 0F 00 03 61 2F 62 00 01 05 09 00 02 CA FE 68 69');
});

test('(mixed versions) v5: a retained message keeps its 5.0 properties for a later 5.0 subscriber', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('31' + ALL.slice(2)));
  t.connected('s', { version: 5 });
  t.send('s', { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: 'a/b', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
  assert.equal(t.frames('s'), ['90 04 00 01 00 00', '31' + ALL.slice(2)]);
});

// ---- Payload Format Indicator validation ----

test('5:MQTT-3.3.2-4 · 5:MQTT-3.4.2-1 v5: PFI 1 with a payload that is not UTF-8 (FF FE), QoS 1: PUBACK 0x99 (40 03 00 05 99), not delivered', () => {
  const t = pubsub();
  t.feed('p', hex('32 0C 00 03 61 2F 62 00 05 02 01 01 FF FE'));
  assert.is(toHex(t.sent('p')), '40 03 00 05 99');
  assert.equal(t.frames('s'), []);
  assert.ok(t.isOpen('p'));
});

test('5:MQTT-3.3.2-4 · 5:MQTT-3.5.2-1 · 5:MQTT-4.3.3-9 v5: PFI 1 with invalid UTF-8, QoS 2: PUBREC 0x99; the id is not held (PUBREL gets 0x92)', () => {
  const t = pubsub();
  t.feed('p', hex('34 0C 00 03 61 2F 62 00 05 02 01 01 FF FE'));
  assert.is(toHex(t.sent('p')), '50 03 00 05 99');
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '70 03 00 05 92');
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.3.2-4 v5: PFI 1 with invalid UTF-8, QoS 0: dropped, no answer, connection kept', () => {
  const t = pubsub();
  t.feed('p', hex('30 0A 00 03 61 2F 62 02 01 01 FF FE'));
  assert.is(toHex(t.sent('p')), '');
  assert.equal(t.frames('s'), []);
  assert.ok(t.isOpen('p'));
});

test('5:MQTT-3.3.2-4 v5: PFI 1 with valid UTF-8 ("é" = C3 A9) is delivered unchanged', () => {
  const t = pubsub();
  t.feed('p', hex('30 0A 00 03 61 2F 62 02 01 01 C3 A9'));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 01 01 C3 A9']);
});

test('5:MQTT-3.3.2-4 v5: PFI 0 (binary): FF FE is not checked and is delivered', () => {
  const t = pubsub();
  t.feed('p', hex('30 0A 00 03 61 2F 62 02 01 00 FF FE'));
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 01 00 FF FE']);
});

test('5:MQTT-3.3.2-4 v5: with validatePayloadFormat false, PFI 1 with FF FE is forwarded unchanged (PUBACK 0x00)', () => {
  const t = pubsub({ validatePayloadFormat: false });
  t.feed('p', hex('32 0C 00 03 61 2F 62 00 05 02 01 01 FF FE'));
  assert.is(toHex(t.sent('p')), '40 02 00 05');
  assert.equal(t.frames('s'), ['30 0A 00 03 61 2F 62 02 01 01 FF FE']);
});

test('5:MQTT-3.3.2-4 v5: PFI 1 with a surrogate encoded in UTF-8 (ED A0 80) is refused: PUBACK 0x99', () => {
  const t = pubsub();
  t.feed('p', hex('32 0D 00 03 61 2F 62 00 05 02 01 01 ED A0 80'));
  assert.is(toHex(t.sent('p')), '40 03 00 05 99');
});

// ---- Response Topic, request / response ----

test('5:MQTT-3.3.2-14 v5: a Response Topic with a wildcard ("#") is a Protocol Error: DISCONNECT 0x82, not routed', () => {
  const t = pubsub();
  t.feed('p', hex('30 0C 00 03 61 2F 62 04 08 00 01 23 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 82 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.3.2-13 · 5:MQTT-3.3.2-15 · 5:MQTT-3.3.2-16 (1.25) v5: request/response: the responder answers on the Response Topic with the Correlation Data, the requester gets it unchanged', () => {
  const t = rig();
  t.connected('responder', { version: 5 });
  t.subscribe('responder', 'svc/req', 0);
  t.connected('requester', { version: 5 });
  t.subscribe('requester', 'rsp/1', 0);
  t.send('requester', {
    type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'svc/req', packetId: 0, payload: hex('01'),
    properties: { responseTopic: 'rsp/1', correlationData: hex('C0 FF EE') },
  });
  const req = t.packets('responder').filter((p) => p.type === PUBLISH) as PublishPacket[];
  assert.is(req.length, 1);
  t.send('responder', {
    type: PUBLISH, dup: false, qos: 0, retain: false, topic: req[0].properties?.responseTopic as string, packetId: 0, payload: hex('02'),
    properties: { correlationData: req[0].properties?.correlationData as Uint8Array },
  });
  // 30 0F, "rsp/1" (00 05 72 73 70 2F 31), properties 06: 09 00 03 C0 FF EE, payload 02
  assert.equal(t.frames('requester'), ['30 0F 00 05 72 73 70 2F 31 06 09 00 03 C0 FF EE 02']);
});

function connack(t: Rig, name: string): ConnackPacket {
  return t.packets(name)[0] as ConnackPacket;
}

test('5:MQTT-3.1.2-28 (1.25) v5: Request Response Information 1 with the responseInformation option: CONNACK carries it (1A 00 05 72 65 73 70 2F)', () => {
  const t = rig({ responseInformation: 'resp/' });
  t.connect('c', { version: 5, properties: { requestResponseInformation: 1 } });
  assert.ok(toHex(t.sent('c')).includes('1A 00 05 72 65 73 70 2F'));
});

test('5:MQTT-3.1.2-28 v5: no Request Response Information: CONNACK has no Response Information', () => {
  const t = rig({ responseInformation: 'resp/' });
  t.connect('c', { version: 5 });
  assert.is(connack(t, 'c').properties?.responseInformation, undefined);
});

test('5:MQTT-3.1.2-28 v5: Request Response Information 0: CONNACK has no Response Information', () => {
  const t = rig({ responseInformation: 'resp/' });
  t.connect('c', { version: 5, properties: { requestResponseInformation: 0 } });
  assert.is(connack(t, 'c').properties?.responseInformation, undefined);
});

test('5:MQTT-3.1.2-28 v5: Request Response Information 1 without the option: no Response Information (sending it is optional)', () => {
  const t = rig();
  t.connect('c', { version: 5, properties: { requestResponseInformation: 1 } });
  const p = connack(t, 'c');
  assert.is(p.reasonCode, 0);
  assert.is(p.properties?.responseInformation, undefined);
});

test.run();
