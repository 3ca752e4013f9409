// The client role: CONNECT, CONNACK, keep-alive and a hostile server, through bytes and a
// fake clock (test/helpers/client-rig.ts).
//
// Frames (3.1.1 §3.1, §3.2; 5.0 §3.1, §3.2):
//   10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63   CONNECT 3.1.1, Clean Session, Keep Alive 60, client id "c"
//   20 02 00 00 / 20 02 01 00                      CONNACK accepted, Session Present 0 / 1
//   20 03 00 00 00                                 CONNACK 5.0 accepted, no properties
//   C0 00 / D0 00                                  PINGREQ / PINGRESP

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectPacket } from '../../core/index.js';
import { decodeAll } from '../../core/index.js';
import { hex } from '../helpers/hex.js';
import { ClientRig } from '../helpers/client-rig.js';

function connectOf(r: ClientRig): ConnectPacket {
  const d = decodeAll(hex(r.sent()), 0);
  assert.is(d.error, null);
  return d.packets[0] as ConnectPacket;
}

test('4:MQTT-3.1.0-1 the first packet on a new connection is CONNECT (3.1.1, Clean Session, Keep Alive 60)', () => {
  const r = new ClientRig().open();
  assert.is(r.sent(), '10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63');
});

test('5:§3.1.2.11 a 5.0 CONNECT carries our Receive Maximum, Maximum Packet Size, Topic Alias Maximum and Session Expiry', () => {
  const r = new ClientRig({ version: 5, receiveMaximum: 8, maximumPacketSize: 4096, topicAliasMaximum: 4, sessionExpiryInterval: 600, cleanStart: false }).open();
  const p = connectOf(r);
  assert.is(p.protocolVersion, 5);
  assert.is(p.cleanStart, false);
  assert.equal(p.properties, { receiveMaximum: 8, maximumPacketSize: 4096, sessionExpiryInterval: 600, topicAliasMaximum: 4 });
});

test('4:§3.1.3 user name, password and will go in the CONNECT payload', () => {
  const te = new TextEncoder();
  const r = new ClientRig({ username: 'u', password: te.encode('pw'), will: { topic: 'w', payload: te.encode('gone'), qos: 1, retain: true, properties: null } }).open();
  const p = connectOf(r);
  assert.is(p.username, 'u');
  assert.equal(Array.from(p.password as Uint8Array), Array.from(te.encode('pw')));
  assert.is(p.will?.topic, 'w');
  assert.is(p.will?.qos, 1);
});

test('4:MQTT-3.2.0-1 a PUBLISH before CONNACK closes the connection (protocol error)', () => {
  const r = new ClientRig().open();
  r.sent();
  r.feed('30 05 00 01 61 68 69');
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x82 4:MQTT-3.2.0-1');
  assert.is(r.messages.length, 0);
});

test('5:MQTT-3.2.0-2 a second CONNACK is a Protocol Error: DISCONNECT 0x82, then close', () => {
  const r = new ClientRig({ version: 5 }).connected();
  r.feed('20 03 00 00 00');
  assert.is(r.sent(), 'E0 01 82');
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x82 5:MQTT-3.2.0-2');
});

test('4:MQTT-3.2.2-5 a CONNACK refusal (return code 5) ends the connection with that code, and nothing is sent back', () => {
  const r = new ClientRig().open();
  r.sent();
  r.feed('20 02 00 05');
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x5 4:MQTT-3.2.2-5');
  assert.match((r.closes[0] as { message: string }).message, 'not authorized');
  assert.is(r.sent(), '');
  assert.is(r.connects.length, 0);
});

test('5:MQTT-3.2.2-7 a 5.0 CONNACK 0x86 refuses: closed with 0x86 (Bad User Name or Password), no DISCONNECT', () => {
  const r = new ClientRig({ version: 5 }).open();
  r.sent();
  r.feed('20 03 00 86 00');
  assert.is(r.lastError(), '0x86 5:MQTT-3.2.2-7');
  assert.match((r.closes[0] as { message: string }).message, 'Bad User Name or Password');
  assert.is(r.sent(), '');
});

test('5:MQTT-3.2.2-4 Session Present 1 after a Clean Start closes the connection', () => {
  const r = new ClientRig().open();
  r.sent();
  r.feed('20 02 01 00');
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x82 5:MQTT-3.2.2-4');
});

test('4:§3.1.4 no CONNACK within connackTimeoutMs: closed exactly then, not before', () => {
  const r = new ClientRig({ connackTimeoutMs: 5000 }).open();
  r.advance(4999);
  assert.ok(r.isOpen());
  r.advance(1);
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x8d 4:§3.1.4');
});

test('4:MQTT-3.1.2-23 after Keep Alive without a packet sent the client sends PINGREQ, not before', () => {
  const r = new ClientRig({ keepAlive: 10 }).connected();
  r.advance(9999);
  assert.is(r.sent(), '');
  r.advance(1);
  assert.is(r.sent(), 'C0 00');
});

test('4:MQTT-3.1.2-23 a packet sent moves the PINGREQ later', () => {
  const r = new ClientRig({ keepAlive: 10 }).connected();
  r.advance(6000);
  r.feed('30 05 00 01 61 68 69');   // something received ...
  r.publish('t', 'x', 0);           // ... and sent
  r.sent();
  r.advance(9999);
  assert.is(r.sent(), '');
  r.advance(1);
  assert.is(r.sent(), 'C0 00');
});

test('4:§3.1.2.10 no answer to PINGREQ within pingTimeoutMs closes the connection; a PINGRESP keeps it', () => {
  const r = new ClientRig({ keepAlive: 10, pingTimeoutMs: 3000 }).connected();
  r.advance(10000);
  assert.is(r.sent(), 'C0 00');
  r.advance(2000);
  r.feed('D0 00');
  r.advance(7999);                  // 19,999: Keep Alive after the PINGREQ sent at 10,000 not yet over
  assert.ok(r.isOpen());
  assert.is(r.sent(), '');
  r.advance(1);
  assert.is(r.sent(), 'C0 00');
  r.advance(2999);
  assert.ok(r.isOpen());
  r.advance(1);
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x8d 4:§3.1.2.10');
});

test('4:MQTT-3.1.2-23 Keep Alive 0: no PINGREQ and no deadline', () => {
  const r = new ClientRig({ keepAlive: 0 }).connected();
  assert.is(r.client.nextDeadline(), -1);
});

test('5:MQTT-3.2.2-21 the server\'s Server Keep Alive replaces ours', () => {
  const r = new ClientRig({ version: 5, keepAlive: 60 }).connected(false, '03 13 00 05');   // Server Keep Alive 5
  r.advance(5000);
  assert.is(r.sent(), 'C0 00');
});

test('5:§3.2.2.3.7 an Assigned Client Identifier is used on the next connection', () => {
  const r = new ClientRig({ version: 5, clientId: '' }).connected(false, '05 12 00 02 69 64');   // Assigned Client Identifier "id"
  assert.is(r.client.clientId, 'id');
  r.client.closed(r.now);
  r.open();
  assert.is(connectOf(r).clientId, 'id');
});

test('5:§2.1.2 packets only a client sends (SUBSCRIBE, CONNECT, PINGREQ) close the connection with 0x82', () => {
  for (const frame of ['82 06 00 01 00 01 61 00', '10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63', 'C0 00']) {
    const r = new ClientRig().connected();
    r.feed(frame);
    assert.is(r.isOpen(), false, frame);
    assert.is(r.closes[0]?.rc, 0x82, frame);
  }
});

test('5:§3.1.2.11.4 a packet over our Maximum Packet Size closes on its fixed header: DISCONNECT 0x95', () => {
  const r = new ClientRig({ version: 5, maximumPacketSize: 64 }).connected();
  r.feed('30 FF FF 03');   // a PUBLISH announcing 65,535 + bytes
  assert.is(r.sent(), 'E0 01 95');
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x95);
});

test('4:MQTT-2.2.2-2 a malformed packet (reserved type 0) closes the connection (3.1.1: no DISCONNECT)', () => {
  const r = new ClientRig().connected();
  r.feed('00 00');
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x81);
  assert.is(r.sent(), '');
});

test('5:§3.14 a DISCONNECT from the server ends the connection with its reason code; none is sent back', () => {
  const r = new ClientRig({ version: 5 }).connected();
  r.feed('E0 01 8B');
  assert.is(r.isOpen(), false);
  assert.is(r.lastError(), '0x8b 5:§3.14');
  assert.is(r.sent(), '');
});

test('(design) an exception in the application\'s message callback closes the connection (0x83); nothing is thrown', () => {
  const r = new ClientRig({ version: 5 }).connected();
  r.throwOnMessage = true;
  r.feed('30 06 00 01 61 00 68 69');
  assert.is(r.isOpen(), false);
  assert.is(r.closes[0]?.rc, 0x83);
  assert.is(r.client.stats.errors, 1);
  assert.is(r.sent(), 'E0 01 83');
});

test('(design) the server\'s bytes split at every offset give the same result', () => {
  const all = hex('20 02 00 00 32 09 00 03 61 2F 62 00 01 68 69 30 05 00 01 61 68 69');   // CONNACK, QoS 1 PUBLISH, QoS 0 PUBLISH
  for (let cut = 1; cut < all.length; cut++) {
    const r = new ClientRig().open();
    r.sent();
    r.feed(all.subarray(0, cut));
    r.feed(all.subarray(cut));
    assert.is(r.messages.length, 2, 'cut at ' + cut);
    assert.is(r.sent(), '40 02 00 01', 'cut at ' + cut);
  }
});

test('(design) disconnect() sends DISCONNECT and closes; closed(null)', () => {
  const r = new ClientRig().connected();
  r.client.disconnect(0, r.now);
  assert.is(r.sent(), 'E0 00');
  assert.is(r.transport.closed, true);
  assert.equal(r.closes, [null]);
});

test.run();
