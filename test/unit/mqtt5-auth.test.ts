// MQTT 5.0 enhanced authentication (5.0 §4.12, §3.15, checklist 1.24) through the
// authenticateEnhanced(client, method, data, reauthenticating) hook answering
// { reasonCode: 0x18 | 0x00 | failure, data? }.
//
// Frames (hand-derived, 5.0 §3.15; method "SCRAM" = 53 43 52 41 4D):
//   F0 0E 18 0C 15 00 05 53 43 52 41 4D 16 00 01 62   AUTH 0x18, Authentication Method "SCRAM", Data "b"
//   F0 0E 18 0C 15 00 05 53 43 52 41 4D 16 00 01 63   AUTH 0x18 from the client, Data "c"
//   F0 0A 19 08 15 00 05 53 43 52 41 4D               AUTH 0x19 (re-authenticate) from the client
//   F0 0A 00 08 15 00 05 53 43 52 41 4D               AUTH 0x00 (success) from the server

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuthAnswer, ConnackPacket, Connection } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const te = new TextEncoder();
const td = new TextDecoder();
const METHOD = '15 00 05 53 43 52 41 4D';
const SERVER_CONTINUE_B = 'F0 0E 18 0C ' + METHOD + ' 16 00 01 62';
const CLIENT_CONTINUE_C = 'F0 0E 18 0C ' + METHOD + ' 16 00 01 63';
const CLIENT_REAUTH = 'F0 0A 19 08 ' + METHOD;
const SERVER_SUCCESS = 'F0 0A 00 08 ' + METHOD;

interface Call { method: string; data: string | null; reauth: boolean }

/** A rig whose hook answers from `script` in turn and records each call. */
function authRig(script: AuthAnswer[], options = {}): { t: Rig; calls: Call[] } {
  const calls: Call[] = [];
  const t = rig(options, {
    authenticateEnhanced: (_c: Connection, method: string, data: Uint8Array | null, reauth: boolean) => {
      calls.push({ method, data: data === null ? null : td.decode(data), reauth });
      const a = script.shift();
      if (a === undefined) throw new Error('hook called more often than scripted');
      return a;
    },
  });
  return { t, calls };
}

function connectScram(t: Rig, data: string | null = 'a'): void {
  t.connect('c', { version: 5, properties: data === null ? { authenticationMethod: 'SCRAM' } : { authenticationMethod: 'SCRAM', authenticationData: te.encode(data) } });
}

test('5:MQTT-4.12.0-1 v5: an Authentication Method without an authenticateEnhanced hook: CONNACK 0x8C (20 03 00 8C 00), then close', () => {
  const t = rig();
  connectScram(t);
  assert.is(toHex(t.sent('c')), '20 03 00 8C 00');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-4.12.0-2 · 5:MQTT-4.12.0-5 · 5:MQTT-3.15.2-1 v5: the hook answering 0x18: AUTH 0x18 with the method and its data, no CONNACK yet', () => {
  const { t, calls } = authRig([{ reasonCode: 0x18, data: te.encode('b') }]);
  connectScram(t);
  assert.equal(calls, [{ method: 'SCRAM', data: 'a', reauth: false }]);
  assert.equal(t.frames('c'), [SERVER_CONTINUE_B]);
  assert.ok(t.isOpen('c'));
});

test('5:§4.12 · 5:MQTT-4.12.0-5 v5: the client\'s AUTH 0x18 reaches the hook; its 0x00 ends the exchange with CONNACK 0x00 carrying the method', () => {
  const { t, calls } = authRig([{ reasonCode: 0x18, data: te.encode('b') }, { reasonCode: 0x00 }]);
  connectScram(t);
  t.sent('c');
  t.feed('c', hex(CLIENT_CONTINUE_C));
  assert.equal(calls[1], { method: 'SCRAM', data: 'c', reauth: false });
  const p = t.packets('c')[0] as ConnackPacket;
  assert.is(p.type, 2);
  assert.is(p.reasonCode, 0);
  assert.is(p.properties?.authenticationMethod, 'SCRAM');
});

test('5:§4.12 v5: success with final data: CONNACK carries Authentication Data (16 00 01 64)', () => {
  const { t } = authRig([{ reasonCode: 0x00, data: te.encode('d') }]);
  connectScram(t);
  const frame = toHex(t.sent('c'));
  assert.ok(frame.startsWith('20 '), frame);
  assert.ok(frame.includes(METHOD + ' 16 00 01 64'), frame);
});

test('5:§4.12 v5: a CONNECT with a method and no data calls the hook with data null; 0x00 at once gives CONNACK 0x00', () => {
  const { t, calls } = authRig([{ reasonCode: 0x00 }]);
  connectScram(t, null);
  assert.equal(calls, [{ method: 'SCRAM', data: null, reauth: false }]);
  const p = t.packets('c')[0] as ConnackPacket;
  assert.is(p.reasonCode, 0);
});

test('5:MQTT-4.12.0-4 v5: the hook answering 0x87: CONNACK 0x87 (20 03 00 87 00), then close', () => {
  const { t } = authRig([{ reasonCode: 0x87 }]);
  connectScram(t);
  assert.is(toHex(t.sent('c')), '20 03 00 87 00');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-4.12.0-4 v5: failing after a continue step: CONNACK 0x8C (20 03 00 8C 00), then close', () => {
  const { t } = authRig([{ reasonCode: 0x18, data: te.encode('b') }, { reasonCode: 0x8c }]);
  connectScram(t);
  t.sent('c');
  t.feed('c', hex(CLIENT_CONTINUE_C));
  assert.is(toHex(t.sent('c')), '20 03 00 8C 00');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-4.12.0-4 v5: an asynchronous hook (Promise of 0x00) sends CONNACK 0x00 once it resolves', async () => {
  let resolve: (a: AuthAnswer) => void = () => {};
  const t = rig({}, { authenticateEnhanced: () => new Promise<AuthAnswer>((r) => { resolve = r; }) });
  connectScram(t);
  assert.is(toHex(t.sent('c')), '');
  resolve({ reasonCode: 0 });
  await new Promise((r) => setImmediate(r));
  const p = t.packets('c')[0] as ConnackPacket;
  assert.is(p.reasonCode, 0);
  assert.is(p.properties?.authenticationMethod, 'SCRAM');
});

test('5:MQTT-4.12.0-3 · 5:MQTT-3.1.4-6 v5: a PUBLISH during the exchange is a Protocol Error: closed, no CONNACK 0x00, not routed', () => {
  const { t } = authRig([{ reasonCode: 0x18, data: te.encode('b') }]);
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  connectScram(t);
  t.sent('c');
  t.feed('c', hex('30 08 00 03 61 2F 62 00 68 69'));
  const after = t.sent('c');
  assert.ok(after.length === 0 || (after[0] === 0x20 && after[3] >= 0x80), 'no CONNACK success, no DISCONNECT: ' + toHex(after));
  assert.is(t.isOpen('c'), false);
  assert.equal(t.frames('s'), []);
});

test('5:§3.15 · 5:MQTT-4.12.0-5 v5: an AUTH with another method during the exchange: closed, no CONNACK 0x00', () => {
  const { t } = authRig([{ reasonCode: 0x18, data: te.encode('b') }]);
  connectScram(t);
  t.sent('c');
  t.feed('c', hex('F0 06 18 04 15 00 01 58'));   // AUTH 0x18, method "X"
  const after = t.sent('c');
  assert.ok(after.length === 0 || (after[0] === 0x20 && after[3] >= 0x80), toHex(after));
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-4.12.0-6 v5: a CONNECT without an Authentication Method: the hook is never called, no AUTH, no method in CONNACK', () => {
  const { t, calls } = authRig([]);
  t.connect('c', { version: 5 });
  const frames = t.frames('c');
  assert.is(frames.length, 1);
  assert.not.ok(frames[0].includes(METHOD));
  assert.equal(calls, []);
  const p = hex(frames[0]);
  assert.is(p[0], 0x20);
});

// ---- re-authentication ----

function authenticated(script: AuthAnswer[]): { t: Rig; calls: Call[] } {
  const r = authRig([{ reasonCode: 0x00 }, ...script]);
  connectScram(r.t);
  const p = r.t.packets('c')[0] as ConnackPacket;
  assert.is(p.reasonCode, 0);
  return r;
}

test('5:MQTT-4.12.1-1 v5: re-authentication: AUTH 0x19 reaches the hook (reauthenticating true), its 0x00 is answered AUTH 0x00 with the method', () => {
  const { t, calls } = authenticated([{ reasonCode: 0x00 }]);
  t.feed('c', hex(CLIENT_REAUTH));
  assert.equal(calls[1], { method: 'SCRAM', data: null, reauth: true });
  assert.equal(t.frames('c'), [SERVER_SUCCESS]);
  assert.ok(t.isOpen('c'));
});

test('5:MQTT-4.12.1-1 v5: a re-authentication in two steps: AUTH 0x18 out, the client\'s AUTH 0x18 in, AUTH 0x00 out', () => {
  const { t, calls } = authenticated([{ reasonCode: 0x18, data: te.encode('b') }, { reasonCode: 0x00 }]);
  t.feed('c', hex(CLIENT_REAUTH));
  assert.equal(t.frames('c'), [SERVER_CONTINUE_B]);
  t.feed('c', hex(CLIENT_CONTINUE_C));
  assert.equal(calls[2], { method: 'SCRAM', data: 'c', reauth: true });
  assert.equal(t.frames('c'), [SERVER_SUCCESS]);
});

test('5:MQTT-4.12.1-1 v5: other traffic carries on during a re-authentication (a QoS 1 PUBLISH gets its PUBACK)', () => {
  const { t } = authenticated([{ reasonCode: 0x18, data: te.encode('b') }, { reasonCode: 0x00 }]);
  t.feed('c', hex(CLIENT_REAUTH));
  t.sent('c');
  t.feed('c', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.equal(t.frames('c'), ['40 03 00 05 10']);
  t.feed('c', hex(CLIENT_CONTINUE_C));
  assert.equal(t.frames('c'), [SERVER_SUCCESS]);
});

test('5:MQTT-4.12.1-2 v5: a failed re-authentication (hook 0x87): DISCONNECT 0x87, then close', () => {
  const { t } = authenticated([{ reasonCode: 0x87 }]);
  t.feed('c', hex(CLIENT_REAUTH));
  assert.is(disconnectOf(t.sent('c')), 'E0 87 +reason');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-4.12.1-1 · 5:§3.15 v5: re-authentication with another method ("X"): DISCONNECT 0x82, then close', () => {
  const { t } = authenticated([]);
  t.feed('c', hex('F0 06 19 04 15 00 01 58'));
  assert.is(disconnectOf(t.sent('c')), 'E0 82 +reason');
  assert.is(t.isOpen('c'), false);
});

test('5:§3.15.2.2.2 v5: an AUTH 0x19 without an Authentication Method after an enhanced CONNECT: DISCONNECT 0x82', () => {
  const { t } = authenticated([]);
  t.feed('c', hex('F0 02 19 00'));
  const d = t.sent('c');
  assert.is(d[0], 0xe0);
  assert.ok(d[2] === 0x82 || d[2] === 0x81, 'Protocol Error (or Malformed): ' + toHex(d));
  assert.is(t.isOpen('c'), false);
});

test.run();
