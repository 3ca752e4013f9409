// Broker conformance: PUBLISH in both directions, the QoS 1 and QoS 2 handshakes, retained
// messages, authorisation, 5.0 features that are refused today, in-process publish/subscribe,
// $SYS. Expected answers are hand-derived hex (OASIS MQTT 3.1.1 §3.3-3.7, MQTT 5.0 §3.3-3.7).
//
// Frames used below (topic "a/b" = 00 03 61 2F 62, payload "hi" = 68 69):
//   30 07 00 03 61 2F 62 68 69            3.x PUBLISH QoS 0
//   32 09 00 03 61 2F 62 00 01 68 69      3.x PUBLISH QoS 1 id 1 (34 .. for QoS 2; 3A/3C with DUP)
//   30 08 00 03 61 2F 62 00 68 69         5.0 PUBLISH QoS 0 (property length 0)
//   40 02 00 05 / 50 02 00 05 / 70 02 00 05   PUBACK / PUBREC / PUBCOMP id 5 (3.x, 5.0 reason 0x00)
//   40 03 00 05 10                        5.0 PUBACK id 5 reason 0x10 (no matching subscribers)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE } from '../../core/index.js';
import type { Message, PublishPacket, QoS } from '../../core/index.js';
import { hex, toHex, disconnectOf } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

const td = new TextDecoder();
const te = new TextEncoder();

function publishes(t: Rig, name: string): PublishPacket[] {
  return t.packets(name).filter((p) => p.type === PUBLISH) as PublishPacket[];
}

function sub5(t: Rig, name: string, filter: string, qos: QoS, o: { rap?: boolean; rh?: number; packetId?: number } = {}): number[] {
  t.send(name, { type: SUBSCRIBE, packetId: o.packetId ?? 1, properties: null, subscriptions: [{ topicFilter: filter, qos, noLocal: false, retainAsPublished: o.rap ?? false, retainHandling: o.rh ?? 0 }] });
  const all = t.packets(name);
  const i = all.findIndex((p) => p.type === 9);
  const suback = all.splice(i, 1)[0] as { reasonCodes: number[] };
  t.client(name).pending = all;
  return suback.reasonCodes;
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---- acknowledgements to the publisher, bytes ----

for (const version of [3, 4]) {
  test(`4:MQTT-3.3.4-1 v${version}: a QoS 0 PUBLISH gets no answer`, () => {
    const t = rig();
    t.connected('p', { version });
    t.feed('p', hex('30 07 00 03 61 2F 62 68 69'));
    assert.is(toHex(t.sent('p')), '');
    assert.ok(t.isOpen('p'));
  });

  test(`4:MQTT-3.3.4-1 · 4:MQTT-4.3.2-2 · 4:MQTT-2.3.1-6 v${version}: a QoS 1 PUBLISH id 5 gets PUBACK 40 02 00 05`, () => {
    const t = rig();
    t.connected('p', { version });
    t.feed('p', hex('32 09 00 03 61 2F 62 00 05 68 69'));
    assert.is(toHex(t.sent('p')), '40 02 00 05');
  });

  test(`4:MQTT-3.3.4-1 · 4:MQTT-4.3.3-2 v${version}: a QoS 2 PUBLISH id 5 gets PUBREC 50 02 00 05, its PUBREL gets PUBCOMP 70 02 00 05`, () => {
    const t = rig();
    t.connected('p', { version });
    t.feed('p', hex('34 09 00 03 61 2F 62 00 05 68 69'));
    assert.is(toHex(t.sent('p')), '50 02 00 05');
    t.feed('p', hex('62 02 00 05'));
    assert.is(toHex(t.sent('p')), '70 02 00 05');
  });
}

test('5:MQTT-3.3.4-1 · 5:MQTT-3.4.2-1 · 5:MQTT-4.3.2-4 · 5:MQTT-2.2.1-5 v5: a QoS 1 PUBLISH with a subscriber gets PUBACK 40 02 00 05', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 05');
});

test('5:§3.4.2.1 · 5:MQTT-3.4.2-1 v5: a QoS 1 PUBLISH with no subscriber gets PUBACK 0x10 (40 03 00 05 10)', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('32 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '40 03 00 05 10');
});

test('5:MQTT-4.3.3-8 · 5:MQTT-4.3.3-11 v5: a QoS 2 PUBLISH with a subscriber gets PUBREC 50 02 00 05, PUBREL gets PUBCOMP 70 02 00 05', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('p')), '50 02 00 05');
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '70 02 00 05');
});

test('5:§3.7.2.1 v5: PUBREL for an id not awaiting release gets PUBCOMP 0x92 (70 03 00 07 92)', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('62 02 00 07'));
  assert.is(toHex(t.sent('p')), '70 03 00 07 92');
  assert.ok(t.isOpen('p'));
});

test('4:MQTT-4.3.3-2 v4: PUBREL for an unknown id still gets PUBCOMP 70 02 00 07', () => {
  const t = rig();
  t.connected('p');
  t.feed('p', hex('62 02 00 07'));
  assert.is(toHex(t.sent('p')), '70 02 00 07');
  assert.ok(t.isOpen('p'));
});

test('4:MQTT-4.6.0-2 v4: PUBACKs go out in the order the PUBLISHes arrived', () => {
  const t = rig();
  t.connected('p');
  t.feed('p', hex('32 09 00 03 61 2F 62 00 07 68 69 32 09 00 03 61 2F 62 00 03 68 69 32 09 00 03 61 2F 62 00 09 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 07 40 02 00 03 40 02 00 09');
});

// ---- delivery to subscribers ----

for (const version of [3, 4]) {
  test(`4:MQTT-4.3.1-1 · 4:MQTT-3.3.1-2 · 4:MQTT-2.3.1-5 v${version}: a QoS 0 message reaches a QoS 0 subscriber as 30 07 00 03 61 2F 62 68 69`, () => {
    const t = rig();
    t.connected('s', { version });
    t.subscribe('s', 'a/b', 0);
    t.connected('p', { version });
    t.feed('p', hex('30 07 00 03 61 2F 62 68 69'));
    assert.is(toHex(t.sent('s')), '30 07 00 03 61 2F 62 68 69');
  });

  test(`4:MQTT-4.3.2-1 · 4:MQTT-2.3.1-4 v${version}: a QoS 1 message reaches a QoS 1 subscriber with a fresh non-zero id, DUP 0`, () => {
    const t = rig();
    t.connected('s', { version });
    t.subscribe('s', 'a/b', 1);
    t.connected('p', { version });
    t.feed('p', hex('32 09 00 03 61 2F 62 00 05 68 69'));
    assert.is(toHex(t.sent('s')), '32 09 00 03 61 2F 62 00 01 68 69');
  });

  test(`4:MQTT-4.3.3-1 v${version}: outgoing QoS 2: PUBLISH, the client's PUBREC gets PUBREL 62 02 00 01, PUBCOMP ends it`, () => {
    const t = rig();
    t.connected('s', { version });
    t.subscribe('s', 'a/b', 2);
    t.connected('p', { version });
    t.feed('p', hex('34 09 00 03 61 2F 62 00 05 68 69'));
    assert.is(toHex(t.sent('s')), '34 09 00 03 61 2F 62 00 01 68 69');
    t.feed('s', hex('50 02 00 01'));
    assert.is(toHex(t.sent('s')), '62 02 00 01');
    t.feed('s', hex('70 02 00 01'));
    assert.is(toHex(t.sent('s')), '');
    assert.is(t.client('s').connection.session?.inflight.length, 0);
  });
}

test('5:MQTT-4.3.1-1 · 5:MQTT-3.3.1-2 · 5:MQTT-2.2.1-2 v5: a QoS 0 message reaches a 5.0 subscriber as 30 08 00 03 61 2F 62 00 68 69', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 08 00 03 61 2F 62 00 68 69'));
  assert.is(toHex(t.sent('s')), '30 08 00 03 61 2F 62 00 68 69');
});

test('5:MQTT-4.3.3-1 · 5:MQTT-4.3.3-4 v5: outgoing QoS 2 with PUBREC 0x00 gets PUBREL 62 02 00 01', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.feed('p', hex('34 0A 00 03 61 2F 62 00 05 00 68 69'));
  assert.is(toHex(t.sent('s')), '34 0A 00 03 61 2F 62 00 01 00 68 69');
  t.feed('s', hex('50 02 00 01'));
  assert.is(toHex(t.sent('s')), '62 02 00 01');
});

test('5:MQTT-4.4.0-2 v5: a PUBREC >= 0x80 ends the delivery: no PUBREL, the id is free', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 2);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 2, 5);
  t.sent('s');
  t.feed('s', hex('50 03 00 01 80'));
  assert.is(toHex(t.sent('s')), '');
  assert.is(t.client('s').connection.session?.inflight.length, 0);
});

test('5:MQTT-4.4.0-2 v5: a PUBACK >= 0x80 completes the delivery (never retransmitted)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 1, 5);
  t.sent('s');
  t.feed('s', hex('40 03 00 01 80'));
  assert.is(t.client('s').connection.session?.inflight.length, 0);
});

const QOS: QoS[] = [0, 1, 2];
for (const version of [4, 5]) {
  for (const published of QOS) {
    for (const granted of QOS) {
      const expected = Math.min(published, granted);
      test(`4:MQTT-3.8.4-6 · 5:MQTT-3.8.4-8 v${version}: published QoS ${published}, granted QoS ${granted}: delivered at QoS ${expected}`, () => {
        const t = rig();
        t.connected('s', { version });
        assert.equal(t.subscribe('s', 'a/b', granted), [granted]);
        t.connected('p', { version });
        t.publish('p', 'a/b', 'hi', published, published === 0 ? 0 : 9);
        const got = publishes(t, 's');
        assert.is(got.length, 1);
        assert.is(got[0].qos, expected);
        assert.is(got[0].dup, false);
        assert.is(got[0].packetId === 0, expected === 0);
      });
    }
  }
}

test('5:MQTT-3.3.1-3 v5: the incoming DUP flag is not copied to subscribers', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.feed('p', hex('3A 0A 00 03 61 2F 62 00 05 00 68 69'));   // QoS 1, DUP 1
  assert.is(toHex(t.sent('s')), '32 0A 00 03 61 2F 62 00 01 00 68 69');
});

for (const version of [3, 4]) {
  test(`4:MQTT-3.3.1-2 v${version}: a QoS 0 PUBLISH with DUP 1 (38 ..) closes the connection and is not delivered`, () => {
    const t = rig();
    t.connected('s', { version });
    t.subscribe('s', 'a/b', 0);
    t.connected('p', { version });
    t.feed('p', hex('38 07 00 03 61 2F 62 68 69'));   // QoS 0, DUP 1, "a/b", "hi"
    assert.is(toHex(t.sent('p')), '');
    assert.is(t.isOpen('p'), false);
    assert.equal(t.frames('s'), []);
  });
}

test('5:MQTT-3.3.1-2 v5: a QoS 0 PUBLISH with DUP 1 gets DISCONNECT 0x81 (Malformed Packet), then close; not delivered', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('38 08 00 03 61 2F 62 00 68 69'));   // QoS 0, DUP 1, "a/b", no properties, "hi"
  assert.is(disconnectOf(t.sent('p')), 'E0 81 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.frames('s'), []);
});

test('4:MQTT-3.3.1-3 v4: the incoming DUP flag is not copied to subscribers', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 1);
  t.connected('p');
  t.feed('p', hex('3A 09 00 03 61 2F 62 00 05 68 69'));   // QoS 1, DUP 1
  assert.is(toHex(t.sent('s')), '32 09 00 03 61 2F 62 00 01 68 69');
});

test('4:MQTT-4.3.2-2 · 5:MQTT-4.3.2-5 v4: a QoS 1 PUBLISH reusing an id already PUBACKed is a new message (even with DUP 1)', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  t.connected('p');
  t.feed('p', hex('32 09 00 03 61 2F 62 00 05 68 69'));
  t.feed('p', hex('3A 09 00 03 61 2F 62 00 05 68 69'));
  assert.is(toHex(t.sent('p')), '40 02 00 05 40 02 00 05');
  assert.equal(t.received('s'), ['hi', 'hi']);
});

for (const version of [4, 5]) {
  test(`4:MQTT-4.3.3-2 · 5:MQTT-4.3.3-10 v${version}: a repeat QoS 2 PUBLISH before PUBREL gets PUBREC again and is delivered once`, () => {
    const t = rig();
    t.connected('s', { version: 4 });
    t.subscribe('s', 'a/b', 0);
    t.connected('p', { version });
    t.publish('p', 'a/b', 'hi', 2, 5);
    t.publish('p', 'a/b', 'hi', 2, 5);
    t.feed('p', version === 5 ? hex('3C 0A 00 03 61 2F 62 00 05 00 68 69') : hex('3C 09 00 03 61 2F 62 00 05 68 69'));   // DUP 1
    const acks = t.packets('p');
    assert.equal(acks.map((p) => [p.type, (p as { packetId: number }).packetId]), [[PUBREC, 5], [PUBREC, 5], [PUBREC, 5]]);
    assert.equal(t.received('s'), ['hi']);
  });

  test(`4:MQTT-4.3.3-2 · 5:MQTT-4.3.3-12 v${version}: after PUBCOMP the QoS 2 id is free: the same id is a new message`, () => {
    const t = rig();
    t.connected('s', { version: 4 });
    t.subscribe('s', 'a/b', 0);
    t.connected('p', { version });
    t.publish('p', 'a/b', 'one', 2, 5);
    t.send('p', { type: PUBREL, packetId: 5, reasonCode: 0, properties: null });
    t.publish('p', 'a/b', 'two', 2, 5);
    assert.equal(t.received('s'), ['one', 'two']);
    assert.equal(t.packets('p').map((p) => p.type), [PUBREC, PUBCOMP, PUBREC]);
  });
}

test('4:MQTT-2.3.1-4 · 5:MQTT-2.2.1-4 v4: successive QoS 1 deliveries to one client use distinct non-zero ids', () => {
  const t = rig({ maxInflight: 8 });
  t.connected('s');
  t.subscribe('s', 'a/b', 1);
  t.connected('p');
  for (let i = 0; i < 5; i++) t.publish('p', 'a/b', 'm' + i, 1, 1);
  const ids = publishes(t, 's').map((p) => p.packetId);
  assert.is(ids.length, 5);
  assert.ok(ids.every((id) => id > 0));
  assert.is(new Set(ids).size, 5);
});

test('4:§4.3 (each subscriber separate) v4: two subscribers each get their own id space starting at 1', () => {
  const t = rig();
  t.connected('s1');
  t.connected('s2');
  t.subscribe('s1', 'a/b', 1);
  t.subscribe('s2', 'a/b', 1);
  t.subscribe('s2', 'other', 1, 2);
  t.connected('p');
  t.publish('p', 'other', 'x', 1, 3);
  t.publish('p', 'a/b', 'y', 1, 4);
  assert.equal(publishes(t, 's1').map((p) => p.packetId), [1]);
  assert.equal(publishes(t, 's2').map((p) => p.packetId), [1, 2]);
});

test('4:MQTT-4.6.0-6 · 5:MQTT-4.6.0-5 v4: messages of one publisher reach a subscriber in the order published', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/#', 1);
  t.connected('p');
  for (let i = 0; i < 6; i++) t.publish('p', 'a/' + (i % 2), 'm' + i, 1, i + 1);
  assert.equal(t.received('s'), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
});

test('4:MQTT-3.3.2-3 · 5:MQTT-3.3.2-3 v4: the topic sent to a subscriber is the published name, which matches its filter', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/+', 0);
  t.connected('p');
  t.publish('p', 'a/b', 'x');
  const p = publishes(t, 's');
  assert.is(p.length, 1);
  assert.is(p[0].topic, 'a/b');
});

test('5:MQTT-3.3.2-17 · 5:MQTT-3.3.2-4 · 5:MQTT-3.3.2-15 · 5:MQTT-3.3.2-16 v5: properties are forwarded unchanged (user properties in order)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.send('p', {
    type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0, payload: te.encode('hi'),
    properties: {
      payloadFormatIndicator: 1, contentType: 'text/plain', responseTopic: 'r/1', correlationData: hex('01 02'),
      userProperties: [['z', '1'], ['a', '2'], ['z', '3']],
    },
  });
  const p = publishes(t, 's')[0];
  assert.equal(p.properties?.userProperties, [['z', '1'], ['a', '2'], ['z', '3']]);
  assert.is(p.properties?.payloadFormatIndicator, 1);
  assert.is(p.properties?.contentType, 'text/plain');
  assert.is(p.properties?.responseTopic, 'r/1');
  assert.is(toHex(p.properties?.correlationData as Uint8Array), '01 02');
});

test('(mixed versions) a 5.0 message reaches a 3.1.1 subscriber without properties, as a valid 3.1.1 frame', () => {
  const t = rig();
  t.connected('s', { version: 4 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.send('p', { type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0, payload: te.encode('hi'), properties: { contentType: 'x' } });
  assert.is(toHex(t.sent('s')), '30 07 00 03 61 2F 62 68 69');
});

test('5:MQTT-3.1.2-25 v5: a message larger than the subscriber\'s Maximum Packet Size is skipped for it, connection kept', () => {
  const t = rig();
  t.connected('s', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'x'.repeat(40), 1, 1);
  t.publish('p', 'a/b', 'ok', 1, 2);
  assert.equal(t.received('s'), ['ok']);
  assert.ok(t.isOpen('s'));
});

test('(no id) 1.4 PUBACK v5: a PUBACK for an id not in flight is ignored (no answer, connection kept)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('40 03 00 2A 00'));
  assert.is(toHex(t.sent('s')), '');
  assert.ok(t.isOpen('s'));
});

test('(no id) 1.4 PUBACK v4: a PUBACK for an id not in flight is ignored (no answer, connection kept)', () => {
  const t = rig();
  t.connected('s');
  t.feed('s', hex('40 02 00 2A'));
  assert.is(toHex(t.sent('s')), '');
  assert.ok(t.isOpen('s'));
});

test('(no id) 1.7 PUBCOMP v5: a PUBCOMP for an id not in flight is ignored (no answer, connection kept)', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.feed('s', hex('70 02 00 2A'));
  assert.is(toHex(t.sent('s')), '');
  assert.ok(t.isOpen('s'));
});

test('5:MQTT-4.4.0-2 · 5:§3.4.2.1 v5: a short-form PUBACK (remaining length 2) from the client completes the delivery', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 1, 5);
  t.sent('s');
  t.feed('s', hex('40 02 00 01'));
  assert.is(t.client('s').connection.session?.inflight.length, 0);
});

// ---- authorisation ----

test('4:MQTT-3.3.5-2 v4: a PUBLISH refused by authorizePublish is acknowledged (PUBACK 40 02 00 05) and not delivered', () => {
  const t = rig({}, { authorizePublish: () => false });
  t.connected('s');
  t.subscribe('s', 'a/b', 1);
  t.connected('p');
  t.publish('p', 'a/b', 'hi', 1, 5);
  assert.is(toHex(t.sent('p')), '40 02 00 05');
  assert.equal(t.received('s'), []);
  assert.is(t.broker.stats.denied, 1);
});

test('4:MQTT-3.3.5-2 · 5:MQTT-3.4.2-1 v5: a QoS 1 PUBLISH refused by authorizePublish gets PUBACK 0x87 (40 03 00 05 87)', () => {
  const t = rig({}, { authorizePublish: () => false });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 1);
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 1, 5);
  assert.is(toHex(t.sent('p')), '40 03 00 05 87');
  assert.equal(t.received('s'), []);
});

test('5:MQTT-3.5.2-1 · 5:MQTT-4.3.3-9 v5: a QoS 2 PUBLISH refused gets PUBREC 0x87; the id is free again (PUBREL gets 0x92)', () => {
  const t = rig({}, { authorizePublish: () => false });
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 2, 5);
  assert.is(toHex(t.sent('p')), '50 03 00 05 87');
  t.feed('p', hex('62 02 00 05'));
  assert.is(toHex(t.sent('p')), '70 03 00 05 92');
});

test('4:MQTT-3.3.5-2 v4: authorizePublish answering a Promise: later packets wait, order is kept', async () => {
  const t = rig({}, { authorizePublish: (_c, topic) => Promise.resolve(topic !== 'deny') });
  t.connected('s');
  t.subscribe('s', '#', 0);
  t.connected('p');
  t.publish('p', 'deny', 'no', 1, 1);
  t.publish('p', 'a/b', 'yes', 1, 2);
  await flush();
  await flush();
  assert.is(toHex(t.sent('p')), '40 02 00 01 40 02 00 02');
  assert.equal(t.received('s'), ['yes']);
});

test('4:MQTT-3.3.5-2 v4: QoS 0 PUBLISHes in one chunk while authorizePublish answers later arrive whole and in order (one reused QoS 0 packet object)', async () => {
  const t = rig({}, { authorizePublish: () => Promise.resolve(true) });
  t.connected('s');
  t.subscribe('s', 'q/#', 0);
  t.connected('p');
  // 30 07 00 03 'q/N' 'mN': three QoS 0 PUBLISHes, fed as one read.
  const chunk: number[] = [];
  for (let i = 1; i <= 3; i++) chunk.push(0x30, 0x07, 0x00, 0x03, 0x71, 0x2f, 0x30 + i, 0x6d, 0x30 + i);
  t.feed('p', new Uint8Array(chunk));
  for (let i = 0; i < 4; i++) await flush();
  assert.equal(t.frames('s'), ['30 07 00 03 71 2F 31 6D 31', '30 07 00 03 71 2F 32 6D 32', '30 07 00 03 71 2F 33 6D 33']);
});

// ---- refused 5.0 features ----

test('5:§3.3.4 (1) · 5:§3.2.2.3.8 v5: a PUBLISH with a Topic Alias (maximum 0) gets DISCONNECT 0x94, then close', () => {
  const t = rig({ topicAliasMaximum: 0 });
  t.connected('s', { version: 5 });
  t.subscribe('s', 'a/b', 0);
  t.connected('p', { version: 5 });
  t.send('p', { type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0, payload: te.encode('hi'), properties: { topicAlias: 1 } });
  assert.is(disconnectOf(t.sent('p')), 'E0 94 +reason');
  assert.is(t.isOpen('p'), false);
  assert.equal(t.received('s'), []);
});

test('5:MQTT-3.3.4-6 v5: a PUBLISH from a client with a Subscription Identifier gets DISCONNECT 0x82, then close', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  // 32 0C, "a/b", id 1, properties 02: 0B 05 (Subscription Identifier 5), payload "hi"
  t.feed('p', hex('32 0C 00 03 61 2F 62 00 01 02 0B 05 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 82 +reason');
  assert.is(t.isOpen('p'), false);
});

test('5:§3.3.4 v5: more QoS 2 messages awaiting PUBREL than our Receive Maximum gets DISCONNECT 0x93', () => {
  const t = rig({ maxInflightIn: 2 });
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', '1', 2, 1);
  t.publish('p', 'a/b', '2', 2, 2);
  t.sent('p');
  t.publish('p', 'a/b', '3', 2, 3);
  assert.is(disconnectOf(t.sent('p')), 'E0 93 +reason');
  assert.is(t.isOpen('p'), false);
});

// ---- invalid PUBLISH ----

test('5:MQTT-3.3.2-2 · 5:MQTT-4.7.0-1 v5: a Topic Name with a wildcard gets a DISCONNECT >= 0x80, closes, is not routed', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  t.subscribe('s', '#', 0);
  t.connected('p', { version: 5 });
  t.feed('p', hex('30 08 00 03 61 2F 2B 00 68 69'));   // "a/+"
  const out = t.packets('p');
  assert.is(out.length, 1);
  assert.is(out[0].type, 14);
  assert.ok((out[0] as { reasonCode: number }).reasonCode >= 0x80);
  assert.is(t.isOpen('p'), false);
  assert.equal(t.received('s'), []);
});

test('4:MQTT-3.3.2-2 · 4:MQTT-4.7.1-1 v4: a Topic Name with a wildcard closes the connection and is not routed', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', '#', 0);
  t.connected('p');
  t.feed('p', hex('30 07 00 03 61 2F 2B 68 69'));   // "a/+"
  assert.is(t.isOpen('p'), false);
  assert.equal(t.received('s'), []);
});

test('4:MQTT-2.3.1-1 v4: a QoS 1 PUBLISH with packet id 0 closes the connection', () => {
  const t = rig();
  t.connected('p');
  t.feed('p', hex('32 09 00 03 61 2F 62 00 00 68 69'));
  assert.is(t.isOpen('p'), false);
  assert.is(toHex(t.sent('p')), '');
});

test('4:MQTT-3.3.1-4 · 5:MQTT-3.3.1-4 v5: a PUBLISH with QoS 3 gets DISCONNECT 0x81, then close', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.feed('p', hex('36 0A 00 03 61 2F 62 00 01 00 68 69'));
  assert.is(disconnectOf(t.sent('p')), 'E0 81 +reason');
  assert.is(t.isOpen('p'), false);
});

test('4:MQTT-4.8.0-1 · 5:MQTT-4.13.1-1 v4: garbage bytes close only that client; the others carry on', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  t.connected('p');
  t.connected('bad');
  t.feed('bad', hex('00 FF FF FF FF 7F'));
  assert.is(t.isOpen('bad'), false);
  t.publish('p', 'a/b', 'still here');
  assert.equal(t.received('s'), ['still here']);
  assert.ok(t.isOpen('s') && t.isOpen('p'));
});

// ---- retained messages ----

for (const version of [4, 5]) {
  test(`4:MQTT-3.3.1-5 · 4:MQTT-3.3.1-6 · 4:MQTT-3.3.1-8 · 5:MQTT-3.3.1-5 v${version}: a retained message is sent to a new subscriber with RETAIN 1`, () => {
    const t = rig();
    t.connected('p', { version });
    t.publish('p', 'a/b', 'kept', 1, 1, true);
    t.connected('s', { version });
    t.subscribe('s', 'a/b', 1);
    const p = publishes(t, 's');
    assert.is(p.length, 1);
    assert.is(p[0].retain, true);
    assert.is(td.decode(p[0].payload), 'kept');
    assert.is(p[0].qos, 1);
  });
}

test('4:MQTT-3.3.1-8 v4: SUBACK then the retained replay with RETAIN 1: 90 03 00 01 00 31 09 00 03 61 2F 62 6B 65 70 74', () => {
  const t = rig();
  t.connected('p');
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.connected('s');
  t.feed('s', hex('82 08 00 01 00 03 61 2F 62 00'));   // SUBSCRIBE id 1, "a/b" QoS 0
  assert.is(toHex(t.sent('s')), '90 03 00 01 00 31 09 00 03 61 2F 62 6B 65 70 74');
});

test('4:MQTT-3.3.1-5 v4: a second retained message replaces the first', () => {
  const t = rig();
  t.connected('p');
  t.publish('p', 'a/b', 'one', 0, 0, true);
  t.publish('p', 'a/b', 'two', 0, 0, true);
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), ['two']);
});

for (const version of [4, 5]) test(`${version === 4 ? '4:MQTT-3.3.1-10 · 4:MQTT-3.3.1-11' : '5:MQTT-3.3.1-6 · 5:MQTT-3.3.1-7'} v${version}: a retained message with an empty payload is forwarded and deletes the retained one`, () => {
  const t = rig();
  t.connected('p', { version });
  t.connected('live', { version });
  t.subscribe('live', 'a/b', 0);
  t.publish('p', 'a/b', 'one', 0, 0, true);
  t.publish('p', 'a/b', '', 0, 0, true);
  assert.equal(t.received('live'), ['one', '']);
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), []);
  assert.is(t.broker.retained.count, 0);
});

test('4:MQTT-3.3.1-12 · 5:MQTT-3.3.1-8 v4: RETAIN 0 leaves the retained message untouched', () => {
  const t = rig();
  t.connected('p');
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.publish('p', 'a/b', 'live', 0, 0, false);
  t.publish('p', 'a/b', '', 0, 0, false);
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), ['kept']);
});

test('4:MQTT-3.3.1-9 v4: a retained PUBLISH forwarded to an existing subscriber carries RETAIN 0', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  t.connected('p');
  t.publish('p', 'a/b', 'hi', 0, 0, true);
  assert.is(toHex(t.sent('s')), '30 07 00 03 61 2F 62 68 69');
});

test('5:MQTT-3.3.1-12 v5: Retain As Published 0: forwarded with RETAIN 0', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  sub5(t, 's', 'a/b', 0, { rap: false });
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 0, 0, true);
  assert.is(toHex(t.sent('s')), '30 08 00 03 61 2F 62 00 68 69');
});

test('5:MQTT-3.3.1-13 v5: Retain As Published 1: forwarded with the publisher\'s RETAIN 1', () => {
  const t = rig();
  t.connected('s', { version: 5 });
  sub5(t, 's', 'a/b', 0, { rap: true });
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'hi', 0, 0, true);
  assert.is(toHex(t.sent('s')), '31 08 00 03 61 2F 62 00 68 69');
});

test('5:MQTT-3.3.1-9 v5: Retain Handling 0: retained messages sent on every subscribe, re-subscribe included', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.connected('s', { version: 5 });
  sub5(t, 's', 'a/b', 0, { rh: 0 });
  assert.equal(t.received('s'), ['kept']);
  sub5(t, 's', 'a/b', 0, { rh: 0, packetId: 2 });
  assert.equal(t.received('s'), ['kept']);
});

test('5:MQTT-3.3.1-10 v5: Retain Handling 1: retained messages only when the subscription is new', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.connected('s', { version: 5 });
  sub5(t, 's', 'a/b', 0, { rh: 1 });
  assert.equal(t.received('s'), ['kept']);
  sub5(t, 's', 'a/b', 1, { rh: 1, packetId: 2 });
  assert.equal(t.received('s'), []);
});

test('5:MQTT-3.3.1-11 v5: Retain Handling 2: no retained messages at subscribe time', () => {
  const t = rig();
  t.connected('p', { version: 5 });
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.connected('s', { version: 5 });
  sub5(t, 's', 'a/b', 0, { rh: 2 });
  assert.equal(t.received('s'), []);
});

test('5:§3.3.1.3 · 5:MQTT-3.4.2-1 v5: retained store full: a retained QoS 1 PUBLISH gets PUBACK 0x97 (40 03 00 05 97)', () => {
  const t = rig({ maxRetainedCount: 1 });
  t.connected('p', { version: 5 });
  t.publish('p', 'a/1', 'x', 1, 1, true);
  t.sent('p');
  t.publish('p', 'a/2', 'y', 1, 5, true);
  assert.is(toHex(t.sent('p')), '40 03 00 05 97');
  assert.is(t.broker.retained.count, 1);
});

test('4:MQTT-3.1.2-7 v4: retained messages outlive the publisher\'s session', () => {
  const t = rig();
  t.connected('p');
  t.publish('p', 'a/b', 'kept', 0, 0, true);
  t.drop('p');
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), ['kept']);
});

// ---- in-process API ----

test('(design) broker.publish reaches a client subscriber', () => {
  const t = rig();
  t.connected('s');
  t.subscribe('s', 'a/b', 1);
  const n = t.broker.publish('a/b', 'from app', 1, false, t.now);
  assert.is(n, 1);
  const p = publishes(t, 's');
  assert.is(p.length, 1);
  assert.is(td.decode(p[0].payload), 'from app');
  assert.is(p[0].qos, 1);
});

test('(design) broker.subscribe gets messages from clients, and stops after unsubscribe()', () => {
  const t = rig();
  const got: string[] = [];
  const s = t.broker.subscribe('a/+', (m: Message) => { got.push(m.topic + '=' + td.decode(m.payload)); }, t.now);
  t.connected('p');
  t.publish('p', 'a/b', 'one', 1, 1);
  s.unsubscribe();
  t.publish('p', 'a/c', 'two', 1, 2);
  assert.equal(got, ['a/b=one']);
});

test('(design) broker.publish with retain is kept and replayed to a later subscriber', () => {
  const t = rig();
  t.broker.publish('a/b', 'kept', 0, true, t.now);
  t.connected('s');
  t.subscribe('s', 'a/b', 0);
  assert.equal(t.received('s'), ['kept']);
});

// ---- $SYS ----

test('4:§4.7.2 · 4:MQTT-4.7.2-1 (design) $SYS topics reach a $SYS/# subscriber after sysIntervalMs, not a # subscriber', () => {
  const t = rig({ sysIntervalMs: 1000 });
  t.advance(1);   // the first $SYS round may go out at once; start clean after it
  t.connected('sys');
  t.connected('all');
  t.subscribe('sys', '$SYS/#', 0);
  t.subscribe('all', '#', 0);
  t.packets('sys');
  t.advance(1000);
  const topics = publishes(t, 'sys').map((p) => p.topic);
  assert.ok(topics.includes('$SYS/broker/clients/connected'), JSON.stringify(topics));
  assert.ok(topics.every((x) => x.startsWith('$SYS/')));
  assert.equal(publishes(t, 'all'), []);
});

test('(design) $SYS: a new $SYS/# subscriber gets the retained values at once', () => {
  const t = rig({ sysIntervalMs: 1000 });
  t.advance(1000);
  t.connected('sys');
  t.subscribe('sys', '$SYS/broker/uptime', 0);
  const p = publishes(t, 'sys');
  assert.is(p.length, 1);
  assert.is(p[0].retain, true);
});

test('(design) $SYS/broker/clients/auth-failures counts CONNECTs the authenticate hook refused', () => {
  const t = rig({ sysIntervalMs: 1000 }, { authenticate: (_c, u) => u === 'good' });
  t.connect('bad1', { username: 'x', password: 'p' });
  t.connect('bad2', { version: 5, username: 'y', password: 'p' });
  t.connect('ok', { username: 'good', password: 'p' });
  assert.is(t.broker.stats.authFailures, 2);
  t.advance(1000);
  t.connected('sys', { username: 'good' });
  t.subscribe('sys', '$SYS/broker/clients/auth-failures', 0);
  const p = publishes(t, 'sys');
  assert.is(p.length, 1);
  assert.is(new TextDecoder().decode(p[0].payload), '2');
});


test.run();

