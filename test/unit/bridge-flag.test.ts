// mosquitto's bridge flag as a server takes it: 0x80 in the CONNECT's protocol level
// (0x84 "MQTT" 3.1.1, 0x83 "MQIsdp" 3.1), sent by a mosquitto bridge (try_private) and by
// ganglion's (tryPrivate). mosquitto's handle_connect.c accepts the level & 0x7F and marks a
// 3.x client a bridge; its handle_subscribe.c then gives that bridge's subscriptions No Local
// and Retain As Published. The 5.0 level with the bit (0x85) is plain 5.0 there. Not in the
// specification: [MQTT-3.1.2-2] refuses a level the server does not support, and this one it
// does support. Through bytes and a fake clock (test/helpers/rig.ts).
//
// Frames (3.1.1 §3):
//   10 0D 00 04 4D 51 54 54 84 02 00 00 00 01 61         CONNECT "MQTT" level 0x84, Clean Session, client id "a"
//   10 0F 00 06 4D 51 49 73 64 70 83 02 00 00 00 01 61   CONNECT "MQIsdp" level 0x83, client id "a"
//   20 02 00 00 / 20 02 00 01                            CONNACK accepted / refused: unacceptable protocol version
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PublishPacket } from '../../core/index.js';
import { PUBLISH } from '../../core/index.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';
import { hex, toHex } from '../helpers/hex.js';

const BRIDGE_311 = '10 0D 00 04 4D 51 54 54 84 02 00 00 00 01 61';

function bridged(t: Rig, name: string, connect: string, version: number): void {
  t.open(name, version);
  t.feed(name, hex(connect));
}

test('mosquitto bridge flag: "MQTT" level 0x84 is 3.1.1 from a bridge: CONNACK 20 02 00 00', () => {
  const t = rig();
  bridged(t, 'a', BRIDGE_311, 4);
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.ok(t.isOpen('a'));
  assert.is(t.client('a').connection.version, 4);
  assert.is(t.client('a').connection.bridge, true);
});

test('mosquitto bridge flag: "MQIsdp" level 0x83 is 3.1 from a bridge: CONNACK 20 02 00 00', () => {
  const t = rig();
  bridged(t, 'a', '10 0F 00 06 4D 51 49 73 64 70 83 02 00 00 00 01 61', 3);
  assert.is(toHex(t.sent('a')), '20 02 00 00');
  assert.is(t.client('a').connection.version, 3);
  assert.is(t.client('a').connection.bridge, true);
});

test('mosquitto bridge flag: level 0x85 is plain 5.0 (as mosquitto takes it): accepted, not marked a bridge', () => {
  const t = rig();
  // rl 14 | "MQTT" | level 0x85 | flags 02 | keep alive 0 | properties 0 | client id "a"
  bridged(t, 'a', '10 0E 00 04 4D 51 54 54 85 02 00 00 00 00 01 61', 5);
  assert.is(t.sent('a')[0], 0x20);
  assert.is(t.client('a').connection.version, 5);
  assert.is(t.client('a').connection.bridge, false);
});

test('4:MQTT-3.1.2-2 a level with the bridge flag that is no version ganglion speaks (0x86, 0x82) is still refused with 0x01', () => {
  for (const level of ['86', '82']) {
    const t = rig();
    bridged(t, 'a', '10 0D 00 04 4D 51 54 54 ' + level + ' 02 00 00 00 01 61', 4);
    assert.is(toHex(t.sent('a')), '20 02 00 01', level);
    assert.is(t.isOpen('a'), false);
  }
});

test('mosquitto bridge flag: a 3.1.1 bridge\'s own messages are not sent back to it (No Local, as mosquitto gives it)', () => {
  const t = rig();
  bridged(t, 'a', BRIDGE_311, 4);
  t.sent('a');
  t.subscribe('a', 'x/#', 1);
  t.publish('a', 'x/1', 'mine', 0);
  t.connected('other');
  t.publish('other', 'x/2', 'theirs', 0);
  assert.equal(t.received('a'), ['theirs']);
});

test('4:MQTT-3.3.1-9 a plain 3.1.1 client gets its own messages back, with RETAIN 0 (the control for the bridge tests)', () => {
  const t = rig();
  t.connected('a');
  t.subscribe('a', 'x/#', 1);
  t.publish('a', 'x/1', 'mine', 0, 0, true);
  const p = t.packets('a').filter((x) => x.type === PUBLISH) as PublishPacket[];
  assert.equal(p.map((x) => x.retain), [false]);
});

test('mosquitto bridge flag: a 3.1.1 bridge gets a retained message forwarded with RETAIN 1 (Retain As Published)', () => {
  const t = rig();
  bridged(t, 'a', BRIDGE_311, 4);
  t.sent('a');
  t.subscribe('a', 'x/#', 1);
  t.connected('other');
  t.publish('other', 'x/2', 'kept', 0, 0, true);
  const p = t.packets('a').filter((x) => x.type === PUBLISH) as PublishPacket[];
  assert.equal(p.map((x) => [x.topic, x.retain]), [['x/2', true]]);
});

test.run();
