// Broker engine scenarios that run unchanged on Node and inside XS (test/xs/run.mjs runs
// them next to codec-cases.ts and compares the two engines case by case).
//
// `runBrokerCases(api)` takes the core's exports (`import * as api from '../../core/index.js'`)
// and returns one `{ name, result, problem }` per scenario:
//   result   the transcript: at every checkpoint, the hex of what the broker wrote to a
//            client since the previous checkpoint (frames concatenated, in order), and
//            whether each transport is open; deterministic ASCII
//   problem  '' or every mismatch against the expectations written below. Each expected
//            byte string is laid out by hand from the MQTT 3.1 / 3.1.1 / 5.0 specifications
//            (layouts in the comments), never copied from our implementation's output.
//            `..` in an expected string matches any one byte (a Packet Identifier the spec
//            leaves to the server). A scenario that throws reports the exception.
//
// The rig is built here, not imported from test/helpers/rig.ts, because this file runs in
// XS: no Buffer, console, TextEncoder or other host globals, only ECMAScript built-ins
// (strings become bytes through api.encodeUtf8).
//
// What a fake transport also checks, in every scenario (design.md §1):
//   - no write after the core called close();
//   - no write between a write() that answered false and the core's writable();
//   - a frame handed to write() is never modified afterwards.

import type { Broker, BrokerOptions, Connection, Transport } from '../../core/index.js';
import type { CaseResult } from './xs-bytes.js';
export type { CaseResult };
import { hex, bytes, squash, byteHex, errorText, sameBytes } from './xs-bytes.js';

type Api = typeof import('../../core/index.js');


// ---------------------------------------------------------------------------------------
// Bytes and hex, with nothing from the host.






/** An ASCII string as hex bytes (no length prefix). */
function ascii(s: string, api: Api): string {
  return hex(api.encodeUtf8(s));
}

/** A UTF-8 string field: two-byte length, then the bytes (MQTT §1.5.3 / 5.0 §1.5.4). */
function str(s: string, api: Api): string {
  const b = api.encodeUtf8(s);
  return byteHex(b.length >> 8) + byteHex(b.length & 255) + hex(b);
}

/** A frame: first byte, remaining length (one byte: every frame here is under 128), body. */
function frame(first: string, body: string): string {
  const n = squash(body).length / 2;
  if (n > 127) throw new Error('frame() builds single-byte remaining lengths only');
  return squash(first) + byteHex(n) + squash(body);
}



// ---------------------------------------------------------------------------------------
// The rig: fake transports that collect frames, a fake clock, named clients.

class FakeTransport implements Transport {
  frames: Uint8Array[];      // what the core handed over, as handed
  copies: Uint8Array[];      // copies taken at write time, to catch later modification
  taken: number;             // frames already read by a checkpoint
  closeCount: number;
  full: boolean;             // answer write() with false (a slow client)
  saidFull: boolean;         // we answered false and the core has not been told writable()
  problems: string[];
  name: string;

  constructor(name: string, problems: string[]) {
    this.name = name;
    this.problems = problems;
    this.frames = [];
    this.copies = [];
    this.taken = 0;
    this.closeCount = 0;
    this.full = false;
    this.saidFull = false;
  }

  write(f: Uint8Array): boolean {
    if (this.closeCount > 0) this.problems.push(this.name + ': write after close (' + hex(f) + ')');
    if (this.saidFull) this.problems.push(this.name + ': write after write() answered false, before writable() (' + hex(f) + ')');
    this.frames.push(f);
    this.copies.push(f.slice(0));
    if (this.full) {
      this.saidFull = true;
      return false;
    }
    return true;
  }

  close(): void {
    this.closeCount++;
  }
}

interface Client {
  name: string;
  transport: FakeTransport;
  connection: Connection;
}

class Scene {
  api: Api;
  broker: Broker;
  now: number;
  clients: Client[];
  log: string[];
  problems: string[];

  constructor(api: Api, options: BrokerOptions) {
    this.api = api;
    this.now = 0;
    this.clients = [];
    this.log = [];
    this.problems = [];
    this.broker = api.createBroker(options, {}, 0);
  }

  /** A new connection from the port; nothing sent yet. */
  open(name: string): Client {
    const t = new FakeTransport(name, this.problems);
    const c: Client = { name: name, transport: t, connection: this.broker.connect(t, this.now) };
    this.clients.push(c);
    return c;
  }

  client(name: string): Client {
    for (let i = 0; i < this.clients.length; i++) if (this.clients[i].name === name) return this.clients[i];
    throw new Error('no client ' + name);
  }

  /** The client sends these bytes (one chunk). */
  send(name: string, h: string): void {
    this.client(name).connection.receive(bytes(h), this.now);
  }

  /**
   * The fake clock moves to `ms` as a port's one timer would move it: broker.timeout() at
   * each broker.nextDeadline() on the way, never in between.
   */
  at(ms: number): void {
    for (let guard = 0; guard < 100000; guard++) {
      const due = this.broker.nextDeadline();
      if (due < 0 || due > ms) break;
      if (due > this.now) this.now = due;
      this.broker.timeout(this.now);
    }
    this.now = ms;
  }

  /** Hex of every frame written to `name` since the last checkpoint. */
  take(name: string): string {
    const t = this.client(name).transport;
    let s = '';
    for (let i = t.taken; i < t.frames.length; i++) s += hex(t.frames[i]);
    t.taken = t.frames.length;
    return s;
  }

  /** Checkpoint: what `name` received since the last one must be `expected`. */
  expect(label: string, name: string, expected: string): void {
    const actual = this.take(name);
    this.log.push(label + ' ' + name + '=' + actual);
    if (!sameBytes(expected, actual)) {
      this.problems.push(label + ': ' + name + ' expected ' + (squash(expected) || '(nothing)') + ', got ' + (actual || '(nothing)'));
    }
  }

  /** Checkpoint: `name`'s transport is open (close() never called) or closed (exactly once). */
  expectOpen(label: string, name: string, open: boolean): void {
    const n = this.client(name).transport.closeCount;
    this.log.push(label + ' ' + name + (n === 0 ? ' open' : ' closed x' + n));
    if (open && n !== 0) this.problems.push(label + ': ' + name + ' should be open, but the core closed it');
    if (!open && n !== 1) this.problems.push(label + ': ' + name + ' should be closed once, close() was called ' + n + ' times');
  }

  finish(): { result: string; problem: string } {
    for (let i = 0; i < this.clients.length; i++) {
      const t = this.clients[i].transport;
      for (let j = 0; j < t.frames.length; j++) {
        if (hex(t.frames[j]) !== hex(t.copies[j])) {
          this.problems.push(t.name + ': frame ' + j + ' was modified after write(): written ' + hex(t.copies[j]) + ', now ' + hex(t.frames[j]));
        }
      }
      if (t.taken !== t.frames.length) this.log.push('end ' + t.name + '=' + this.take(t.name) + ' (unchecked)');
    }
    return { result: this.log.join('; '), problem: this.problems.join('; ') };
  }
}

// ---------------------------------------------------------------------------------------
// Client packets, laid out by hand.
//
// CONNECT variable header: protocol name, level, flags, keep alive (3.1.1 §3.1.2, 5.0 §3.1.2):
//   3.1    00 06 "MQIsdp" 03          3.1.1  00 04 "MQTT" 04          5.0  00 04 "MQTT" 05 + properties
// Flags: 02 clean session/start, 04 will flag, 08/10 will QoS, 20 will retain.

const MQISDP = '00 06 4d 51 49 73 64 70 03';
const MQTT4 = '00 04 4d 51 54 54 04';
const MQTT5 = '00 04 4d 51 54 54 05';

/** A 3.1.1 CONNECT: flags, keep alive seconds, client id, optional will (topic, payload). */
function connect4(api: Api, clientId: string, flags: string, keepAlive: number, willTopic: string, willPayload: string): string {
  let body = MQTT4 + flags + byteHex(keepAlive >> 8) + byteHex(keepAlive & 255) + str(clientId, api);
  if (willTopic !== '') body += str(willTopic, api) + str(willPayload, api);
  return frame('10', body);
}

const PINGREQ = 'c0 00';
const PINGRESP = 'd0 00';
const DISCONNECT = 'e0 00';
const CONNACK_OK = '20 02 00 00';              // session present 0, return code 0 Accepted
const CONNACK_OK_PRESENT = '20 02 01 00';      // session present 1 [MQTT-3.2.2-2]

/** A 3.1.1 SUBSCRIBE with one filter: packet id, filter, requested QoS (3.1.1 §3.8). */
function subscribe4(api: Api, packetId: number, filter: string, qos: number): string {
  return frame('82', byteHex(packetId >> 8) + byteHex(packetId & 255) + str(filter, api) + byteHex(qos));
}

/** The 3.1.1 SUBACK for one filter. */
function suback4(packetId: number, code: number): string {
  return '90 03 ' + byteHex(packetId >> 8) + byteHex(packetId & 255) + byteHex(code);
}

/** A 3.x PUBLISH: first byte (30 | dup 08 | qos << 1 | retain 01), topic, packet id ('' for QoS 0), payload. */
function publish4(api: Api, first: string, topic: string, packetId: string, payload: string): string {
  return frame(first, str(topic, api) + squash(packetId) + ascii(payload, api));
}

// ---------------------------------------------------------------------------------------
// The scenarios.

type Scenario = (api: Api) => { result: string; problem: string };

const SCENARIOS: Array<[string, Scenario]> = [];

function scenario(name: string, run: Scenario): void {
  SCENARIOS.push([name, run]);
}

// No $SYS traffic in any scenario: it would only add retained messages nobody asked for.
const QUIET: BrokerOptions = { sysIntervalMs: 0 };

function options(extra: BrokerOptions): BrokerOptions {
  return Object.assign({}, QUIET, extra);
}

scenario('CONNECT/CONNACK 3.1', function (api) {
  const s = new Scene(api, QUIET);
  s.open('a');
  // 10 0f | 00 06 "MQIsdp" 03 | flags 02 clean | keep alive 00 3c | 00 01 "a"   (9 + 1 + 2 + 3 = 15)
  s.send('a', '10 0f ' + MQISDP + ' 02 00 3c 00 01 61');
  // 3.1 CONNACK: 20 02, reserved byte 00, return code 00 Connection Accepted.
  s.expect('connect', 'a', CONNACK_OK);
  s.expectOpen('connect', 'a', true);
  return s.finish();
});

scenario('CONNECT/CONNACK 3.1.1', function (api) {
  const s = new Scene(api, QUIET);
  s.open('a');
  // 10 0d | 00 04 "MQTT" 04 | 02 | 00 3c | 00 01 "a"   (7 + 1 + 2 + 3 = 13)
  s.send('a', '10 0d ' + MQTT4 + ' 02 00 3c 00 01 61');
  // 3.1.1 §3.2: 20 02, acknowledge flags 00 (clean session: session present 0 [MQTT-3.2.2-1]), 00 Accepted.
  s.expect('connect', 'a', CONNACK_OK);
  s.expectOpen('connect', 'a', true);
  return s.finish();
});

scenario('CONNECT/CONNACK 5.0', function (api) {
  // The CONNACK properties follow from the options (options.ts: "advertised in CONNACK
  // exactly as set here"; absent means "available" / QoS 2 / no server keep alive, 5.0
  // §3.2.2.3). Properties in identifier order, the order our encoder writes them in.
  const full = new Scene(api, options({
    maxInflightIn: 16, maxPacketSize: 8192, topicAliasMaximum: 8, maximumQoS: 2, retainAvailable: true,
    wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: true,
    serverKeepAlive: 0,
  }));
  full.open('a');
  // 10 0e | 00 04 "MQTT" 05 | 02 | 00 3c | properties 00 | 00 01 "a"   (7 + 1 + 2 + 1 + 3 = 14)
  full.send('a', '10 0e ' + MQTT5 + ' 02 00 3c 00 00 01 61');
  // 5.0 §3.2: 20, remaining 14 = flags 00, reason 00 Success, property length 11:
  //   21 00 10        Receive Maximum 16
  //   22 00 08        Topic Alias Maximum 8
  //   27 00 00 20 00  Maximum Packet Size 8192
  full.expect('connect', 'a', '20 0e 00 00 0b 21 00 10 22 00 08 27 00 00 20 00');
  full.expectOpen('connect', 'a', true);
  const r1 = full.finish();
  // A broker that offers less says so: remaining 27 = 00 00 + property length 24:
  //   13 00 1e        Server Keep Alive 30 (the client asked for 60)
  //   21 00 10        Receive Maximum 16
  //   22 00 04        Topic Alias Maximum 4
  //   24 01           Maximum QoS 1
  //   25 00           Retain Available 0
  //   27 00 00 20 00  Maximum Packet Size 8192
  //   28 00           Wildcard Subscription Available 0
  //   29 00           Subscription Identifiers Available 0
  //   2a 00           Shared Subscription Available 0
  const less = new Scene(api, options({
    maxInflightIn: 16, maxPacketSize: 8192, topicAliasMaximum: 4, maximumQoS: 1, retainAvailable: false,
    wildcardSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false, sharedSubscriptionAvailable: false,
    serverKeepAlive: 30,
  }));
  less.open('b');
  less.send('b', '10 0e ' + MQTT5 + ' 02 00 3c 00 00 01 62');
  less.expect('connect, fewer features', 'b', '20 1b 00 00 18 13 00 1e 21 00 10 22 00 04 24 01 25 00 27 00 00 20 00 28 00 29 00 2a 00');
  less.expectOpen('connect, fewer features', 'b', true);
  const r2 = less.finish();
  return { result: r1.result + '; ' + r2.result, problem: r1.problem + (r1.problem && r2.problem ? '; ' : '') + r2.problem };
});

scenario('SUBSCRIBE/SUBACK', function (api) {
  const s = new Scene(api, QUIET);
  s.open('a');
  s.send('a', connect4(api, 'a', '02', 0, '', ''));
  s.expect('connect', 'a', CONNACK_OK);
  // 3.1.1 SUBSCRIBE 82 (flags 0010 [MQTT-3.8.1-1]), packet id 00 0a, four filters:
  //   00 03 "a/+" 00     00 03 "b/#" 01     00 01 "c" 02     00 05 "d/#/e" 00 (invalid: # not last)
  // remaining 2 + 6 + 6 + 4 + 8 = 26 = 1a
  s.send('a', '82 1a 00 0a 00 03 61 2f 2b 00 00 03 62 2f 23 01 00 01 63 02 00 05 64 2f 23 2f 65 00');
  // SUBACK 90, remaining 2 + 4, same packet id [MQTT-3.8.4-2], one code per filter in order
  // [MQTT-3.8.4-5]: granted 00 01 02, and 80 Failure for the invalid filter.
  s.expect('subscribe 3.1.1', 'a', '90 06 00 0a 00 01 02 80');
  // 5.0: 82 07 | packet id 00 0b | properties 00 | 00 01 "t" | options 01 (QoS 1)
  s.open('b');
  s.send('b', '10 0e ' + MQTT5 + ' 02 00 00 00 00 01 62');
  s.take('b');   // its CONNACK (checked in 'CONNECT/CONNACK 5.0')
  s.send('b', '82 07 00 0b 00 00 01 74 01');
  // 5.0 SUBACK: 90 04 | 00 0b | property length 00 | reason code 01 Granted QoS 1
  s.expect('subscribe 5.0', 'b', '90 04 00 0b 00 01');
  s.expectOpen('end', 'a', true);
  s.expectOpen('end', 'b', true);
  return s.finish();
});

scenario('QoS 0 publish delivered', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 't', 0));
  s.expect('subscribe', 'sub', suback4(1, 0));
  s.open('v5');
  s.send('v5', '10 0f ' + MQTT5 + ' 02 00 00 00 00 02 76 35');   // 5.0 CONNECT "v5"
  s.take('v5');
  s.send('v5', '82 07 00 01 00 00 01 74 00');                     // 5.0 SUBSCRIBE "t" QoS 0
  s.expect('subscribe', 'v5', '90 04 00 01 00 00');
  s.open('other');
  s.send('other', connect4(api, 'other', '02', 0, '', ''));
  s.expect('connect', 'other', CONNACK_OK);
  s.send('other', subscribe4(api, 1, 'u', 0));
  s.expect('subscribe', 'other', suback4(1, 0));
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  // PUBLISH QoS 0: 30 05 | 00 01 "t" | "hi" (no packet id at QoS 0)
  s.send('pub', '30 05 00 01 74 68 69');
  s.expect('publish', 'sub', '30 05 00 01 74 68 69');
  // 5.0 form of the same message: 30 06 | 00 01 "t" | property length 00 | "hi"
  s.expect('publish', 'v5', '30 06 00 01 74 00 68 69');
  s.expect('publish', 'other', '');   // "u" does not match "t"
  s.expect('publish', 'pub', '');     // QoS 0 has no acknowledgement
  return s.finish();
});

scenario('QoS 1 publish: PUBACK and delivery with packet id 1', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 't', 1));
  s.expect('subscribe', 'sub', suback4(1, 1));
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  // PUBLISH QoS 1: 32 07 | 00 01 "t" | packet id 12 34 | "hi"
  s.send('pub', '32 07 00 01 74 12 34 68 69');
  // PUBACK 40 02 with the publisher's packet id [MQTT-4.3.2-2]
  s.expect('publish', 'pub', '40 02 12 34');
  // Delivered at QoS 1 with the session's first packet id 00 01, DUP 0 [MQTT-3.3.1-2]
  s.expect('publish', 'sub', '32 07 00 01 74 00 01 68 69');
  s.send('sub', '40 02 00 01');     // the subscriber's PUBACK
  s.expect('puback', 'sub', '');
  s.expect('puback', 'pub', '');
  s.expectOpen('end', 'sub', true);
  return s.finish();
});

scenario('QoS 2 inbound: PUBREC/PUBREL/PUBCOMP, a duplicate delivered once', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 't', 2));
  s.expect('subscribe', 'sub', suback4(1, 2));
  s.open('zero');   // a QoS 0 subscriber: counts deliveries without a handshake of its own
  s.send('zero', connect4(api, 'zero', '02', 0, '', ''));
  s.expect('connect', 'zero', CONNACK_OK);
  s.send('zero', subscribe4(api, 1, 't', 0));
  s.expect('subscribe', 'zero', suback4(1, 0));
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  // PUBLISH QoS 2: 34 07 | 00 01 "t" | packet id 00 07 | "hi"
  s.send('pub', '34 07 00 01 74 00 07 68 69');
  s.expect('publish', 'pub', '50 02 00 07');                     // PUBREC [MQTT-4.3.3-2]
  s.expect('publish', 'sub', '34 07 00 01 74 00 01 68 69');      // QoS 2, first packet id
  s.expect('publish', 'zero', '30 05 00 01 74 68 69');
  // The same PUBLISH again with DUP (3c) before PUBREL: PUBREC again, not delivered again.
  s.send('pub', '3c 07 00 01 74 00 07 68 69');
  s.expect('duplicate', 'pub', '50 02 00 07');
  s.expect('duplicate', 'sub', '');
  s.expect('duplicate', 'zero', '');
  // PUBREL 62 02 (flags 0010 [MQTT-3.6.1-1]) -> PUBCOMP 70 02, same id.
  s.send('pub', '62 02 00 07');
  s.expect('pubrel', 'pub', '70 02 00 07');
  // Outbound side of QoS 2 towards the subscriber: its PUBREC -> our PUBREL 62 02 00 01.
  s.send('sub', '50 02 00 01');
  s.expect('pubrec', 'sub', '62 02 00 01');
  s.send('sub', '70 02 00 01');
  s.expect('pubcomp', 'sub', '');
  // After PUBCOMP the id 7 is free: the same id now carries a new message, delivered.
  s.send('pub', '34 07 00 01 74 00 07 6f 6b');
  s.expect('new message, id 7', 'pub', '50 02 00 07');
  s.expect('new message, id 7', 'sub', '34 07 00 01 74 .. .. 6f 6b');
  s.expect('new message, id 7', 'zero', '30 05 00 01 74 6f 6b');
  return s.finish();
});

scenario('retained message on subscribe', function (api) {
  const s = new Scene(api, QUIET);
  s.open('early');
  s.send('early', connect4(api, 'early', '02', 0, '', ''));
  s.expect('connect', 'early', CONNACK_OK);
  s.send('early', subscribe4(api, 1, 'r/#', 0));
  s.expect('subscribe', 'early', suback4(1, 0));
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  // Retained PUBLISH QoS 0: 31 07 | 00 03 "r/1" | "on"
  s.send('pub', '31 07 00 03 72 2f 31 6f 6e');
  // An existing subscriber gets it with RETAIN 0 [MQTT-3.3.1-9].
  s.expect('publish', 'early', '30 07 00 03 72 2f 31 6f 6e');
  s.open('late');
  s.send('late', connect4(api, 'late', '02', 0, '', ''));
  s.expect('connect', 'late', CONNACK_OK);
  s.send('late', subscribe4(api, 1, 'r/#', 1));
  // SUBACK, then the retained message with RETAIN 1 [MQTT-3.3.1-8], at min(0, 1) = QoS 0.
  s.expect('subscribe', 'late', suback4(1, 1) + '31 07 00 03 72 2f 31 6f 6e');
  // A zero-byte retained PUBLISH removes it [MQTT-3.3.1-10] and is delivered as normal
  // [MQTT-3.3.1-12]: 31 05 | 00 03 "r/1".
  s.send('pub', '31 05 00 03 72 2f 31');
  s.expect('clear', 'early', '30 05 00 03 72 2f 31');
  s.expect('clear', 'late', '30 05 00 03 72 2f 31');
  s.open('after');
  s.send('after', connect4(api, 'after', '02', 0, '', ''));
  s.expect('connect', 'after', CONNACK_OK);
  s.send('after', subscribe4(api, 1, 'r/#', 0));
  s.expect('subscribe after clear', 'after', suback4(1, 0));   // nothing retained any more
  return s.finish();
});

// 4-byte characters as the device's XS holds them (one code point each) and as Node does (a
// surrogate pair): a client id, topic levels matched by `+` and by a literal level, and the
// retained store's order, which is the order of the UTF-8 bytes: "r/\uff5e" (EF BD 9E) comes
// before "r/\u{1F600}" (F0 9F 98 80), the reverse of their UTF-16 order (FF5E > D83D).
scenario('4-byte UTF-8 client id, topics and retained order', function (api) {
  const s = new Scene(api, QUIET);
  s.open('pub');
  // 10 10 | 00 04 "MQTT" 04 | 02 | 00 00 | 00 04 F0 9F 98 80 (U+1F600)   (7 + 1 + 2 + 6 = 16)
  s.send('pub', '10 10 ' + MQTT4 + ' 02 00 00 00 04 f0 9f 98 80');
  s.expect('connect', 'pub', CONNACK_OK);
  // Retained QoS 0: 31 09 | 00 06 "r/" F0 9F 98 80 | "a";  31 08 | 00 05 "r/" EF BD 9E | "b"
  s.send('pub', '31 09 00 06 72 2f f0 9f 98 80 61');
  s.send('pub', '31 08 00 05 72 2f ef bd 9e 62');
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 'r/+', 0));
  s.expect('retained, in byte order', 'sub', suback4(1, 0) + '31 08 00 05 72 2f ef bd 9e 62 31 09 00 06 72 2f f0 9f 98 80 61');
  // SUBSCRIBE 82 0b | id 00 02 | 00 06 F0 9F 98 80 "/#" | QoS 0
  s.send('sub', '82 0b 00 02 00 06 f0 9f 98 80 2f 23 00');
  s.expect('subscribe', 'sub', suback4(2, 0));
  // PUBLISH 30 09 | 00 06 F0 9F 98 80 "/x" | "c": delivered byte for byte.
  s.send('pub', '30 09 00 06 f0 9f 98 80 2f 78 63');
  s.expect('publish', 'sub', '30 09 00 06 f0 9f 98 80 2f 78 63');
  return s.finish();
});

scenario('will on abnormal close, none after DISCONNECT', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 'w/#', 0));
  s.expect('subscribe', 'sub', suback4(1, 0));
  s.open('w');
  // CONNECT flags 06 = will flag 04 + clean 02 (will QoS 0, not retained); will topic "w/t",
  // will message "bye": 10 17 | 00 04 "MQTT" 04 06 00 00 | 00 01 "w" | 00 03 "w/t" | 00 03 "bye"
  const withWill = '10 17 ' + MQTT4 + ' 06 00 00 00 01 77 00 03 77 2f 74 00 03 62 79 65';
  if (squash(withWill) !== connect4(api, 'w', '06', 0, 'w/t', 'bye')) throw new Error('CONNECT layout helpers disagree');
  s.send('w', withWill);
  s.expect('connect', 'w', CONNACK_OK);
  // The network connection goes away without DISCONNECT: the will is published [MQTT-3.1.2-8].
  s.client('w').connection.closed(s.now);
  s.expect('abnormal close', 'sub', '30 08 00 03 77 2f 74 62 79 65');
  s.expect('abnormal close', 'w', '');
  // Same will, but the client sends DISCONNECT: the will is discarded [MQTT-3.1.2-10].
  s.open('polite');
  s.send('polite', connect4(api, 'polite', '06', 0, 'w/p', 'bye'));
  s.expect('connect', 'polite', CONNACK_OK);
  s.send('polite', DISCONNECT);
  s.expect('after DISCONNECT', 'sub', '');
  s.expectOpen('after DISCONNECT', 'polite', false);
  s.expectOpen('end', 'sub', true);
  return s.finish();
});

scenario('keep-alive expiry on the fake clock', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));          // keep alive 0: never times out
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 'k/#', 0));
  s.expect('subscribe', 'sub', suback4(1, 0));
  s.open('k');
  // Keep alive 10 s, will "k/w" = "gone".
  s.send('k', connect4(api, 'k', '06', 10, 'k/w', 'gone'));
  s.expect('connect', 'k', CONNACK_OK);
  s.at(14999);                                                    // 14.999 s of silence: not yet over 1.5 x 10 s
  s.expectOpen('t=14.999 s', 'k', true);
  // Any packet restarts the window; a PINGREQ at 14.999 s.
  s.send('k', PINGREQ);
  s.expect('ping at 14.999 s', 'k', PINGRESP);
  s.at(29998);                                                    // 14.999 s of silence
  s.expectOpen('t=29.998 s', 'k', true);
  s.at(30000);                                                    // 15.001 s of silence > 1.5 x 10 s
  // [MQTT-3.1.2-24] the server disconnects: transport.close() called once, as a network
  // failure, so the will goes out [MQTT-3.1.2-8]: 30 09 | 00 03 "k/w" | "gone".
  s.expectOpen('t=30 s', 'k', false);
  s.expect('t=30 s', 'k', '');
  s.expect('t=30 s', 'sub', '30 09 00 03 6b 2f 77 67 6f 6e 65');
  s.at(1000000000);
  s.expectOpen('t=10^9 ms', 'sub', true);
  s.expect('t=10^9 ms', 'k', '');
  return s.finish();
});

scenario('PINGREQ -> PINGRESP', function (api) {
  const s = new Scene(api, QUIET);
  s.open('v3');
  s.send('v3', '10 10 ' + MQISDP + ' 02 00 3c 00 02 76 33');       // 3.1 "v3"
  s.open('v4');
  s.send('v4', connect4(api, 'v4', '02', 60, '', ''));
  s.open('v5');
  s.send('v5', '10 0f ' + MQTT5 + ' 02 00 3c 00 00 02 76 35');     // 5.0 "v5"
  s.take('v3');
  s.take('v4');
  s.take('v5');
  // PINGREQ c0 00 -> PINGRESP d0 00 [MQTT-3.12.4-1], the same bytes in every version.
  s.send('v3', PINGREQ);
  s.send('v4', PINGREQ);
  s.send('v5', PINGREQ);
  s.send('v4', PINGREQ + PINGREQ);   // two in one chunk: two answers
  s.expect('ping', 'v3', PINGRESP);
  s.expect('ping', 'v4', PINGRESP + PINGRESP + PINGRESP);
  s.expect('ping', 'v5', PINGRESP);
  return s.finish();
});

scenario('garbage closes only that client', function (api) {
  const s = new Scene(api, QUIET);
  s.open('good');
  s.send('good', connect4(api, 'good', '02', 0, '', ''));
  s.expect('connect', 'good', CONNACK_OK);
  s.send('good', subscribe4(api, 1, 't', 0));
  s.expect('subscribe', 'good', suback4(1, 0));
  // After CONNECT: packet type 0 is reserved (3.1.1 §2.2.1): malformed, the connection closes.
  s.open('zero');
  s.send('zero', connect4(api, 'zero', '02', 0, '', ''));
  s.expect('connect', 'zero', CONNACK_OK);
  s.send('zero', '00 00');
  s.expectOpen('type 0', 'zero', false);
  s.expect('type 0', 'zero', '');
  // A PUBLISH with QoS 3 (36): [MQTT-3.3.1-4] close.
  s.open('qos3');
  s.send('qos3', connect4(api, 'qos3', '02', 0, '', ''));
  s.expect('connect', 'qos3', CONNACK_OK);
  s.send('qos3', '36 07 00 01 74 00 01 68 69');
  s.expectOpen('QoS 3', 'qos3', false);
  s.expect('QoS 3', 'qos3', '');
  // An HTTP request instead of CONNECT: "GET / HTTP/1.1\r\n" ([MQTT-3.1.0-1] the first packet
  // must be CONNECT); nothing is answered, the connection closes.
  s.open('http');
  s.send('http', ascii('GET / HTTP/1.1', api) + '0d0a');
  s.expectOpen('http', 'http', false);
  s.expect('http', 'http', '');
  // The good client is untouched: it still answers and still receives.
  s.expectOpen('after', 'good', true);
  s.send('good', PINGREQ);
  s.expect('after', 'good', PINGRESP);
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  s.send('pub', '30 05 00 01 74 68 69');
  s.expect('after', 'good', '30 05 00 01 74 68 69');
  return s.finish();
});

scenario('slow consumer: QoS 0 dropped beyond maxOutboundBytes, resumes after writable()', function (api) {
  // Each QoS 0 frame below is 7 bytes (30 05 00 01 74 "mN"); 20 bytes hold two of them.
  const s = new Scene(api, options({ maxOutboundBytes: 20 }));
  s.open('slow');
  s.send('slow', connect4(api, 'slow', '02', 0, '', ''));
  s.expect('connect', 'slow', CONNACK_OK);
  s.send('slow', subscribe4(api, 1, 't', 1));
  s.expect('subscribe', 'slow', suback4(1, 1));
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  const slow = s.client('slow');
  slow.transport.full = true;   // from now on write() answers false
  const m = function (n: number): string { return publish4(api, '30', 't', '', 'm' + n); };
  s.send('pub', m(1));   // handed to the transport (which then says "full")
  s.send('pub', m(2));   // held by the core:  7 bytes
  s.send('pub', m(3));   // held by the core: 14 bytes
  s.send('pub', m(4));   // 21 > 20: dropped
  // A QoS 1 message meanwhile is not dropped: it waits (PUBACK to the publisher at once).
  s.send('pub', '32 07 00 01 74 01 01 71 31');
  s.expect('while full', 'pub', '40 02 01 01');
  s.send('pub', m(5));   // still 14 + 7 > 20: dropped
  s.expect('while full', 'slow', m(1));
  s.expectOpen('while full', 'slow', true);
  slow.transport.full = false;
  slow.transport.saidFull = false;
  slow.connection.writable(s.now);
  // m2, m3 as held, then the QoS 1 message with packet id 1: 32 07 | 00 01 "t" | 00 01 | "q1".
  s.expect('writable', 'slow', m(2) + m(3) + '32 07 00 01 74 00 01 71 31');
  s.send('slow', '40 02 00 01');
  s.send('pub', m(6));
  s.expect('after', 'slow', m(6));
  s.expectOpen('end', 'slow', true);
  return s.finish();
});

scenario('over maxConnections: refused with CONNACK', function (api) {
  const s = new Scene(api, options({ maxConnections: 2 }));
  s.open('a');
  s.send('a', connect4(api, 'a', '02', 0, '', ''));
  s.expect('connect', 'a', CONNACK_OK);
  s.open('b');
  s.send('b', connect4(api, 'b', '02', 0, '', ''));
  s.expect('connect', 'b', CONNACK_OK);
  // Third at once, 3.1.1: 20 02 00 03 (Connection Refused, Server unavailable), then closed
  // [MQTT-3.2.2-5]; session present 0 with a non-zero code [MQTT-3.2.2-4].
  s.open('c');
  s.send('c', connect4(api, 'c', '02', 0, '', ''));
  s.expect('third', 'c', '20 02 00 03');
  s.expectOpen('third', 'c', false);
  // 5.0: 20 03 | 00 | 89 Server busy | property length 00.
  s.open('d');
  s.send('d', '10 0e ' + MQTT5 + ' 02 00 00 00 00 01 64');
  s.expect('third (5.0)', 'd', '20 03 00 89 00');
  s.expectOpen('third (5.0)', 'd', false);
  // Once one leaves, a new one is accepted.
  s.send('a', DISCONNECT);
  s.expectOpen('a left', 'a', false);
  s.open('e');
  s.send('e', connect4(api, 'e', '02', 0, '', ''));
  s.expect('after one left', 'e', CONNACK_OK);
  s.expectOpen('after one left', 'e', true);
  s.expectOpen('after one left', 'b', true);
  return s.finish();
});

scenario('persistent session: QoS 1 queued offline, delivered on reconnect', function (api) {
  const s = new Scene(api, options({ queueQoS0Offline: false }));
  // Clean Session 0 (flags 00), client id "s".
  s.open('s1');
  s.send('s1', connect4(api, 's', '00', 0, '', ''));
  s.expect('first connect', 's1', CONNACK_OK);   // no session yet: session present 0 [MQTT-3.2.2-3]
  s.send('s1', subscribe4(api, 1, 't', 1));
  s.expect('subscribe', 's1', suback4(1, 1));
  s.send('s1', DISCONNECT);
  s.expectOpen('offline', 's1', false);
  s.open('pub');
  s.send('pub', connect4(api, 'pub', '02', 0, '', ''));
  s.expect('connect', 'pub', CONNACK_OK);
  s.send('pub', '32 07 00 01 74 00 05 71 31');   // QoS 1 "q1", id 5: kept for the session [MQTT-3.1.2-5]
  s.expect('publish while offline', 'pub', '40 02 00 05');
  s.send('pub', '30 05 00 01 74 7a 30');         // QoS 0 "z0": not kept (queueQoS0Offline false)
  // Back with Clean Session 0: session present 1 [MQTT-3.2.2-2], then the queued message.
  s.open('s2');
  s.send('s2', connect4(api, 's', '00', 0, '', ''));
  s.expect('reconnect', 's2', CONNACK_OK_PRESENT + '32 07 00 01 74 00 01 71 31');
  // Not acknowledged; the connection drops. On the next reconnect the same PUBLISH is sent
  // again with its original packet id [MQTT-4.4.0-1] and DUP 1 [MQTT-3.3.1-1]: 3a.
  s.client('s2').connection.closed(s.now);
  s.open('s3');
  s.send('s3', connect4(api, 's', '00', 0, '', ''));
  s.expect('reconnect unacknowledged', 's3', CONNACK_OK_PRESENT + '3a 07 00 01 74 00 01 71 31');
  s.send('s3', '40 02 00 01');
  s.send('s3', DISCONNECT);
  // Clean Session 1 discards the session [MQTT-3.1.2-6]: session present 0, no subscription.
  s.open('s4');
  s.send('s4', connect4(api, 's', '02', 0, '', ''));
  s.expect('clean reconnect', 's4', CONNACK_OK);
  s.send('pub', '30 05 00 01 74 6e 6f');
  s.expect('clean reconnect', 's4', '');
  s.expectOpen('end', 's4', true);
  return s.finish();
});

// Beyond the list: more of the engine's rules, also run in XS.

scenario('persistent session: QoS 2 state on both sides survives a reconnect', function (api) {
  const s = new Scene(api, QUIET);
  s.open('s1');
  s.send('s1', connect4(api, 's', '00', 0, '', ''));
  s.expect('connect', 's1', CONNACK_OK);
  s.send('s1', subscribe4(api, 1, 't', 2));
  s.expect('subscribe', 's1', suback4(1, 2));
  s.open('p1');
  s.send('p1', connect4(api, 'p', '00', 0, '', ''));   // a persistent publisher too
  s.expect('connect', 'p1', CONNACK_OK);
  s.send('p1', '34 07 00 01 74 00 09 68 69');           // QoS 2, id 9
  s.expect('publish', 'p1', '50 02 00 09');
  s.expect('publish', 's1', '34 07 00 01 74 00 01 68 69');
  s.send('s1', '50 02 00 01');                          // subscriber's PUBREC
  s.expect('pubrec', 's1', '62 02 00 01');
  // Both drop before finishing. Their sessions keep the QoS 2 state [MQTT-4.1.0-1].
  s.client('s1').connection.closed(s.now);
  s.client('p1').connection.closed(s.now);
  // The subscriber is sent the unacknowledged PUBREL again [MQTT-4.4.0-1].
  s.open('s2');
  s.send('s2', connect4(api, 's', '00', 0, '', ''));
  s.expect('subscriber back', 's2', CONNACK_OK_PRESENT + '62 02 00 01');
  s.send('s2', '70 02 00 01');
  s.expect('pubcomp', 's2', '');
  // The publisher resends its PUBLISH with DUP: PUBREC again, not delivered twice [MQTT-4.3.3-2].
  s.open('p2');
  s.send('p2', connect4(api, 'p', '00', 0, '', ''));
  s.expect('publisher back', 'p2', CONNACK_OK_PRESENT);
  s.send('p2', '3c 07 00 01 74 00 09 68 69');
  s.expect('resent PUBLISH', 'p2', '50 02 00 09');
  s.expect('resent PUBLISH', 's2', '');
  s.send('p2', '62 02 00 09');
  s.expect('pubrel', 'p2', '70 02 00 09');
  return s.finish();
});

scenario('session takeover: the old connection is closed, its will published', function (api) {
  const s = new Scene(api, QUIET);
  s.open('sub');
  s.send('sub', connect4(api, 'sub', '02', 0, '', ''));
  s.expect('connect', 'sub', CONNACK_OK);
  s.send('sub', subscribe4(api, 1, 'w/#', 0));
  s.expect('subscribe', 'sub', suback4(1, 0));
  s.open('a1');
  s.send('a1', connect4(api, 'a', '06', 0, 'w/a', 'x'));
  s.expect('connect', 'a1', CONNACK_OK);
  // The same client id again: the existing connection is closed [MQTT-3.1.4-2]; it did not
  // send DISCONNECT, so its will goes out: 30 06 | 00 03 "w/a" | "x".
  s.open('a2');
  s.send('a2', connect4(api, 'a', '02', 0, '', ''));
  s.expect('takeover', 'a2', CONNACK_OK);
  s.expectOpen('takeover', 'a1', false);
  s.expect('takeover', 'a1', '');
  s.expect('takeover', 'sub', '30 06 00 03 77 2f 61 78');
  s.expectOpen('takeover', 'a2', true);
  return s.finish();
});

scenario('UNSUBSCRIBE/UNSUBACK', function (api) {
  const s = new Scene(api, QUIET);
  s.open('a');
  s.send('a', connect4(api, 'a', '02', 0, '', ''));
  s.expect('connect', 'a', CONNACK_OK);
  s.send('a', subscribe4(api, 1, 't', 0));
  s.expect('subscribe', 'a', suback4(1, 0));
  // UNSUBSCRIBE a2 (flags 0010 [MQTT-3.10.1-1]) 05 | packet id 00 05 | 00 01 "t"
  s.send('a', 'a2 05 00 05 00 01 74');
  s.expect('unsubscribe', 'a', 'b0 02 00 05');          // UNSUBACK, same id [MQTT-3.10.4-4]
  // A filter it never had is still answered [MQTT-3.10.4-5].
  s.send('a', 'a2 08 00 06 00 04 6e 6f 70 65');
  s.expect('unsubscribe unknown', 'a', 'b0 02 00 06');
  s.open('p');
  s.send('p', connect4(api, 'p', '02', 0, '', ''));
  s.expect('connect', 'p', CONNACK_OK);
  s.send('p', '30 05 00 01 74 68 69');
  s.expect('after unsubscribe', 'a', '');             // [MQTT-3.10.4-2] no new messages
  return s.finish();
});

scenario('CONNECT with an unsupported protocol level: CONNACK 01, closed', function (api) {
  const s = new Scene(api, QUIET);
  s.open('a');
  // "MQTT" level 06: [MQTT-3.1.2-2] CONNACK return code 01 (unacceptable protocol level), then close.
  s.send('a', '10 0d 00 04 4d 51 54 54 06 02 00 3c 00 01 61');
  s.expect('connect', 'a', '20 02 00 01');
  s.expectOpen('connect', 'a', false);
  return s.finish();
});

// ---------------------------------------------------------------------------------------

export function runBrokerCases(api: Api): CaseResult[] {
  const out: CaseResult[] = [];
  for (let i = 0; i < SCENARIOS.length; i++) {
    const name = 'broker: ' + SCENARIOS[i][0];
    try {
      const r = SCENARIOS[i][1](api);
      out.push({ name: name, result: r.result, problem: r.problem });
    } catch (e) {
      out.push({ name: name, result: '', problem: errorText(e) });
    }
  }
  return out;
}
