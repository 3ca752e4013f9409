// The decoder's malformed-input corpus: every decoding error path of MQTT 3.1, 3.1.1 and
// 5.0, each a hand-written byte vector with the fields named in a comment, fed three ways
// (one chunk, one byte per chunk, decodeAll) and checked for the CodecError's reason code
// (0x81 malformed, 0x82 protocol error, 0x84 unsupported protocol version, 0x90 topic name
// invalid, 0x95 packet too large) and for no packet being returned for the bad one.
// Tests are named by conformance statement: `4:` = MQTT 3.1.1 id, `5:` = MQTT 5.0 id
// (spec-checklist.md, Part 1 sections 1.0-1.15 and 1.19, Part 4 for MQTT 3.1).
//
// Expected codes come from the specifications: MP (Malformed Packet) = 0x81, PE (Protocol
// Error) = 0x82. Where the specifications leave the choice open (e.g. which code a
// reserved packet type gets) the test accepts each defensible code and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder, decodeAll } from '../../core/index.js';
import type { Packet, CodecError, ConnectPacket, PublishPacket, AckPacket, SubscribePacket,
  UnsubscribePacket, AuthPacket, DisconnectPacket } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';

const MAX = 65536;
const MP = 0x81;            // Malformed Packet
const PE = 0x82;            // Protocol Error
const BAD_VERSION = 0x84;   // Unsupported Protocol Version
const BAD_TOPIC = 0x90;     // Topic Name invalid
const TOO_LARGE = 0x95;     // Packet too large

type Rc = number | readonly number[];

interface Outcome { packets: Packet[]; error: CodecError | null }

// ---------------------------------------------------------------------------------------
// Vectors

// One whole packet in hex; checks (when the module loads) that the remaining length written
// in the vector equals the number of bytes after the fixed header, so a slip in a
// hand-computed length fails loudly instead of testing something else.
function pkt(s: string): Uint8Array {
  const b = hex(s);
  let i = 1;
  let mult = 1;
  let len = 0;
  for (;;) {
    if (i >= b.length || i > 4) throw new Error('test vector with a broken fixed header: ' + s);
    const byte = b[i++];
    len += (byte & 0x7f) * mult;
    mult *= 128;
    if ((byte & 0x80) === 0) break;
  }
  if (b.length - i !== len) {
    throw new Error(`test vector ${s}: remaining length ${len} but ${b.length - i} bytes follow`);
  }
  return b;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---------------------------------------------------------------------------------------
// Three ways to feed the same bytes. A decoder that loops for ever is caught by the bound.

function drain(d: Decoder, packets: Packet[], bound: number): void {
  for (let p = d.next(); p !== null; p = d.next()) {
    packets.push(p);
    if (packets.length > bound) throw new Error('next() keeps returning packets');
  }
}

function whole(bytes: Uint8Array, version: number, max: number): Outcome {
  const d = new Decoder({ maxPacketSize: max, version: version });
  const packets: Packet[] = [];
  d.push(bytes);
  drain(d, packets, bytes.length);
  return { packets: packets, error: d.error };
}

function bytewise(bytes: Uint8Array, version: number, max: number): Outcome {
  const d = new Decoder({ maxPacketSize: max, version: version });
  const packets: Packet[] = [];
  for (let i = 0; i < bytes.length; i++) {
    d.push(bytes.slice(i, i + 1));   // a fresh buffer per byte: nothing may rely on contiguity
    drain(d, packets, bytes.length);
  }
  return { packets: packets, error: d.error };
}

function all(bytes: Uint8Array, version: number, max: number): Outcome {
  const r = decodeAll(bytes, version, max);
  return { packets: r.packets, error: r.error };
}

const ROUTES: Array<[string, (b: Uint8Array, v: number, m: number) => Outcome]> = [
  ['one chunk', whole], ['byte by byte', bytewise], ['decodeAll', all],
];

function rcText(rc: Rc): string {
  return typeof rc === 'number' ? '0x' + rc.toString(16) : rc.map((c) => '0x' + c.toString(16)).join(' or ');
}

function rcOk(got: number, want: Rc): boolean {
  return typeof want === 'number' ? got === want : want.indexOf(got) >= 0;
}

interface RejectOpts { max?: number; before?: number }

// The bytes must end in an error with the given code; `before` packets (default 0) that
// precede the bad one are still returned, and nothing after them.
function rejects(bytes: Uint8Array, version: number, rc: Rc, opts: RejectOpts = {}): void {
  const max = opts.max ?? MAX;
  const before = opts.before ?? 0;
  for (const [route, run] of ROUTES) {
    const where = `[${route}, version ${version}, maxPacketSize ${max}] ${toHex(bytes)}`;
    let o: Outcome;
    try {
      o = run(bytes, version, max);
    } catch (e) {
      assert.unreachable(`${where}: the decoder threw ${String(e)}`);
      return;
    }
    assert.ok(o.error !== null,
      `${where}: expected error ${rcText(rc)}, got none (packets: ${o.packets.map((p) => p.type).join(',')})`);
    const err = o.error as CodecError;
    assert.ok(rcOk(err.rc, rc), `${where}: expected rc ${rcText(rc)}, got 0x${err.rc.toString(16)} (${err.rule}: ${err.message})`);
    assert.type(err.rule, 'string', `${where}: rule`);
    assert.ok(err.rule.length > 0, `${where}: empty rule`);
    assert.is(o.packets.length, before, `${where}: packets returned`);
  }
}

// The bytes must decode without error into `count` packets (default 1); `check` inspects
// the packets of each route.
function accepts(bytes: Uint8Array, version: number, check?: (packets: Packet[]) => void,
  count = 1, max = MAX): void {
  for (const [route, run] of ROUTES) {
    const where = `[${route}, version ${version}] ${toHex(bytes)}`;
    const o = run(bytes, version, max);
    assert.ok(o.error === null,
      `${where}: unexpected error ${o.error ? '0x' + o.error.rc.toString(16) + ' ' + o.error.rule + ': ' + o.error.message : ''}`);
    assert.is(o.packets.length, count, `${where}: packet count`);
    if (check) check(o.packets);
  }
}

// ---------------------------------------------------------------------------------------
// Harness sanity: a partial packet is neither a packet nor an error.

test('harness: half a PUBLISH gives no packet and no error; the rest completes it', () => {
  // PUBLISH v4 QoS 0 | rl 7 | topic "a/b" | payload "hi"
  const b = pkt('30 07 00 03 61 2f 62 68 69');
  const d = new Decoder({ maxPacketSize: MAX, version: 4 });
  d.push(b.slice(0, 4));
  assert.is(d.next(), null);
  assert.is(d.error, null);
  d.push(b.slice(4));
  const p = d.next() as PublishPacket;
  assert.ok(p !== null);
  assert.is(p.type, 3);
  assert.is(p.topic, 'a/b');
  assert.equal(Array.from(p.payload), [0x68, 0x69]);
  assert.is(d.next(), null);
  assert.is(d.error, null);
});

// =======================================================================================
// 1.0 Fixed header: packet types, flags, remaining length

test('4:MQTT-2.2.2-2 · 5:§2.1.3 reserved packet type 0 is rejected (all versions)', () => {
  // type 0 flags 0 | rl 0
  // type 0 flags 0 | rl 2 | two bytes that would be a packet id
  // The specifications name no code for a reserved type: malformed (0x81) or protocol error (0x82).
  for (const v of [0, 3, 4, 5]) {
    rejects(pkt('00 00'), v, [MP, PE]);
    rejects(pkt('00 02 00 01'), v, [MP, PE]);
  }
});

test('4:MQTT-2.2.2-2 reserved packet type 15 is rejected in 3.1.1 and 3.1 (AUTH exists only in 5.0)', () => {
  // type 15 flags 0 | rl 0
  rejects(pkt('f0 00'), 3, [MP, PE]);
  rejects(pkt('f0 00'), 4, [MP, PE]);
  // AUTH as 5.0 writes it: type 15 | rl 10 | reason 0x18 continue | props len 8 |
  //   0x15 authenticationMethod "SCRAM"
  const auth = pkt('f0 0a 18 08 15 00 05 53 43 52 41 4d');
  rejects(auth, 3, [MP, PE]);
  rejects(auth, 4, [MP, PE]);
  // ...and the same bytes are a valid AUTH in 5.0 (positive control).
  accepts(auth, 5, (ps) => {
    const p = ps[0] as AuthPacket;
    assert.is(p.type, 15);
    assert.is(p.reasonCode, 0x18);
    assert.is(p.properties?.authenticationMethod, 'SCRAM');
  });
});

// Valid packets of every non-PUBLISH type, with the flags the type table prescribes. The
// flag tests below change only the low nibble of the first byte.
interface Shape { type: number; name: string; flags: number; v4: string; v5: string; ids: string }
const SHAPES: Shape[] = [
  // CONNECT is checked with a version-0 decoder (first packet of a connection).
  //   v4: rl 13 | "MQTT" | level 4 | flags 02 clean | keep alive 60 | client id "a"
  //   v5: rl 14 | "MQTT" | level 5 | flags 02 clean | keep alive 60 | props len 0 | client id "a"
  { type: 1, name: 'CONNECT', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1',
    v4: '10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61',
    v5: '10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 61' },
  //   v4: rl 2 | ack flags 0 | return code 0      v5: rl 3 | ack flags 0 | reason 0 | props len 0
  { type: 2, name: 'CONNACK', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1',
    v4: '20 02 00 00', v5: '20 03 00 00 00' },
  //   rl 2 | packet id 7 (5.0 short form: reason 0x00, no properties)
  { type: 4, name: 'PUBACK', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: '40 02 00 07', v5: '40 02 00 07' },
  { type: 5, name: 'PUBREC', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: '50 02 00 07', v5: '50 02 00 07' },
  { type: 6, name: 'PUBREL', flags: 2, ids: '4:MQTT-3.6.1-1 · 5:MQTT-3.6.1-1', v4: '62 02 00 07', v5: '62 02 00 07' },
  { type: 7, name: 'PUBCOMP', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: '70 02 00 07', v5: '70 02 00 07' },
  //   v4: rl 6 | packet id 7 | filter "a" | QoS 1     v5: rl 7 | packet id 7 | props len 0 | filter "a" | options 01
  { type: 8, name: 'SUBSCRIBE', flags: 2, ids: '4:MQTT-3.8.1-1 · 5:MQTT-3.8.1-1',
    v4: '82 06 00 07 00 01 61 01', v5: '82 07 00 07 00 00 01 61 01' },
  //   v4: rl 3 | packet id 7 | granted QoS 1          v5: rl 4 | packet id 7 | props len 0 | reason 01
  { type: 9, name: 'SUBACK', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: '90 03 00 07 01', v5: '90 04 00 07 00 01' },
  //   v4: rl 5 | packet id 7 | filter "a"             v5: rl 6 | packet id 7 | props len 0 | filter "a"
  { type: 10, name: 'UNSUBSCRIBE', flags: 2, ids: '4:MQTT-3.10.1-1 · 5:MQTT-3.10.1-1',
    v4: 'a2 05 00 07 00 01 61', v5: 'a2 06 00 07 00 00 01 61' },
  //   v4: rl 2 | packet id 7                          v5: rl 4 | packet id 7 | props len 0 | reason 00
  { type: 11, name: 'UNSUBACK', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: 'b0 02 00 07', v5: 'b0 04 00 07 00 00' },
  //   rl 0
  { type: 12, name: 'PINGREQ', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: 'c0 00', v5: 'c0 00' },
  { type: 13, name: 'PINGRESP', flags: 0, ids: '4:MQTT-2.2.2-2 · 5:MQTT-2.1.3-1', v4: 'd0 00', v5: 'd0 00' },
  //   rl 0 (5.0: reason 0x00, no properties)
  { type: 14, name: 'DISCONNECT', flags: 0, ids: '4:MQTT-3.14.1-1 · 5:MQTT-3.14.1-1', v4: 'e0 00', v5: 'e0 00' },
  //   5.0 only: rl 10 | reason 0x18 | props len 8 | authenticationMethod "SCRAM"
  { type: 15, name: 'AUTH', flags: 0, ids: '5:MQTT-3.15.1-1', v4: '', v5: 'f0 0a 18 08 15 00 05 53 43 52 41 4d' },
];

function flagBits(f: number): string { return ('000' + f.toString(2)).slice(-4); }

for (const s of SHAPES) {
  for (const version of [4, 5]) {
    const src = version === 4 ? s.v4 : s.v5;
    if (src === '') continue;
    const decoderVersion = s.type === 1 ? 0 : version;
    const good = pkt(src);
    test(`${s.ids} valid ${s.name} with flags ${flagBits(s.flags)} decodes (v${version}, positive control)`, () => {
      accepts(good, decoderVersion, (ps) => assert.is(ps[0].type, s.type));
    });
    test(`${s.ids} ${s.name} with any flags other than ${flagBits(s.flags)} is malformed (v${version})`, () => {
      for (let f = 0; f < 16; f++) {
        if (f === s.flags) continue;
        const bad = good.slice();
        bad[0] = (s.type << 4) | f;
        rejects(bad, decoderVersion, MP);
      }
    });
  }
}

test('4:MQTT-2.2.2-2 PUBREL with flags 0000 is malformed', () => {
  // PUBREL flags 0000 | rl 2 | packet id 7
  rejects(pkt('60 02 00 07'), 4, MP);
  rejects(pkt('60 02 00 07'), 5, MP);
});

test('4:MQTT-2.2.2-2 PUBREL / SUBSCRIBE / UNSUBSCRIBE with DUP set (1010) are malformed in 3.1.1 and 5.0', () => {
  for (const v of [4, 5]) {
    // PUBREL flags 1010 | rl 2 | packet id 7
    rejects(pkt('6a 02 00 07'), v, MP);
  }
  // SUBSCRIBE flags 1010 | rl 6 | packet id 7 | filter "a" | QoS 1
  rejects(pkt('8a 06 00 07 00 01 61 01'), 4, MP);
  // UNSUBSCRIBE flags 1010 | rl 5 | packet id 7 | filter "a"
  rejects(pkt('aa 05 00 07 00 01 61'), 4, MP);
  // v5 forms
  rejects(pkt('8a 07 00 07 00 00 01 61 01'), 5, MP);
  rejects(pkt('aa 06 00 07 00 00 01 61'), 5, MP);
});

test('3.1 (Part 4) PUBREL 0x6A, SUBSCRIBE 0x8A, UNSUBSCRIBE 0xAA with DUP set are accepted', () => {
  // PUBREL flags 1010 (DUP, QoS 1) | rl 2 | packet id 7
  accepts(pkt('6a 02 00 07'), 3, (ps) => {
    assert.is(ps[0].type, 6);
    assert.is((ps[0] as AckPacket).packetId, 7);
  });
  // SUBSCRIBE flags 1010 | rl 6 | packet id 7 | filter "a" | QoS 1
  accepts(pkt('8a 06 00 07 00 01 61 01'), 3, (ps) => {
    const p = ps[0] as SubscribePacket;
    assert.is(p.type, 8);
    assert.is(p.packetId, 7);
    assert.is(p.subscriptions.length, 1);
    assert.is(p.subscriptions[0].topicFilter, 'a');
    assert.is(p.subscriptions[0].qos, 1);
  });
  // UNSUBSCRIBE flags 1010 | rl 5 | packet id 7 | filter "a"
  accepts(pkt('aa 05 00 07 00 01 61'), 3, (ps) => {
    const p = ps[0] as UnsubscribePacket;
    assert.is(p.type, 10);
    assert.is(p.packetId, 7);
    assert.equal(p.topicFilters, ['a']);
  });
  // and the 3.1.1 form (0010) is of course accepted from 3.1 clients too
  accepts(pkt('62 02 00 07'), 3, (ps) => assert.is(ps[0].type, 6));
});

test('4:MQTT-3.3.1-4 · 5:MQTT-3.3.1-4 PUBLISH with QoS 3 is malformed', () => {
  for (const v of [3, 4]) {
    // PUBLISH flags 0110 (QoS 3) | rl 9 | topic "a/b" | packet id 1 | payload "hi"
    rejects(pkt('36 09 00 03 61 2f 62 00 01 68 69'), v, MP);
    // PUBLISH flags 1111 (DUP, QoS 3, RETAIN) | same body
    rejects(pkt('3f 09 00 03 61 2f 62 00 01 68 69'), v, MP);
  }
  // 5.0: PUBLISH flags 0110 | rl 10 | topic "a/b" | packet id 1 | props len 0 | payload "hi"
  rejects(pkt('36 0a 00 03 61 2f 62 00 01 00 68 69'), 5, MP);
  // PUBLISH flags 1110 (DUP, QoS 3) | same body
  rejects(pkt('3e 0a 00 03 61 2f 62 00 01 00 68 69'), 5, MP);
});

test('5:MQTT-1.5.5-1 · 4:§2.2.3 remaining length with a fifth byte is malformed', () => {
  // PUBLISH | remaining length 80 80 80 80 01: four bytes with the continuation bit, a fifth
  // byte. The value so far is 0, so no size limit can fire first.
  for (const v of [3, 4, 5]) {
    rejects(hex('30 80 80 80 80 01'), v, MP);
    rejects(hex('30 80 80 80 80 01'), v, MP, { max: 268435455 });
  }
  // the same as the first packet of a connection (CONNECT, version not yet known)
  rejects(hex('10 80 80 80 80 01'), 0, MP);
  // PINGREQ with the same length field
  rejects(hex('c0 80 80 80 80 01'), 4, MP);
});

test('5:MQTT-1.5.5-1 overlong (non-minimal) remaining length: no crash; decodes correctly or is malformed', () => {
  // 5.0 MQTT-1.5.5-1 binds the sender (fewest bytes); neither spec tells the receiver to reject
  // a longer encoding, and API.md does not say which the decoder does. Accept either outcome:
  // the packet decoded with the right fields, or 0x81 with nothing returned.
  const cases: Array<[Uint8Array, number, (p: Packet) => void]> = [
    // PINGREQ | remaining length 0 written as 80 00
    [hex('c0 80 00'), 4, (p) => assert.is(p.type, 12)],
    // PUBLISH QoS 0 | remaining length 7 written as 87 00 | topic "a/b" | payload "hi"
    [hex('30 87 00 00 03 61 2f 62 68 69'), 4, (p) => {
      const q = p as PublishPacket;
      assert.is(q.type, 3);
      assert.is(q.topic, 'a/b');
      assert.equal(Array.from(q.payload), [0x68, 0x69]);
    }],
    // PUBACK | remaining length 2 written as 82 80 00 | packet id 7
    [hex('40 82 80 00 00 07'), 4, (p) => assert.is((p as AckPacket).packetId, 7)],
  ];
  for (const [bytes, v, check] of cases) {
    for (const [route, run] of ROUTES) {
      const o = run(bytes, v, MAX);
      if (o.error === null) {
        assert.is(o.packets.length, 1, `${route} ${toHex(bytes)}`);
        check(o.packets[0]);
      } else {
        assert.is(o.error.rc, MP, `${route} ${toHex(bytes)}`);
        assert.is(o.packets.length, 0, `${route} ${toHex(bytes)}`);
      }
    }
  }
});

// =======================================================================================
// Maximum packet size (5:§3.2.2.3.6, 5:§3.1.2.11.4: the size is the whole packet, fixed
// header included)

test('5:§3.2.2.3.6 a fixed header announcing more than maxPacketSize fails with 0x95 before the body arrives', () => {
  // PUBLISH | remaining length 16383 (ff 7f): 16386 bytes in all, limit 1024
  for (const v of [3, 4, 5]) {
    const d = new Decoder({ maxPacketSize: 1024, version: v });
    d.push(hex('30 ff 7f'));
    assert.is(d.next(), null);
    assert.ok(d.error !== null, `v${v}: no error after the fixed header`);
    assert.is(d.error!.rc, TOO_LARGE);
  }
  // CONNECT as the first packet (version 0) | remaining length 16383
  const c = new Decoder({ maxPacketSize: 1024, version: 0 });
  c.push(hex('10 ff 7f'));
  assert.is(c.next(), null);
  assert.is(c.error?.rc, TOO_LARGE);
  // byte by byte: no packet at any point, and the error is there once the length is complete
  const b = new Decoder({ maxPacketSize: 1024, version: 4 });
  b.push(hex('30'));
  assert.is(b.next(), null);
  assert.is(b.error, null);
  b.push(hex('ff'));
  assert.is(b.next(), null);
  b.push(hex('7f'));
  assert.is(b.next(), null);
  assert.is(b.error?.rc, TOO_LARGE);
  // the body arriving afterwards changes nothing
  b.push(new Uint8Array(16383));
  assert.is(b.next(), null);
  assert.is(b.error?.rc, TOO_LARGE);
});

test('5:§3.2.2.3.6 one byte over the limit (fixed header counted) fails with 0x95 on the fixed header alone', () => {
  // PUBLISH | remaining length 1022 (fe 07): 1 + 2 + 1022 = 1025 bytes, limit 1024
  const d = new Decoder({ maxPacketSize: 1024, version: 4 });
  d.push(hex('30 fe 07'));
  assert.is(d.next(), null);
  assert.is(d.error?.rc, TOO_LARGE);
});

test('5:§3.2.2.3.6 a packet exactly at maxPacketSize is accepted, one byte more is 0x95', () => {
  // limit 100: PUBLISH QoS 0 | rl 98 (0x62) | topic "a" | payload 95 x "x" = 2 + 98 = 100 bytes
  const x95 = new Uint8Array(95).fill(0x78);
  const at = cat(hex('30 62 00 01 61'), x95);
  for (const v of [3, 4]) {
    accepts(at, v, (ps) => assert.is((ps[0] as PublishPacket).payload.length, 95), 1, 100);
  }
  // one more payload byte: rl 99 (0x63), 101 bytes
  const over = cat(hex('30 63 00 01 61'), new Uint8Array(96).fill(0x78));
  rejects(over, 4, TOO_LARGE, { max: 100 });
  // 5.0 (props len 0 takes one of the bytes): rl 98 | topic "a" | props 0 | payload 94 bytes
  const at5 = cat(hex('30 62 00 01 61 00'), new Uint8Array(94).fill(0x78));
  accepts(at5, 5, (ps) => assert.is((ps[0] as PublishPacket).payload.length, 94), 1, 100);
  const over5 = cat(hex('30 63 00 01 61 00'), new Uint8Array(95).fill(0x78));
  rejects(over5, 5, TOO_LARGE, { max: 100 });
  // a two-byte length: limit 200 | rl 197 (c5 01) | topic "a" | 194 bytes = 3 + 197 = 200
  accepts(cat(hex('30 c5 01 00 01 61'), new Uint8Array(194)), 4, undefined, 1, 200);
  // rl 198 (c6 01) = 201 bytes
  rejects(cat(hex('30 c6 01 00 01 61'), new Uint8Array(195)), 4, TOO_LARGE, { max: 200 });
});

test('5:§3.2.2.3.6 packets before an oversized one are returned', () => {
  // PINGREQ | PINGREQ | PUBLISH announcing rl 16383 (limit 1024), body not sent
  rejects(cat(pkt('c0 00'), pkt('c0 00'), hex('30 ff 7f')), 4, TOO_LARGE, { max: 1024, before: 2 });
});

// =======================================================================================
// Remaining length against the fields (5:§2.1.4 / 4:§2.2.3)

test('4:§2.2.3 · 5:§2.1.4 a topic length running past the end of the packet is malformed', () => {
  // PUBLISH QoS 0 | rl 5 | topic length 9 but only "a/b" follows
  rejects(pkt('30 05 00 09 61 2f 62'), 4, MP);
  rejects(pkt('30 05 00 09 61 2f 62'), 5, MP);
  rejects(pkt('30 05 00 09 61 2f 62'), 3, MP);
  // PUBLISH | rl 1 | half a length field
  rejects(pkt('30 01 00'), 4, MP);
  // PUBLISH | rl 0 | no topic at all
  rejects(pkt('30 00'), 4, MP);
});

test('4:§2.2.3 · 5:§2.1.4 QoS 1 PUBLISH without (or with half) its packet id is malformed', () => {
  // PUBLISH QoS 1 | rl 5 | topic "a/b" | (packet id missing)
  rejects(pkt('32 05 00 03 61 2f 62'), 4, MP);
  rejects(pkt('32 05 00 03 61 2f 62'), 5, MP);
  // PUBLISH QoS 2 | rl 6 | topic "a/b" | one byte of packet id
  rejects(pkt('34 06 00 03 61 2f 62 00'), 4, MP);
});

test('5:MQTT-2.2.2-1 · 5:§2.1.4 5.0 PUBLISH without its property length is malformed', () => {
  // PUBLISH QoS 0 | rl 5 | topic "a/b" | (property length missing)
  rejects(pkt('30 05 00 03 61 2f 62'), 5, MP);
  // PUBLISH QoS 1 | rl 7 | topic "a/b" | packet id 1 | (property length missing)
  rejects(pkt('32 07 00 03 61 2f 62 00 01'), 5, MP);
});

test('4:§2.2.3 · 5:§2.1.4 SUBSCRIBE with a filter but no options byte, or a filter running past the end, is malformed', () => {
  // SUBSCRIBE | rl 6 | packet id 1 | filter "ab" | (requested QoS missing)
  rejects(pkt('82 06 00 01 00 02 61 62'), 4, MP);
  // 5.0: rl 7 | packet id 1 | props 0 | filter "ab" | (options missing)
  rejects(pkt('82 07 00 01 00 00 02 61 62'), 5, MP);
  // SUBSCRIBE | rl 6 | packet id 1 | filter length 5 but only "ab"
  rejects(pkt('82 06 00 01 00 05 61 62'), 4, MP);
  // SUBSCRIBE | rl 9 | packet id 1 | "a" QoS 1 | "b" (QoS missing)
  rejects(pkt('82 09 00 01 00 01 61 01 00 01 62'), 4, MP);
  // SUBSCRIBE | rl 1 | half a packet id
  rejects(pkt('82 01 00'), 4, MP);
  // UNSUBSCRIBE | rl 5 | packet id 1 | filter length 9 but only "a"
  rejects(pkt('a2 05 00 01 00 09 61'), 4, MP);
  // UNSUBSCRIBE | rl 6 | packet id 1 | "a" | one stray byte (half a length field)
  rejects(pkt('a2 06 00 01 00 01 61 00'), 4, MP);
});

test('4:MQTT-2.2.2-2 · 4:§3.4 PUBACK/PUBREC/PUBREL/PUBCOMP with remaining length other than 2 are malformed in 3.1.1 and 3.1', () => {
  for (const v of [3, 4]) {
    // rl 3 | packet id 7 | one trailing byte
    rejects(pkt('40 03 00 07 00'), v, MP);
    rejects(pkt('50 03 00 07 00'), v, MP);
    rejects(pkt('62 03 00 07 00'), v, MP);
    rejects(pkt('70 03 00 07 00'), v, MP);
    // rl 1 | half a packet id ; rl 0
    rejects(pkt('40 01 00'), v, MP);
    rejects(pkt('40 00'), v, MP);
  }
});

test('5:§3.4.2.1 PUBACK short forms are accepted; trailing bytes after the properties are malformed', () => {
  // rl 3 | packet id 7 | reason 0x10 (no matching subscribers)
  accepts(pkt('40 03 00 07 10'), 5, (ps) => {
    const p = ps[0] as AckPacket;
    assert.is(p.packetId, 7);
    assert.is(p.reasonCode, 0x10);
  });
  // rl 4 | packet id 7 | reason 0x10 | props len 0
  accepts(pkt('40 04 00 07 10 00'), 5, (ps) => assert.is((ps[0] as AckPacket).reasonCode, 0x10));
  // rl 5 | packet id 7 | reason 0x10 | props len 0 | stray byte ff
  rejects(pkt('40 05 00 07 10 00 ff'), 5, MP);
  // rl 1 | half a packet id ; rl 0
  rejects(pkt('40 01 00'), 5, MP);
  rejects(pkt('40 00'), 5, MP);
  // PUBREL rl 5 with a stray byte
  rejects(pkt('62 05 00 07 00 00 ff'), 5, MP);
});

test('4:MQTT-2.2.2-2 · 5:§2.1.3 PINGREQ / PINGRESP with remaining length other than 0 are malformed', () => {
  for (const v of [3, 4, 5]) {
    // PINGREQ | rl 1 | 00
    rejects(pkt('c0 01 00'), v, MP);
    // PINGREQ | rl 2 | 00 00
    rejects(pkt('c0 02 00 00'), v, MP);
    // PINGRESP | rl 1 | 00
    rejects(pkt('d0 01 00'), v, MP);
  }
});

test('4:MQTT-3.14.1-1 3.1.1 DISCONNECT with remaining length 1 is malformed; 5.0 trailing bytes are malformed', () => {
  // DISCONNECT | rl 1 | 00
  rejects(pkt('e0 01 00'), 4, MP);
  rejects(pkt('e0 01 00'), 3, MP);
  // 5.0: rl 1 is a valid short form (reason 0x00, no properties) ...
  accepts(pkt('e0 01 00'), 5, (ps) => assert.is((ps[0] as DisconnectPacket).reasonCode, 0));
  // ... but rl 3 | reason 0 | props len 0 | stray ff is not
  rejects(pkt('e0 03 00 00 ff'), 5, MP);
});

test('4:§3.2 · 4:§3.11 CONNACK and UNSUBACK with extra bytes are malformed in 3.1.1', () => {
  // CONNACK | rl 3 | flags 0 | rc 0 | stray 00
  rejects(pkt('20 03 00 00 00'), 4, MP);
  // UNSUBACK | rl 3 | packet id 7 | stray 00
  rejects(pkt('b0 03 00 07 00'), 4, MP);
});

// =======================================================================================
// UTF-8 strings (4:MQTT-1.5.3-1..3 · 5:MQTT-1.5.4-1..3, 5:MQTT-1.5.7-1)

// Every bad string is exactly 4 bytes so one hand-written template (with its lengths) per
// place serves them all.
const BAD_UTF8: Array<[string, string]> = [
  ['overlong 2-byte C0 80 (U+0000)', 'c0 80 61 61'],
  ['overlong 2-byte C1 BF', 'c1 bf 61 61'],
  ['overlong 3-byte E0 80 80', 'e0 80 80 61'],
  ['overlong 4-byte F0 80 80 80', 'f0 80 80 80'],
  ['encoded surrogate ED A0 80 (U+D800)', 'ed a0 80 61'],
  ['encoded surrogate ED BF BF (U+DFFF)', 'ed bf bf 61'],
  ['truncated 2-byte sequence at the end of the string (C3)', '61 61 61 c3'],
  ['truncated 3-byte sequence (E2 82, then ASCII)', '61 e2 82 61'],
  ['truncated 4-byte sequence at the end of the string (F0 9F 98)', '61 f0 9f 98'],
  ['lone continuation byte 80', '80 61 61 61'],
  ['byte F5', 'f5 80 80 80'],
  ['byte F8', 'f8 88 80 80'],
  ['byte FE', 'fe 61 61 61'],
  ['byte FF', 'ff 61 61 61'],
  ['code point above U+10FFFF (F4 90 80 80)', 'f4 90 80 80'],
];

interface Place {
  name: string;
  ids: string;
  version: number;             // decoder version (0 for CONNECT)
  tpl: string;                 // hex with BAD standing for the 4 string bytes
  get: (p: Packet) => string | null | undefined;
}

function up(p: Packet): Array<[string, string]> {
  return ((p as ConnectPacket).properties?.userProperties) ?? [];
}

const PLACES: Place[] = [
  // PUBLISH v4 QoS 0 | rl 8 | topic (4 bytes) | payload "hi"
  { name: 'PUBLISH topic name (v4)', ids: '4:MQTT-3.3.2-1', version: 4,
    tpl: '30 08 00 04 BAD 68 69', get: (p) => (p as PublishPacket).topic },
  // PUBLISH v5 QoS 0 | rl 9 | topic (4 bytes) | props 0 | payload "hi"
  { name: 'PUBLISH topic name (v5)', ids: '5:MQTT-3.3.2-1', version: 5,
    tpl: '30 09 00 04 BAD 00 68 69', get: (p) => (p as PublishPacket).topic },
  // PUBLISH v5 | rl 15 | topic "a/b" | props 7: contentType (4 bytes) | payload "hi"
  { name: 'PUBLISH content type property (v5)', ids: '5:MQTT-3.3.2-19', version: 5,
    tpl: '30 0f 00 03 61 2f 62 07 03 00 04 BAD 68 69', get: (p) => (p as PublishPacket).properties?.contentType },
  // CONNECT v4 | rl 16 | "MQTT" 4 | flags 02 | keep alive 60 | client id (4 bytes)
  { name: 'CONNECT client id (v4)', ids: '4:MQTT-3.1.3-4', version: 0,
    tpl: '10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 BAD', get: (p) => (p as ConnectPacket).clientId },
  // CONNECT v5 | rl 17 | "MQTT" 5 | flags 02 | keep alive 60 | props 0 | client id (4 bytes)
  { name: 'CONNECT client id (v5)', ids: '5:MQTT-3.1.3-4', version: 0,
    tpl: '10 11 00 04 4d 51 54 54 05 02 00 3c 00 00 04 BAD', get: (p) => (p as ConnectPacket).clientId },
  // CONNECT v5 | rl 24 | "MQTT" 5 | flags 02 | keep alive 60 |
  //   props 10: user property (name 4 bytes, value "v") | client id "a"
  { name: 'CONNECT user property name (v5)', ids: '5:MQTT-1.5.7-1', version: 0,
    tpl: '10 18 00 04 4d 51 54 54 05 02 00 3c 0a 26 00 04 BAD 00 01 76 00 01 61', get: (p) => up(p)[0]?.[0] },
  //   props 10: user property (name "k", value 4 bytes) | client id "a"
  { name: 'CONNECT user property value (v5)', ids: '5:MQTT-1.5.7-1', version: 0,
    tpl: '10 18 00 04 4d 51 54 54 05 02 00 3c 0a 26 00 01 6b 00 04 BAD 00 01 61', get: (p) => up(p)[0]?.[1] },
  // CONNECT v4 | rl 22 | "MQTT" 4 | flags 06 will+clean | keep alive 60 | client id "a" |
  //   will topic (4 bytes) | will message "m"
  { name: 'CONNECT will topic (v4)', ids: '4:MQTT-3.1.3-10', version: 0,
    tpl: '10 16 00 04 4d 51 54 54 04 06 00 3c 00 01 61 00 04 BAD 00 01 6d', get: (p) => (p as ConnectPacket).will?.topic },
  // CONNECT v5 | rl 24 | "MQTT" 5 | flags 06 | keep alive 60 | props 0 | client id "a" |
  //   will props 0 | will topic (4 bytes) | will payload "m"
  { name: 'CONNECT will topic (v5)', ids: '5:MQTT-3.1.3-11', version: 0,
    tpl: '10 18 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61 00 00 04 BAD 00 01 6d', get: (p) => (p as ConnectPacket).will?.topic },
  // CONNECT v4 | rl 19 | "MQTT" 4 | flags 82 user name+clean | keep alive 60 | client id "a" | user name (4 bytes)
  { name: 'CONNECT user name (v4)', ids: '4:MQTT-3.1.3-11', version: 0,
    tpl: '10 13 00 04 4d 51 54 54 04 82 00 3c 00 01 61 00 04 BAD', get: (p) => (p as ConnectPacket).username },
  // SUBSCRIBE v4 | rl 9 | packet id 1 | filter (4 bytes) | QoS 1
  { name: 'SUBSCRIBE topic filter (v4)', ids: '4:MQTT-3.8.3-1', version: 4,
    tpl: '82 09 00 01 00 04 BAD 01', get: (p) => (p as SubscribePacket).subscriptions[0]?.topicFilter },
  // UNSUBSCRIBE v5 | rl 9 | packet id 1 | props 0 | filter (4 bytes)
  { name: 'UNSUBSCRIBE topic filter (v5)', ids: '5:MQTT-3.10.3-1', version: 5,
    tpl: 'a2 09 00 01 00 00 04 BAD', get: (p) => (p as UnsubscribePacket).topicFilters[0] },
];

function fill(tpl: string, four: string): Uint8Array { return pkt(tpl.replace('BAD', four)); }

for (const place of PLACES) {
  test(`${place.ids} valid 4-byte string in ${place.name} decodes (positive control)`, () => {
    // "abcd"
    accepts(fill(place.tpl, '61 62 63 64'), place.version, (ps) => assert.is(place.get(ps[0]), 'abcd'));
    // "a€" (61 e2 82 ac) and U+1F600 (f0 9f 98 80): multi-byte sequences are fine
    accepts(fill(place.tpl, '61 e2 82 ac'), place.version, (ps) => assert.is(place.get(ps[0]), 'a\u20ac'));
    accepts(fill(place.tpl, 'f0 9f 98 80'), place.version, (ps) => assert.is(place.get(ps[0]), '\u{1F600}'));
  });
  test(`4:MQTT-1.5.3-1 · 5:MQTT-1.5.4-1 ill-formed UTF-8 in ${place.name} is malformed`, () => {
    for (const [, four] of BAD_UTF8) rejects(fill(place.tpl, four), place.version, MP);
  });
  test(`4:MQTT-1.5.3-2 · 5:MQTT-1.5.4-2 U+0000 in ${place.name} is malformed`, () => {
    // "a" NUL "bc"
    rejects(fill(place.tpl, '61 00 62 63'), place.version, MP);
    // NUL first
    rejects(fill(place.tpl, '00 61 62 63'), place.version, MP);
  });
  test(`4:MQTT-1.5.3-3 · 5:MQTT-1.5.4-3 U+FEFF in ${place.name} is kept, not stripped`, () => {
    // EF BB BF "a": a leading BOM is part of the string
    accepts(fill(place.tpl, 'ef bb bf 61'), place.version, (ps) => assert.is(place.get(ps[0]), '\ufeffa'));
    // "a" EF BB BF: embedded
    accepts(fill(place.tpl, '61 ef bb bf'), place.version, (ps) => assert.is(place.get(ps[0]), 'a\ufeff'));
  });
}

test('4:MQTT-4.7.3-2 · 5:MQTT-4.7.3-2 U+0000 in a 3.1.1 topic name (the spec example: a NUL inside a topic)', () => {
  // PUBLISH QoS 0 | rl 7 | topic "a" NUL "b" | payload "hi"
  rejects(pkt('30 07 00 03 61 00 62 68 69'), 4, MP);
  // 5.0: rl 8 | topic "a" NUL "b" | props 0 | payload "hi"
  rejects(pkt('30 08 00 03 61 00 62 00 68 69'), 5, MP);
});

// =======================================================================================
// 1.1 CONNECT

test('4:MQTT-3.1.2-1 · 5:MQTT-3.1.2-1 protocol name other than "MQTT" / "MQIsdp" is refused', () => {
  // The spec lets the server close (3.1.1) or answer CONNACK 0x84 (5.0): 0x84 or 0x81.
  const refused = [BAD_VERSION, MP];
  // rl 13 | name "MQTX" | level 4 | flags 02 | keep alive 60 | client id "a"
  rejects(pkt('10 0d 00 04 4d 51 54 58 04 02 00 3c 00 01 61'), 0, refused);
  // rl 14 | name "mqtt" (lower case) | level 5 | flags 02 | keep alive 60 | props 0 | client id "a"
  rejects(pkt('10 0e 00 04 6d 71 74 74 05 02 00 3c 00 00 01 61'), 0, refused);
  // rl 15 | name "MQIsdq" | level 3 | flags 02 | keep alive 60 | client id "a"
  rejects(pkt('10 0f 00 06 4d 51 49 73 64 71 03 02 00 3c 00 01 61'), 0, refused);
  // rl 9 | name "" | level 4 | flags 02 | keep alive 60 | client id "a"
  rejects(pkt('10 09 00 00 04 02 00 3c 00 01 61'), 0, refused);
});

test('4:MQTT-3.1.2-2 · 5:MQTT-3.1.2-2 unsupported protocol level is 0x84', () => {
  // rl 13 | "MQTT" | level 6 | flags 02 | keep alive 60 | client id "a"
  rejects(pkt('10 0d 00 04 4d 51 54 54 06 02 00 3c 00 01 61'), 0, BAD_VERSION);
  // level 2, level 0, level 255
  rejects(pkt('10 0d 00 04 4d 51 54 54 02 02 00 3c 00 01 61'), 0, BAD_VERSION);
  rejects(pkt('10 0d 00 04 4d 51 54 54 00 02 00 3c 00 01 61'), 0, BAD_VERSION);
  rejects(pkt('10 0d 00 04 4d 51 54 54 ff 02 00 3c 00 01 61'), 0, BAD_VERSION);
});

test('3.1 (Part 4) protocol name "MQIsdp" with a level other than 3 is 0x84', () => {
  // rl 15 | "MQIsdp" | level 4 | flags 02 | keep alive 60 | client id "a"
  rejects(pkt('10 0f 00 06 4d 51 49 73 64 70 04 02 00 3c 00 01 61'), 0, BAD_VERSION);
  // level 5 (a 5.0 property length would follow; the level alone decides)
  rejects(pkt('10 10 00 06 4d 51 49 73 64 70 05 02 00 3c 00 00 01 61'), 0, BAD_VERSION);
});

test('positive controls: minimal CONNECT of each version decodes', () => {
  // rl 15 | "MQIsdp" | level 3 | flags 02 | keep alive 60 | client id "a"
  accepts(pkt('10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 61'), 0, (ps) => {
    const p = ps[0] as ConnectPacket;
    assert.is(p.protocolName, 'MQIsdp');
    assert.is(p.protocolVersion, 3);
    assert.is(p.clientId, 'a');
    assert.is(p.keepAlive, 60);
    assert.is(p.cleanStart, true);
  });
  accepts(pkt('10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61'), 0, (ps) => {
    assert.is((ps[0] as ConnectPacket).protocolVersion, 4);
  });
  accepts(pkt('10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 61'), 0, (ps) => {
    assert.is((ps[0] as ConnectPacket).protocolVersion, 5);
  });
});

test('4:MQTT-3.1.2-3 · 5:MQTT-3.1.2-3 reserved connect flag set', () => {
  // rl 13 | "MQTT" | level 4 | flags 03 (reserved bit 0 + clean) | keep alive 60 | client id "a"
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 61'), 0, MP);
  // flags 01 (reserved bit alone)
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 01 00 3c 00 01 61'), 0, MP);
  // rl 14 | "MQTT" | level 5 | flags 03 | keep alive 60 | props 0 | client id "a"
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 03 00 3c 00 00 01 61'), 0, MP);
});

test('4:MQTT-3.1.2-14 · 5:MQTT-3.1.2-12 will QoS 3 is malformed', () => {
  // rl 19 | "MQTT" 4 | flags 1e (will QoS 3, will, clean) | keep alive 60 | client id "a" |
  //   will topic "t" | will message "m"
  rejects(pkt('10 13 00 04 4d 51 54 54 04 1e 00 3c 00 01 61 00 01 74 00 01 6d'), 0, MP);
  // rl 21 | "MQTT" 5 | flags 1e | keep alive 60 | props 0 | client id "a" | will props 0 |
  //   will topic "t" | will payload "m"
  rejects(pkt('10 15 00 04 4d 51 54 54 05 1e 00 3c 00 00 01 61 00 00 01 74 00 01 6d'), 0, MP);
});

test('positive control: CONNECT with a will (QoS 2, retain) decodes', () => {
  // rl 19 | "MQTT" 4 | flags 36 (will retain, will QoS 2, will, clean) | keep alive 60 |
  //   client id "a" | will topic "t" | will message "m"
  accepts(pkt('10 13 00 04 4d 51 54 54 04 36 00 3c 00 01 61 00 01 74 00 01 6d'), 0, (ps) => {
    const w = (ps[0] as ConnectPacket).will;
    assert.ok(w !== null);
    assert.is(w!.topic, 't');
    assert.is(w!.qos, 2);
    assert.is(w!.retain, true);
    assert.equal(Array.from(w!.payload), [0x6d]);
  });
  // 5.0 same, with will props 0
  accepts(pkt('10 15 00 04 4d 51 54 54 05 36 00 3c 00 00 01 61 00 00 01 74 00 01 6d'), 0, (ps) => {
    const w = (ps[0] as ConnectPacket).will;
    assert.is(w?.topic, 't');
    assert.is(w?.qos, 2);
  });
});

test('4:MQTT-3.1.2-13 · 5:MQTT-3.1.2-11 will flag 0 with will QoS not 0 is malformed', () => {
  // rl 13 | "MQTT" 4 | flags 0a (will QoS 1, no will, clean) | keep alive 60 | client id "a"
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 0a 00 3c 00 01 61'), 0, MP);
  // flags 12 (will QoS 2, no will)
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 12 00 3c 00 01 61'), 0, MP);
  // 5.0: rl 14 | flags 0a | props 0 | client id "a"
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 0a 00 3c 00 00 01 61'), 0, MP);
});

test('4:MQTT-3.1.2-15 · 5:MQTT-3.1.2-13 will flag 0 with will retain 1 is malformed', () => {
  // rl 13 | "MQTT" 4 | flags 22 (will retain, no will, clean) | keep alive 60 | client id "a"
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 22 00 3c 00 01 61'), 0, MP);
  // 5.0: rl 14 | flags 22 | props 0 | client id "a"
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 22 00 3c 00 00 01 61'), 0, MP);
});

test('4:MQTT-3.1.2-18 · 5:MQTT-3.1.2-16 user name flag 0 but a user name present is malformed', () => {
  // rl 16 | "MQTT" 4 | flags 02 | keep alive 60 | client id "a" | extra string "u"
  rejects(pkt('10 10 00 04 4d 51 54 54 04 02 00 3c 00 01 61 00 01 75'), 0, MP);
  // 5.0: rl 17 | flags 02 | props 0 | client id "a" | extra string "u"
  rejects(pkt('10 11 00 04 4d 51 54 54 05 02 00 3c 00 00 01 61 00 01 75'), 0, MP);
});

test('4:MQTT-3.1.2-20 · 5:MQTT-3.1.2-18 password flag 0 but a password present is malformed', () => {
  // rl 19 | "MQTT" 4 | flags 82 (user name, clean) | keep alive 60 | client id "a" | user "u" | extra "p"
  rejects(pkt('10 13 00 04 4d 51 54 54 04 82 00 3c 00 01 61 00 01 75 00 01 70'), 0, MP);
  // 5.0: rl 20 | flags 82 | props 0 | client id "a" | user "u" | extra "p"
  rejects(pkt('10 14 00 04 4d 51 54 54 05 82 00 3c 00 00 01 61 00 01 75 00 01 70'), 0, MP);
});

test('4:§2.2.3 · 5:§2.1.4 bytes after the last CONNECT field are malformed (3.1.1, 5.0)', () => {
  // rl 20 | "MQTT" 4 | flags c2 (user, password, clean) | keep alive 60 | client id "a" |
  //   user "u" | password "p" | stray ff
  rejects(pkt('10 14 00 04 4d 51 54 54 04 c2 00 3c 00 01 61 00 01 75 00 01 70 ff'), 0, MP);
  // 5.0: rl 21 | flags c2 | props 0 | ... | stray ff
  rejects(pkt('10 15 00 04 4d 51 54 54 05 c2 00 3c 00 00 01 61 00 01 75 00 01 70 ff'), 0, MP);
});

test('4:MQTT-3.1.2-22 password flag without user name flag is malformed in 3.1.1', () => {
  // rl 16 | "MQTT" 4 | flags 42 (password, clean) | keep alive 60 | client id "a" | password "p"
  rejects(pkt('10 10 00 04 4d 51 54 54 04 42 00 3c 00 01 61 00 01 70'), 0, MP);
});

test('5:§3.1.2.9 a password without a user name is allowed in 5.0', () => {
  // rl 17 | "MQTT" 5 | flags 42 | keep alive 60 | props 0 | client id "a" | password "p"
  accepts(pkt('10 11 00 04 4d 51 54 54 05 42 00 3c 00 00 01 61 00 01 70'), 0, (ps) => {
    const p = ps[0] as ConnectPacket;
    assert.is(p.username, null);
    assert.equal(Array.from(p.password!), [0x70]);
  });
});

test('4:MQTT-3.1.3-3 · 5:MQTT-3.1.3-3 CONNECT without a client id is malformed', () => {
  // rl 10 | "MQTT" 4 | flags 02 | keep alive 60 | (client id missing)
  rejects(pkt('10 0a 00 04 4d 51 54 54 04 02 00 3c'), 0, MP);
  // 5.0: rl 11 | ... | props 0 | (client id missing)
  rejects(pkt('10 0b 00 04 4d 51 54 54 05 02 00 3c 00'), 0, MP);
  // 3.1: rl 12 | "MQIsdp" 3 | flags 02 | keep alive 60 | (client id missing)
  rejects(pkt('10 0c 00 06 4d 51 49 73 64 70 03 02 00 3c'), 0, MP);
  // client id length 5 but only "a" follows
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 02 00 3c 00 05 61'), 0, MP);
});

test('4:MQTT-3.1.4-1 · 5:MQTT-3.1.4-1 truncated CONNECT variable header is malformed', () => {
  // rl 9 | "MQTT" 4 | flags 02 | half a keep alive
  rejects(pkt('10 09 00 04 4d 51 54 54 04 02 00'), 0, MP);
  // rl 7 | "MQTT" 4 | (flags missing)
  rejects(pkt('10 07 00 04 4d 51 54 54 04'), 0, MP);
  // rl 3 | protocol name length 4 but only "M"
  rejects(pkt('10 03 00 04 4d'), 0, MP);
  // rl 0
  rejects(pkt('10 00'), 0, MP);
  // 5.0: rl 10 | "MQTT" 5 | flags 02 | keep alive 60 | (property length missing)
  rejects(pkt('10 0a 00 04 4d 51 54 54 05 02 00 3c'), 0, MP);
});

test('4:MQTT-3.1.2-9 · 5:MQTT-3.1.2-9 will flag set but will fields missing is malformed', () => {
  // rl 16 | "MQTT" 4 | flags 06 (will, clean) | keep alive 60 | client id "a" | will topic "t" | (message missing)
  rejects(pkt('10 10 00 04 4d 51 54 54 04 06 00 3c 00 01 61 00 01 74'), 0, MP);
  // rl 13 | flags 06 | client id "a" | (will topic and message missing)
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 06 00 3c 00 01 61'), 0, MP);
  // 5.0: rl 18 | flags 06 | props 0 | client id "a" | will props 0 | will topic "t" | (payload missing)
  rejects(pkt('10 12 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61 00 00 01 74'), 0, MP);
  // 5.0: rl 14 | flags 06 | props 0 | client id "a" | (will properties missing)
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61'), 0, MP);
});

test('4:MQTT-3.1.2-19 · 5:MQTT-3.1.2-17 user name flag set but user name missing is malformed (3.1.1, 5.0)', () => {
  // rl 13 | "MQTT" 4 | flags 82 | keep alive 60 | client id "a" | (user name missing)
  rejects(pkt('10 0d 00 04 4d 51 54 54 04 82 00 3c 00 01 61'), 0, MP);
  // 5.0: rl 14 | flags 82 | props 0 | client id "a" | (user name missing)
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 82 00 3c 00 00 01 61'), 0, MP);
});

test('4:MQTT-3.1.2-21 · 5:MQTT-3.1.2-19 password flag set but password missing is malformed (3.1.1, 5.0)', () => {
  // rl 16 | "MQTT" 4 | flags c2 | keep alive 60 | client id "a" | user "u" | (password missing)
  rejects(pkt('10 10 00 04 4d 51 54 54 04 c2 00 3c 00 01 61 00 01 75'), 0, MP);
  // 5.0: rl 17 | flags c2 | props 0 | client id "a" | user "u" | (password missing)
  rejects(pkt('10 11 00 04 4d 51 54 54 05 c2 00 3c 00 00 01 61 00 01 75'), 0, MP);
});

test('3.1 (Part 4) user name / password flags set with the strings missing at the end are valid', () => {
  // rl 15 | "MQIsdp" 3 | flags 82 (user name, clean) | keep alive 60 | client id "a" | (nothing more)
  accepts(pkt('10 0f 00 06 4d 51 49 73 64 70 03 82 00 3c 00 01 61'), 0, (ps) => {
    const p = ps[0] as ConnectPacket;
    assert.is(p.clientId, 'a');
    assert.is(p.username, null);
    assert.is(p.password, null);
  });
  // flags c2 (user name, password): user "u" present, password missing
  accepts(pkt('10 12 00 06 4d 51 49 73 64 70 03 c2 00 3c 00 01 61 00 01 75'), 0, (ps) => {
    const p = ps[0] as ConnectPacket;
    assert.is(p.username, 'u');
    assert.is(p.password, null);
  });
  // flags c2, both missing
  accepts(pkt('10 0f 00 06 4d 51 49 73 64 70 03 c2 00 3c 00 01 61'), 0, (ps) => {
    assert.is((ps[0] as ConnectPacket).username, null);
  });
  // and with both present: password "p" is carried as bytes
  accepts(pkt('10 15 00 06 4d 51 49 73 64 70 03 c2 00 3c 00 01 61 00 01 75 00 01 70'), 0, (ps) => {
    const p = ps[0] as ConnectPacket;
    assert.is(p.username, 'u');
    assert.equal(Array.from(p.password!), [0x70]);
  });
});

test('4:MQTT-4.7.1-1 · 5:MQTT-4.7.0-1 will topic with a wildcard is refused', () => {
  // The will topic is a topic name (4:MQTT-3.1.3-10 · 5:MQTT-3.1.3-11); 5.0 may answer CONNACK 0x90.
  const refused = [BAD_TOPIC, MP, PE];
  // rl 19 | "MQTT" 4 | flags 06 | keep alive 60 | client id "a" | will topic "#" | will message "m"
  rejects(pkt('10 13 00 04 4d 51 54 54 04 06 00 3c 00 01 61 00 01 23 00 01 6d'), 0, refused);
  // will topic "a/+"
  rejects(pkt('10 15 00 04 4d 51 54 54 04 06 00 3c 00 01 61 00 03 61 2f 2b 00 01 6d'), 0, refused);
  // 5.0: rl 21 | flags 06 | props 0 | client id "a" | will props 0 | will topic "#" | payload "m"
  rejects(pkt('10 15 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61 00 00 01 23 00 01 6d'), 0, refused);
});

// =======================================================================================
// 1.3 PUBLISH

test('4:MQTT-2.3.1-1 · 5:MQTT-2.2.1-3 QoS 1 / QoS 2 PUBLISH with packet id 0 is a protocol error', () => {
  for (const v of [3, 4]) {
    // PUBLISH QoS 1 | rl 9 | topic "a/b" | packet id 0 | payload "hi"
    rejects(pkt('32 09 00 03 61 2f 62 00 00 68 69'), v, PE);
    // PUBLISH QoS 2 | same
    rejects(pkt('34 09 00 03 61 2f 62 00 00 68 69'), v, PE);
  }
  // 5.0: QoS 1 | rl 10 | topic "a/b" | packet id 0 | props 0 | payload "hi"
  rejects(pkt('32 0a 00 03 61 2f 62 00 00 00 68 69'), 5, PE);
  rejects(pkt('34 0a 00 03 61 2f 62 00 00 00 68 69'), 5, PE);
});

test('4:MQTT-4.7.1-1 · 5:MQTT-4.7.0-1 wildcard in a PUBLISH topic name is 0x90', () => {
  const names: Array<[string, string]> = [
    ['a/+', '61 2f 2b'], ['a/#', '61 2f 23'], ['a+b', '61 2b 62'], ['#ab', '23 61 62'], ['+/x', '2b 2f 78'],
  ];
  for (const [, t] of names) {
    // PUBLISH QoS 0 | rl 7 | topic (3 bytes) | payload "hi"
    rejects(pkt(`30 07 00 03 ${t} 68 69`), 4, BAD_TOPIC);
    // 5.0: rl 8 | topic | props 0 | payload "hi"
    rejects(pkt(`30 08 00 03 ${t} 00 68 69`), 5, BAD_TOPIC);
  }
  // one-character names "#" and "+": rl 5 | topic | payload "hi"
  rejects(pkt('30 05 00 01 23 68 69'), 4, BAD_TOPIC);
  rejects(pkt('30 05 00 01 2b 68 69'), 4, BAD_TOPIC);
  // QoS 1: rl 9 | topic "a/#" | packet id 1 | payload "hi"
  rejects(pkt('32 09 00 03 61 2f 23 00 01 68 69'), 4, BAD_TOPIC);
});

test('4:MQTT-4.7.3-1 a zero-length PUBLISH topic name is refused in 3.1.1', () => {
  // PUBLISH QoS 0 | rl 4 | topic "" | payload "hi". The spec names no code: 0x81, 0x82 or 0x90.
  rejects(pkt('30 04 00 00 68 69'), 4, [MP, PE, BAD_TOPIC]);
  rejects(pkt('30 04 00 00 68 69'), 3, [MP, PE, BAD_TOPIC]);
});

test('5:§3.3.2.1 zero-length topic name without a topic alias is a protocol error', () => {
  // PUBLISH QoS 0 | rl 5 | topic "" | props 0 | payload "hi"
  rejects(pkt('30 05 00 00 00 68 69'), 5, PE);
  // with a property that is not a topic alias: rl 7 | topic "" | props 2: payloadFormatIndicator 1 | "hi"
  rejects(pkt('30 07 00 00 02 01 01 68 69'), 5, PE);
});

test('5:§3.3.2.3.4 zero-length topic name with a topic alias is accepted', () => {
  // PUBLISH QoS 0 | rl 8 | topic "" | props 3: topicAlias 1 | payload "hi"
  accepts(pkt('30 08 00 00 03 23 00 01 68 69'), 5, (ps) => {
    const p = ps[0] as PublishPacket;
    assert.is(p.topic, '');
    assert.is(p.properties?.topicAlias, 1);
    assert.equal(Array.from(p.payload), [0x68, 0x69]);
  });
});

test('positive control: PUBLISH of each QoS and version decodes', () => {
  // QoS 2, DUP, RETAIN | rl 9 | topic "a/b" | packet id 0x1234 | payload "hi"
  accepts(pkt('3d 09 00 03 61 2f 62 12 34 68 69'), 4, (ps) => {
    const p = ps[0] as PublishPacket;
    assert.is(p.qos, 2);
    assert.is(p.dup, true);
    assert.is(p.retain, true);
    assert.is(p.packetId, 0x1234);
    assert.is(p.topic, 'a/b');
  });
  // 5.0 QoS 1 | rl 10 | topic "a/b" | packet id 1 | props 0 | payload "hi"
  accepts(pkt('32 0a 00 03 61 2f 62 00 01 00 68 69'), 5, (ps) => {
    const p = ps[0] as PublishPacket;
    assert.is(p.packetId, 1);
    assert.is(p.properties, null);
  });
  // empty payload: rl 5 | topic "a/b"
  accepts(pkt('30 05 00 03 61 2f 62'), 4, (ps) => assert.is((ps[0] as PublishPacket).payload.length, 0));
});

// =======================================================================================
// 1.8 SUBSCRIBE / 1.10 UNSUBSCRIBE

test('4:MQTT-3.8.3-3 · 5:MQTT-3.8.3-2 SUBSCRIBE without any topic filter is a protocol error', () => {
  // SUBSCRIBE | rl 2 | packet id 1 | (no payload)
  rejects(pkt('82 02 00 01'), 4, PE);
  rejects(pkt('82 02 00 01'), 3, PE);
  // 5.0: rl 3 | packet id 1 | props 0 | (no payload)
  rejects(pkt('82 03 00 01 00'), 5, PE);
});

test('4:MQTT-2.3.1-1 · 5:MQTT-2.2.1-3 SUBSCRIBE / UNSUBSCRIBE with packet id 0 is a protocol error', () => {
  // SUBSCRIBE | rl 6 | packet id 0 | filter "a" | QoS 0
  rejects(pkt('82 06 00 00 00 01 61 00'), 4, PE);
  // 5.0: rl 7 | packet id 0 | props 0 | filter "a" | options 0
  rejects(pkt('82 07 00 00 00 00 01 61 00'), 5, PE);
  // UNSUBSCRIBE | rl 5 | packet id 0 | filter "a"
  rejects(pkt('a2 05 00 00 00 01 61'), 4, PE);
  // 5.0: rl 6 | packet id 0 | props 0 | filter "a"
  rejects(pkt('a2 06 00 00 00 00 01 61'), 5, PE);
});

test('4:MQTT-3-8.3-4 requested QoS byte with reserved bits set or QoS 3 is malformed (3.1.1)', () => {
  for (const qos of ['03', '04', '08', '80', 'fc', 'ff']) {
    // SUBSCRIBE | rl 6 | packet id 1 | filter "a" | requested QoS byte
    rejects(pkt(`82 06 00 01 00 01 61 ${qos}`), 4, MP);
  }
  // second filter bad: rl 10 | packet id 1 | "a" QoS 1 | "b" QoS byte 05
  rejects(pkt('82 0a 00 01 00 01 61 01 00 01 62 05'), 4, MP);
});

test('5:MQTT-3.8.3-5 subscription options with reserved bits 7..6 set are malformed', () => {
  for (const opt of ['40', '80', 'c0', 'c1']) {
    // SUBSCRIBE | rl 7 | packet id 1 | props 0 | filter "a" | options
    rejects(pkt(`82 07 00 01 00 00 01 61 ${opt}`), 5, MP);
  }
});

test('5:§3.8.3.1 retain handling 3 or maximum QoS 3 is a protocol error', () => {
  // options 30: retain handling 3
  rejects(pkt('82 07 00 01 00 00 01 61 30'), 5, PE);
  // options 03: QoS 3
  rejects(pkt('82 07 00 01 00 00 01 61 03'), 5, PE);
  // options 33: both
  rejects(pkt('82 07 00 01 00 00 01 61 33'), 5, [PE]);
});

test('positive control: 5.0 subscription options decode', () => {
  // SUBSCRIBE | rl 7 | packet id 1 | props 0 | filter "a" | options 2e =
  //   retain handling 2 (0x20), retain as published (0x08), no local (0x04), QoS 2
  accepts(pkt('82 07 00 01 00 00 01 61 2e'), 5, (ps) => {
    const s = (ps[0] as SubscribePacket).subscriptions[0];
    assert.is(s.topicFilter, 'a');
    assert.is(s.qos, 2);
    assert.is(s.noLocal, true);
    assert.is(s.retainAsPublished, true);
    assert.is(s.retainHandling, 2);
  });
});

test('4:MQTT-3.10.3-2 · 5:MQTT-3.10.3-2 UNSUBSCRIBE without any topic filter is a protocol error', () => {
  // UNSUBSCRIBE | rl 2 | packet id 1 | (no payload)
  rejects(pkt('a2 02 00 01'), 4, PE);
  rejects(pkt('a2 02 00 01'), 3, PE);
  // 5.0: rl 3 | packet id 1 | props 0 | (no payload)
  rejects(pkt('a2 03 00 01 00'), 5, PE);
});

// =======================================================================================
// 5.0 properties (5:§2.2.2.2)

test('5:§2.2.2.2 unknown property identifier is malformed', () => {
  // CONNECT | rl 16 | "MQTT" 5 | flags 02 | keep alive 60 | props 2: id 7f, 00 | client id "a"
  rejects(pkt('10 10 00 04 4d 51 54 54 05 02 00 3c 02 7f 00 00 01 61'), 0, MP);
  // props 2: id 00 (not a property), 00
  rejects(pkt('10 10 00 04 4d 51 54 54 05 02 00 3c 02 00 00 00 01 61'), 0, MP);
  // PUBLISH | rl 10 | topic "a/b" | props 2: id 7f, 00 | payload "hi"
  rejects(pkt('30 0a 00 03 61 2f 62 02 7f 00 68 69'), 5, MP);
  // PUBACK | rl 6 | packet id 7 | reason 0 | props 2: id 04 (unassigned), 00
  rejects(pkt('40 06 00 07 00 02 04 00'), 5, MP);
});

test('5:§2.2.2.2 a property not allowed in the packet is malformed', () => {
  // CONNECT | rl 17 | "MQTT" 5 | flags 02 | keep alive 60 | props 3: topicAlias 1 | client id "a"
  rejects(pkt('10 11 00 04 4d 51 54 54 05 02 00 3c 03 23 00 01 00 01 61'), 0, MP);
  // CONNECT | rl 19 | props 5: willDelayInterval 5 (a will property) | client id "a"
  rejects(pkt('10 13 00 04 4d 51 54 54 05 02 00 3c 05 18 00 00 00 05 00 01 61'), 0, MP);
  // CONNECT will properties | rl 24 | flags 06 | props 0 | client id "a" | will props 3: topicAlias 1 |
  //   will topic "t" | will payload "m"
  rejects(pkt('10 18 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61 03 23 00 01 00 01 74 00 01 6d'), 0, MP);
  // PUBLISH | rl 13 | topic "a/b" | props 5: sessionExpiryInterval 1 | payload "hi"
  rejects(pkt('30 0d 00 03 61 2f 62 05 11 00 00 00 01 68 69'), 5, MP);
  // PUBACK | rl 7 | packet id 7 | reason 0 | props 3: topicAlias 1
  rejects(pkt('40 07 00 07 00 03 23 00 01'), 5, MP);
  // SUBSCRIBE | rl 10 | packet id 1 | props 3: topicAlias 1 | filter "a" | options 0
  rejects(pkt('82 0a 00 01 03 23 00 01 00 01 61 00'), 5, MP);
  // DISCONNECT | rl 5 | reason 0 | props 3: topicAlias 1
  rejects(pkt('e0 05 00 03 23 00 01'), 5, MP);
});

test('5:§2.2.2.2 a single-valued property that appears twice is a protocol error', () => {
  // CONNECT | rl 24 | "MQTT" 5 | flags 02 | keep alive 60 |
  //   props 10: sessionExpiryInterval 10, sessionExpiryInterval 11 | client id "a"
  rejects(pkt('10 18 00 04 4d 51 54 54 05 02 00 3c 0a 11 00 00 00 0a 11 00 00 00 0b 00 01 61'), 0, PE);
  // PUBLISH | rl 14 | topic "a/b" | props 6: topicAlias 1, topicAlias 2 | payload "hi"
  rejects(pkt('30 0e 00 03 61 2f 62 06 23 00 01 23 00 02 68 69'), 5, PE);
  // PUBACK | rl 12 | packet id 7 | reason 0 | props 8: reasonString "a", reasonString "b"
  rejects(pkt('40 0c 00 07 00 08 1f 00 01 61 1f 00 01 62'), 5, PE);
  // SUBSCRIBE | rl 11 | packet id 1 | props 4: subscriptionIdentifier 1, subscriptionIdentifier 2 |
  //   filter "a" | options 0   (5:§3.8.2.1.2)
  rejects(pkt('82 0b 00 01 04 0b 01 0b 02 00 01 61 00'), 5, PE);
});

test('5:§2.2.2.2 · 5:§2.1.4 a property length or value overrunning the packet is malformed', () => {
  // CONNECT | rl 14 | "MQTT" 5 | flags 02 | keep alive 60 | props length 16 (only 3 bytes left) | client id "a"
  rejects(pkt('10 0e 00 04 4d 51 54 54 05 02 00 3c 10 00 01 61'), 0, MP);
  // CONNECT | rl 16 | props 2: receiveMaximum with one of its two bytes inside the property
  //   section (the next byte belongs to the client id) | client id "a"
  rejects(pkt('10 10 00 04 4d 51 54 54 05 02 00 3c 02 21 00 00 01 61'), 0, MP);
  // the same cut, where reading on would give a plausible value: rl 17 | props 2: 21 00 |
  //   05 00 01 61 (a client id of length 0x0500, which overruns too)
  rejects(pkt('10 11 00 04 4d 51 54 54 05 02 00 3c 02 21 00 05 00 01 61'), 0, MP);
  // PUBLISH | rl 11 | topic "a/b" | props 2: topicAlias cut after one byte | 01 68 69 (payload)
  rejects(pkt('30 0b 00 03 61 2f 62 02 23 00 01 68 69'), 5, MP);
  // PUBLISH | rl 7 | topic "a/b" | props length 9 (only 1 byte left) | 68
  rejects(pkt('30 07 00 03 61 2f 62 09 68'), 5, MP);
  // PUBLISH | rl 11 | topic "a/b" | props 3: messageExpiryInterval with 2 of 4 bytes | payload "hi"
  rejects(pkt('30 0b 00 03 61 2f 62 03 02 00 00 68 69'), 5, MP);
  // PUBLISH | rl 12 | topic "a/b" | props 4: contentType length 5 with 1 byte ("a") | payload "hi"
  rejects(pkt('30 0c 00 03 61 2f 62 04 03 00 05 61 68 69'), 5, MP);
  // PUBACK | rl 5 | packet id 7 | reason 0 | props length 5 (nothing follows)
  rejects(pkt('40 05 00 07 00 05 00'), 5, MP);
  // property length with five bytes: PUBACK | rl 9 | packet id 7 | reason 0 | 80 80 80 80 01 | 00
  rejects(pkt('40 09 00 07 00 80 80 80 80 01 00'), 5, MP);
});

test('5:§3.1.2.11 property values out of range are protocol errors', () => {
  // CONNECT | rl 17 | "MQTT" 5 | flags 02 | keep alive 60 | props 3: receiveMaximum 0 | client id "a"
  rejects(pkt('10 11 00 04 4d 51 54 54 05 02 00 3c 03 21 00 00 00 01 61'), 0, PE);
  // props 5: maximumPacketSize 0
  rejects(pkt('10 13 00 04 4d 51 54 54 05 02 00 3c 05 27 00 00 00 00 00 01 61'), 0, PE);
  // props 2: requestProblemInformation 2
  rejects(pkt('10 10 00 04 4d 51 54 54 05 02 00 3c 02 17 02 00 01 61'), 0, PE);
  // props 2: requestResponseInformation 2
  rejects(pkt('10 10 00 04 4d 51 54 54 05 02 00 3c 02 19 02 00 01 61'), 0, PE);
  // props 4: authenticationData "x" without authenticationMethod
  rejects(pkt('10 12 00 04 4d 51 54 54 05 02 00 3c 04 16 00 01 78 00 01 61'), 0, PE);
});

test('5:§3.3.2.3.2 · 5:§3.1.3.2 payloadFormatIndicator 2 is a protocol error', () => {
  // PUBLISH | rl 10 | topic "a/b" | props 2: payloadFormatIndicator 2 | payload "hi"
  rejects(pkt('30 0a 00 03 61 2f 62 02 01 02 68 69'), 5, PE);
  // CONNECT will properties | rl 23 | flags 06 | props 0 | client id "a" | will props 2: PFI 2 |
  //   will topic "t" | will payload "m"
  rejects(pkt('10 17 00 04 4d 51 54 54 05 06 00 3c 00 00 01 61 02 01 02 00 01 74 00 01 6d'), 0, PE);
});

test('5:§3.8.2.1.2 subscriptionIdentifier 0 is a protocol error', () => {
  // SUBSCRIBE | rl 9 | packet id 1 | props 2: subscriptionIdentifier 0 | filter "a" | options 0
  rejects(pkt('82 09 00 01 02 0b 00 00 01 61 00'), 5, PE);
  // PUBLISH | rl 10 | topic "a/b" | props 2: subscriptionIdentifier 0 | payload "hi"
  rejects(pkt('30 0a 00 03 61 2f 62 02 0b 00 68 69'), 5, PE);
});

test('positive control: 5.0 property values at their bounds decode', () => {
  // SUBSCRIBE | rl 12 | packet id 1 | props 5: subscriptionIdentifier 268435455 (ff ff ff 7f) |
  //   filter "a" | options 1
  accepts(pkt('82 0c 00 01 05 0b ff ff ff 7f 00 01 61 01'), 5, (ps) => {
    assert.equal((ps[0] as SubscribePacket).properties?.subscriptionIdentifier, [268435455]);
  });
  // CONNECT | rl 26 | props 12: receiveMaximum 1, maximumPacketSize 1, requestProblemInformation 1,
  //   requestResponseInformation 0 | client id "a"
  accepts(pkt('10 1a 00 04 4d 51 54 54 05 02 00 3c 0c 21 00 01 27 00 00 00 01 17 01 19 00 00 01 61'), 0, (ps) => {
    const pr = (ps[0] as ConnectPacket).properties;
    assert.is(pr?.receiveMaximum, 1);
    assert.is(pr?.maximumPacketSize, 1);
    assert.is(pr?.requestProblemInformation, 1);
    assert.is(pr?.requestResponseInformation, 0);
  });
});

test('5:§3.1.2.11.8 a user property may appear more than once (kept in order)', () => {
  // CONNECT | rl 28 | "MQTT" 5 | flags 02 | keep alive 60 |
  //   props 14: user property ("k","v"), user property ("k","w") | client id "a"
  accepts(pkt('10 1c 00 04 4d 51 54 54 05 02 00 3c 0e 26 00 01 6b 00 01 76 26 00 01 6b 00 01 77 00 01 61'), 0, (ps) => {
    assert.equal((ps[0] as ConnectPacket).properties?.userProperties, [['k', 'v'], ['k', 'w']]);
  });
  // PUBLISH | rl 22 | topic "a/b" | props 14: same two user properties | payload "hi"
  accepts(pkt('30 16 00 03 61 2f 62 0e 26 00 01 6b 00 01 76 26 00 01 6b 00 01 77 68 69'), 5, (ps) => {
    assert.equal((ps[0] as PublishPacket).properties?.userProperties, [['k', 'v'], ['k', 'w']]);
  });
  // DISCONNECT | rl 7 | reason 0 | props 5: sessionExpiryInterval 10 (allowed there)
  accepts(pkt('e0 07 00 05 11 00 00 00 0a'), 5, (ps) => {
    assert.is((ps[0] as DisconnectPacket).properties?.sessionExpiryInterval, 10);
  });
});

// =======================================================================================
// The decoder after an error; packets before the bad one

test('after an error next() returns null for ever, even when valid bytes are pushed', () => {
  // reserved type 0, then PINGREQ
  const d = new Decoder({ maxPacketSize: MAX, version: 4 });
  d.push(hex('00 00'));
  assert.is(d.next(), null);
  const err = d.error;
  assert.ok(err !== null);
  d.push(pkt('c0 00'));
  assert.is(d.next(), null);
  assert.is(d.next(), null);
  // PUBLISH QoS 0 "a/b" "hi"
  d.push(pkt('30 07 00 03 61 2f 62 68 69'));
  assert.is(d.next(), null);
  assert.is(d.error, err, 'the first error stays');
  assert.is(d.error!.rc, err!.rc);
  // same with the error found in the middle of a chunk: PINGREQ | PINGREQ flags 0001 | PINGREQ
  const e = new Decoder({ maxPacketSize: MAX, version: 5 });
  e.push(hex('c0 00 c1 00 c0 00'));
  const first = e.next();
  assert.is(first?.type, 12);
  assert.is(e.next(), null);
  assert.is(e.error?.rc, MP);
  assert.is(e.next(), null);
  e.push(hex('c0 00'));
  assert.is(e.next(), null);
});

test('a chunk with a valid PUBLISH followed by garbage returns the PUBLISH, then the error', () => {
  // PUBLISH QoS 0 | rl 7 | "a/b" | "hi"  then  reserved type 0
  const bytes = cat(pkt('30 07 00 03 61 2f 62 68 69'), hex('00 00'));
  rejects(bytes, 4, [MP, PE], { before: 1 });
  const d = new Decoder({ maxPacketSize: MAX, version: 4 });
  d.push(bytes);
  const p = d.next() as PublishPacket;
  assert.is(p.type, 3);
  assert.is(p.topic, 'a/b');
  assert.equal(Array.from(p.payload), [0x68, 0x69]);
  assert.is(d.next(), null);
  assert.ok(d.error !== null);
  // PUBLISH | PINGREQ | PUBREL with flags 0000  -> 2 packets then 0x81
  rejects(cat(pkt('30 07 00 03 61 2f 62 68 69'), pkt('c0 00'), pkt('60 02 00 07')), 4, MP, { before: 2 });
  // 5.0: PUBLISH | PUBLISH with QoS 3
  rejects(cat(pkt('30 08 00 03 61 2f 62 00 68 69'), pkt('36 0a 00 03 61 2f 62 00 01 00 68 69')), 5, MP, { before: 1 });
  // CONNECT v4 (version learnt from it) | SUBSCRIBE without filters
  rejects(cat(pkt('10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61'), pkt('82 02 00 01')), 0, PE, { before: 1 });
});

test.run();
