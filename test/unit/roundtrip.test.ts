// Round trips through our own codec: encode then decode gives the same packet, however the
// bytes are cut into chunks; payloads are views of the chunk when they can be; and the
// fan-out PublishFrame gives the same bytes as encode().

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder, decodeAll, encode, encodePublishFrame } from '../../core/index.js';
import type { Packet, Properties, PublishPacket } from '../../core/index.js';
import { concat, hex, toHex } from '../helpers/hex.js';
import { prng } from '../helpers/prng.js';

const te = new TextEncoder();
const utf8 = (s: string): Uint8Array => te.encode(s);
const VERSIONS = [3, 4, 5] as const;
const vname = (v: number): string => (v === 3 ? '3.1' : v === 4 ? '3.1.1' : '5.0');

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

// Drops undefined-valued keys so an optional field left undefined equals an absent one.
function clean(x: unknown): unknown {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
  if (Array.isArray(x)) return x.map(clean);
  const out: { [k: string]: unknown } = {};
  for (const k of Object.keys(x as object)) {
    const v = (x as { [k: string]: unknown })[k];
    if (v !== undefined) out[k] = clean(v);
  }
  return out;
}

interface Sample { label: string; version: 3 | 4 | 5; packet: Packet }

// A representative set of packets of every type the version has.
function samples(version: 3 | 4 | 5): Sample[] {
  const v5 = version === 5;
  const props = (p: Properties): Properties | null => (v5 ? p : null);
  const name = version === 3 ? 'MQIsdp' : 'MQTT';
  const s: Array<[string, Packet]> = [
    ['CONNECT minimal', {
      type: 1, protocolName: name, protocolVersion: version, cleanStart: true, keepAlive: 60, properties: null,
      clientId: 'client-1', will: null, username: null, password: null,
    }],
    ['CONNECT with will, user name, password', {
      type: 1, protocolName: name, protocolVersion: version, cleanStart: false, keepAlive: 65535,
      properties: props({ sessionExpiryInterval: 3600, receiveMaximum: 10, userProperties: [['x', '1'], ['x', '2']] }),
      clientId: 'c/ä', will: {
        topic: 'will/topic', payload: bytesOf(40, 3), qos: 2, retain: true,
        properties: props({ willDelayInterval: 5, contentType: 'text/plain', correlationData: bytesOf(4, 9) }),
      },
      username: 'user', password: bytesOf(8, 1),
    }],
    // 3.1 has no Session Present flag: that byte is reserved there.
    ['CONNACK accepted', { type: 2, sessionPresent: version !== 3, reasonCode: 0, properties: null }],
    ['CONNACK refused', {
      type: 2, sessionPresent: false, reasonCode: v5 ? 0x86 : 4,
      properties: props({ reasonString: 'bad credentials', serverReference: 'other' }),
    }],
    ['PUBLISH QoS 0 empty payload', { type: 3, dup: false, qos: 0, retain: false, topic: 'a', packetId: 0, properties: null, payload: new Uint8Array(0) }],
    ['PUBLISH QoS 1', { type: 3, dup: false, qos: 1, retain: true, topic: 'sensors/1/temp', packetId: 1, properties: null, payload: utf8('21.5') }],
    ['PUBLISH QoS 2 DUP, 300-byte payload', {
      type: 3, dup: true, qos: 2, retain: false, topic: '€/𝄞', packetId: 65535,
      properties: props({
        payloadFormatIndicator: 0, messageExpiryInterval: 10, contentType: 'application/octet-stream', responseTopic: 'reply/to',
        correlationData: bytesOf(16, 5), subscriptionIdentifier: [1, 200000], userProperties: [['b', '2'], ['a', '1'], ['b', '3']],
      }),
      payload: bytesOf(300, 7),
    }],
    ['PUBACK', { type: 4, packetId: 7, reasonCode: 0, properties: null }],
    ['PUBREC', { type: 5, packetId: 8, reasonCode: v5 ? 0x10 : 0, properties: null }],
    ['PUBREL', { type: 6, packetId: 9, reasonCode: v5 ? 0x92 : 0, properties: props({ reasonString: 'gone' }) }],
    ['PUBCOMP', { type: 7, packetId: 10, reasonCode: 0, properties: props({ userProperties: [['k', 'v']] }) }],
    ['SUBSCRIBE', {
      type: 8, packetId: 11, properties: props({ subscriptionIdentifier: [268435455], userProperties: [['u', 'p']] }),
      subscriptions: [
        { topicFilter: 'a/+/c', qos: 1, noLocal: v5, retainAsPublished: false, retainHandling: v5 ? 2 : 0 },
        { topicFilter: '#', qos: 2, noLocal: false, retainAsPublished: v5, retainHandling: 0 },
        { topicFilter: 'x', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: v5 ? 1 : 0 },
      ],
    }],
    ['SUBACK', { type: 9, packetId: 11, properties: props({ reasonString: 'partly' }), reasonCodes: [1, 2, 0x80] }],
    ['UNSUBSCRIBE', { type: 10, packetId: 12, properties: props({ userProperties: [['a', 'b']] }), topicFilters: ['a/+/c', '#'] }],
    ['UNSUBACK', { type: 11, packetId: 12, properties: null, reasonCodes: v5 ? [0, 0x11] : [] }],
    ['PINGREQ', { type: 12 }],
    ['PINGRESP', { type: 13 }],
    ['DISCONNECT', { type: 14, reasonCode: 0, properties: null }],
  ];
  if (v5) {
    s.push(
      ['PUBLISH with a topic alias and an empty topic', {
        type: 3, dup: false, qos: 1, retain: false, topic: '', packetId: 2, properties: { topicAlias: 3 }, payload: utf8('x'),
      }],
      ['PUBACK with reason, no properties', { type: 4, packetId: 7, reasonCode: 0x97, properties: null }],
      ['DISCONNECT with reason only', { type: 14, reasonCode: 0x04, properties: null }],
      ['DISCONNECT with properties', {
        type: 14, reasonCode: 0x8b, properties: { sessionExpiryInterval: 0, reasonString: 'shutting down' },
      }],
      ['AUTH short form', { type: 15, reasonCode: 0, properties: null }],
      ['AUTH continue', {
        type: 15, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: bytesOf(32, 2) },
      }],
      ['CONNACK with server limits', {
        type: 2, sessionPresent: false, reasonCode: 0, properties: {
          receiveMaximum: 20, maximumQoS: 1, retainAvailable: 0, maximumPacketSize: 65536, topicAliasMaximum: 10,
          assignedClientIdentifier: 'auto-xyz', wildcardSubscriptionAvailable: 1, subscriptionIdentifiersAvailable: 0,
          sharedSubscriptionAvailable: 1, serverKeepAlive: 120,
        },
      }],
    );
  }
  return s.map(([label, packet]) => ({ label, version, packet }));
}

const ALL: Sample[] = ([] as Sample[]).concat(samples(3), samples(4), samples(5));

function decodeChunks(chunks: Uint8Array[], version: number): { packets: unknown[]; error: unknown } {
  const d = new Decoder({ version });
  const packets: unknown[] = [];
  for (const c of chunks) {
    d.push(c);
    for (let p = d.next(); p !== null; p = d.next()) packets.push(clean(p));
  }
  return { packets, error: d.error };
}

// --- encode, then decode ------------------------------------------------------------------

for (const s of ALL) {
  const expected = clean(s.packet);

  test(`${vname(s.version)} ${s.label}: encode then decode gives the same packet`, () => {
    const bytes = encode(s.packet, s.version);
    const r = decodeAll(bytes, s.version);
    assert.is(r.error, null, r.error ? `${r.error.rule} ${r.error.message}` : '');
    assert.equal(r.packets.map(clean), [expected]);
  });

  test(`${vname(s.version)} ${s.label}: split into two chunks at every byte boundary decodes the same`, () => {
    const bytes = encode(s.packet, s.version);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)], s.version);
      assert.is(r.error, null, `cut at ${cut}`);
      assert.equal(r.packets, [expected], `cut at ${cut} of ${bytes.length}`);
    }
  });

  test(`${vname(s.version)} ${s.label}: fed one byte at a time decodes the same`, () => {
    const bytes = encode(s.packet, s.version);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.slice(i, i + 1));
    const r = decodeChunks(chunks, s.version);
    assert.is(r.error, null);
    assert.equal(r.packets, [expected]);
  });
}

// --- streams of mixed packets -------------------------------------------------------------

function stream(version: 3 | 4 | 5, seed: number): { packets: Packet[]; bytes: Uint8Array } {
  const pool = samples(version).filter((s) => s.packet.type !== 1).map((s) => s.packet);
  const first = samples(version)[1].packet;   // a connection starts with its CONNECT
  const rnd = prng(seed);
  const packets: Packet[] = [first];
  while (packets.length < 50) packets.push(pool[Math.floor(rnd() * pool.length)]);
  return { packets, bytes: concat(packets.map((p) => encode(p, version))) };
}

for (const version of VERSIONS) {
  test(`${vname(version)} 50 mixed packets concatenated in one chunk decode in order`, () => {
    const st = stream(version, 1000 + version);
    const r = decodeChunks([st.bytes], version);
    assert.is(r.error, null);
    assert.equal(r.packets, st.packets.map(clean));
  });

  test(`${vname(version)} 50 mixed packets cut into random chunk sizes decode in order`, () => {
    const st = stream(version, 2000 + version);
    const expected = st.packets.map(clean);
    for (let trial = 0; trial < 25; trial++) {
      const rnd = prng(trial * 7919 + version);
      const maxChunk = [1, 3, 8, 32, 200, 1000][trial % 6];
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < st.bytes.length;) {
        const n = 1 + Math.floor(rnd() * maxChunk);
        chunks.push(st.bytes.slice(at, at + n));   // separate buffers, as a socket delivers them
        at += n;
      }
      const r = decodeChunks(chunks, version);
      assert.is(r.error, null, `trial ${trial}`);
      assert.equal(r.packets, expected, `trial ${trial}, chunks up to ${maxChunk} bytes`);
    }
  });

  test(`${vname(version)} a decoder with version 0 learns the version from CONNECT and decodes the stream`, () => {
    const st = stream(version, 3000 + version);
    const d = new Decoder({ version: 0 });
    d.push(st.bytes);
    const got: unknown[] = [];
    for (let p = d.next(); p !== null; p = d.next()) got.push(clean(p));
    assert.is(d.error, null);
    assert.is(d.version, version);
    assert.equal(got, st.packets.map(clean));
  });
}

// --- zero copy ---------------------------------------------------------------------------

const PINGREQ = hex('C0 00');

test('a PUBLISH inside one chunk has a payload that is a view of the chunk, not a copy', () => {
  const pub: PublishPacket = { type: 3, dup: false, qos: 1, retain: false, topic: 'a/b', packetId: 5, properties: null, payload: bytesOf(100, 1) };
  const enc = encode(pub, 4);
  const chunk = concat([PINGREQ, enc, PINGREQ]);
  const r = decodeAll(chunk, 4);
  assert.is(r.error, null);
  assert.is(r.packets.length, 3);
  const p = r.packets[1] as PublishPacket;
  assert.ok(p.payload.buffer === chunk.buffer, 'payload shares the chunk\'s buffer');
  assert.is(p.payload.byteOffset, chunk.byteOffset + 2 + enc.length - 100);
  assert.is(p.payload.length, 100);
  chunk[chunk.length - 3] ^= 0xff;   // the last payload byte: a view sees the change
  assert.is(p.payload[99], chunk[chunk.length - 3]);
});

test('5.0 a PUBLISH inside one chunk has correlation data that is a view of the chunk', () => {
  const pub: PublishPacket = {
    type: 3, dup: false, qos: 0, retain: false, topic: 't', packetId: 0,
    properties: { correlationData: bytesOf(8, 4) }, payload: utf8('p'),
  };
  const chunk = concat([PINGREQ, encode(pub, 5)]);
  const r = decodeAll(chunk, 5);
  assert.is(r.error, null);
  const p = r.packets[1] as PublishPacket;
  const cd = (p.properties as Properties).correlationData as Uint8Array;
  assert.equal(cd, bytesOf(8, 4));
  assert.ok(cd.buffer === chunk.buffer, 'correlation data shares the chunk\'s buffer');
});

test('a CONNECT inside one chunk has a will payload and password that are views of the chunk', () => {
  const c: Packet = {
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null, clientId: 'c',
    will: { topic: 'w', payload: bytesOf(10, 2), qos: 0, retain: false, properties: null }, username: 'u', password: bytesOf(6, 3),
  };
  const chunk = encode(c, 4);
  const r = decodeAll(chunk, 0);
  assert.is(r.error, null);
  const p = r.packets[0] as typeof c;
  assert.equal(p.will && p.will.payload, bytesOf(10, 2));
  assert.equal(p.password, bytesOf(6, 3));
  assert.ok(p.will !== null && p.will.payload.buffer === chunk.buffer, 'will payload is a view');
  assert.ok(p.password !== null && p.password.buffer === chunk.buffer, 'password is a view');
});

test('a PUBLISH spanning two chunks decodes correctly and its payload is a copy', () => {
  const payload = bytesOf(1000, 9);
  const pub: PublishPacket = { type: 3, dup: false, qos: 2, retain: true, topic: 'x/y', packetId: 77, properties: null, payload };
  const enc = encode(pub, 4);
  assert.is(toHex(enc.subarray(0, 3)), '35 EF 07');   // fixed header: 3 bytes (remaining length 1007)
  // Cut inside the body (topic, packet id, payload): the body spans the chunks.
  for (const cut of [4, 5, 9, 10, 500, enc.length - 1]) {
    const a = enc.slice(0, cut);
    const b = enc.slice(cut);
    const d = new Decoder({ version: 4 });
    d.push(a);
    assert.is(d.next(), null, `nothing before the end, cut at ${cut}`);
    d.push(b);
    const p = d.next() as PublishPacket;
    assert.is(d.error, null);
    assert.ok(p !== null, `decoded, cut at ${cut}`);
    assert.equal(clean(p), clean(pub));
    assert.ok(p.payload.buffer !== a.buffer && p.payload.buffer !== b.buffer, 'payload is not a view of either chunk');
    a.fill(0);
    b.fill(0);
    assert.equal(p.payload, payload, `payload outlives the chunks, cut at ${cut}`);
  }
});

test('a PUBLISH whose fixed header is cut decodes correctly from the second chunk', () => {
  const payload = bytesOf(1000, 9);
  const pub: PublishPacket = { type: 3, dup: false, qos: 2, retain: true, topic: 'x/y', packetId: 77, properties: null, payload };
  const enc = encode(pub, 4);
  for (const cut of [1, 2, 3]) {
    const a = enc.slice(0, cut);
    const d = new Decoder({ version: 4 });
    d.push(a);
    assert.is(d.next(), null);
    d.push(enc.slice(cut));
    const p = d.next() as PublishPacket;
    assert.is(d.error, null);
    assert.equal(clean(p), clean(pub));
    a.fill(0);
    assert.equal(p.payload, payload, `payload does not depend on the first chunk, cut at ${cut}`);
  }
});

// --- PublishFrame ------------------------------------------------------------------------

function framePublish(version: 3 | 4 | 5, qos: 0 | 1 | 2): PublishPacket {
  return {
    type: 3, dup: false, qos, retain: true, topic: 'fan/out', packetId: qos > 0 ? 1 : 0,
    properties: version === 5 ? { messageExpiryInterval: 30, userProperties: [['a', 'b']] } : null,
    payload: bytesOf(200, 11),
  };
}

for (const version of VERSIONS) {
  for (const qos of [1, 2] as const) {
    test(`${vname(version)} QoS ${qos} PublishFrame.withPacketId(id, dup) equals encode with that id and DUP`, () => {
      const p = framePublish(version, qos);
      const f = encodePublishFrame(p, version);
      for (const [id, dup] of [[0x1234, true], [1, false], [65535, true]] as Array<[number, boolean]>) {
        assert.is(toHex(f.withPacketId(id, dup)), toHex(encode({ ...p, packetId: id, dup }, version)), `id ${id} dup ${dup}`);
      }
    });

    test(`${vname(version)} QoS ${qos} PublishFrame head(id, dup) + body equals encode with that id and DUP`, () => {
      const p = framePublish(version, qos);
      const f = encodePublishFrame(p, version);
      for (const [id, dup] of [[0x1234, true], [2, false]] as Array<[number, boolean]>) {
        assert.is(toHex(concat([f.head(id, dup), f.body])), toHex(encode({ ...p, packetId: id, dup }, version)));
      }
      assert.ok(f.body.buffer === f.bytes.buffer, 'body is a view of the frame, never a copy');
    });

    test(`${vname(version)} QoS ${qos} PublishFrame.bytes is unchanged by withPacketId and head`, () => {
      const p = framePublish(version, qos);
      const f = encodePublishFrame(p, version);
      const bytes = f.bytes;
      const before = toHex(bytes);
      f.withPacketId(999, true);
      f.head(1000, true);
      f.withPacketId(3, false);
      assert.ok(f.bytes === bytes, 'same array');
      assert.is(toHex(f.bytes), before);
      assert.is(before, toHex(encode(p, version)));
    });

    test(`${vname(version)} QoS ${qos} PublishFrame of a DUP publish: withPacketId(id, false) clears DUP`, () => {
      const p = { ...framePublish(version, qos), dup: true };
      const f = encodePublishFrame(p, version);
      assert.is(toHex(f.withPacketId(5, false)), toHex(encode({ ...p, packetId: 5, dup: false }, version)));
    });
  }

  test(`${vname(version)} QoS 0 PublishFrame.bytes equals encode`, () => {
    const p = framePublish(version, 0);
    const f = encodePublishFrame(p, version);
    assert.is(toHex(f.bytes), toHex(encode(p, version)));
    assert.is(toHex(concat([f.head(0, false), f.body])), toHex(encode(p, version)));
  });
}

test('Decoder reuseQoS0: every QoS 0 PUBLISH is the same object filled again; QoS 1 and other packets are new; without it, each is new', () => {
  // 30 04 00 01 'a' 'x' | 30 04 00 01 'b' 'y' | 32 06 00 01 'c' 00 07 'z' (QoS 1, id 7)
  const bytes = hex('30 04 00 01 61 78 30 04 00 01 62 79 32 06 00 01 63 00 07 7A');
  const d = new Decoder({ version: 4, reuseQoS0: true });
  d.push(bytes);
  const a = d.next() as PublishPacket;
  assert.equal([a.topic, toHex(a.payload)], ['a', '78']);
  const b = d.next() as PublishPacket;
  assert.ok(a === b, 'the same object');
  assert.equal([b.topic, toHex(b.payload), b.qos, b.packetId, b.retain, b.dup], ['b', '79', 0, 0, false, false]);
  const c = d.next() as PublishPacket;
  assert.ok(c !== b, 'QoS 1: a new object');
  assert.equal([c.topic, c.qos, c.packetId], ['c', 1, 7]);
  const plain = decodeAll(bytes.subarray(0, 12), 4).packets;
  assert.ok(plain[0] !== plain[1], 'without reuseQoS0 every packet is its own');
});

test.run();
