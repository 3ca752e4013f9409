// The Moddable port (ports/moddable/broker-server.js) over a fake of the ECMA-419 sockets
// (test/xs/fake-moddable/), run unchanged on Node and inside XS by test/xs/run.mjs, which
// compares the two engines case by case. Each case returns `{ name, result, problem }`:
//   result   a transcript: at each checkpoint the hex of what a client received, and
//            socket states; deterministic ASCII
//   problem  '' or every mismatch against expectations laid out by hand from the MQTT 3.1.1
//            specification (comments give the layouts), never copied from our output; `..`
//            matches any one byte (a Packet Identifier the server chooses)
// The fake itself reports any breach of the socket API by the port (a write() beyond the
// free send buffer, which also throws "would block" as on the device): each case fails on one.
//
// ECMAScript built-ins only: this runs in XS.

import { BrokerServer, DEVICE_LIMITS, MonotonicClock } from '../../ports/moddable/broker-server.js';
import type { BrokerOptions, Message } from '../../core/index.js';
import { fileStore } from '../../ports/moddable/file-store.js';
import { resetDisk } from './fake-moddable/file.js';
import type { FakePeer, World } from './fake-moddable/world.js';
import { resetWorld } from './fake-moddable/world.js';
import type { CaseResult } from './xs-bytes.js';
export type { CaseResult };
import { hex, bytes, squash, byteHex, errorText, sameBytes } from './xs-bytes.js';

type Api = typeof import('../../core/index.js');


// ---- bytes and hex ----








// ---- client packets (3.1.1), laid out by hand ----

function asciiHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += byteHex(s.charCodeAt(i));
  return out;
}

/** A 3.1.1 string field: two-byte length, then the (ASCII) bytes. */
function str(s: string): string {
  return byteHex(s.length >> 8) + byteHex(s.length & 255) + asciiHex(s);
}

/** A frame with a one-byte remaining length. */
function frame(first: string, body: string): string {
  const n = squash(body).length / 2;
  if (n > 127) throw new Error('frame(): one-byte remaining lengths only');
  return squash(first) + byteHex(n) + squash(body);
}

// CONNECT 3.1.1 §3.1: 00 04 "MQTT" 04, flags (02 clean session, 04 will flag), keep alive, id, will.
function connect(clientId: string, keepAlive: number, willTopic: string, willPayload: string): string {
  const flags = willTopic === '' ? '02' : '06';
  let body = '00 04 4d 51 54 54 04' + flags + byteHex(keepAlive >> 8) + byteHex(keepAlive & 255) + str(clientId);
  if (willTopic !== '') body += str(willTopic) + str(willPayload);
  return frame('10', body);
}

function subscribe(packetId: number, filter: string, qos: number): string {
  return frame('82', byteHex(packetId >> 8) + byteHex(packetId & 255) + str(filter) + byteHex(qos));
}

/** PUBLISH: first byte 30 | qos << 1 | retain, topic, packet id hex ('' for QoS 0), payload. */
function publish(first: string, topic: string, packetId: string, payload: string): string {
  return frame(first, str(topic) + squash(packetId) + asciiHex(payload));
}

function ack(first: string, packetId: number): string {
  return first + '02' + byteHex(packetId >> 8) + byteHex(packetId & 255);
}

const CONNACK_OK = '20 02 00 00';             // 3.1.1 §3.2: flags 00, return code 00 accepted
const CONNACK_UNAVAILABLE = '20 02 00 03';    // return code 03 Server unavailable
const DISCONNECT = 'e0 00';

// ---- the rig ----

interface Client {
  name: string;
  peer: FakePeer;
}

class Rig {
  world: World;
  server: BrokerServer;
  clients: Client[];
  log: string[];
  problems: string[];
  serverLog: string[];
  throwOn: string;   // the server's log function throws on a line holding this ('' never): a bug in a callback

  constructor(limits: BrokerOptions, sendBuffer: number, maxActive: number, tickBase: number) {
    this.world = resetWorld(sendBuffer, maxActive, tickBase);
    this.clients = [];
    this.log = [];
    this.problems = [];
    this.throwOn = '';
    const serverLog: string[] = [];
    this.serverLog = serverLog;
    const self = this;
    this.server = new BrokerServer({ port: 1883, limits: limits, log: function (line: string) {
      serverLog.push(line);
      if (self.throwOn !== '' && line.indexOf(self.throwOn) >= 0) throw new Error('log bug');
    } });
  }

  /** A TCP connection from a client; null when the stack refused it. */
  open(name: string): Client | null {
    const peer = this.world.connect(1883, 2);
    this.world.run();
    if (peer === null) return null;
    const c = { name: name, peer: peer };
    this.clients.push(c);
    return c;
  }

  get(name: string): Client {
    for (let i = 0; i < this.clients.length; i++) if (this.clients[i].name === name) return this.clients[i];
    throw new Error('no client ' + name);
  }

  send(name: string, h: string): void {
    this.get(name).peer.send(bytes(h));
    this.world.run();
  }

  /** open + CONNECT + expect CONNACK accepted. */
  connect(name: string, keepAlive: number, willTopic: string, willPayload: string): Client {
    const c = this.open(name);
    if (c === null) throw new Error(name + ': the stack refused the connection');
    this.send(name, connect(name, keepAlive, willTopic, willPayload));
    this.expect('connect', name, CONNACK_OK);
    return c;
  }

  expect(label: string, name: string, expected: string): void {
    const actual = hex(this.get(name).peer.take());
    this.log.push(label + ' ' + name + '=' + actual);
    if (!sameBytes(expected, actual)) {
      this.problems.push(label + ': ' + name + ' expected ' + (squash(expected) || '(nothing)') + ', got ' + (actual || '(nothing)'));
    }
  }

  expectOpen(label: string, name: string, open: boolean): void {
    const closed = this.get(name).peer.closedByServer;
    this.log.push(label + ' ' + name + (closed ? ' closed' : ' open'));
    if (closed === open) this.problems.push(label + ': ' + name + ' should be ' + (open ? 'open' : 'closed by the server'));
  }

  check(label: string, ok: boolean, what: string): void {
    this.log.push(label + ' ' + what + (ok ? '' : ' NOT'));
    if (!ok) this.problems.push(label + ': ' + what);
  }

  finish(): { result: string; problem: string } {
    const v = this.world.violations.list;
    for (let i = 0; i < v.length; i++) this.problems.push('socket API: ' + v[i]);
    return { result: this.log.join('; '), problem: this.problems.join('; ') };
  }
}

/** Frames in a byte stream: [first byte, body bytes] each; throws on a truncated stream. */
function frames(b: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  let i = 0;
  while (i < b.length) {
    const first = b[i++];
    let len = 0;
    let mul = 1;
    for (;;) {
      const d = b[i++];
      len += (d & 127) * mul;
      mul *= 128;
      if ((d & 128) === 0) break;
    }
    if (i + len > b.length) throw new Error('truncated frame at ' + i);
    out.push([first, b.subarray(i, i + len)]);
    i += len;
  }
  return out;
}

const SMALL: BrokerOptions = { maxConnections: 8 };

// ---- the scenarios ----

type Scenario = (api: Api) => { result: string; problem: string };
const SCENARIOS: Array<[string, Scenario]> = [];

function scenario(name: string, run: Scenario): void {
  SCENARIOS.push([name, run]);
}

scenario('connect, subscribe, QoS 0 publish', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('a', 60, '', '');
  r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/b', 0));
  r.expect('subscribe', 'b', '90 03 00 01 00');          // SUBACK id 1, granted QoS 0
  r.send('a', publish('30', 'a/b', '', 'hi'));
  // PUBLISH QoS 0: 30, remaining 7 = 00 03 "a/b" + "hi"
  r.expect('publish', 'b', '30 07 00 03 61 2f 62 68 69');
  r.expect('publish', 'a', '');
  r.expectOpen('end', 'a', true);
  return r.finish();
});

scenario('QoS 1 both ways', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('a', 60, '', '');
  r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/b', 1));
  r.expect('subscribe', 'b', '90 03 00 01 01');
  r.send('a', publish('32', 'a/b', '00 0a', 'hi'));
  r.expect('puback', 'a', ack('40', 10));                 // PUBACK for id 10 [MQTT-4.3.2-2]
  // 32, remaining 9 = 00 03 "a/b" + id (the server's) + "hi"
  const got = r.get('b').peer.take();
  r.log.push('deliver b=' + hex(got));
  if (!sameBytes('32 09 00 03 61 2f 62 .. .. 68 69', hex(got))) r.problems.push('deliver: b got ' + hex(got));
  else r.send('b', '40 02 ' + byteHex(got[7]) + byteHex(got[8]));
  r.expect('after puback', 'b', '');
  r.check('after puback', r.server.broker.sessions.get('b') !== undefined, 'session b exists');
  return r.finish();
});

scenario('QoS 2 both ways', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('a', 60, '', '');
  r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/b', 2));
  r.expect('subscribe', 'b', '90 03 00 01 02');
  r.send('a', publish('34', 'a/b', '00 0b', 'hi'));
  r.expect('pubrec', 'a', ack('50', 11));                 // PUBREC 11
  r.send('a', ack('62', 11));                             // PUBREL 11 (first byte 62: reserved bits 0010)
  r.expect('pubcomp', 'a', ack('70', 11));                // PUBCOMP 11
  const got = r.get('b').peer.take();
  r.log.push('deliver b=' + hex(got));
  if (!sameBytes('34 09 00 03 61 2f 62 .. .. 68 69', hex(got))) {
    r.problems.push('deliver: b got ' + hex(got));
    return r.finish();
  }
  const id = byteHex(got[7]) + byteHex(got[8]);
  r.send('b', '50 02 ' + id);                             // PUBREC from b
  r.expect('pubrel', 'b', '62 02 ' + id);                 // PUBREL to b [MQTT-4.3.3-3]
  r.send('b', '70 02 ' + id);                             // PUBCOMP from b
  r.expect('done', 'b', '');
  return r.finish();
});

scenario('retained message to a later subscriber', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('a', 60, '', '');
  r.send('a', publish('31', 'a/r', '', 'on'));           // QoS 0, RETAIN
  r.connect('b', 60, '', '');
  r.send('b', subscribe(2, 'a/#', 0));
  // SUBACK, then the retained message with RETAIN set [MQTT-3.3.1-8]: 31 07 00 03 "a/r" "on"
  r.expect('subscribe', 'b', '90 03 00 02 00 31 07 00 03 61 2f 72 6f 6e');
  r.send('a', publish('31', 'a/r', '', ''));             // empty retained payload clears it [MQTT-3.3.1-10]
  r.expect('clear', 'b', '30 05 00 03 61 2f 72');          // delivered to b as a normal message
  r.connect('c', 60, '', '');
  r.send('c', subscribe(3, 'a/#', 0));
  r.expect('subscribe after clear', 'c', '90 03 00 03 00');
  return r.finish();
});

scenario('will on a dropped TCP connection, none on DISCONNECT', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/#', 0));
  r.expect('subscribe', 'b', '90 03 00 01 00');
  r.connect('c', 60, 'a/w', 'gone');
  r.get('c').peer.end();                                  // the peer goes away without DISCONNECT
  r.world.run();
  r.expect('will', 'b', '30 09 00 03 61 2f 77 67 6f 6e 65');   // 30, 2 + 3 + 4 = 9
  r.check('will', r.server.transports.length === 1, 'one socket left');
  r.connect('d', 60, 'a/w', 'bye');
  r.send('d', DISCONNECT);
  r.expect('disconnect', 'b', '');
  r.expectOpen('disconnect', 'd', false);
  r.check('disconnect', r.server.transports.length === 1, 'one socket left');
  return r.finish();
});

scenario('keep-alive expiry on the fake clock, Time.ticks wrapping', function () {
  // Time.ticks starts 1.5 s before the signed 32-bit wrap: the clock must not jump.
  const r = new Rig(SMALL, 8192, 8, 0x7fffffff - 1500);
  r.connect('b', 0, '', '');
  r.send('b', subscribe(1, 'k/#', 0));
  r.expect('subscribe', 'b', '90 03 00 01 00');
  r.connect('k', 2, 'k/gone', 'x');                      // keep alive 2 s: closed past 3 s of silence
  r.world.advance(2500, 100);
  r.expectOpen('2.5 s', 'k', true);
  r.send('k', 'c0 00');                                   // PINGREQ at 2.5 s
  r.expect('ping', 'k', 'd0 00');                         // PINGRESP
  r.world.advance(3000, 100);                             // 5.5 s: exactly 3 s since the last packet
  r.expectOpen('5.5 s', 'k', true);
  r.world.advance(1, 100);                                // 5.501 s: past 1.5 x 2 s [MQTT-3.1.2-24]
  r.expectOpen('5.501 s', 'k', false);
  r.expect('will', 'b', '30 09 00 06 6b 2f 67 6f 6e 65 78');   // 30, 2 + 6 + 1 = 9
  r.check('clock', r.server.clock.now === 5501, 'the one timer fired at the deadline, on a clock monotonic across the wrap (' + r.server.clock.now + ')');
  r.expectOpen('5.501 s', 'b', true);                     // keep alive 0: never times out
  r.world.advance(5000, 1000);                            // past b's connect timeout entry: nothing is due
  let active = 0;
  for (let i = 0; i < r.world.timers.length; i++) if (r.world.timers[i].active) active++;
  r.check('sleeps', active === 0, 'no timer scheduled while nothing is due (' + active + ')');
  return r.finish();
});

scenario('monotonic clock from Time.ticks and Time.delta', function () {
  const w = resetWorld(8192, 8, 0x7fffffff - 10);
  const c = new MonotonicClock();
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    w.nowMs += 7;
    seen.push(c.read());
  }
  const ok = seen.join(',') === '7,14,21,28';
  return { result: seen.join(','), problem: ok ? '' : 'expected 7,14,21,28 across the 32-bit wrap' };
});

scenario('slow consumer: send buffer full, memory bounded, then drained in order', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('p', 60, '', '');
  const s = r.connect('s', 60, '', '');
  r.send('s', subscribe(1, 's/x', 0));
  r.expect('subscribe', 's', '90 03 00 01 00');
  s.peer.autoAck = false;                                  // s stops acknowledging: its send buffer fills
  let payload = '';
  for (let i = 0; i < 96; i++) payload += 'x';
  for (let i = 0; i < 1000; i++) {
    const n = String(1000 + i);                            // 4 digits + 96 = 100 bytes
    r.get('p').peer.send(bytes(publish('30', 's/x', '', n + payload)));
    r.world.run();
  }
  const t = r.server.transports[1];
  const conn = t.connection;
  r.check('full', s.peer.waitingAck === 8192, 'exactly the 8 KB send buffer is in flight to s (' + s.peer.waitingAck + ')');
  const held = r.server.broker.limits.maxOutboundBytes;   // DEVICE_LIMITS: 2048
  r.check('full', conn.outboundBytes <= held, 'the core holds at most maxOutboundBytes for s (' + conn.outboundBytes + ')');
  r.check('full', t.tail === null || t.tail.length <= 107, 'the port holds at most one frame');
  r.check('full', r.server.broker.stats.dropped > 0, 'QoS 0 dropped for the slow consumer');
  r.expectOpen('full', 'p', true);
  r.expectOpen('full', 's', true);
  s.peer.autoAck = true;
  s.peer.ack(s.peer.waitingAck);
  r.world.run();
  const got = frames(s.peer.take());
  let inOrder = true;
  let last = 0;
  for (let i = 0; i < got.length; i++) {
    const f = got[i];
    const body = f[1];
    const seq = parseInt(String.fromCharCode(body[5], body[6], body[7], body[8]), 10);
    if (f[0] !== 0x30 || body.length !== 105 || seq <= last) inOrder = false;
    last = seq;
  }
  r.check('drained', inOrder, 'every frame a whole 107-byte PUBLISH, in publication order');
  // 8192 bytes in flight (76 whole 107-byte frames and part of the 77th) plus what the core
  // may hold (2048 / 107: 19 frames); QoS 0 over that was dropped, not queued without bound.
  const expected = 77 + Math.floor(held / 107);
  r.check('drained', got.length >= expected - 1 && got.length <= expected,
    (expected - 1) + ' to ' + expected + ' frames delivered, the rest dropped (' + got.length + ')');
  r.check('drained', t.tail === null && conn.outboundBytes === 0, 'nothing held after the drain');
  r.send('p', publish('30', 's/x', '', 'after'));
  r.expect('after', 's', '30 0a 00 03 73 2f 78 61 66 74 65 72');
  return r.finish();
});

scenario('a 9th connection is refused cleanly (maxConnections 8); a socket over the spare closes the oldest silent one', function () {
  // A stack with PCBs to spare (the simulator, or a board with a raised lwIP limit).
  const r = new Rig(SMALL, 8192, 16, 0);
  for (let i = 1; i <= 8; i++) r.connect('c' + i, 60, '', '');
  r.open('c9');
  r.open('c10');                                          // one socket over the spare: c9, silent and older, makes room
  r.expectOpen('accept', 'c9', false);
  r.expect('accept', 'c9', '');
  r.send('c10', connect('c10', 60, '', ''));
  r.expect('refused', 'c10', CONNACK_UNAVAILABLE);
  r.expectOpen('refused', 'c10', false);
  r.send('c1', subscribe(1, 't', 0));
  r.expect('others', 'c1', '90 03 00 01 00');
  r.send('c8', publish('30', 't', '', 'ok'));
  r.expect('others', 'c1', '30 05 00 01 74 6f 6b');
  r.send('c2', DISCONNECT);
  r.connect('c11', 60, '', '');                            // room again
  r.check('end', r.server.broker.connectionCount === 8, '8 connections');
  return r.finish();
});

scenario('device limits: 7 clients, the 8th refused by CONNACK, a 9th by the TCP stack', function () {
  const r = new Rig(DEVICE_LIMITS, 8192, 8, 0);
  for (let i = 1; i <= 7; i++) r.connect('c' + i, 60, '', '');
  r.open('c8');
  r.send('c8', connect('c8', 60, '', ''));
  r.expect('8th', 'c8', CONNACK_UNAVAILABLE);
  r.expectOpen('8th', 'c8', false);
  r.open('c9b');                                          // the 8th's socket is closed: its PCB is free again
  r.check('9th', r.world.refused === 0, 'the stack accepted a socket after the 8th closed');
  r.send('c9b', connect('c9b', 60, '', ''));
  r.expect('9th', 'c9b', CONNACK_UNAVAILABLE);
  r.open('x1');                                           // 7 clients + 1 spare socket open
  const x2 = r.open('x2');                                // all 8 PCBs in use: refused by lwIP
  r.check('no pcb', x2 === null && r.world.refused === 1, 'the stack refused a connection with all 8 PCBs in use');
  r.send('c1', subscribe(1, 't', 0));
  r.expect('others', 'c1', '90 03 00 01 00');
  return r.finish();
});

scenario('issue 13: a throw in one socket\'s callback ends that socket only, counted; the others are served', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/#', 0));
  r.expect('subscribe', 'b', '90 03 00 01 00');
  r.connect('c', 60, 'a/w', 'gone');
  r.throwOn = 'closed by peer';                            // its onError handler throws on the way
  r.get('c').peer.end();
  r.world.run();
  r.throwOn = '';
  r.check('fault', r.server.broker.stats.errors === 1, 'one fault counted');
  r.check('fault', r.server.transports.length === 1, 'one socket left');
  r.expect('will', 'b', '30 09 00 03 61 2f 77 67 6f 6e 65');   // c's will still went out
  r.connect('p', 60, '', '');
  r.send('p', publish('30', 'a/x', '', 'hi'));
  r.expect('others', 'b', '30 07 00 03 61 2f 78 68 69');
  return r.finish();
});

scenario('garbage input closes only that client', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  r.connect('a', 60, '', '');
  r.send('a', subscribe(1, 'g', 0));
  r.expect('subscribe', 'a', '90 03 00 01 00');
  r.connect('g', 60, '', '');
  r.send('g', 'ff ff ff ff ff');                           // packet type 15 with flags 15: malformed in 3.1.1
  r.expectOpen('garbage', 'g', false);
  r.expect('garbage', 'g', '');                            // 3.1.1 has no DISCONNECT from the server
  r.open('h');
  r.send('h', asciiHex('GET / HTTP/1.1\r\n\r\n'));         // not MQTT at all: closed before any CONNACK
  r.expectOpen('http', 'h', false);
  r.expect('http', 'h', '');
  r.connect('p', 60, '', '');
  r.send('p', publish('30', 'g', '', 'still'));
  r.expect('others', 'a', '30 08 00 01 67 73 74 69 6c 6c');
  r.check('end', r.server.transports.length === 2, 'two sockets open');
  return r.finish();
});

scenario('a frame larger than the send buffer goes out in pieces', function () {
  const r = new Rig({ maxConnections: 8, maxPacketSize: 16384 }, 8192, 8, 0);
  r.connect('a', 60, '', '');
  const b = r.connect('b', 60, '', '');
  r.send('b', subscribe(1, 'a/b', 0));
  r.expect('subscribe', 'b', '90 03 00 01 00');
  const payload = new Uint8Array(10000);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 255;
  // PUBLISH: 30, remaining 2 + 3 + 10000 = 10005 = 0x2715 -> varint 95 4e, 00 03 "a/b", payload
  const head = bytes('30 95 4e 00 03 61 2f 62');
  const whole = new Uint8Array(head.length + payload.length);
  whole.set(head, 0);
  whole.set(payload, head.length);
  r.get('a').peer.send(whole);
  r.world.run();
  const got = b.peer.take();
  r.check('large', hex(got) === hex(whole), 'b received the 10008-byte frame intact (' + got.length + ' bytes)');
  r.check('large', b.peer.socket.largestWrite <= 8192, 'no write() above the 8192-byte send buffer (' + b.peer.socket.largestWrite + ')');
  r.check('large', b.peer.socket.writes >= 3, 'sent in several writes (' + b.peer.socket.writes + ')');
  return r.finish();
});

scenario('in-process publish and subscribe beside TCP clients', function (api) {
  const r = new Rig(SMALL, 8192, 8, 0);
  const server = r.server;
  const seen: string[] = [];
  const actuator = server.subscribe('cmd/#', function (m: Message) {
    seen.push(m.topic + '=' + api.decodeUtf8(m.payload, 0, m.payload.length));
  });
  r.connect('app', 60, '', '');
  r.send('app', subscribe(1, 'sensors/#', 0));
  r.expect('subscribe', 'app', '90 03 00 01 00');
  server.publish('sensors/t', '21.5', 0, false);          // the local sensor
  r.world.run();
  // 30, remaining 2 + 9 + 4 = 15: 00 09 "sensors/t" "21.5"
  r.expect('sensor', 'app', '30 0f 00 09 73 65 6e 73 6f 72 73 2f 74 32 31 2e 35');
  r.send('app', publish('32', 'cmd/led', '00 05', 'on'));
  r.expect('command', 'app', ack('40', 5));
  r.check('actuator', seen.join(',') === 'cmd/led=on', 'the local actuator got cmd/led=on (' + seen.join(',') + ')');
  actuator.unsubscribe();
  r.send('app', publish('30', 'cmd/led', '', 'off'));
  r.check('unsubscribed', seen.length === 1, 'nothing after unsubscribe');
  return r.finish();
});

scenario('inbound backpressure: a client that does not read is not read from', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  const x = r.connect('x', 60, '', '');
  x.peer.autoAck = false;
  let many = '';
  for (let i = 0; i < 8000; i++) many += 'c000';             // 8000 PINGREQs: 16000 bytes of PINGRESP owed
  x.peer.send(bytes(many));
  r.world.run();
  x.peer.send(bytes('c000c000'));                             // more input while paused
  r.world.run();
  const t = r.server.transports[0];
  r.check('paused', t.paused, 'the core paused reading');
  r.check('paused', x.peer.socket.rxBytes === 4, 'the newer input waits in the stack (' + x.peer.socket.rxBytes + ' bytes)');
  r.check('paused', x.peer.waitingAck === 8192, 'the send buffer is full (' + x.peer.waitingAck + ')');
  x.peer.autoAck = true;
  x.peer.ack(x.peer.waitingAck);
  r.world.run();
  r.check('resumed', !t.paused && x.peer.socket.rxBytes === 0, 'reading resumed and drained the stack');
  r.check('resumed', x.peer.bytesIn === 4 + 2 * 8002, 'CONNACK and every PINGREQ answered (' + x.peer.bytesIn + ' bytes)');
  r.expectOpen('end', 'x', true);
  return r.finish();
});

scenario('server close publishes wills and frees every socket', function () {
  const r = new Rig(SMALL, 8192, 8, 0);
  const seen: string[] = [];
  r.server.subscribe('w/#', function (m: Message) { seen.push(m.topic); });
  r.connect('a', 60, 'w/a', '1');
  r.connect('b', 60, 'w/b', '1');
  r.server.close();
  r.world.run();
  r.check('closed', r.world.active === 0, 'no PCB in use (' + r.world.active + ')');
  r.check('closed', seen.sort().join(',') === 'w/a,w/b', 'both wills published (' + seen.join(',') + ')');
  r.expectOpen('closed', 'a', false);
  r.check('closed', r.world.connect(1883, 2) === null, 'nothing listens any more');
  return r.finish();
});

// The file store (ports/moddable/file-store.js) on the fake file module, its writeInflight
// option (issue 19): a persistent 3.1.1 subscriber is connected with a QoS 1 message in flight
// (unanswered) when the power goes; the next boot starts from the disk. With the option the
// message is sent again with DUP 1 [MQTT-4.4.0-1]; without it (the default) that message is
// what the cut loses, and the session and its subscription are kept.
function inflightAcrossPowerCut(writeInflight: boolean): { result: string; problem: string } {
  const d = resetDisk('littlefs', 1 << 20);
  const boot = function (): Rig {
    d.reboot();
    return new Rig({ maxConnections: 8, store: fileStore({ budgetBytes: 16384, writeInflight: writeInflight }) }, 8192, 8, 0);
  };
  // CONNECT 3.1.1 with Clean Session 0 (flags 00), keep alive 60, client id "s"
  const persistent = frame('10', '00 04 4d 51 54 54 04 00 00 3c' + str('s'));
  let r = boot();
  r.open('s');
  r.send('s', persistent);
  r.expect('connect', 's', '20 02 00 00');                 // CONNACK, no session present
  r.send('s', subscribe(1, 'a', 1));
  r.expect('subscribe', 's', '90 03 00 01 01');
  r.connect('p', 60, '', '');
  r.send('p', publish('32', 'a', '00 07', 'hi'));          // PUBLISH QoS 1, id 7
  r.expect('puback', 'p', ack('40', 7));
  // 32, remaining 7 = 00 01 "a" + id (the server's) + "hi"; left unanswered
  r.expect('deliver', 's', '32 07 00 01 61 .. .. 68 69');
  const first = r.finish();
  r = boot();                                               // the power cut: a new world, the disk as it was
  r.open('s');
  r.send('s', persistent);
  // CONNACK with Session Present 1, then the message again with DUP 1 (3a) when it was written
  r.expect('reconnect', 's', '20 02 01 00' + (writeInflight ? ' 3a 07 00 01 61 .. .. 68 69' : ''));
  r.connect('p', 60, '', '');
  r.send('p', publish('32', 'a', '00 08', 'on'));
  r.expect('puback after', 'p', ack('40', 8));
  r.expect('subscription kept', 's', '32 07 00 01 61 .. .. 6f 6e');
  const second = r.finish();
  return { result: first.result + '; ' + second.result, problem: [first.problem, second.problem].filter(function (x) { return x !== ''; }).join('; ') };
}

scenario('file store, writeInflight: a QoS 1 message in flight to a connected persistent subscriber is sent again after a power cut', function () {
  return inflightAcrossPowerCut(true);
});

scenario('file store, writeInflight off: a power cut loses the message in flight to a connected subscriber, not its session', function () {
  return inflightAcrossPowerCut(false);
});

export function runModdableCases(api: Api): CaseResult[] {
  const out: CaseResult[] = [];
  for (let i = 0; i < SCENARIOS.length; i++) {
    const name = 'moddable: ' + SCENARIOS[i][0];
    try {
      const r = SCENARIOS[i][1](api);
      out.push({ name: name, result: r.result, problem: r.problem });
    } catch (e) {
      out.push({ name: name, result: '', problem: errorText(e) });
    }
  }
  return out;
}
