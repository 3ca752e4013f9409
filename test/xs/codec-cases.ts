// Codec cases that run unchanged on Node and inside XS (test/xs/run.mjs compares the two).
//
// `runCodecCases(api)` takes the core's exports (`import * as api from '../../core/index.js'`)
// and returns one `{ name, result, problem }` per case:
//   result   a deterministic ASCII string: hex of encoded bytes, or a dump of decoded
//            packets (fixed key order, Uint8Array as hex, non-ASCII as \uXXXX escapes)
//   problem  '' or what went wrong against the expectation written in this file. Every
//            expectation here is hand-derived from the MQTT 3.1 / 3.1.1 / 5.0 specifications
//            (byte layouts in the comments), never copied from our implementation's output.
//            A case that throws reports the exception as its problem.
// run.mjs passes a case when both engines report no problem and the same result.
//
// This file runs in XS: no Buffer, console, TextEncoder or other host globals, only
// ECMAScript built-ins. Property bytes are written in identifier order, the order the
// encoder writes them in (properties.ts), so property-carrying encodes can be compared
// byte for byte.
import type { CaseResult } from './xs-bytes.js';
export type { CaseResult };
import { hex, bytes, squash, byteHex, concat, errorText } from './xs-bytes.js';

type Api = typeof import('../../core/index.js');
type AnyPacket = Parameters<Api['encode']>[0];


// ---------------------------------------------------------------------------------------
// Small helpers that need nothing from the host.







/**
 * A string as printable ASCII, everything else as escapes of its characters: \uXXXX up to
 * U+FFFF, \u{X} above, whether the engine holds that character as a surrogate pair (UTF-16)
 * or as one code point (XS built without mxCESU8, as on a device). So a correct string prints
 * the same in every engine, and an XS string holding two surrogate code points where one
 * character belongs prints differently from it.
 */
const UTF16 = String.fromCharCode(0xd83d, 0xde00).length === 2;   // XS without mxCESU8 makes it one code point

function quote(s: string): string {
  let out = '"';
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      out += s.charAt(i);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff && UTF16) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
    }
    out += c > 0xffff ? '\\u{' + c.toString(16) + '}' : '\\u' + byteHex(c >> 8) + byteHex(c & 255);
  }
  return out + '"';
}

/** Deterministic dump: keys sorted, undefined fields left out, bytes as hex. */
function dump(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return quote(v);
  if (v instanceof Uint8Array) return 'h"' + hex(v) + '"';
  if (Array.isArray(v)) {
    const items: string[] = [];
    for (let i = 0; i < v.length; i++) items.push(dump(v[i]));
    return '[' + items.join(',') + ']';
  }
  if (typeof v === 'object') {
    const o = v as { [k: string]: unknown };
    const keys = Object.keys(o).sort();
    const items: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (o[keys[i]] === undefined) continue;
      items.push(keys[i] + ':' + dump(o[keys[i]]));
    }
    return '{' + items.join(',') + '}';
  }
  return '<' + typeof v + '>';
}


// ---------------------------------------------------------------------------------------
// Packet builders (plain objects, shapes of core/codec/packets.ts).

type Props = { [k: string]: unknown } | null;

function connect(version: number, clientId: string, keepAlive: number, cleanStart: boolean, props: Props,
  will: unknown, username: string | null, password: Uint8Array | null) {
  return {
    type: 1, protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, cleanStart: cleanStart,
    keepAlive: keepAlive, properties: props, clientId: clientId, will: will, username: username, password: password,
  };
}
function connack(sessionPresent: boolean, reasonCode: number, props: Props) {
  return { type: 2, sessionPresent: sessionPresent, reasonCode: reasonCode, properties: props };
}
function publish(qos: number, dup: boolean, retain: boolean, topic: string, packetId: number, props: Props, payload: string) {
  return { type: 3, dup: dup, qos: qos, retain: retain, topic: topic, packetId: packetId, properties: props, payload: bytes(payload) };
}
function ack(type: number, packetId: number, reasonCode: number, props: Props) {
  return { type: type, packetId: packetId, reasonCode: reasonCode, properties: props };
}
function sub(topicFilter: string, qos: number, noLocal: boolean, retainAsPublished: boolean, retainHandling: number) {
  return { topicFilter: topicFilter, qos: qos, noLocal: noLocal, retainAsPublished: retainAsPublished, retainHandling: retainHandling };
}
function subscribe(packetId: number, props: Props, subscriptions: unknown[]) {
  return { type: 8, packetId: packetId, properties: props, subscriptions: subscriptions };
}
function suback(type: number, packetId: number, props: Props, reasonCodes: number[]) {
  return { type: type, packetId: packetId, properties: props, reasonCodes: reasonCodes };
}
function unsubscribe(packetId: number, props: Props, topicFilters: string[]) {
  return { type: 10, packetId: packetId, properties: props, topicFilters: topicFilters };
}
function withReason(type: number, reasonCode: number, props: Props) {
  return { type: type, reasonCode: reasonCode, properties: props };
}

// 'é/€/😀' built from escapes: U+00E9 (C3 A9), U+20AC (E2 82 AC), U+1F600 (F0 9F 98 80).
const UTF8_TOPIC = '\u00e9/\u20ac/\ud83d\ude00';
const UTF8_TOPIC_HEX = 'c3 a9 2f e2 82 ac 2f f0 9f 98 80';

// ---------------------------------------------------------------------------------------
// Wire cases: bytes laid out by hand from the specifications, and the packet they carry.
// `exact`: the encoder must give these bytes back (false where the spec leaves a choice,
// e.g. 5.0 acks may omit a Success reason code and an empty property length).

interface WireCase {
  name: string;
  versions: number[];
  hex: string;
  packet: { [k: string]: unknown };
  exact: boolean;
}

function wireCases(): WireCase[] {
  const W: WireCase[] = [];
  function add(name: string, versions: number[], h: string, packet: { [k: string]: unknown }, exact: boolean): void {
    W.push({ name: name, versions: versions, hex: h, packet: packet, exact: exact });
  }

  // CONNECT. 3.1: "MQIsdp" level 3; flags C2 = username, password, clean session; remaining 0x17.
  add('CONNECT user+password', [3],
    '10 17 00 06 4d 51 49 73 64 70 03 c2 00 3c 00 02 61 62 00 01 75 00 02 70 77',
    connect(3, 'ab', 60, true, null, null, 'u', bytes('70 77')), true);
  // 3.1.1 minimal: "MQTT" level 4, flags 02, keep alive 60, client id "ab".
  add('CONNECT minimal', [4], '10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 61 62',
    connect(4, 'ab', 60, true, null, null, null, null), true);
  // 3.1.1 with a will: flags 2E = will retain 20, will QoS 1 (08), will flag 04, clean 02.
  add('CONNECT will', [4],
    '10 18 00 04 4d 51 54 54 04 2e 00 3c 00 02 61 62 00 03 77 2f 74 00 03 62 79 65',
    connect(4, 'ab', 60, true, null, { topic: 'w/t', payload: bytes('62 79 65'), qos: 1, retain: true, properties: null }, null, null), true);
  // 5.0 minimal: property length 0 after keep alive.
  add('CONNECT minimal', [5], '10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 61 62',
    connect(5, 'ab', 60, true, null, null, null, null), true);
  // 5.0 full: flags D6 = username 80, password 40, will QoS 2 (10), will flag 04, clean 02;
  // keep alive 30; properties (15): session expiry 120 (11), receive maximum 10 (21), user
  // property k=v (26); payload: client id "c1", will properties (25): payload format 1 (01),
  // content type "t" (03), will delay 5 (18), user properties a=b, a=c (26, wire order kept);
  // will topic "w", will payload "x", username "u", password 01 02. Remaining 26 + 43 = 69.
  // 5.0, 4-byte characters (U+1D11E F0 9D 84 9E, U+1F600 F0 9F 98 80) in the client id and
  // in a user property's name and value: flags 02 (clean), keep alive 0; properties (13):
  // user property (26) "\u{1D11E}" = "\u{1F600}"; client id "\u{1F600}". Remaining 10 + 14 + 6 = 30.
  add('CONNECT 4-byte client id and user property', [5],
    '10 1e 00 04 4d 51 54 54 05 02 00 00 ' +
    '0d 26 00 04 f0 9d 84 9e 00 04 f0 9f 98 80 ' +
    '00 04 f0 9f 98 80',
    connect(5, '\ud83d\ude00', 0, true, { userProperties: [['\ud834\udd1e', '\ud83d\ude00']] }, null, null, null), true);
  add('CONNECT will+user properties', [5],
    '10 45 00 04 4d 51 54 54 05 d6 00 1e ' +
    '0f 11 00 00 00 78 21 00 0a 26 00 01 6b 00 01 76 ' +
    '00 02 63 31 ' +
    '19 01 01 03 00 01 74 18 00 00 00 05 26 00 01 61 00 01 62 26 00 01 61 00 01 63 ' +
    '00 01 77 00 01 78 00 01 75 00 02 01 02',
    connect(5, 'c1', 30, true,
      { sessionExpiryInterval: 120, receiveMaximum: 10, userProperties: [['k', 'v']] },
      {
        topic: 'w', payload: bytes('78'), qos: 2, retain: false,
        properties: { payloadFormatIndicator: 1, contentType: 't', willDelayInterval: 5, userProperties: [['a', 'b'], ['a', 'c']] },
      },
      'u', bytes('01 02')), true);

  // CONNACK. 3.x: acknowledge flags, return code.
  add('CONNACK refused 5', [3], '20 02 00 05', connack(false, 5, null), true);
  add('CONNACK session present', [4], '20 02 01 00', connack(true, 0, null), true);
  add('CONNACK session present', [5], '20 03 01 00 00', connack(true, 0, null), true);
  // 5.0 properties (12): assigned client id "id" (12), topic alias maximum 10 (22),
  // maximum QoS 1 (24), retain available 0 (25).
  add('CONNACK properties', [5], '20 0f 00 00 0c 12 00 02 69 64 22 00 0a 24 01 25 00',
    connack(false, 0, { assignedClientIdentifier: 'id', topicAliasMaximum: 10, maximumQoS: 1, retainAvailable: 0 }), true);

  // PUBLISH.
  add('PUBLISH qos0', [3, 4], '30 07 00 03 61 2f 62 68 69', publish(0, false, false, 'a/b', 0, null, '68 69'), true);
  // 3B = PUBLISH, DUP, QoS 1, RETAIN; packet id 10.
  add('PUBLISH qos1 dup retain', [3, 4], '3b 08 00 01 74 00 0a 01 02 03', publish(1, true, true, 't', 10, null, '01 02 03'), true);
  add('PUBLISH qos2 empty payload', [3, 4], '34 05 00 01 74 12 34', publish(2, false, false, 't', 0x1234, null, ''), true);
  add('PUBLISH qos0', [5], '30 06 00 01 74 00 68 69', publish(0, false, false, 't', 0, null, '68 69'), true);
  // Every PUBLISH property (47 bytes): payload format 1 (01), message expiry 3600 (02),
  // content type "text" (03), response topic "r/1" (08), correlation data CA FE (09),
  // subscription identifiers 5 and 128 (0B, varint 80 01), topic alias 5 (23), user
  // properties k=v, k=w (26). Remaining 5 + 2 + 1 + 47 + 5 = 60.
  add('PUBLISH every property', [5],
    '32 3c 00 03 61 2f 62 00 01 2f ' +
    '01 01 02 00 00 0e 10 03 00 04 74 65 78 74 08 00 03 72 2f 31 09 00 02 ca fe ' +
    '0b 05 0b 80 01 23 00 05 26 00 01 6b 00 01 76 26 00 01 6b 00 01 77 ' +
    '68 65 6c 6c 6f',
    publish(1, false, false, 'a/b', 1, {
      payloadFormatIndicator: 1, messageExpiryInterval: 3600, contentType: 'text', responseTopic: 'r/1',
      correlationData: bytes('ca fe'), subscriptionIdentifier: [5, 128], topicAlias: 5,
      userProperties: [['k', 'v'], ['k', 'w']],
    }, '68 65 6c 6c 6f'), true);
  add('PUBLISH utf-8 topic', [4], '30 0d 00 0b ' + UTF8_TOPIC_HEX, publish(0, false, false, UTF8_TOPIC, 0, null, ''), true);
  add('PUBLISH utf-8 topic', [5], '30 0e 00 0b ' + UTF8_TOPIC_HEX + ' 00', publish(0, false, false, UTF8_TOPIC, 0, null, ''), true);

  // PUBACK, PUBREC, PUBREL (flags 0010), PUBCOMP.
  add('PUBACK', [3, 4], '40 02 00 07', ack(4, 7, 0, null), true);
  add('PUBACK short form', [5], '40 02 00 07', ack(4, 7, 0, null), false);
  // 0x10 No matching subscribers, reason string "no" (1F).
  add('PUBACK reason+string', [5], '40 09 00 07 10 05 1f 00 02 6e 6f', ack(4, 7, 0x10, { reasonString: 'no' }), true);
  add('PUBREC', [3, 4], '50 02 00 08', ack(5, 8, 0, null), true);
  add('PUBREC reason, no properties', [5], '50 03 00 08 80', ack(5, 8, 0x80, null), false);
  add('PUBREL', [3, 4], '62 02 00 09', ack(6, 9, 0, null), true);
  add('PUBREL reason, empty properties', [5], '62 04 00 09 92 00', ack(6, 9, 0x92, null), false);
  add('PUBCOMP', [3, 4], '70 02 00 0a', ack(7, 10, 0, null), true);
  add('PUBCOMP reason+string', [5], '70 09 00 0a 92 05 1f 00 02 6e 66', ack(7, 10, 0x92, { reasonString: 'nf' }), true);

  // SUBSCRIBE (flags 0010): "a/+" QoS 1, "#" QoS 2.
  add('SUBSCRIBE', [3, 4], '82 0c 00 01 00 03 61 2f 2b 01 00 01 23 02',
    subscribe(1, null, [sub('a/+', 1, false, false, 0), sub('#', 2, false, false, 0)]), true);
  // 5.0: subscription identifier 7 (0B 07); "a/b" options 2D = retain handling 2 (20),
  // retain as published (08), no local (04), QoS 1; "$share/g/x" options 10 = retain handling 1.
  add('SUBSCRIBE options', [5],
    '82 18 00 02 02 0b 07 00 03 61 2f 62 2d 00 0a 24 73 68 61 72 65 2f 67 2f 78 10',
    subscribe(2, { subscriptionIdentifier: [7] }, [sub('a/b', 1, true, true, 2), sub('$share/g/x', 0, false, false, 1)]), true);
  add('SUBSCRIBE utf-8 filter', [5], '82 13 00 03 00 00 0d ' + UTF8_TOPIC_HEX + ' 2f 23 00',
    subscribe(3, null, [sub(UTF8_TOPIC + '/#', 0, false, false, 0)]), true);

  // SUBACK: 3.1 grants QoS only; 3.1.1 adds 0x80 failure; 5.0 reason codes
  // 0x01 granted QoS 1, 0x87 not authorized, 0x8F topic filter invalid, 0xA2 wildcards not supported.
  add('SUBACK', [3], '90 04 00 01 00 01', suback(9, 1, null, [0, 1]), true);
  add('SUBACK failure', [4], '90 05 00 01 00 02 80', suback(9, 1, null, [0, 2, 0x80]), true);
  add('SUBACK reason codes', [5], '90 07 00 01 00 01 87 8f a2', suback(9, 1, null, [1, 0x87, 0x8f, 0xa2]), true);

  // UNSUBSCRIBE (flags 0010): "a/b", "#".
  add('UNSUBSCRIBE', [3, 4], 'a2 0a 00 03 00 03 61 2f 62 00 01 23', unsubscribe(3, null, ['a/b', '#']), true);
  add('UNSUBSCRIBE user property', [5], 'a2 12 00 03 07 26 00 01 6b 00 01 76 00 03 61 2f 62 00 01 23',
    unsubscribe(3, { userProperties: [['k', 'v']] }, ['a/b', '#']), true);

  // UNSUBACK: no payload in 3.x; 5.0 reason codes 0x00, 0x11 no subscription existed, 0x8F.
  add('UNSUBACK', [3, 4], 'b0 02 00 03', suback(11, 3, null, []), true);
  add('UNSUBACK reason codes', [5], 'b0 06 00 03 00 00 11 8f', suback(11, 3, null, [0, 0x11, 0x8f]), true);

  add('PINGREQ', [3, 4, 5], 'c0 00', { type: 12 }, true);
  add('PINGRESP', [3, 4, 5], 'd0 00', { type: 13 }, true);

  add('DISCONNECT', [3, 4], 'e0 00', withReason(14, 0, null), true);
  add('DISCONNECT short form', [5], 'e0 00', withReason(14, 0, null), false);
  // 0x9C Use another server, server reference "s" (1C).
  add('DISCONNECT server reference', [5], 'e0 06 9c 04 1c 00 01 73', withReason(14, 0x9c, { serverReference: 's' }), true);

  // AUTH (5.0 only): 0x18 Continue authentication, method "SCRAM" (15), data 01 02 (16).
  add('AUTH continue', [5], 'f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02',
    withReason(15, 0x18, { authenticationMethod: 'SCRAM', authenticationData: bytes('01 02') }), true);
  add('AUTH short form', [5], 'f0 00', withReason(15, 0, null), false);
  return W;
}

// ---------------------------------------------------------------------------------------

export function runCodecCases(api: Api): CaseResult[] {
  const out: CaseResult[] = [];

  function run(name: string, fn: () => { result: string; problem: string }): void {
    let r: { result: string; problem: string };
    try {
      r = fn();
    } catch (e) {
      r = { result: errorText(e), problem: errorText(e) };
    }
    out.push({ name: name, result: r.result, problem: r.problem });
  }

  function decodeText(bytesIn: Uint8Array, version: number, maxPacketSize?: number): string {
    const d = maxPacketSize === undefined ? api.decodeAll(bytesIn, version) : api.decodeAll(bytesIn, version, maxPacketSize);
    let s = dump(d.packets);
    if (d.error !== null) s += ' error rc=0x' + byteHex(d.error.rc) + ' rule=' + d.error.rule;
    return s;
  }

  // Encode and decode of every packet type in every version that has it.
  const W = wireCases();
  for (let i = 0; i < W.length; i++) {
    const w = W[i];
    for (let j = 0; j < w.versions.length; j++) {
      const v = w.versions[j];
      const label = ' ' + w.name + ' v' + v;
      // CONNECT is the packet that tells the decoder the version: decode it with version 0.
      const decodeVersion = w.packet.type === 1 ? 0 : v;
      run('decode' + label, function () {
        const result = decodeText(bytes(w.hex), decodeVersion);
        const expected = dump([w.packet]);
        return { result: result, problem: result === expected ? '' : 'expected ' + expected };
      });
      run('encode' + label, function () {
        const encoded = api.encode(w.packet as unknown as AnyPacket, v);
        const result = hex(encoded);
        let problem = '';
        if (w.exact && result !== squash(w.hex)) problem = 'expected ' + squash(w.hex);
        // Whatever the encoder chose, it must decode back to the same packet.
        const back = decodeText(encoded, decodeVersion);
        if (back !== dump([w.packet])) problem += (problem ? '; ' : '') + 'decodes back to ' + back;
        return { result: result, problem: problem };
      });
    }
  }

  // 5.0 §2.2.2: properties may come in any order; user properties keep theirs.
  run('decode properties out of identifier order v5', function () {
    const result = decodeText(bytes('40 15 00 07 10 11 26 00 01 62 00 01 32 1f 00 02 6e 6f 26 00 00 00 00'), 5);
    const expected = dump([ack(4, 7, 0x10, { reasonString: 'no', userProperties: [['b', '2'], ['', '']] })]);
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // A PUBLISH split across 3 chunks, fed to one Decoder; nothing comes out before the end.
  run('decode PUBLISH split in 3 chunks v5', function () {
    const w = wireCases().filter(function (c) { return c.name === 'PUBLISH every property'; })[0];
    const all = bytes(w.hex);
    const d = new api.Decoder({ maxPacketSize: 65536, version: 5 });
    const counts: number[] = [];
    const got: unknown[] = [];
    const cuts = [0, 1, 30, all.length];
    for (let k = 0; k < 3; k++) {
      d.push(all.slice(cuts[k], cuts[k + 1]));
      let n = 0;
      for (let p = d.next(); p !== null; p = d.next()) {
        got.push(p);
        n++;
      }
      counts.push(n);
    }
    const result = 'counts=' + counts.join(',') + ' ' + dump(got) + ' error=' + dump(d.error);
    const expected = 'counts=0,0,1 ' + dump([w.packet]) + ' error=null';
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // A payload inside one chunk is a view of it (API.md), not a copy.
  run('decode PUBLISH payload is a view v4', function () {
    const chunk = bytes('30 07 00 03 61 2f 62 68 69');
    const d = api.decodeAll(chunk, 4);
    const p = d.packets[0] as { payload: Uint8Array };
    const result = 'view=' + (p.payload.buffer === chunk.buffer) + ' offset=' + p.payload.byteOffset + ' ' + hex(p.payload);
    const expected = 'view=true offset=7 6869';
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // Several packets in one chunk: PINGREQ, PUBLISH, PUBACK, SUBSCRIBE, DISCONNECT.
  run('decode several packets in one chunk v4', function () {
    const chunk = bytes('c0 00 30 07 00 03 61 2f 62 68 69 40 02 00 07 82 0c 00 01 00 03 61 2f 2b 01 00 01 23 02 e0 00');
    const result = decodeText(chunk, 4);
    const expected = dump([
      { type: 12 }, publish(0, false, false, 'a/b', 0, null, '68 69'), ack(4, 7, 0, null),
      subscribe(1, null, [sub('a/+', 1, false, false, 0), sub('#', 2, false, false, 0)]), withReason(14, 0, null),
    ]);
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // Two packets over two chunks, the cut inside the second one's remaining length field
  // (3 + 200 bytes need a 2-byte length: CB 01 = 203).
  run('decode two packets, cut inside a length field v4', function () {
    let payload = '';
    for (let k = 0; k < 200; k++) payload += byteHex(k);
    const all = concat([bytes('c0 00 30 cb 01 00 01 74'), bytes(payload)]);
    const d = new api.Decoder({ maxPacketSize: 65536, version: 4 });
    const got: unknown[] = [];
    d.push(all.subarray(0, 4));
    for (let p = d.next(); p !== null; p = d.next()) got.push(p);
    const first = got.length;
    d.push(all.subarray(4));
    for (let p = d.next(); p !== null; p = d.next()) got.push(p);
    const result = 'first=' + first + ' ' + dump(got) + ' error=' + dump(d.error);
    const expected = 'first=1 ' + dump([{ type: 12 }, publish(0, false, false, 't', 0, null, payload)]) + ' error=null';
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // Decoder errors: the MQTT 5 reason code the spec gives, and the rule the decoder names.
  function errorCase(name: string, version: number, h: string, rc: number, maxPacketSize?: number): void {
    run('error ' + name + ' v' + version, function () {
      const d = maxPacketSize === undefined ? api.decodeAll(bytes(h), version) : api.decodeAll(bytes(h), version, maxPacketSize);
      const e = d.error;
      const result = 'packets=' + d.packets.length + (e === null ? ' no error' : ' rc=0x' + byteHex(e.rc) + ' rule=' + e.rule);
      let problem = '';
      if (e === null) problem = 'expected an error rc=0x' + byteHex(rc);
      else if (e.rc !== rc) problem = 'expected rc=0x' + byteHex(rc);
      else if (typeof e.rule !== 'string' || e.rule.length === 0) problem = 'no rule named';
      else if (d.packets.length !== 0) problem = 'a packet came out before the error';
      return { result: result, problem: problem };
    });
  }
  // Packet type 0 is reserved [MQTT-2.1.3-1 area]: malformed.
  errorCase('reserved packet type 0', 4, '00 00', 0x81);
  errorCase('reserved packet type 0', 5, '00 00', 0x81);
  // PUBREL fixed header flags must be 0010 [MQTT-3.6.1-1] / 5.0 §2.1.3: malformed.
  errorCase('PUBREL flags 0000', 4, '60 02 00 01', 0x81);
  errorCase('PUBREL flags 0000', 5, '60 02 00 01', 0x81);
  // A PUBLISH must not have both QoS bits set [MQTT-3.3.1-4].
  errorCase('PUBLISH QoS 3', 4, '36 05 00 01 74 00 01', 0x81);
  errorCase('PUBLISH QoS 3', 5, '36 06 00 01 74 00 01 00', 0x81);
  // The Remaining Length is at most 4 bytes (5.0 §1.5.5, 3.1.1 §2.2.3).
  errorCase('remaining length of 5 bytes', 4, '30 ff ff ff ff 01', 0x81);
  errorCase('remaining length of 5 bytes', 5, '30 ff ff ff ff 01', 0x81);
  // A 22-byte packet against a 16-byte maximum: 0x95 Packet too large.
  errorCase('packet over maxPacketSize', 5, '30 14 00 01 74 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f', 0x95, 16);
  // Ill-formed UTF-8: ED A0 80 encodes the lone surrogate U+D800 [MQTT-1.5.4-1].
  errorCase('topic with a lone surrogate', 4, '30 05 00 03 ed a0 80', 0x81);
  errorCase('topic with a lone surrogate', 5, '30 06 00 03 ed a0 80 00', 0x81);
  // U+0000 in a UTF-8 string is malformed [MQTT-1.5.4-2].
  errorCase('topic with U+0000', 4, '30 05 00 03 61 00 62', 0x81);
  errorCase('topic with U+0000', 5, '30 06 00 03 61 00 62 00', 0x81);

  // The size limit is checked on the fixed header alone, before the payload arrives; and
  // after an error the decoder stays stopped.
  run('error maxPacketSize on the fixed header alone v5', function () {
    const d = new api.Decoder({ maxPacketSize: 16, version: 5 });
    d.push(bytes('30 14'));
    const first = d.next();
    const e1 = d.error;
    d.push(bytes('c0 00'));
    const second = d.next();
    const result = 'first=' + dump(first) + ' rc=' + (e1 === null ? 'none' : '0x' + byteHex(e1.rc)) +
      ' second=' + dump(second) + ' stays=' + (d.error === e1 || (d.error !== null && e1 !== null && d.error.rc === e1.rc));
    const expected = 'first=null rc=0x95 second=null stays=true';
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });

  // encodePublishFrame: the whole frame, a copy with another id and DUP, and head + shared body.
  function frameCase(name: string, version: number, packet: { [k: string]: unknown }, packetId: number, dup: boolean,
    bytesHex: string, withHex: string, headHex: string, bodyHex: string): void {
    run('encodePublishFrame ' + name + ' v' + version, function () {
      const frame = api.encodePublishFrame(packet as unknown as Parameters<Api['encodePublishFrame']>[0], version);
      const before = hex(frame.bytes);
      const withId = hex(frame.withPacketId(packetId, dup));
      const head = hex(frame.head(packetId, dup));
      const body = hex(frame.body);
      const shared = frame.body.buffer === frame.bytes.buffer;
      const after = hex(frame.bytes);
      const result = 'bytes=' + before + ' with=' + withId + ' head=' + head + ' body=' + body +
        ' bodyShared=' + shared + ' bytesAfter=' + after;
      const expected = 'bytes=' + squash(bytesHex) + ' with=' + squash(withHex) + ' head=' + squash(headHex) +
        ' body=' + squash(bodyHex) + ' bodyShared=true bytesAfter=' + squash(bytesHex);
      return { result: result, problem: result === expected ? '' : 'expected ' + expected };
    });
  }
  // QoS 1, "a/b", id 1, "hi"; re-sent as id 0x0102 with DUP (3A).
  frameCase('qos1 dup', 4, publish(1, false, false, 'a/b', 1, null, '68 69'), 0x0102, true,
    '32 09 00 03 61 2f 62 00 01 68 69', '3a 09 00 03 61 2f 62 01 02 68 69', '3a 09 00 03 61 2f 62 01 02', '68 69');
  // 5.0 QoS 1 retained (33), message expiry 60: the body is properties + payload.
  frameCase('qos1 properties', 5, publish(1, false, true, 'a/b', 1, { messageExpiryInterval: 60 }, '68 69'), 7, false,
    '33 0f 00 03 61 2f 62 00 01 05 02 00 00 00 3c 68 69', '33 0f 00 03 61 2f 62 00 07 05 02 00 00 00 3c 68 69',
    '33 0f 00 03 61 2f 62 00 07', '05 02 00 00 00 3c 68 69');
  // QoS 2, id 65535 with DUP (3C), UTF-8 topic.
  frameCase('qos2 utf-8 topic', 4, publish(2, false, false, UTF8_TOPIC, 9, null, 'ff'), 0xffff, true,
    '34 10 00 0b ' + UTF8_TOPIC_HEX + ' 00 09 ff', '3c 10 00 0b ' + UTF8_TOPIC_HEX + ' ff ff ff',
    '3c 10 00 0b ' + UTF8_TOPIC_HEX + ' ff ff', 'ff');

  // UTF-8 helpers.
  function utf8Case(name: string, s: string, h: string): void {
    run('encodeUtf8 ' + name, function () {
      const enc = api.encodeUtf8(s);
      const n = api.utf8Length(s);
      const back = api.decodeUtf8(enc, 0, enc.length);
      const result = hex(enc) + ' length=' + n + ' back=' + (back === null ? 'null' : quote(back));
      const expected = squash(h) + ' length=' + squash(h).length / 2 + ' back=' + quote(s);
      return { result: result, problem: result === expected ? '' : 'expected ' + expected };
    });
  }
  utf8Case('ascii', 'a/b', '61 2f 62');
  utf8Case('empty', '', '');
  utf8Case('e-acute euro grinning face', '\u00e9\u20ac\ud83d\ude00', 'c3 a9 e2 82 ac f0 9f 98 80');
  utf8Case('U+07FF U+0800 U+FFFF U+10FFFF', '\u07ff\u0800\uffff\udbff\udfff', 'df bf e0 a0 80 ef bf bf f4 8f bf bf');

  // A lone surrogate (a UTF-16 engine's, or a lone surrogate code point in XS) is sent as
  // U+FFFD (EF BF BD) [MQTT-1.5.4-1]; a high then a low surrogate are one character.
  run('encodeUtf8 lone surrogates', function () {
    const s = 'a' + String.fromCharCode(0xd83d) + '/' + String.fromCharCode(0xde00) + String.fromCharCode(0xd83d);
    const enc = api.encodeUtf8(s);
    const result = hex(enc) + ' length=' + api.utf8Length(s);
    const expected = '61efbfbd2fefbfbdefbfbd length=11';
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });
  // The Payload Format Indicator's check (5.0 §3.3.2.3.2): 4-byte sequences up to U+10FFFF
  // are well-formed; a truncated one, one above U+10FFFF, an overlong one and a surrogate
  // pair written as two 3-byte sequences (CESU-8) are not.
  run('isWellFormedUtf8 4-byte sequences', function () {
    const list: Array<[string, boolean]> = [['f0 9f 98 80', true], ['41 f0 aa 9b 94 00', true], ['f4 8f bf bf', true],
      ['f0 9f 98', false], ['f4 90 80 80', false], ['f0 8f bf bf', false], ['ed a0 bd ed b8 80', false], ['f8 88 80 80 80', false]];
    const parts: string[] = [];
    let problem = '';
    for (let k = 0; k < list.length; k++) {
      const b = bytes(list[k][0]);
      const got = api.isWellFormedUtf8(b, 0, b.length);
      parts.push(squash(list[k][0]) + '=' + got);
      if (got !== list[k][1]) problem += (problem ? '; ' : '') + squash(list[k][0]) + ' should be ' + list[k][1];
    }
    return { result: parts.join(' '), problem: problem };
  });
  run('decodeUtf8 window', function () {
    const b = bytes('78 c3 a9 79');
    const got = api.decodeUtf8(b, 1, 3);
    const result = got === null ? 'null' : quote(got);
    const expected = quote('\u00e9');
    return { result: result, problem: result === expected ? '' : 'expected ' + expected };
  });
  run('decodeUtf8 rejects', function () {
    // lone surrogate, U+0000, overlong C0 80, overlong E0 80 80, above U+10FFFF,
    // truncated E2 82, stray continuation 80, FF.
    const bad = ['ed a0 80', '00', 'c0 80', 'e0 80 80', 'f4 90 80 80', 'e2 82', '80', 'ff', '61 ed bf bf'];
    const parts: string[] = [];
    let problem = '';
    for (let k = 0; k < bad.length; k++) {
      const b = bytes(bad[k]);
      const got = api.decodeUtf8(b, 0, b.length);
      parts.push(squash(bad[k]) + '=' + (got === null ? 'null' : quote(got)));
      if (got !== null) problem += (problem ? '; ' : '') + squash(bad[k]) + ' should be null';
    }
    return { result: parts.join(' '), problem: problem };
  });

  function predicateCase(name: string, fn: (s: string) => boolean, list: Array<[string, boolean]>): void {
    run(name, function () {
      const parts: string[] = [];
      let problem = '';
      for (let k = 0; k < list.length; k++) {
        const got = fn(list[k][0]);
        parts.push(quote(list[k][0]) + '=' + got);
        if (got !== list[k][1]) problem += (problem ? '; ' : '') + quote(list[k][0]) + ' should be ' + list[k][1];
      }
      return { result: parts.join(' '), problem: problem };
    });
  }
  // 4.7.1: '#' alone and last; '+' a whole level; at least one character [MQTT-4.7.3-1].
  predicateCase('isValidTopicFilter', function (s) { return api.isValidTopicFilter(s); }, [
    ['#', true], ['a/#', true], ['a/+/b', true], ['+', true], ['+/+', true], ['/', true], ['/#', true],
    [UTF8_TOPIC + '/+', true], ['sport/tennis/#', true],
    ['a#', false], ['a/#/b', false], ['a+', false], ['a/b+', false], ['#/a', false], ['', false], ['++', false],
  ]);
  // Topic Names carry no wildcard [MQTT-4.7.0-1].
  predicateCase('isValidTopicName', function (s) { return api.isValidTopicName(s); }, [
    ['a/b', true], ['/', true], [UTF8_TOPIC, true], ['a/+', false], ['#', false], ['a#b', false], ['', false],
  ]);

  return out;
}
