// The shared scenarios of the port kit (kit.ts): one uvu suite per port adapter, the same
// bytes through each port's socket API, held to core/broker/PORT.md. Server answers are laid
// out by hand from the MQTT 3.1.1 and 5.0 specifications (comments give the layouts) or
// decoded, never copied from our own output.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { Decoder, encode } from '../../core/index.js';
import type { Message } from '../../core/index.js';
import { hex, toHex } from '../helpers/hex.js';
import type { KitPeer, KitRig, StartRig } from './kit.js';

const H = (s: string): string => toHex(hex(s));
const CONNACK_OK = '20 02 00 00';            // 3.1.1 §3.2: no session present, return code 0
const CONNACK_UNAVAILABLE = '20 02 00 03';   // return code 3, Server unavailable
const PINGREQ = hex('C0 00');
const PINGRESP = 'D0 00';
const BURST = 1000;   // QoS 0 messages a publisher sends between two looks at the broker

interface ConnectOptions {
  version?: number;
  keepAlive?: number;
  will?: string;   // a will topic (payload "gone", QoS 0)
}

/** A CONNECT (clean session) as a client would send it. */
function connectPacket(id: string, o: ConnectOptions): Uint8Array {
  const version = o.version ?? 4;
  return encode({
    type: 1, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: o.keepAlive ?? 0, properties: null, clientId: id,
    will: o.will === undefined ? null : { topic: o.will, payload: new TextEncoder().encode('gone'), qos: 0, retain: false, properties: null },
    username: null, password: null,
  } as Packet, version);
}

/** SUBSCRIBE packet id 1 to one ASCII filter: 82 | len | 00 01 | 00 n filter | qos. */
function subscribePacket(filter: string, qos: number): Uint8Array {
  const f = new TextEncoder().encode(filter);
  const body = [0, 1, 0, f.length, ...f, qos];
  return new Uint8Array([0x82, body.length, ...body]);
}

/** PUBLISH QoS 0 to an ASCII topic: 30 | remaining length (1 or 2 bytes) | 00 n topic | payload. */
function publish0(topic: string, payload: Uint8Array): Uint8Array {
  const t = new TextEncoder().encode(topic);
  const n = 2 + t.length + payload.length;
  const len = n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7];
  const out = new Uint8Array(1 + len.length + n);
  out.set([0x30, ...len, 0, t.length, ...t], 0);
  out.set(payload, 1 + len.length + 2 + t.length);
  return out;
}

/**
 * A deadline `ms` after `t0` (the port's clock, read before the event that starts it) has not
 * fired early: if the server has closed `peer`, the port's clock says that much time has
 * passed. On the fakes' clocks `advance` is exact, so a close seen now is early; in real time
 * a loaded machine may overshoot a sleep past the deadline, and a close that came then is on
 * time. The clock is read after the close was seen: it is no earlier than the close.
 */
function notBefore(r: KitRig, peer: KitPeer, t0: number, ms: number): void {
  const closed = peer.closed();
  const elapsed = r.now() - t0;
  assert.ok(!closed || elapsed > ms, 'closed early: ' + elapsed + ' ms after its start, deadline ' + ms + ' ms');
}

/** A client: its peer and a decoder for what it receives. */
class Client {
  peer: KitPeer;
  decoder: Decoder;
  got: Packet[] = [];
  constructor(peer: KitPeer, version: number) {
    this.peer = peer;
    this.decoder = new Decoder({ version, maxPacketSize: 1 << 24 });
  }
  /** Decodes what arrived since the last call and returns every packet so far. */
  packets(): Packet[] {
    this.decoder.push(this.peer.take());
    for (let p = this.decoder.next(); p !== null; p = this.decoder.next()) this.got.push(p);
    if (this.decoder.error) throw new Error('the port sent bytes that do not decode: ' + JSON.stringify(this.decoder.error));
    return this.got;
  }
}

export function portScenarios(start: StartRig, name: string): void {
  const test = suite('port kit (' + name + ')');
  let rigs: KitRig[] = [];

  async function rig(options: object = {}): Promise<KitRig> {
    const r = await start(options);
    rigs.push(r);
    return r;
  }

  test.after.each(async () => {
    for (const r of rigs) {
      const problems = r.problems();
      await r.dispose();
      assert.equal(problems, [], 'what went wrong under the port');
    }
    rigs = [];
  });

  function open(r: KitRig, version = 4): Client {
    const p = r.open();
    if (p === null) throw new Error('the network stack refused a connection');
    return new Client(p, version);
  }

  /** Connects and waits for the CONNACK; returns the client with the CONNACK read. */
  async function connected(r: KitRig, id: string, o: ConnectOptions = {}): Promise<Client> {
    const c = open(r, o.version ?? 4);
    c.peer.send(connectPacket(id, o));
    await r.until(() => c.packets().length > 0);
    const p = c.got.shift();
    if (p === undefined || p.type !== 2 || (p as { reasonCode: number }).reasonCode !== 0) throw new Error(id + ' not accepted: ' + JSON.stringify(p));
    return c;
  }

  async function subscribed(r: KitRig, c: Client, filter: string, qos: number): Promise<void> {
    c.peer.send(subscribePacket(filter, qos));
    await r.until(() => c.packets().some((p) => p.type === 9));
    c.got = c.got.filter((p) => p.type !== 9);
  }

  test('MQTT-3.2.0-1 handshake 3.1.1: CONNECT in, CONNACK 20 02 00 00 out', async () => {
    const r = await rig();
    const c = open(r);
    c.peer.send(hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 61'));   // CONNECT "a", clean, keep alive 0
    await r.until(() => c.peer.closed() || c.packets().length > 0);
    assert.equal(c.got.map((p) => p.type), [2]);
    assert.is((c.got[0] as { reasonCode: number }).reasonCode, 0);
    assert.is(r.broker.clientCount, 1);
  });

  test('5:MQTT-3.2.0-1 handshake 5.0: CONNACK with reason code 0', async () => {
    const r = await rig();
    const c = open(r, 5);
    c.peer.send(hex('10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 61'));   // 5.0 CONNECT "a", properties length 0
    await r.until(() => c.packets().length > 0);
    assert.is(c.got[0].type, 2);
    assert.is((c.got[0] as { reasonCode: number }).reasonCode, 0);
  });

  test('a CONNECT split into single bytes is one packet', async () => {
    const r = await rig();
    const c = open(r);
    const bytes = hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 61');
    for (let i = 0; i < bytes.length; i++) {
      c.peer.send(bytes.subarray(i, i + 1));
      await r.settle();
    }
    await r.until(() => c.packets().length > 0);
    assert.equal(c.got.map((p) => toHex(encode(p, 4))), [H(CONNACK_OK)]);
  });

  test('MQTT-4.3.2-1 QoS 1 through the port: PUBACK to the publisher, the message to the subscriber', async () => {
    const r = await rig();
    const sub = await connected(r, 'sub');
    await subscribed(r, sub, 's', 1);
    const pub = await connected(r, 'pub');
    pub.peer.send(hex('32 06 00 01 73 00 07 78'));   // PUBLISH QoS 1 "s" id 7 "x"
    await r.until(() => pub.packets().length > 0 && sub.packets().length > 0);
    assert.equal(toHex(encode(pub.got[0], 4)), H('40 02 00 07'));   // PUBACK id 7
    const m = sub.got[0] as { type: number; qos: number; topic: string; payload: Uint8Array };
    assert.equal([m.type, m.qos, m.topic, toHex(m.payload)], [3, 1, 's', H('78')]);
  });

  test('backpressure: a subscriber that stops reading loses QoS 0 (counted), holds no one up, and gets the rest whole and in order', async () => {
    const r = await rig({ maxOutboundBytes: 2048 });
    const sub = await connected(r, 'sub');
    await subscribed(r, sub, 't', 0);
    const pub = await connected(r, 'pub');
    sub.peer.reading(false);
    const payload = new Uint8Array(100).fill(0x61);
    let sent = 0;
    // Until the port has said "full" and the core's bounded hold is full too: then it drops.
    // Bounded: 400 bursts of 1,000 is 43 MB, past any loopback socket's buffers.
    for (let batch = 0; batch < 400 && r.broker.stats.dropped === 0; batch++) {
      for (let i = 0; i < BURST; i++) pub.peer.send(publish0('t', payload));
      sent += BURST;
      await r.settle();
    }
    assert.ok(r.broker.stats.dropped > 0, 'nothing was dropped after ' + sent + ' messages');
    pub.peer.send(PINGREQ);                            // the publisher is still served
    await r.until(() => pub.packets().length > 0);
    assert.equal(pub.got.map((p) => p.type), [13]);
    sub.peer.reading(true);
    pub.peer.send(publish0('t', hex('7A')));            // and one more once it reads again
    sent++;
    await r.until(() => sub.packets().some((p) => (p as { payload?: Uint8Array }).payload?.length === 1));
    assert.ok(sub.got.every((p) => p.type === 3 && (p as { topic: string }).topic === 't'), 'only whole PUBLISH packets arrive');
    assert.is(sub.got.length + r.broker.stats.dropped, sent, 'each message arrived or was counted as dropped');
  });

  test('PORT.md writeCopies: same-size messages through a socket that fills mid-frame arrive each with its own bytes, in order', async () => {
    // A port that says its write() copies (Espruino, Moddable) lets the core write the next
    // frame into the last one's buffer: a tail it kept instead of copying would go out with
    // another message's bytes. 100-byte frames, 200 of them: past the device ports' send
    // buffers, so one frame is cut and the rest wait in the core.
    const r = await rig({ maxOutboundBytes: 65536, maxQueuedBytes: 1 << 20 });
    const sub = await connected(r, 'sub');
    await subscribed(r, sub, 'n', 0);
    const pub = await connected(r, 'pub');
    sub.peer.reading(false);
    const n = 200;
    const text = (i: number): string => (String(i).padStart(4, '0') + ' ').repeat(19);   // differs in every part of the frame
    for (let i = 0; i < n; i++) {
      pub.peer.send(publish0('n', new TextEncoder().encode(text(i))));
      if (i % 20 === 19) await r.settle();
    }
    await r.settle();
    sub.peer.reading(true);
    await r.until(() => sub.packets().length >= n);
    const td = new TextDecoder();
    const got = sub.got.map((p) => td.decode((p as { payload: Uint8Array }).payload));
    const want: string[] = [];
    for (let i = 0; i < n; i++) want.push(text(i));
    assert.equal(got, want);
    assert.is(r.broker.stats.dropped, 0);
  });

  test('pause: a client sending while it reads none of its answers is bounded: answered in full once it reads, or closed', async () => {
    const r = await rig({ maxOutboundBytes: 2048 });
    const c = await connected(r, 'p');
    c.peer.reading(false);
    const n = 3000;
    for (let i = 0; i < n; i += 100) {
      const burst = new Uint8Array(200);
      for (let j = 0; j < 200; j += 2) burst.set(PINGREQ, j);
      c.peer.send(burst);
      await r.settle();
    }
    c.peer.reading(true);
    await r.until(() => c.peer.closed() || c.packets().length >= n);
    assert.ok(c.got.every((p) => p.type === 13), 'only PINGRESPs');
    if (!c.peer.closed()) {
      assert.is(c.got.length, n, 'every PINGREQ answered once it read again');
      c.peer.send(PINGREQ);
      await r.until(() => c.packets().length > n);
      assert.is(c.got.length, n + 1);
    }
    const other = await connected(r, 'other');       // the broker carries on either way
    other.peer.send(PINGREQ);
    await r.until(() => other.packets().length > 0);
    assert.is(other.got[0].type, 13);
  });

  test('MQTT-3.1.2-8 peer reset mid-write: the will goes out, the others carry on, the socket is let go', async () => {
    const r = await rig({ maxOutboundBytes: 2048 });
    const watcher = await connected(r, 'watcher');
    await subscribed(r, watcher, 'will/#', 0);
    const sub = await connected(r, 'sub', { will: 'will/sub' });
    await subscribed(r, sub, 't', 0);
    const pub = await connected(r, 'pub');
    sub.peer.reading(false);
    const payload = new Uint8Array(100).fill(0x62);
    // Bounded: 400 bursts of 1,000 is 43 MB, past any loopback socket's buffers.
    for (let batch = 0; batch < 400 && r.broker.stats.dropped === 0; batch++) {
      for (let i = 0; i < BURST; i++) pub.peer.send(publish0('t', payload));
      await r.settle();
    }
    assert.ok(r.broker.stats.dropped > 0, 'the subscriber\'s sends backed up');
    const before = r.sockets();
    sub.peer.reset();
    await r.until(() => watcher.packets().length > 0 && r.sockets() === before - 1);
    const w = watcher.got[0] as { type: number; topic: string; payload: Uint8Array };
    assert.equal([w.type, w.topic, new TextDecoder().decode(w.payload)], [3, 'will/sub', 'gone']);
    assert.is(r.sockets(), before - 1);
    assert.is(r.broker.clientCount, 2);
    pub.peer.send(PINGREQ);
    await r.until(() => pub.packets().length > 0);
    assert.is(pub.got[0].type, 13);
  });

  test('MQTT-3.2.2-6 maxConnections: past it CONNACK 0x03 (3.1.1) and closed; the others are served', async () => {
    const r = await rig({ maxConnections: 2 });
    await connected(r, 'c1');
    const c2 = await connected(r, 'c2');
    const c3 = open(r);
    c3.peer.send(connectPacket('c3', {}));
    await r.until(() => c3.peer.closed());
    assert.is(toHex(c3.peer.take()), H(CONNACK_UNAVAILABLE));
    assert.ok(c3.peer.closed());
    c2.peer.send(PINGREQ);
    await r.until(() => c2.packets().length > 0);
    assert.is(toHex(encode(c2.got[0], 4)), H(PINGRESP));
  });

  test('5:MQTT-3.2.2-6 maxConnections at 5.0: CONNACK 0x89 Server busy, then closed', async () => {
    const r = await rig({ maxConnections: 1 });
    await connected(r, 'c1');
    const c = open(r, 5);
    c.peer.send(connectPacket('c2', { version: 5 }));
    await r.until(() => c.peer.closed());
    const p = c.packets();
    assert.equal(p.map((x) => [x.type, (x as { reasonCode: number }).reasonCode]), [[2, 0x89]]);
  });

  test('silent sockets cannot lock clients out: at the port\'s socket cap the oldest socket without CONNECT makes room', async () => {
    const r = await rig({ maxConnections: 2, maxPending: 16 });
    await connected(r, 'c1');
    const silent: Client[] = [];
    const n = r.socketCap === Infinity ? 3 : r.socketCap - 1;   // every socket the port keeps is taken
    for (let i = 0; i < n; i++) silent.push(open(r));
    await r.until(() => r.sockets() === 1 + n);
    const c2 = open(r);
    c2.peer.send(connectPacket('c2', {}));
    await r.until(() => c2.peer.closed() || c2.packets().length > 0);
    assert.equal(c2.got.map((p) => [p.type, (p as { reasonCode: number }).reasonCode]), [[2, 0]], 'the new client is accepted');
    assert.ok(r.sockets() <= r.socketCap, r.sockets() + ' sockets, cap ' + r.socketCap);
    if (r.socketCap !== Infinity) assert.ok(silent[0].peer.closed(), 'the oldest silent socket was closed');
  });

  test('maxPending: one more connection without CONNECT closes the oldest of them', async () => {
    const r = await rig({ maxPending: 1 });
    const a = open(r);
    await r.until(() => r.sockets() === 1);
    const b = open(r);
    await r.until(() => a.peer.closed());
    assert.ok(a.peer.closed());
    assert.is(a.peer.take().length, 0, 'closed without an answer');
    b.peer.send(connectPacket('b', {}));
    await r.until(() => b.packets().length > 0);
    assert.is((b.got[0] as { reasonCode: number }).reasonCode, 0);
    assert.is(r.broker.stats.pendingClosed, 1);
  });

  test('5:§3.14.2.1 shutdown: 5.0 clients get DISCONNECT 0x8B, every socket closes, wills go out, nothing stays armed', async () => {
    const r = await rig();
    const wills: string[] = [];
    r.subscribe('will/#', (m: Message) => { wills.push(m.topic); });
    const five = await connected(r, 'five', { version: 5 });
    const four = await connected(r, 'four', { will: 'will/four' });
    const silent = open(r);
    await r.until(() => r.sockets() === 3);
    await r.close();
    await r.until(() => five.peer.closed() && four.peer.closed() && silent.peer.closed());
    assert.equal(five.packets().map((p) => [p.type, (p as { reasonCode: number }).reasonCode]), [[14, 0x8b]]);
    assert.equal(four.packets(), [], '3.1.1: closed without a DISCONNECT [MQTT-4.8.0-1]');
    assert.ok(five.peer.closed() && four.peer.closed() && silent.peer.closed(), 'every socket closed');
    assert.equal(wills, ['will/four']);
    assert.is(r.broker.connectionCount, 0);
    assert.is(r.broker.nextDeadline(), -1);
    assert.ok(r.timers() <= 0, r.timers() + ' timers armed after close');
  });

  test('MQTT-3.1.2-24 keep-alive through the port\'s one timer: open at 1.4 s of silence, closed past 1.5 x Keep Alive', async () => {
    const r = await rig();
    const t0 = r.now();   // at most the time its CONNECT arrives, the keep-alive's start
    const c = await connected(r, 'k', { keepAlive: 1 });
    await r.advance(1400);
    await r.settle();
    notBefore(r, c.peer, t0, 1500);
    await r.advance(200);
    assert.ok(await r.until(() => c.peer.closed()), 'not closed past 1.5 x Keep Alive');
  });

  test('connect timeout: a socket that sends nothing is closed after connectTimeoutMs, not before', async () => {
    const r = await rig({ connectTimeoutMs: 500 });
    const t0 = r.now();   // at most the time the port hands the connection to the core
    const c = open(r);
    await r.until(() => r.sockets() === 1);
    await r.advance(450);
    await r.settle();
    notBefore(r, c.peer, t0, 500);
    await r.advance(100);
    assert.ok(await r.until(() => c.peer.closed()), 'not closed after connectTimeoutMs');
    assert.is(c.peer.take().length, 0);
  });

  test('an idle broker arms no timer: nothing is due with clients connected and no keep-alive', async () => {
    const r = await rig({ connectTimeoutMs: 300 });
    await connected(r, 'idle');
    // The connect timeout's entry stays armed until its time (deadlines.ts: an entry may be
    // early, never late); when it comes, the core finds nothing due and arms nothing more.
    await r.advance(400);
    await r.settle();
    assert.is(r.broker.nextDeadline(), -1);
    assert.ok(r.timers() <= 0, r.timers() + ' timers armed');
  });

  test('a message larger than a read and than the socket\'s send buffer: in whole, out whole, byte for byte', async () => {
    const r = await rig({ maxPacketSize: 20000 });
    const sub = await connected(r, 'sub');
    await subscribed(r, sub, 'big', 0);
    const pub = await connected(r, 'pub');
    const payload = new Uint8Array(12000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 255;
    pub.peer.send(publish0('big', payload));
    await r.until(() => sub.packets().length > 0);
    const m = sub.got[0] as { type: number; topic: string; payload: Uint8Array };
    assert.equal([m.type, m.topic, m.payload.length], [3, 'big', payload.length]);
    assert.is(toHex(m.payload), toHex(payload));
  });

  test('MQTT-3.1.4-2 takeover: a second connection with the same client id closes the first (5.0: DISCONNECT 0x8E first)', async () => {
    const r = await rig();
    const first = await connected(r, 'same', { version: 5 });
    await connected(r, 'same', { version: 5 });
    await r.until(() => first.peer.closed());
    assert.equal(first.packets().map((p) => [p.type, (p as { reasonCode: number }).reasonCode]), [[14, 0x8e]]);
    assert.ok(first.peer.closed());
    assert.is(r.broker.clientCount, 1);
  });

  test('MQTT-3.1.2-8 a client that closes its socket without DISCONNECT: its will goes out', async () => {
    const r = await rig();
    const watcher = await connected(r, 'watcher');
    await subscribed(r, watcher, 'will/#', 0);
    const c = await connected(r, 'c', { will: 'will/c' });
    c.peer.end();
    await r.until(() => watcher.packets().length > 0);
    assert.equal(watcher.got.map((p) => (p as { topic: string }).topic), ['will/c']);
    await r.until(() => r.sockets() === 1);
    assert.is(r.sockets(), 1);
  });

  test('MQTT-3.14.4-3 DISCONNECT: the will is discarded and the server closes the socket', async () => {
    const r = await rig();
    const watcher = await connected(r, 'watcher');
    await subscribed(r, watcher, 'will/#', 0);
    const c = await connected(r, 'c', { will: 'will/c' });
    c.peer.send(hex('E0 00'));
    await r.until(() => c.peer.closed());
    assert.ok(c.peer.closed(), 'closed by the server');
    await r.settle();
    assert.equal(watcher.packets(), []);
  });

  test('close() twice is harmless, and a socket after close() gets no MQTT answer', async () => {
    const r = await rig();
    await connected(r, 'a');
    await r.close();
    await r.close();
    const late = r.open();
    if (late !== null) {
      late.send(connectPacket('late', {}));
      await r.settle();
      assert.is(late.take().length, 0, 'no CONNACK after shutdown');
    }
    assert.is(r.broker.clientCount, 0);
  });

  test('an in-process publish at the port\'s clock reaches a socket subscriber at QoS 1', async () => {
    const r = await rig();
    const sub = await connected(r, 'sub');
    await subscribed(r, sub, 'app/#', 1);
    assert.is(r.publish('app/x', 'hi', 1, false), 1, 'one receiver');
    await r.until(() => sub.packets().length > 0);
    const m = sub.got[0] as { type: number; qos: number; topic: string; packetId: number; payload: Uint8Array };
    assert.equal([m.type, m.qos, m.topic, new TextDecoder().decode(m.payload)], [3, 1, 'app/x', 'hi']);
    sub.peer.send(new Uint8Array([0x40, 2, m.packetId >> 8, m.packetId & 255, 0xc0, 0]));   // PUBACK, PINGREQ
    await r.until(() => sub.packets().length > 1);
    assert.is(sub.got[1].type, 13);
  });

  test('MQTT-4.8.0-1 garbage from one client closes that connection only; the others are served', async () => {
    const r = await rig();
    const good = await connected(r, 'good');
    const bad = await connected(r, 'bad');
    bad.peer.send(hex('F0 00'));                      // packet type 15 (AUTH) with flags 0 in 3.1.1: reserved
    await r.until(() => bad.peer.closed());
    assert.ok(bad.peer.closed());
    good.peer.send(PINGREQ);
    await r.until(() => good.packets().length > 0);
    assert.is(good.got[0].type, 13);
    assert.is(r.broker.clientCount, 1);
  });

  test.run();
}
