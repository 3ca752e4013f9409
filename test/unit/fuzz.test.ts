// Robustness of the decoder against arbitrary input: random bytes, random mutations (bit
// flips, overwrites, truncations, insertions, deletions, duplications) of valid packets of
// every type and version, fed in random chunk splits. Whatever the input, the decoder
//   - never throws,
//   - terminates: next() returns null after at most one call per pushed byte (plus one per
//     push), and never returns more packets than there are 2-byte slices in the input,
//   - reports every problem as a CodecError { rc >= 0x80, rule: non-empty string },
//   - stays stopped after an error (next() null, the same error, more bytes ignored),
//   - decodes the same bytes the same way whatever the chunk split,
//   - refuses an oversized packet on its fixed header, before the body, and does not
//     choke on the body pushed afterwards.
// fast-check runs with fixed seeds and a seeded PRNG drives the stream cases, so a failure
// reproduces; every assertion message carries the input bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Decoder, encode, MAX_PACKET_SIZE } from '../../core/index.js';
import type { Packet, CodecError } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import { prng } from '../helpers/prng.js';

// ---------------------------------------------------------------------------------------
// A valid packet of every type in every version, encoded with our encoder. The fuzz cases
// mutate these bytes; the exact bytes do not matter, only that they start out valid.

const u8 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'utf8'));

interface Sample { version: number; name: string; bytes: Uint8Array }

function packetsFor(v: number): Array<[string, Packet]> {
  const five = v === 5;
  const list: Array<[string, Packet]> = [
    ['CONNECT', {
      type: 1, protocolName: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, cleanStart: true,
      keepAlive: 60,
      properties: five ? { sessionExpiryInterval: 30, receiveMaximum: 20, topicAliasMaximum: 5,
        userProperties: [['k', 'v'], ['k', 'w']], authenticationMethod: 'SCRAM',
        authenticationData: u8('xy') } : null,
      clientId: 'client-1',
      will: { topic: 'will/topic', payload: u8('gone'), qos: 1, retain: true,
        properties: five ? { willDelayInterval: 5, contentType: 'text/plain', payloadFormatIndicator: 1,
          correlationData: u8('c'), responseTopic: 'r/t' } : null },
      username: 'user', password: u8('secret'),
    }],
    ['CONNECT minimal', {
      type: 1, protocolName: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, cleanStart: false,
      keepAlive: 0, properties: null, clientId: 'c', will: null, username: null, password: null,
    }],
    ['CONNACK', { type: 2, sessionPresent: v !== 3, reasonCode: 0,
      properties: five ? { topicAliasMaximum: 10, maximumPacketSize: 1000, assignedClientIdentifier: 'x',
        maximumQoS: 1, retainAvailable: 0, serverKeepAlive: 30, reasonString: 'ok' } : null }],
    ['PUBLISH qos0', { type: 3, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0,
      properties: null, payload: u8('hello') }],
    ['PUBLISH qos1', { type: 3, dup: true, qos: 1, retain: true, topic: 'sensors/x/temp', packetId: 513,
      properties: five ? { messageExpiryInterval: 60, topicAlias: 3, subscriptionIdentifier: [1, 300] } : null,
      payload: u8('21.5') }],
    ['PUBLISH qos2', { type: 3, dup: false, qos: 2, retain: false, topic: 'x/\u00e9/\u{1F600}', packetId: 65535,
      properties: five ? { payloadFormatIndicator: 1, responseTopic: 'reply/to', correlationData: u8('id-1'),
        contentType: 'application/json', userProperties: [['a', 'b']] } : null,
      payload: new Uint8Array(200).fill(7) }],
    ['PUBACK', { type: 4, packetId: 7, reasonCode: five ? 0x10 : 0, properties: five ? { reasonString: 'none' } : null }],
    ['PUBREC', { type: 5, packetId: 8, reasonCode: 0, properties: null }],
    ['PUBREL', { type: 6, packetId: 9, reasonCode: five ? 0x92 : 0, properties: null }],
    ['PUBCOMP', { type: 7, packetId: 10, reasonCode: 0, properties: five ? { userProperties: [['u', 'p']] } : null }],
    ['SUBSCRIBE', { type: 8, packetId: 11, properties: five ? { subscriptionIdentifier: [5] } : null,
      subscriptions: [
        { topicFilter: 'a/+', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: 'b/#', qos: 2, noLocal: five, retainAsPublished: five, retainHandling: five ? 2 : 0 },
      ] }],
    ['SUBACK', { type: 9, packetId: 11, properties: null, reasonCodes: v === 3 ? [0, 1, 2] : [0, 1, 2, 0x80] }],
    ['UNSUBSCRIBE', { type: 10, packetId: 12, properties: null, topicFilters: ['a/+', 'b'] }],
    ['UNSUBACK', { type: 11, packetId: 12, properties: null, reasonCodes: five ? [0, 0x11] : [] }],
    ['PINGREQ', { type: 12 }],
    ['PINGRESP', { type: 13 }],
    ['DISCONNECT', { type: 14, reasonCode: five ? 0x04 : 0, properties: five ? { sessionExpiryInterval: 0 } : null }],
  ];
  if (five) {
    list.push(['AUTH', { type: 15, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: u8('abc') } }]);
  }
  return list;
}

const SAMPLES: Sample[] = [];
for (const v of [3, 4, 5]) {
  for (const [name, p] of packetsFor(v)) SAMPLES.push({ version: v, name: name, bytes: encode(p, v) });
}
const BY_VERSION = new Map<number, Sample[]>([3, 4, 5].map((v) => [v, SAMPLES.filter((s) => s.version === v)]));
const CONNECTS = new Map<number, Sample>([3, 4, 5].map((v) => [v, SAMPLES.find((s) => s.version === v && s.name === 'CONNECT')!]));

// ---------------------------------------------------------------------------------------
// Feeding

interface Run { packets: Packet[]; types: number[]; error: CodecError | null }

// Which rules the fuzz cases reached (to check that they reach deep into the parsers).
const RULES_SEEN = new Map<string, number>();

// Pushes `bytes` cut at `cuts` (any order, any values: they are reduced into range; repeated
// cuts make empty chunks), draining next() after every push, and checks the invariants.
function feed(bytes: Uint8Array, cuts: number[], version: number, max: number, copy: boolean): Run {
  const where = `input ${toHex(bytes)} | cuts ${cuts.join(',')} | version ${version} | max ${max}`;
  const points = cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))).sort((a, b) => a - b);
  points.push(bytes.length);
  const packets: Packet[] = [];
  let error: CodecError | null = null;
  let calls = 0;
  let pushes = 0;
  try {
    const d = new Decoder({ maxPacketSize: max, version: version });
    let prev = 0;
    for (const cut of points) {
      const chunk = copy ? bytes.slice(prev, cut) : bytes.subarray(prev, cut);
      prev = cut;
      d.push(chunk);
      pushes++;
      for (;;) {
        calls++;
        if (calls > bytes.length + pushes + 1) {
          assert.unreachable(`${where}: next() called ${calls} times for ${bytes.length} bytes in ${pushes} pushes`);
        }
        const p = d.next();
        if (p === null) break;
        assert.ok(error === null, `${where}: a packet after an error`);
        packets.push(p);
      }
      if (d.error !== null) {
        if (error !== null) assert.is(d.error, error, `${where}: the error changed`);
        error = d.error;
      }
    }
    if (error !== null) {
      // stopped for good: more (valid) bytes change nothing
      d.push(hex('c0 00 c0 00'));
      assert.is(d.next(), null, `${where}: next() after the error`);
      assert.is(d.error, error, `${where}: the error changed after more bytes`);
    }
  } catch (e) {
    if (e instanceof assert.Assertion) throw e;
    assert.unreachable(`${where}: the decoder threw ${(e as Error)?.stack ?? String(e)}`);
  }
  assert.ok(packets.length <= Math.floor(bytes.length / 2), `${where}: ${packets.length} packets from ${bytes.length} bytes`);
  for (const p of packets) {
    assert.type(p, 'object', where);
    assert.ok(typeof p.type === 'number' && p.type >= 1 && p.type <= 15, `${where}: packet type ${String(p.type)}`);
  }
  if (error !== null) {
    assert.type(error, 'object', where);
    assert.type(error.rc, 'number', `${where}: rc`);
    assert.ok(error.rc >= 0x80 && error.rc <= 0xff, `${where}: rc 0x${error.rc.toString(16)}`);
    assert.type(error.rule, 'string', `${where}: rule`);
    assert.ok(error.rule.length > 0, `${where}: empty rule`);
    assert.type(error.message, 'string', `${where}: message`);
    RULES_SEEN.set(error.rule, (RULES_SEEN.get(error.rule) ?? 0) + 1);
  }
  return { packets: packets, types: packets.map((p) => p.type), error: error };
}

// The same bytes in one chunk and in `cuts` must decode the same way.
function feedBoth(bytes: Uint8Array, cuts: number[], version: number, max: number): void {
  const one = feed(bytes, [], version, max, false);
  const split = feed(bytes, cuts, version, max, cuts.length % 2 === 0);
  const where = `input ${toHex(bytes)} | cuts ${cuts.join(',')} | version ${version} | max ${max}`;
  assert.equal(split.types, one.types, `${where}: packet types differ between one chunk and split`);
  assert.is(split.error === null ? null : split.error.rc, one.error === null ? null : one.error.rc,
    `${where}: error differs between one chunk and split`);
}

// ---------------------------------------------------------------------------------------
// Mutations

type Mutation = { kind: number; pos: number; val: number };

function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Array.from(src);
  for (const m of muts) {
    const n = b.length;
    // half the positions land in the fixed header (type, flags, remaining length)
    const pos = n === 0 ? 0 : (m.pos & 1 ? (m.pos >> 1) % Math.min(n, 5) : (m.pos >> 1) % n);
    switch (m.kind) {
      case 0: if (n) b[pos] ^= 1 << (m.val & 7); break;                   // bit flip
      case 1: if (n) b[pos] = m.val; break;                                // overwrite a byte
      case 2: b.splice(pos, 0, m.val); break;                              // insert a byte
      case 3: if (n) b.splice(pos, 1); break;                              // delete a byte
      case 4: b = b.slice(0, pos); break;                                  // truncate
      case 5: b.splice(pos, 0, ...b.slice(pos, pos + 1 + (m.val & 7))); break; // duplicate a run
      case 6: if (n) b[pos] = [0x00, 0x7f, 0x80, 0xff][m.val & 3]; break;  // boundary byte
      default: b.push(m.val);                                              // append garbage
    }
  }
  return Uint8Array.from(b);
}

const mutationArb = fc.record({ kind: fc.integer({ min: 0, max: 7 }), pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) });
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
const maxArb = fc.constantFrom(2, 5, 16, 64, 300, 1024, 65536, MAX_PACKET_SIZE);

// ---------------------------------------------------------------------------------------

test('sanity: every sample packet decodes from its own bytes, split at every byte', () => {
  for (const s of SAMPLES) {
    const r = feed(s.bytes, Array.from({ length: s.bytes.length }, (_, i) => i).slice(1), s.name.startsWith('CONNECT') ? 0 : s.version, MAX_PACKET_SIZE, true);
    assert.is(r.error, null, `v${s.version} ${s.name} ${toHex(s.bytes)}: ${r.error?.rule} ${r.error?.message}`);
    assert.is(r.packets.length, 1, `v${s.version} ${s.name}`);
  }
});

test('fast-check: random bytes never break the decoder', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, fc.constantFrom(0, 3, 4, 5), maxArb,
    (bytes, cuts, version, max) => { feedBoth(bytes, cuts, version, max); }),
  { seed: 0x6a6e6c, numRuns: 3000 });
});

test('fast-check: random bodies behind a plausible fixed header never break the decoder', () => {
  // first byte: any type and flags; remaining length: exactly the body that follows, so the
  // decoder gets past the fixed header into every packet body parser
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 127 }), cutsArb,
    fc.constantFrom(0, 3, 4, 5), fc.boolean(),
    (first, body, cuts, version, twice) => {
      const one = Uint8Array.from([first, body.length, ...body]);
      const bytes = twice ? Uint8Array.from([...one, ...one]) : one;
      feedBoth(bytes, cuts, version, 65536);
    }),
  { seed: 20251125, numRuns: 4000 });
});

test('fast-check: mutated valid packets of every type and version never break the decoder', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: SAMPLES.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
    cutsArb, fc.boolean(), maxArb,
    (i, muts, cuts, unknownVersion, max) => {
      const s = SAMPLES[i];
      const bytes = mutate(s.bytes, muts);
      // a CONNECT is also fed to a server decoder that does not know the version yet
      const version = unknownVersion && s.name.startsWith('CONNECT') ? 0 : s.version;
      feedBoth(bytes, cuts, version, max);
    }),
  { seed: 1883, numRuns: 6000 });
});

test('seeded PRNG: mutated streams of several packets (CONNECT first) in random splits', () => {
  const rnd = prng(8883);
  const int = (n: number): number => Math.floor(rnd() * n);
  for (let c = 0; c < 5000; c++) {
    const v = 3 + int(3);
    const pool = BY_VERSION.get(v)!;
    const parts: Uint8Array[] = [];
    const fromConnect = int(2) === 0;
    if (fromConnect) parts.push(CONNECTS.get(v)!.bytes);
    const n = 1 + int(4);
    for (let k = 0; k < n; k++) parts.push(pool[int(pool.length)].bytes);
    let bytes: Uint8Array = Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    const muts: Mutation[] = [];
    const m = int(4);
    for (let k = 0; k < m; k++) muts.push({ kind: int(8), pos: int(1 << 16), val: int(256) });
    bytes = mutate(bytes, muts);
    const cuts: number[] = [];
    const nc = int(10);
    for (let k = 0; k < nc; k++) cuts.push(int(bytes.length + 1));
    const max = [16, 64, 256, 65536, MAX_PACKET_SIZE][int(5)];
    feedBoth(bytes, cuts, fromConnect ? 0 : v, max);
  }
});

test('fast-check: unmutated samples in random splits decode to packets that re-encode to the same bytes', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: SAMPLES.length - 1 }), { minLength: 1, maxLength: 4 }), cutsArb,
    (idx, cuts) => {
      const v = SAMPLES[idx[0]].version;
      const picked = idx.map((i) => SAMPLES[i]).filter((s) => s.version === v);
      const bytes = Uint8Array.from(picked.flatMap((s) => Array.from(s.bytes)));
      const r = feed(bytes, cuts, v, MAX_PACKET_SIZE, false);
      assert.is(r.error, null, `${toHex(bytes)}: ${r.error?.rule} ${r.error?.message}`);
      assert.is(r.packets.length, picked.length);
      for (let k = 0; k < picked.length; k++) {
        assert.is(toHex(encode(r.packets[k], v)), toHex(picked[k].bytes), `v${v} ${picked[k].name} re-encoded`);
      }
    }),
  { seed: 31, numRuns: 500 });
});

test('maximum packet size: an oversized packet is refused on its fixed header, and its body is not buffered', () => {
  const M = 1024;
  // PUBLISH | remaining length 268435455 (ff ff ff 7f), the largest there is
  for (const version of [3, 4, 5]) {
    const d = new Decoder({ maxPacketSize: M, version: version });
    d.push(hex('30 ff ff ff 7f'));
    assert.is(d.next(), null);
    assert.is(d.error?.rc, 0x95, `v${version}: 0x95 before any of the body`);
    const err = d.error;
    // M*4 bytes of the announced body
    d.push(new Uint8Array(M * 4).fill(0x41));
    assert.is(d.next(), null);
    // then 10 MB in 1 MB chunks (and one in a single chunk): nothing is thrown, nothing decoded
    const mb = new Uint8Array(1 << 20).fill(0x30);
    for (let i = 0; i < 10; i++) {
      d.push(mb);
      assert.is(d.next(), null);
    }
    d.push(new Uint8Array(10 << 20));
    assert.is(d.next(), null);
    assert.is(d.error, err);
  }
  // the first packet of a connection (CONNECT, version 0), header given one byte at a time
  const c = new Decoder({ maxPacketSize: M, version: 0 });
  for (const b of [0x10, 0xff, 0xff, 0xff]) {
    c.push(Uint8Array.of(b));
    assert.is(c.next(), null);
  }
  c.push(Uint8Array.of(0x7f));
  assert.is(c.next(), null);
  assert.is(c.error?.rc, 0x95);
  c.push(new Uint8Array(10 << 20));
  assert.is(c.next(), null);
  // announced size M+1 with the body in the same chunk: still refused, never returned
  // PUBLISH | rl 1022 (fe 07): 1025 bytes | topic "a" | 1019 bytes of payload
  const over = new Uint8Array(1025);
  over.set(hex('30 fe 07 00 01 61'));
  const o = new Decoder({ maxPacketSize: M, version: 4 });
  o.push(over);
  assert.is(o.next(), null);
  assert.is(o.error?.rc, 0x95);
});

test('the fuzz cases reached many different error paths', () => {
  // a guard against a fuzz that only ever trips the first check: the cases above must have
  // hit a good spread of the decoder's error paths (each CodecError names its rule)
  const seen = [...RULES_SEEN].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} x${n}`).join(', ');
  assert.ok(RULES_SEEN.size >= 15, `only ${RULES_SEEN.size} distinct rules: ${seen}`);
});

test.run();
