// The client role receiving: Application Messages from the server at QoS 0/1/2 (4.3, as
// the receiver), our Receive Maximum and Topic Alias Maximum (5.0), SUBACK / UNSUBACK.
//
// Frames (3.1.1 §3.3-3.11; 5.0 adds a Property Length after the packet id):
//   32 06 00 01 74 00 0N 78         PUBLISH QoS 1 id N "t" "x"        (3.1.1)
//   34 06 00 01 74 00 0N 78         PUBLISH QoS 2 id N                 (3C: with DUP)
//   34 07 00 01 74 00 0N 00 78      the same in 5.0

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientRig } from '../helpers/client-rig.js';

test('4:MQTT-4.3.2-2 a QoS 1 message from the server is delivered and answered with PUBACK', () => {
  const r = new ClientRig().connected();
  r.feed('32 06 00 01 74 00 07 78');
  assert.is(r.messages.length, 1);
  assert.is(r.messages[0].qos, 1);
  assert.is(r.sent(), '40 02 00 07');
});

test('4:MQTT-4.3.3-2 a QoS 2 message is delivered once: PUBREC, PUBREC again for a resend, PUBCOMP on PUBREL', () => {
  const r = new ClientRig().connected();
  r.feed('34 06 00 01 74 00 05 78');
  assert.is(r.sent(), '50 02 00 05');
  r.feed('3C 06 00 01 74 00 05 78');
  assert.is(r.sent(), '50 02 00 05');
  assert.is(r.messages.length, 1);
  r.feed('62 02 00 05');
  assert.is(r.sent(), '70 02 00 05');
  r.feed('34 06 00 01 74 00 05 78');   // the id is free again: a new message
  assert.is(r.messages.length, 2);
});

test('4:MQTT-4.3.3-2 a QoS 2 id awaiting PUBREL survives a reconnect with the session', () => {
  const r = new ClientRig({ cleanStart: false }).connected();
  r.feed('34 06 00 01 74 00 05 78');
  r.client.closed(r.now);
  r.connected(true);
  r.feed('3C 06 00 01 74 00 05 78');
  assert.is(r.messages.length, 1);
  assert.is(r.sent(), '50 02 00 05');
});

test('5:§3.7.2.1 a PUBREL for an id we do not hold gets PUBCOMP 0x92 (3.1.1: PUBCOMP)', () => {
  const r5 = new ClientRig({ version: 5 }).connected();
  r5.feed('62 02 00 09');
  assert.is(r5.sent(), '70 03 00 09 92');
  const r4 = new ClientRig().connected();
  r4.feed('62 02 00 09');
  assert.is(r4.sent(), '70 02 00 09');
});

test('5:§3.3.4 more QoS 2 messages awaiting PUBREL than our Receive Maximum: DISCONNECT 0x93, closed', () => {
  const r = new ClientRig({ version: 5, receiveMaximum: 1 }).connected();
  r.feed('34 07 00 01 74 00 01 00 78');
  r.sent();
  r.feed('34 07 00 01 74 00 02 00 78');
  assert.is(r.sent(), 'E0 01 93');
  assert.is(r.isOpen(), false);
  assert.is(r.messages.length, 1);
});

test('5:MQTT-3.3.2-10 a Topic Alias within our maximum is set by a PUBLISH with a Topic Name and used by one without', () => {
  const r = new ClientRig({ version: 5, topicAliasMaximum: 2 }).connected();
  r.feed('30 08 00 01 74 03 23 00 02 61');   // "t", Topic Alias 2, "a"
  r.feed('30 07 00 00 03 23 00 02 62');      // "", Topic Alias 2, "b"
  assert.equal(r.messages.map((m) => m.topic + '=' + m.payload), ['t=a', 't=b']);
});

test('5:MQTT-3.3.2-10 a Topic Alias above our maximum (or 0) is DISCONNECT 0x94', () => {
  for (const alias of ['00 03', '00 00']) {
    const r = new ClientRig({ version: 5, topicAliasMaximum: 2 }).connected();
    r.feed('30 08 00 01 74 03 23 ' + alias + ' 61');
    assert.is(r.sent(), 'E0 01 94', alias);
    assert.is(r.isOpen(), false);
  }
});

test('5:§3.3.2.3.4 a Topic Alias never set, or no topic and no alias: Protocol Error 0x82', () => {
  const r = new ClientRig({ version: 5, topicAliasMaximum: 2 }).connected();
  r.feed('30 07 00 00 03 23 00 01 62');
  assert.is(r.sent(), 'E0 01 82');
  const q = new ClientRig({ version: 5 }).connected();
  q.feed('30 04 00 00 00 62');
  assert.is(q.sent(), 'E0 01 82');
});

test('4:MQTT-3.9.3-1 SUBACK: its return codes, one per filter, go to the application', () => {
  const r = new ClientRig().connected();
  const id = r.client.subscribe([{ topicFilter: 'a', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    { topicFilter: 'b', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, r.now);
  assert.is(r.sent(), '82 0A 00 01 00 01 61 01 00 01 62 02');
  r.feed('90 04 00 01 01 80');
  assert.equal(r.subscribed, [[id, [1, 0x80]]]);
});

test('4:MQTT-2.3.1-7 a SUBACK for a packet id no SUBSCRIBE of ours has closes the connection', () => {
  const r = new ClientRig().connected();
  r.feed('90 03 00 04 01');
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x82);
});

test('(design) a server that sends and never reads: our answers wait up to maxOutboundBytes, then the connection is closed (0x97)', () => {
  const r = new ClientRig({ maxOutboundBytes: 8 }).connected();
  r.transport.full = true;
  r.feed('32 06 00 01 74 00 01 78');   // its PUBACK is written: the transport says full
  r.feed('32 06 00 01 74 00 02 78 32 06 00 01 74 00 03 78');   // two PUBACKs wait: 8 bytes
  assert.ok(r.isOpen());
  r.feed('32 06 00 01 74 00 04 78');   // a third would be 12
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x97);
});

test('(design) answers held while the transport is full go out in order on writable()', () => {
  const r = new ClientRig().connected();
  r.transport.full = true;
  r.feed('32 06 00 01 74 00 01 78 32 06 00 01 74 00 02 78');
  assert.is(r.sent(), '40 02 00 01');
  r.transport.full = false;
  r.client.writable(r.now);
  assert.is(r.sent(), '40 02 00 02');
});

test('(design) subscribe() while not connected is refused (-1)', () => {
  const r = new ClientRig();
  assert.is(r.client.subscribe([{ topicFilter: 'a', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, 0), -1);
});

test('5:§3.3.2.3 a 5.0 message keeps its properties (User Properties, Content Type)', () => {
  const r = new ClientRig({ version: 5 }).connected();
  r.feed('30 0A 00 01 74 05 03 00 02 74 78 79');   // "t", Content Type "tx", payload "y"
  assert.equal(r.messages[0].properties, { contentType: 'tx' });
});

test.run();
