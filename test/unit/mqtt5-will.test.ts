// MQTT 5.0 Will (5.0 §3.1.2.5, §3.1.3.2): the Will Delay Interval keeps the will with the
// session until the delay passes or the session ends, whichever is first [5:MQTT-3.1.2-8];
// a new connection to the session before then cancels it [5:MQTT-3.1.3-9]; will properties
// are forwarded (not the delay); refused wills get CONNACK 0x9B / 0x9A / 0x99.
//
// Frames (hand-derived, 5.0 §3.3): the will "gone" on topic "w" to a QoS 0 5.0 subscriber:
//   30 08 00 01 77 00 67 6F 6E 65

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH } from '../../core/index.js';
import type { Properties, PublishPacket, QoS } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const WILL = '30 08 00 01 77 00 67 6F 6E 65';

function setup(o: { delay?: number; expiry?: number; options?: object; willProps?: Properties; qos?: QoS; retain?: boolean } = {}): Rig {
  const t = rig(o.options ?? {});
  t.connected('s', { version: 5 });
  t.subscribe('s', 'w', 0);
  const willProps: Properties = { ...(o.willProps ?? {}) };
  if (o.delay !== undefined) willProps.willDelayInterval = o.delay;
  t.connected('c', {
    version: 5, properties: o.expiry === undefined ? null : { sessionExpiryInterval: o.expiry },
    will: { topic: 'w', payload: 'gone', qos: o.qos ?? 0, retain: o.retain ?? false, properties: Object.keys(willProps).length ? willProps : null },
  });
  return t;
}

test('5:MQTT-3.1.2-8 · 5:MQTT-3.1.2-7 v5: Will Delay 5 s (session expiry 60 s): nothing at 4.999 s, the will at 5 s (30 08 00 01 77 00 67 6F 6E 65)', () => {
  const t = setup({ delay: 5, expiry: 60 });
  t.drop('c');
  t.advance(4999);
  assert.equal(t.frames('s'), []);
  t.advance(1);
  assert.equal(t.frames('s'), [WILL]);
});

test('5:MQTT-3.1.2-8 v5: the Will Delay Interval itself is not forwarded with the will (no 18 property)', () => {
  const t = setup({ delay: 1, expiry: 60 });
  t.drop('c');
  t.advance(1000);
  const f = t.frames('s');
  assert.equal(f, [WILL]);
});

test('5:MQTT-3.1.3-9 v5: reconnecting (Clean Start 0) before the Will Delay passed cancels the will', () => {
  const t = setup({ delay: 5, expiry: 60 });
  t.drop('c');
  t.advance(3000);
  t.connected('c', { version: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  t.advance(10000);
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.1.3-9 · 5:MQTT-3.1.4-3 v5: a takeover (Clean Start 0) of a connection with a delayed will: the will is never sent', () => {
  const t = setup({ delay: 5, expiry: 60 });
  t.connect('c2', { version: 5, clientId: 'c', clean: false, properties: { sessionExpiryInterval: 60 } });
  t.advance(10000);
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.1.2-8 v5: the session ends (expiry 2 s) before the Will Delay (10 s): the will goes out at 2 s', () => {
  const t = setup({ delay: 10, expiry: 2 });
  t.drop('c');
  t.advance(1999);
  assert.equal(t.frames('s'), []);
  t.advance(1);
  assert.equal(t.frames('s'), [WILL]);
});

test('5:MQTT-3.1.2-8 v5: Session Expiry 0 with Will Delay 10 s: the session ends with the connection, the will goes out at once', () => {
  const t = setup({ delay: 10 });
  t.drop('c');
  assert.equal(t.frames('s'), [WILL]);
});

test('5:MQTT-3.1.2-8 · 5:Part 5 (takeover) v5: a reconnect with Clean Start 1 ends the old session: its delayed will goes out at once', () => {
  const t = setup({ delay: 10, expiry: 60 });
  t.drop('c');
  t.connected('c', { version: 5, clean: true });
  assert.equal(t.frames('s'), [WILL]);
});

test('5:MQTT-3.14.4-3 v5: DISCONNECT 0x04 with Will Delay 5 s: the will goes out after the delay', () => {
  const t = setup({ delay: 5, expiry: 60 });
  t.feed('c', hex('E0 01 04'));
  t.advance(4000);
  assert.equal(t.frames('s'), []);
  t.advance(1000);
  assert.equal(t.frames('s'), [WILL]);
});

test('5:MQTT-3.1.2-10 · 5:MQTT-3.14.4-3 v5: DISCONNECT 0x00 with Will Delay 5 s: no will, ever', () => {
  const t = setup({ delay: 5, expiry: 60 });
  t.feed('c', hex('E0 01 00'));
  t.advance(120000);
  assert.equal(t.frames('s'), []);
});

test('5:MQTT-3.1.3-10 · 5:MQTT-3.3.2-17 v5: the will\'s User Properties keep their order; Content Type and Message Expiry are forwarded', () => {
  const t = setup({ willProps: { contentType: 't', messageExpiryInterval: 30, userProperties: [['z', '1'], ['a', '2'], ['z', '3']] } });
  t.drop('c');
  const p = t.packets('s').filter((x) => x.type === PUBLISH) as PublishPacket[];
  assert.is(p.length, 1);
  assert.equal(p[0].properties?.userProperties, [['z', '1'], ['a', '2'], ['z', '3']]);
  assert.is(p[0].properties?.contentType, 't');
  assert.is(p[0].properties?.messageExpiryInterval, 30);
});

test('5:MQTT-3.3.2-6 v5: a delayed will carries its Message Expiry as set (the delay is not counted as waiting)', () => {
  const t = setup({ delay: 5, expiry: 60, willProps: { messageExpiryInterval: 30 } });
  t.drop('c');
  t.advance(5000);
  // 30 0D, "w", properties 05: 02 00 00 00 1E, "gone"
  assert.equal(t.frames('s'), ['30 0D 00 01 77 05 02 00 00 00 1E 67 6F 6E 65']);
});

test('5:MQTT-3.2.2-12 v5: a will QoS 2 with maximumQoS 1: CONNACK 0x9B (20 03 00 9B 00), then close', () => {
  const t = rig({ maximumQoS: 1 });
  t.connect('c', { version: 5, will: { topic: 'w', payload: 'x', qos: 2, retain: false } });
  assert.is(toHex(t.sent('c')), '20 03 00 9B 00');
  assert.is(t.isOpen('c'), false);
});

test('5:MQTT-3.2.2-12 v5: a will QoS 1 with maximumQoS 1 is accepted', () => {
  const t = rig({ maximumQoS: 1 });
  t.connect('c', { version: 5, will: { topic: 'w', payload: 'x', qos: 1, retain: false } });
  const f = hex(t.frames('c')[0]);
  assert.is(f[3], 0x00);
  assert.ok(t.isOpen('c'));
});

test('5:MQTT-3.2.2-13 v5: a will with Retain 1 while retainAvailable is false: CONNACK 0x9A (20 03 00 9A 00), then close', () => {
  const t = rig({ retainAvailable: false });
  t.connect('c', { version: 5, will: { topic: 'w', payload: 'x', qos: 0, retain: true } });
  assert.is(toHex(t.sent('c')), '20 03 00 9A 00');
  assert.is(t.isOpen('c'), false);
});

test('5:§3.1.3.2 v5: a will with Payload Format Indicator 1 and a payload that is not UTF-8: CONNACK 0x99 (20 03 00 99 00)', () => {
  const t = rig();
  t.open('c', 5);
  // CONNECT "MQTT" 5, flags 06 (will QoS 0, clean start), keep alive 0, no properties, id "c",
  // will properties 02: 01 01 (PFI 1), will topic "w", will payload FF FE
  t.feed('c', hex('10 18 00 04 4D 51 54 54 05 06 00 00 00 00 01 63 02 01 01 00 01 77 00 02 FF FE'));
  assert.is(toHex(t.sent('c')), '20 03 00 99 00');
  assert.is(t.isOpen('c'), false);
});

test('5:§3.1.3.2 v5: a will refused with 0x99 is never published', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'w', 0);
  t.open('c', 5);
  t.feed('c', hex('10 18 00 04 4D 51 54 54 05 06 00 00 00 00 01 63 02 01 01 00 01 77 00 02 FF FE'));
  t.drop('c');
  assert.equal(t.frames('s'), []);
});

test.run();
