// End-to-end flows through the broker core: bytes in, bytes out, fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rig } from '../helpers/rig.js';
import { hex, toHex } from '../helpers/hex.js';

test('4:MQTT-3.2.2-1 a clean 3.1.1 CONNECT gets CONNACK 20 02 00 00', () => {
  const t = rig();
  t.connect('a');
  assert.is(toHex(t.sent('a')), toHex(hex('20 02 00 00')));
});

test('4:MQTT-4.3.1-1 a QoS 0 PUBLISH reaches a QoS 0 subscriber byte for byte', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/+', 0);
  t.feed('pub', hex('30 06 00 03 61 2f 62 78'));            // PUBLISH QoS 0 "a/b" "x"
  assert.is(toHex(t.sent('sub')), toHex(hex('30 06 00 03 61 2f 62 78')));
});

test('4:MQTT-4.3.2-2 QoS 1 in: PUBACK to the publisher, QoS 1 out with a fresh packet id', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/b', 1);
  t.feed('pub', hex('32 08 00 03 61 2f 62 00 05 79'));      // PUBLISH QoS 1 id 5 "a/b" "y"
  assert.is(toHex(t.sent('pub')), toHex(hex('40 02 00 05'))); // PUBACK 5
  assert.is(toHex(t.sent('sub')), toHex(hex('32 08 00 03 61 2f 62 00 01 79'))); // id 1 towards sub
});

test('4:MQTT-4.3.3-2 a repeated QoS 2 PUBLISH gets PUBREC again and is delivered once', () => {
  const t = rig();
  t.connected('pub'); t.connected('sub');
  t.subscribe('sub', 'a/b', 2);
  t.feed('pub', hex('34 08 00 03 61 2f 62 00 01 78'));      // PUBLISH QoS 2, id 1
  assert.is(toHex(t.sent('pub')), toHex(hex('50 02 00 01'))); // PUBREC 1
  t.feed('pub', hex('3c 08 00 03 61 2f 62 00 01 78'));      // the same with DUP=1
  assert.is(toHex(t.sent('pub')), toHex(hex('50 02 00 01'))); // PUBREC 1 again
  t.feed('pub', hex('62 02 00 01'));                         // PUBREL 1
  assert.is(toHex(t.sent('pub')), toHex(hex('70 02 00 01'))); // PUBCOMP 1
  assert.equal(t.received('sub'), ['x']);
});

test('4:MQTT-3.3.1-6 a retained message is sent to a new subscriber with retain set', () => {
  const t = rig();
  t.connected('pub');
  t.publish('pub', 'r/1', 'kept', 0, 0, true);
  t.connected('late');
  t.feed('late', hex('82 08 00 01 00 03 72 2f 23 00'));      // SUBSCRIBE id 1 "r/#" QoS 0
  assert.is(toHex(t.sent('late')), toHex(hex('90 03 00 01 00' + // SUBACK 1 [0], then
    ' 31 09 00 03 72 2f 31 6b 65 70 74')));                  // PUBLISH retain "r/1" "kept"
});

test('4:MQTT-3.1.2-8 the will is published when the connection drops without DISCONNECT', () => {
  const t = rig();
  t.connected('sub');
  t.subscribe('sub', 'w', 0);
  t.connected('w', { will: { topic: 'w', payload: 'bye', qos: 0, retain: false } });
  t.drop('w');
  assert.equal(t.received('sub'), ['bye']);
});

test('4:MQTT-3.1.2-24 silence for 1.5 x Keep Alive closes the connection', () => {
  const t = rig();
  t.connected('c', { keepAlive: 10 });
  t.advance(15000); assert.ok(t.isOpen('c'));
  t.advance(1); assert.not.ok(t.isOpen('c'));
});

test('4:MQTT-3.1.0-1 a first packet other than CONNECT closes the connection', () => {
  const t = rig();
  t.open('x');
  t.feed('x', hex('c0 00'));                                 // PINGREQ
  assert.not.ok(t.isOpen('x'));
  assert.is(t.sent('x').length, 0);
});

test('garbage from one client closes only that client', () => {
  const t = rig();
  t.connected('good'); t.connected('bad');
  t.subscribe('good', '#', 0);
  t.feed('bad', hex('00 00 ff ff'));                         // reserved packet type 0
  assert.not.ok(t.isOpen('bad'));
  t.publish('good', 'still/here', 'ok');
  assert.equal(t.received('good'), ['ok']);
});

test.run();
