// Inputs for the whole-core fuzzer (harness.ts): MQTT packets of every type for 3.1, 3.1.1
// and 5.0 built from their structure with the codec's own encoder, mostly valid, then
// mutated: strings, binaries and properties at the boundary lengths (0, 1, 127, 128, 65,535
// and a length prefix claiming more than there is), wildcards where names go, properties
// repeated or in packets they do not belong to, flags and lengths broken in the fixed header.
// Everything comes from one seeded PRNG, so a seed replays exactly.
import { encode } from '../../core/index.js';
import type { Packet, Properties, QoS, Subscription, Will } from '../../core/index.js';
import { varint } from '../bench/brokers/mqtt-frames.js';

/** xorshift32: small, fast, seeded; quality is plenty for choosing inputs. */
export class Rng {
  s: number;
  big = 0.01;   // how often a string is one of 30,000 or 65,535 bytes (raised where the broker lets them through)
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number { return this.u32() % n; }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]; }
}

/** Derives the seed of session `i` of a run seeded `seed`, so one session replays alone. */
export function sessionSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const te = new TextEncoder();

// The lengths the issue names, and one past an MQTT string (made as a lying length prefix).
export const BOUNDARY_LENGTHS = [0, 1, 127, 128, 65535];

const TOPICS = ['a', 'a/b', 'a/b/c', 'x/y', 'q', '/', '//', 'a//b', '$SYS/x', 'é/ü', '\u{1F600}', 't/1', 't/2'];
const WILD = ['#', '+', 'a/+', 'a/#', '+/+', '+/b', '#/a', 'a/#/b', 'a+', 'a#', '$SYS/#', '+/#'];
const SHARED = ['$share/g/a/#', '$share/g/+', '$share//a', '$share/g', '$share/g/', '$share/+/a', '$share/g/$SYS/#'];
const CLIENT_IDS = ['c1', 'c2', 'c3', 'c1', 'dev/1', '', 'a+#', 'é'];
const USERS = ['u', 'admin', '', 'é'];

/** A string of a boundary length, of a character that is a wildcard now and then. */
function sized(r: Rng, n: number): string {
  const ch = r.pick(['a', '+', '#', '/', 'é']);
  return ch.repeat(ch === 'é' ? n >> 1 : n);   // é is two bytes: n bytes either way
}

/** A string: mostly from the vocabulary, sometimes of a boundary length (65,535 rarely: it costs). */
export function text(r: Rng, vocabulary: readonly string[]): string {
  if (r.chance(r.big)) return sized(r, r.pick([65535, 30000]));
  return r.chance(0.8) ? r.pick(vocabulary) : sized(r, r.pick([0, 1, 127, 128, 200]));
}

export function topicName(r: Rng): string {
  return r.chance(0.85) ? text(r, TOPICS) : text(r, WILD);   // wildcards where a name goes
}

export function topicFilter(r: Rng): string {
  const roll = r.int(10);
  return roll < 5 ? text(r, TOPICS) : roll < 8 ? text(r, WILD) : roll < 9 ? text(r, SHARED) : '';
}

function bytes(r: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

function payload(r: Rng): Uint8Array {
  const roll = r.int(20);
  if (roll < 14) return te.encode('p' + r.int(1000));
  if (roll < 19) return bytes(r, r.pick([0, 1, 127, 128, 1000]));
  return new Uint8Array(r.pick([4000, 9000]));   // around the broker's maxPacketSize
}

function smallInt(r: Rng, max: number): number {
  return r.pick([0, 1, 2, 3, max, max - 1, r.int(max + 1)]);
}

/** Properties a client may send in packet `type` (5.0), each with a plausible or edge value. */
export function properties(r: Rng, type: number, will: boolean): Properties | null {
  if (r.chance(0.35)) return null;
  const p: Properties = {};
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const k = r.int(12);
    if (k === 0) p.userProperties = [[text(r, USERS), text(r, TOPICS)]];
    else if (type === 3 || will) {
      if (k === 1) p.payloadFormatIndicator = r.int(2);
      else if (k === 2) p.messageExpiryInterval = smallInt(r, 0xffffffff);
      else if (k === 3) p.contentType = text(r, USERS);
      else if (k === 4) p.responseTopic = r.chance(0.5) ? text(r, WILD) : topicName(r);   // a Topic Name: wildcards refused
      else if (k === 5) p.correlationData = bytes(r, r.pick([0, 1, 16]));
      else if (k === 6 && !will) p.topicAlias = 1 + r.int(10);
      else if (k === 7 && will) p.willDelayInterval = r.pick([0, 1, 2, 5]);
    } else if (type === 1) {
      if (k === 1) p.sessionExpiryInterval = r.pick([0, 1, 5, 3600, 0xffffffff]);
      else if (k === 2) p.receiveMaximum = 1 + r.int(5);
      else if (k === 3) p.maximumPacketSize = r.pick([8, 16, 20, 64, 128, 1000, 100000]);
      else if (k === 4) p.topicAliasMaximum = r.int(5);
      else if (k === 5) p.requestProblemInformation = r.int(2);
      else if (k === 6) p.requestResponseInformation = r.int(2);
      else if (k === 7) p.authenticationMethod = r.pick(['SCRAM', 'x']);
      else if (k === 8) p.authenticationData = bytes(r, 3);
    } else if (type === 8) {
      if (k === 1) p.subscriptionIdentifier = [1 + r.int(300)];
    } else if (type === 14) {
      if (k === 1) p.sessionExpiryInterval = r.pick([0, 1, 60]);
      else if (k === 2) p.reasonString = text(r, USERS);
    } else if (type === 15) {
      if (k === 1) p.authenticationMethod = r.pick(['SCRAM', 'x']);
      else if (k === 2) p.authenticationData = bytes(r, 2);
      else if (k === 3) p.reasonString = 'r';
    } else if (k === 1) p.reasonString = text(r, USERS);
  }
  return p;
}

export interface ConnectChoice {
  version: number;
  clientId: string;
  keepAlive: number;
  maximumPacketSize: number;     // 0: none asked
}

export function connectPacket(r: Rng, version: number): { packet: Packet; choice: ConnectChoice } {
  const v5 = version === 5;
  let will: Will | null = null;
  if (r.chance(0.4)) {
    will = { topic: topicName(r), payload: payload(r), qos: r.int(3) as QoS, retain: r.chance(0.3), properties: v5 ? properties(r, 3, true) : null };
  }
  const props = v5 ? properties(r, 1, false) : null;
  const clientId = text(r, CLIENT_IDS);
  const keepAlive = r.pick([0, 0, 1, 2, 60, 65535]);
  const packet: Packet = {
    type: 1, protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, cleanStart: r.chance(0.6),
    keepAlive: keepAlive, properties: props, clientId: clientId, will: will,
    username: r.chance(0.3) ? text(r, USERS) : null, password: r.chance(0.2) ? bytes(r, r.pick([0, 1, 8])) : null,
  };
  if (packet.password !== null && packet.username === null && !v5) packet.username = 'u';
  return { packet, choice: { version, clientId, keepAlive, maximumPacketSize: props !== null && props.maximumPacketSize !== undefined ? props.maximumPacketSize : 0 } };
}

const IDS = [1, 2, 3, 1, 65535, 7];

function subscription(r: Rng, v5: boolean): Subscription {
  return {
    topicFilter: topicFilter(r), qos: r.int(3) as QoS, noLocal: v5 && r.chance(0.2),
    retainAsPublished: v5 && r.chance(0.2), retainHandling: v5 ? r.int(3) : 0,
  };
}

/** A packet of any type (the server-only ones too), with fields in and at the edge of range. */
export function anyPacket(r: Rng, version: number): Packet {
  const v5 = version === 5;
  const type = r.chance(0.5) ? r.pick([3, 3, 3, 4, 5, 6, 7, 8, 8, 10, 12, 14]) : 1 + r.int(15);
  const rc = v5 ? r.pick([0, 0, 0x04, 0x10, 0x18, 0x19, 0x80, 0x83, 0x92, 0x97]) : 0;
  switch (type) {
    case 1: return connectPacket(r, version).packet;
    case 2: return { type: 2, sessionPresent: r.chance(0.5), reasonCode: rc, properties: null };
    case 3: {
      const qos = r.int(3) as QoS;
      const props = v5 ? properties(r, 3, false) : null;
      const topic = props !== null && props.topicAlias !== undefined && r.chance(0.5) ? '' : topicName(r);
      return { type: 3, dup: qos > 0 && r.chance(0.2), qos, retain: r.chance(0.25), topic, packetId: qos > 0 ? r.pick(IDS) : 0, properties: props, payload: payload(r) };
    }
    case 4: case 5: case 6: case 7:
      return { type, packetId: r.pick(IDS), reasonCode: rc, properties: v5 ? properties(r, type, false) : null };
    case 8: {
      const subs: Subscription[] = [];
      const n = 1 + r.int(3);
      for (let i = 0; i < n; i++) subs.push(subscription(r, v5));
      return { type: 8, packetId: r.pick(IDS), properties: v5 ? properties(r, 8, false) : null, subscriptions: subs };
    }
    case 9: return { type: 9, packetId: r.pick(IDS), properties: null, reasonCodes: [0] };
    case 10: return { type: 10, packetId: r.pick(IDS), properties: v5 ? properties(r, 10, false) : null, topicFilters: [topicFilter(r)] };
    case 11: return { type: 11, packetId: r.pick(IDS), properties: null, reasonCodes: v5 ? [0] : [] };
    case 12: return { type: 12 };
    case 13: return { type: 13 };
    case 14: return { type: 14, reasonCode: rc, properties: v5 ? properties(r, 14, false) : null };
    default:
      if (!v5) return { type: 12 };
      return { type: 15, reasonCode: r.pick([0, 0x18, 0x19]), properties: properties(r, 15, false) };
  }
}

/** `p` encoded for `version`; a packet the encoder refuses (a 65,535-character é) becomes a PINGREQ. */
export function encoded(p: Packet, version: number): Uint8Array {
  try {
    return encode(p, version);
  } catch (e) {
    return new Uint8Array([0xc0, 0x00]);
  }
}

/** [first byte, body start, body length] of a frame the encoder made. */
function header(f: Uint8Array): [number, number, number] {
  let i = 1, len = 0, mul = 1;
  for (;;) { const b = f[i++]; len += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break; }
  return [f[0], i, len];
}

function reframe(first: number, body: Uint8Array): Uint8Array {
  const h = varint(body.length);
  const out = new Uint8Array(1 + h.length + body.length);
  out[0] = first;
  out.set(h, 1);
  out.set(body, 1 + h.length);
  return out;
}

/** Raw 5.0 properties: any identifier (unknown ones too), repeated, values of edge sizes. */
function rawProperties(r: Rng): number[] {
  const out: number[] = [];
  const n = 1 + r.int(4);
  const ids = [0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x1f,
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x00, 0x7f, 0x2b];
  let last = r.pick(ids);
  for (let i = 0; i < n; i++) {
    const id = r.chance(0.4) ? last : r.pick(ids);   // repeated now and then
    last = id;
    out.push(id);
    const kind = r.int(6);
    if (kind === 0) out.push(r.pick([0, 1, 2, 0xff]));
    else if (kind === 1) out.push(0, r.pick([0, 1, 0xff]));
    else if (kind === 2) out.push(0, 0, 0, r.pick([0, 1, 0xff]));
    else if (kind === 3) out.push(...varint(r.pick([0, 1, 127, 128, 268435455])));
    else {
      const len = r.pick([0, 1, 3, 127, 128]);
      out.push(len >> 8, len & 0xff);
      for (let j = 0; j < len; j++) out.push(r.pick([0x61, 0x2b, 0x23, 0x00, 0xc3, 0xff]));
      if (kind === 5) out.push(0, 1, 0x61);   // a pair's second string
    }
  }
  return out;
}

/** Where the Property Length of a 5.0 packet's body is (-1: it has none we can find). */
function propertyOffset(type: number, body: Uint8Array): number {
  switch (type) {
    case 1: return 10;                                                        // "MQTT" 5 flags keep-alive
    case 3: {
      const n = (body[0] << 8) | body[1];
      return 2 + n + 2 > body.length ? -1 : 2 + n + 2;                         // assumes QoS > 0: caller checks
    }
    case 4: case 5: case 6: case 7: return body.length >= 4 ? 3 : -1;
    case 8: case 10: return 2;
    case 14: case 15: return body.length >= 2 ? 1 : -1;
    default: return -1;
  }
}

/**
 * Breaks a valid frame: at the byte level (flip, overwrite, cut, insert, duplicate, a fixed
 * header's flags or length), or, for 5.0, at the property level (raw properties spliced in
 * where the Property Length is: unknown, repeated, misplaced, wrongly sized), or a string's
 * length prefix set to a boundary value (65,535 and more than the packet holds).
 */
export function mutate(r: Rng, f: Uint8Array, version: number): Uint8Array {
  const kind = r.int(10);
  const out = f.slice();
  if (kind === 0 && out.length > 0) {
    out[r.int(out.length)] ^= 1 << r.int(8);
    return out;
  }
  if (kind === 1 && out.length > 0) {
    out[r.int(out.length)] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x2b, 0x23]);
    return out;
  }
  if (kind === 2) return out.subarray(0, r.int(out.length + 1));
  if (kind === 3) {
    const at = r.int(out.length + 1);
    const ins = new Uint8Array(1 + r.int(4));
    for (let i = 0; i < ins.length; i++) ins[i] = r.int(256);
    const res = new Uint8Array(out.length + ins.length);
    res.set(out.subarray(0, at), 0); res.set(ins, at); res.set(out.subarray(at), at + ins.length);
    return res;
  }
  if (kind === 4) {
    const res = new Uint8Array(out.length * 2);   // the frame twice: a repeated packet
    res.set(out, 0); res.set(out, out.length);
    return res;
  }
  if (kind === 5) {
    out[0] = (out[0] & 0xf0) | r.int(16);        // flags: DUP on QoS 0, reserved bits, QoS 3
    return out;
  }
  const [first, start, len] = header(f);
  const body = f.slice(start, start + len);
  if (kind === 6 && f.length > 1) {
    // The Remaining Length itself at a boundary, the body left as it was.
    const h = varint(r.pick([0, 1, 127, 128, 16383, 16384, 268435455]));
    const res = new Uint8Array(1 + h.length + body.length);
    res[0] = first; res.set(h, 1); res.set(body, 1 + h.length);
    return res;
  }
  if (kind === 7 && body.length >= 2) {
    // A two-byte length somewhere in the body set to a boundary value (a string claiming
    // 65,535 bytes it does not have, or 0).
    const at = r.int(body.length - 1);
    const v = r.pick([0, 1, 127, 128, 65535]);
    body[at] = v >> 8; body[at + 1] = v & 0xff;
    return reframe(first, body);
  }
  if (version === 5 && body.length > 0) {
    const type = first >> 4;
    let at = propertyOffset(type, body);
    if (type === 3 && ((first >> 1) & 3) === 0 && at >= 0) at -= 2;   // QoS 0: no packet id
    if (at >= 0 && at < body.length && body[at] === 0) {
      const props = rawProperties(r);
      const pl = varint(props.length);
      const res = new Uint8Array(body.length - 1 + pl.length + props.length);
      res.set(body.subarray(0, at), 0);
      res.set(pl, at);
      res.set(props, at + pl.length);
      res.set(body.subarray(at + 1), at + pl.length + props.length);
      return reframe(first, res);
    }
  }
  return out;
}

/** Splits `b` into 1-4 chunks at random places (the core must not care where). */
export function chunks(r: Rng, b: Uint8Array): Uint8Array[] {
  const n = b.length < 2 ? 1 : 1 + r.int(4);
  if (n === 1) return [b];
  const cuts: number[] = [];
  for (let i = 1; i < n; i++) cuts.push(r.int(b.length));
  cuts.sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of cuts) { out.push(b.subarray(from, c)); from = c; }
  out.push(b.subarray(from));
  return out;
}

/**
 * A packet with one string field as long as an MQTT string allows (65,535 bytes, or nearly:
 * the packet must still encode), of wildcards or plain text: what issue 13's crash was made
 * of. For a broker whose Maximum Packet Size lets such packets through.
 */
export function hugeStringPacket(r: Rng, version: number): Packet {
  const big = r.pick(['+', '#', 'a', 'é/']).repeat(r.pick([65510, 32760, 21000]));
  const s = big.length > 65535 ? big.slice(0, 65535) : big;
  const v5 = version === 5;
  const which = r.int(v5 ? 7 : 3);
  if (which === 0) return { type: 3, dup: false, qos: 0, retain: false, topic: s, packetId: 0, properties: null, payload: new Uint8Array(1) };
  if (which === 1) return { type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: s, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] };
  if (which === 2) return { type: 10, packetId: 1, properties: null, topicFilters: [s] };
  const props: Properties = which === 3 ? { responseTopic: s } : which === 4 ? { contentType: s } : which === 5 ? { userProperties: [[s, s.slice(0, 100)]] } : { correlationData: new Uint8Array(65535) };
  return { type: 3, dup: false, qos: r.int(2) as QoS, retain: false, topic: 'a', packetId: 1, properties: props, payload: new Uint8Array(1) };
}
