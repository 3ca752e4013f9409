// The port's behaviour, as scenarios over the fake Espruino: one uvu suite per Env (the
// TypeScript sources, the built bundle). Expected bytes are hand-derived from the MQTT
// 3.1.1 and 5.0 specifications (packet layouts in the comments), never taken from our
// own output.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex } from '../helpers/hex.js';
import type { Env } from './harness.js';
import { World } from './harness.js';
import { CHUNK } from './fake-espruino.js';

const H = (s: string): string => toHex(hex(s));

// CONNECT 3.1.1, Clean Session, Keep Alive 0, client id "a":
// 10 0D | 00 04 'MQTT' | 04 | 02 | 00 00 | 00 01 'a'
const CONNECT_A = '10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 61';
const CONNACK_OK = '20 02 00 00';
// The same with client id "m".
const CONNECT_M4 = '10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 6D';

export function scenarios(env: Env): void {
  const test = suite('espruino port (' + env.name + ')');
  let worlds: World[] = [];

  function world(options: object = {}, hooks: object = {}): World {
    const w = new World(env, options, hooks);
    worlds.push(w);
    return w;
  }

  test.after.each(() => {
    for (const w of worlds) {
      // No view of a received string was ever written through (it would change the
      // string itself on Espruino), and no handler threw.
      assert.is(w.fake.E.mutatedViews(), 0, 'received views written through');
      assert.equal(w.fake.loop.errors.map(String), [], 'errors thrown inside event handlers');
    }
    worlds = [];
  });

  test('connect: CONNECT in as a binary string, CONNACK out as a string; the connected hook fires', () => {
    const w = world();
    const c = w.dial();
    c.raw(hex(CONNECT_A));
    w.run();
    assert.is(c.hex(), H(CONNACK_OK));
    assert.ok(w.fake.E.toStringCalls >= 1, 'frames go through E.toString');
    assert.equal(w.events, ['+a']);
    assert.is(w.listener.sockets, 1);
  });

  test('issue 13: a throw in one socket\'s handler (its data event) ends that socket only: counted, logged', () => {
    const w = world();
    const a = w.connected('a');
    const s = w.connected('s');
    const toArrayBuffer = w.fake.E.toArrayBuffer;
    w.fake.E.toArrayBuffer = function (str: string): ArrayBuffer {
      w.fake.E.toArrayBuffer = toArrayBuffer;      // once: a's PINGREQ, in the port's data handler
      throw new Error('hook bug');
    };
    a.raw(hex('C0 00'));
    w.run();
    assert.is(w.listener.broker.stats.errors, 1);
    assert.ok(w.logs.some((l) => l.indexOf('internal error in the port') >= 0 && l.indexOf('hook bug') >= 0), w.logs.join('\n'));
    assert.is(w.listener.sockets, 1);
    s.send({ type: 12 } as never);   // PINGREQ: the other client is still served
    w.run();
    assert.is(s.hex(), H('D0 00'));
  });

  test('a CONNECT split into single bytes is read as one packet', () => {
    const w = world();
    const c = w.dial();
    const bytes = hex(CONNECT_A);
    for (let i = 0; i < bytes.length; i++) { c.raw(bytes.subarray(i, i + 1)); w.run(); }
    assert.is(c.hex(), H(CONNACK_OK));
  });

  test('subscribe and QoS 0: SUBACK, then the PUBLISH byte for byte', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    // SUBSCRIBE id 1, "a/+" QoS 0: 82 08 | 00 01 | 00 03 'a/+' | 00 -> SUBACK 90 03 00 01 00
    sub.raw(hex('82 08 00 01 00 03 61 2F 2B 00'));
    w.run();
    assert.is(sub.hex(), H('90 03 00 01 00'));
    pub.raw(hex('30 06 00 03 61 2F 62 78'));   // PUBLISH QoS 0 "a/b" "x"
    w.run();
    assert.is(sub.hex(), H('30 06 00 03 61 2F 62 78'));
    assert.is(pub.hex(), '');
  });

  test('QoS 1: PUBACK to the publisher, QoS 1 out with packet id 1, acknowledged', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 61 2F 62 01'));   // SUBSCRIBE "a/b" QoS 1
    w.run();
    assert.is(sub.hex(), H('90 03 00 01 01'));
    pub.raw(hex('32 08 00 03 61 2F 62 00 05 79'));   // PUBLISH QoS 1 id 5 "a/b" "y"
    w.run();
    assert.is(pub.hex(), H('40 02 00 05'));          // PUBACK 5
    assert.is(sub.hex(), H('32 08 00 03 61 2F 62 00 01 79'));
    const s = w.listener.broker.sessions.get('sub');
    assert.is(s?.inflight.length, 1);
    sub.raw(hex('40 02 00 01'));                     // PUBACK 1
    w.run();
    assert.is(s?.inflight.length, 0);
  });

  test('QoS 2: PUBREC, PUBREL, PUBCOMP both ways, delivered once', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 61 2F 62 02'));   // SUBSCRIBE "a/b" QoS 2
    w.run();
    assert.is(sub.hex(), H('90 03 00 01 02'));
    pub.raw(hex('34 08 00 03 61 2F 62 00 07 7A'));   // PUBLISH QoS 2 id 7 "a/b" "z"
    w.run();
    assert.is(pub.hex(), H('50 02 00 07'));          // PUBREC 7
    pub.raw(hex('62 02 00 07'));                     // PUBREL 7
    w.run();
    assert.is(pub.hex(), H('70 02 00 07'));          // PUBCOMP 7
    assert.is(sub.hex(), H('34 08 00 03 61 2F 62 00 01 7A'));
    sub.raw(hex('50 02 00 01'));                     // PUBREC 1
    w.run();
    assert.is(sub.hex(), H('62 02 00 01'));          // PUBREL 1
    sub.raw(hex('70 02 00 01'));                     // PUBCOMP 1
    w.run();
    assert.is(sub.hex(), '');
    assert.is(w.listener.broker.sessions.get('sub')?.inflight.length, 0);
  });

  test('retained: kept, sent with RETAIN to a later subscriber, cleared by an empty payload', () => {
    const w = world();
    const pub = w.connected('pub');
    pub.raw(hex('31 07 00 03 61 2F 72 6F 6E'));      // PUBLISH retained "a/r" "on"
    w.run();
    assert.is(w.listener.broker.retained.count, 1);
    const sub = w.connected('sub');
    sub.raw(hex('82 08 00 01 00 03 61 2F 23 00'));   // SUBSCRIBE "a/#" QoS 0
    w.run();
    assert.is(sub.hex(), H('90 03 00 01 00 31 07 00 03 61 2F 72 6F 6E'));
    pub.raw(hex('31 05 00 03 61 2F 72'));            // empty retained: deletes [MQTT-3.3.1-10]
    w.run();
    assert.is(w.listener.broker.retained.count, 0);
    // A live subscriber gets it without RETAIN [MQTT-3.3.1-9], as an empty message.
    assert.is(sub.hex(), H('30 05 00 03 61 2F 72'));
  });

  test('will: published when the socket closes without DISCONNECT, not after DISCONNECT', () => {
    const w = world();
    const watcher = w.connected('watch');
    watcher.raw(hex('82 08 00 01 00 03 77 2F 23 00'));   // SUBSCRIBE "w/#"
    w.run();
    watcher.hex();
    // CONNECT 3.1.1, will "w/gone" "bye" QoS 0, Clean Session: flags 06
    // 10 1A | 00 04 'MQTT' 04 06 00 00 | 00 01 'w' | 00 06 'w/gone' | 00 03 'bye'
    const connectW = '10 1A 00 04 4D 51 54 54 04 06 00 00 00 01 77 00 06 77 2F 67 6F 6E 65 00 03 62 79 65';
    const w1 = w.dial();
    w1.raw(hex(connectW));
    w.run();
    assert.is(w1.hex(), H(CONNACK_OK));
    w1.end.fin();                                        // abrupt close
    w.run();
    assert.is(watcher.hex(), H('30 0B 00 06 77 2F 67 6F 6E 65 62 79 65'));
    assert.equal(w.events, ['+watch', '+w', '-w']);
    assert.is(w.listener.sockets, 1);

    const w2 = w.dial();
    w2.raw(hex(connectW));
    w.run();
    assert.is(w2.hex(), H(CONNACK_OK));
    w2.raw(hex('E0 00'));                               // DISCONNECT: the will is discarded
    w.run();
    assert.ok(w2.end.closed, 'the broker closed the socket after DISCONNECT');
    assert.is(watcher.hex(), '');
  });

  test('5:MQTT-3.1.3-9 will delay through the port\'s one timer: nothing at 1.999 s after the close, the will at 2 s', () => {
    const w = world();
    const watcher = w.connected('watch');
    watcher.raw(hex('82 08 00 01 00 03 77 2F 23 00'));   // SUBSCRIBE "w/#"
    w.run();
    watcher.hex();
    // CONNECT 5.0, Clean Start + will flag (06), Keep Alive 0, Session Expiry 60 (11 00 00 00 3C);
    // client id "d"; will properties: Will Delay 2 (18 00 00 00 02); will "w/d" = "x"
    // 10 21 | 00 04 'MQTT' 05 06 00 00 | 05 11 00 00 00 3C | 00 01 'd' | 05 18 00 00 00 02 | 00 03 'w/d' | 00 01 'x'
    const d = w.dial(5);
    d.raw(hex('10 21 00 04 4D 51 54 54 05 06 00 00 05 11 00 00 00 3C 00 01 64 05 18 00 00 00 02 00 03 77 2F 64 00 01 78'));
    w.run();
    assert.ok(d.hex().startsWith('20 '), 'CONNACK');
    w.advance(700);
    d.end.fin();                                         // abrupt close at 0.7 s
    w.run();
    w.advance(1999);
    assert.is(watcher.hex(), '', 'no will 1.999 s after the close');
    w.advance(1);
    assert.is(watcher.hex(), H('30 06 00 03 77 2F 64 78'), 'the will 2 s after the close');
    w.advance(60000);                                    // the session expires too: then nothing is due
    assert.is(w.fake.loop.timers.length, 0, 'no timer while nothing is due');
  });

  test('a message larger than a chunk: in as several data events, out whole', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 62 69 67 00'));   // SUBSCRIBE "big"
    w.run();
    sub.hex();
    // PUBLISH QoS 0 "big" with 1500 payload bytes: remaining length 2+3+1500 = 1505 = E1 0B
    const frame = new Uint8Array(3 + 1505);
    frame.set(hex('30 E1 0B 00 03 62 69 67'));
    for (let i = 0; i < 1500; i++) frame[8 + i] = (i * 7) & 0xff;
    pub.raw(frame);
    w.run();
    assert.ok(frame.length > 2 * CHUNK, 'more than two chunks each way');
    assert.is(sub.hex(), toHex(frame));
  });

  test('slow consumer: QoS 0 past the budget is dropped, queues stay bounded, then it recovers', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 73 2F 23 00'));   // SUBSCRIBE "s/#"
    w.run();
    sub.hex();
    sub.end.reading = false;                          // the subscriber stops reading
    const payload = new Uint8Array(100).fill(0x41);
    const msg = new Uint8Array(107);                  // PUBLISH "s/x" + 100 bytes: 30 69 ...
    msg.set(hex('30 69 00 03 73 2F 78'));
    msg.set(payload, 7);
    const limits = w.listener.broker.limits;
    let maxCore = 0;
    for (let i = 0; i < 300; i++) {
      pub.raw(msg);
      w.run();
      const c = w.listener.broker.connections.find((x) => x.clientId === 'sub');
      if (c && c.outboundBytes > maxCore) maxCore = c.outboundBytes;
    }
    const socketQueue = w.fake.loop.sockets[0].maxQueued;
    // Espruino's send queue: under the send budget plus the one frame that crossed it.
    assert.ok(socketQueue <= w.listener.sendBudget + 107, 'socket queue ' + socketQueue);
    assert.ok(maxCore <= (limits.maxOutboundBytes as number), 'core queue ' + maxCore);
    assert.ok(w.listener.broker.stats.dropped > 0, 'QoS 0 was dropped');
    pub.raw(hex('C0 00'));                           // the publisher is still served: PINGRESP
    w.run();
    assert.is(pub.hex(), H('D0 00'));
    sub.end.reading = true;                          // reads again: 'drain', the core resumes
    w.run();
    const got = sub.packets();
    assert.ok(got.length > 0 && got.length < 300, 'received ' + got.length);
    assert.is(got.length + w.listener.broker.stats.dropped, 300);
    for (const p of got) assert.is(toHex((p as { payload: Uint8Array }).payload), toHex(payload));
    assert.is(w.fake.loop.sockets[0].sendQueue.length, 0);
    // And new messages flow again.
    pub.raw(msg);
    w.run();
    assert.is(sub.hex(), toHex(msg));
  });

  test('slow consumer at QoS 1: window and backlog bounded, the publisher never waits; the subscriber keeps the newest, in order (dropOldest)', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 73 2F 23 01'));   // SUBSCRIBE "s/#" QoS 1
    w.run();
    sub.hex();
    sub.end.reading = false;
    const limits = w.listener.broker.limits;
    const total = 40;
    for (let i = 1; i <= total; i++) {
      // PUBLISH QoS 1 "s/x" id i, payload one byte i: 32 08 00 03 73 2F 78 00 ii ii
      pub.raw(hex('32 08 00 03 73 2F 78 00 ' + (i < 16 ? '0' : '') + i.toString(16) + ' ' + (i < 16 ? '0' : '') + i.toString(16)));
      w.run();
      const s = w.listener.broker.sessions.get('sub');
      assert.ok((s?.inflight.length ?? 0) <= (limits.maxInflight as number));
      assert.ok((s?.queue.length ?? 0) <= (limits.maxQueued as number));
    }
    assert.ok(w.fake.loop.sockets[0].maxQueued <= w.listener.sendBudget + 10);
    // Now the subscriber reads and acknowledges everything it gets.
    sub.end.reading = true;
    const seen: number[] = [];
    for (let round = 0; round < 50 && seen.length < total; round++) {
      w.advance(100);
      for (const p of sub.packets()) {
        if (p.type !== 3) continue;
        const q = p as { packetId: number; payload: Uint8Array };
        seen.push(q.payload[0]);
        sub.raw(hex('40 02 ' + toHex(new Uint8Array([q.packetId >> 8, q.packetId & 255]))));
      }
    }
    const dropped = w.listener.broker.sessions.get('sub')?.dropped ?? 0;
    assert.ok(dropped > 0, 'the backlog filled up');
    assert.is(seen.length, total - dropped, 'every message not dropped: ' + JSON.stringify(seen));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'in order: ' + JSON.stringify(seen));
    assert.is(seen[seen.length - 1], total, 'the newest kept');
    const acks = pub.packets().filter((p) => p.type === 4).length;
    assert.is(acks, total);
  });

  test('too many clients: the 9th gets CONNACK 0x03 (3.1.1) and is closed; a 10th socket closes the oldest silent one, not itself', () => {
    const w = world();
    const clients = [];
    for (let i = 1; i <= 8; i++) clients.push(w.connected('c' + i));
    assert.is(w.listener.sockets, 8);
    const ninth = w.dial();
    const tenth = w.dial();                           // both open before either sends CONNECT
    w.run();
    assert.ok(ninth.end.closed, 'the oldest socket without a CONNECT made room');
    assert.is(ninth.hex(), '', 'without a byte');
    assert.not.ok(tenth.end.closed, 'the new socket is served');
    assert.is(w.listener.refused, 0);
    tenth.raw(hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 39'));   // CONNECT "9"
    w.run();
    assert.is(tenth.hex(), H('20 02 00 03'));         // Server unavailable [MQTT-3.2.2-6]
    assert.ok(tenth.end.closed);
    assert.is(w.listener.sockets, 8);
    // The eight carry on.
    clients[0].raw(hex('82 08 00 01 00 03 61 2F 62 00'));
    w.run();
    clients[0].hex();
    clients[1].raw(hex('30 06 00 03 61 2F 62 78'));
    w.run();
    assert.is(clients[0].hex(), H('30 06 00 03 61 2F 62 78'));
    // When one leaves, a new client gets in.
    clients[7].end.fin();
    w.run();
    assert.is(w.listener.sockets, 7);
    w.connected('new');
  });

  test('a socket past the cap is closed at once when every other socket has sent its CONNECT', () => {
    // Three sockets (maxConnections 2, and the spare): one client, and two that have sent
    // CONNECT and wait for their authenticate hook.
    const answers: Array<(ok: boolean) => void> = [];
    const w = world({ maxConnections: 2 }, { authenticate: (c: { clientId: string }) => (c.clientId === 'c1' ? true : new Promise<boolean>((r) => { answers.push(r); })) });
    w.connected('c1');
    const s1 = w.connect('s1');
    const s2 = w.connect('s2');
    const late = w.dial();
    w.run();
    assert.ok(late.end.closed, 'no socket without a CONNECT to close: the new one goes');
    assert.is(late.hex(), '');
    assert.is(w.listener.refused, 1);
    assert.not.ok(s1.end.closed || s2.end.closed, 'the two authenticating are kept');
    assert.is(answers.length, 2);
  });

  test('too many clients at 5.0: CONNACK reason code 0x89 Server busy', () => {
    const w = world({ maxConnections: 1 });
    w.connected('first');
    // CONNECT 5.0 "b": 10 0E | 00 04 'MQTT' 05 02 00 00 | 00 (no properties) | 00 01 'b'
    const c = w.dial(5);
    c.raw(hex('10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 62'));
    w.run();
    // CONNACK 5.0: 20 03 | 00 (no session) | 89 | 00 (no properties)
    assert.is(c.hex(), H('20 03 00 89 00'));
    assert.ok(c.end.closed);
  });

  test('garbage input: that client is closed, the others carry on', () => {
    const w = world();
    const sub = w.connected('sub');
    const pub = w.connected('pub');
    sub.raw(hex('82 08 00 01 00 03 61 2F 62 00'));
    w.run();
    sub.hex();
    const bad = w.dial();
    bad.raw(hex('FF FF FF FF FF 00 01 02'));          // packet type 15 with a bad length: malformed
    w.run();
    assert.ok(bad.end.closed, 'garbage before CONNECT: closed');
    const bad2 = w.connected('bad2');
    bad2.raw(hex('30 02 00 05'));                      // topic length 5 in a 2-byte packet
    w.run();
    assert.ok(bad2.end.closed, 'a malformed PUBLISH after CONNECT: closed');
    pub.raw(hex('30 06 00 03 61 2F 62 78'));
    w.run();
    assert.is(sub.hex(), H('30 06 00 03 61 2F 62 78'));
    assert.is(w.listener.sockets, 2);
  });

  test('one timer, armed for the core\'s next deadline on a whole-millisecond clock: keep-alive closes a silent client past 1.5 x Keep Alive, not before', () => {
    const w = world();
    // CONNECT with Keep Alive 2 s: 10 0D 00 04 'MQTT' 04 02 00 02 00 01 'k'
    const k = w.dial();
    k.raw(hex('10 0D 00 04 4D 51 54 54 04 02 00 02 00 01 6B'));
    w.run();
    assert.is(k.hex(), H(CONNACK_OK));
    assert.ok(Number.isInteger(w.listener.broker.nowMs), 'integer clock: ' + w.listener.broker.nowMs);
    assert.is(w.listener.broker.nowMs, Math.floor(w.fake.loop.now));
    assert.is(w.fake.loop.timers.length, 1, 'one timer');
    w.advance(3000);                                  // exactly 1.5 x Keep Alive of silence
    assert.not.ok(k.end.closed, 'not closed at 1.5 x Keep Alive');
    w.advance(1);
    assert.ok(k.end.closed, 'closed past 1.5 x Keep Alive');
    assert.equal(w.events, ['+k', '-k']);
    assert.is(w.fake.loop.timers.length, 0, 'nothing due: no timer');
  });

  test('close(): stops the timer and the server, closes the clients', () => {
    const w = world();
    const a = w.connected('a');
    w.in(() => w.listener.close());
    w.run();
    assert.ok(a.end.closed);
    assert.is(w.fake.loop.timers.length, 0);
    assert.throws(() => w.dial(), /Connect failed/);
  });

  // Strings as this runtime holds them (issue 18): on Espruino the bundle's strings are
  // byte strings, and a 4-byte character is its 4 UTF-8 bytes (env.text); on Node it is a
  // surrogate pair. The wire carries the same bytes either way.
  test('4-byte UTF-8: client id, user property, topics, retained order, payload format', () => {
    const w = world();
    const pub = w.dial(5);
    // CONNECT 5.0, clean, keep alive 0; properties (13): user property U+1D11E = U+1F600;
    // client id U+1F600 (F0 9F 98 80). Remaining 10 + 14 + 6 = 30.
    pub.raw(hex('10 1E 00 04 4D 51 54 54 05 02 00 00 0D 26 00 04 F0 9D 84 9E 00 04 F0 9F 98 80 00 04 F0 9F 98 80'));
    w.run();
    const connack = pub.packets();
    assert.is(connack.length, 1);
    assert.is((connack[0] as { reasonCode: number }).reasonCode, 0);
    assert.equal(w.events, ['+' + env.text('\u{1F600}')]);
    const sub = w.connected('sub');
    // SUBSCRIBE id 1, U+1F600 "/+" QoS 0: 82 0B | 00 01 | 00 06 F0 9F 98 80 2F 2B | 00
    sub.raw(hex('82 0B 00 01 00 06 F0 9F 98 80 2F 2B 00'));
    w.run();
    assert.is(sub.hex(), H('90 03 00 01 00'));
    // PUBLISH 5.0 QoS 0, topic U+1F600 "/a", Payload Format Indicator 1, payload U+1F600:
    // 30 0F | 00 06 F0 9F 98 80 2F 61 | 02 01 01 | F0 9F 98 80. Out to 3.1.1 without properties.
    pub.raw(hex('30 0F 00 06 F0 9F 98 80 2F 61 02 01 01 F0 9F 98 80'));
    w.run();
    assert.is(sub.hex(), H('30 0C 00 06 F0 9F 98 80 2F 61 F0 9F 98 80'));
    // The same marked 1 but U+1F600 as two encoded surrogates (CESU-8), QoS 1 id 2: refused,
    // PUBACK 0x99 Payload format invalid [MQTT-3.3.2-4], and not delivered.
    pub.raw(hex('32 13 00 06 F0 9F 98 80 2F 61 00 02 02 01 01 ED A0 BD ED B8 80'));
    w.run();
    const puback = pub.packets();
    assert.is(puback.length, 1);
    assert.equal([puback[0].type, (puback[0] as { reasonCode: number }).reasonCode], [4, 0x99]);
    assert.is(sub.hex(), '');
    // In-process publish with a topic the application wrote: the same bytes on the wire.
    w.in(() => w.listener.publish(env.text('\u{1F600}/in'), 'p', 0, false));
    w.run();
    assert.is(sub.hex(), H('30 0A 00 07 F0 9F 98 80 2F 69 6E 70'));
    // Retained "r/" U+1F600 (F0 9F 98 80) and "r/" U+FF5E (EF BD 9E): a later subscriber to
    // "r/+" gets them in the order of their bytes, U+FF5E first (the reverse of UTF-16 order).
    pub.raw(hex('31 0A 00 06 72 2F F0 9F 98 80 00 61'));   // PUBLISH 5.0 retained, property length 0, "a"
    pub.raw(hex('31 09 00 05 72 2F EF BD 9E 00 62'));      // the same for "r/" U+FF5E, "b"
    w.run();
    const late = w.connected('late');
    late.raw(hex('82 08 00 01 00 03 72 2F 2B 00'));          // SUBSCRIBE id 1, "r/+" QoS 0
    w.run();
    assert.is(late.hex(), H('90 03 00 01 00 31 08 00 05 72 2F EF BD 9E 62 31 09 00 06 72 2F F0 9F 98 80 61'));
  });

  // Issue 18 §2: on Espruino 2v29 each 5.0 connection closed for a malformed packet lost
  // about 241 variables for good. Whatever the interpreter does, the port and the core must
  // keep nothing of such a connection: after a warm-up, variables in use return to the same
  // count after every further connect, malformed packet and close.
  for (const version of [5, 4]) {
    test(`a ${version === 5 ? '5.0' : '3.1.1'} connection closed for a malformed packet leaves no variables behind`, () => {
      const w = world();
      const keep = w.connected('keeper');   // a client that stays, so the broker is not empty
      // CONNECT (level 5 or 4), clean, keep alive 0, client id "m"; 5.0 with property length 0.
      const connect = version === 5 ? '10 0E 00 04 4D 51 54 54 05 02 00 00 00 00 01 6D' : CONNECT_M4;
      const cycle = (): void => {
        const c = w.dial(version);
        c.raw(hex(connect));
        w.run();
        // PUBLISH with QoS 3 (36: both QoS bits set) is malformed [MQTT-3.3.1-4]: 5.0 gets a
        // DISCONNECT 0x81 before the close, 3.1.1 just the close.
        c.raw(hex('36 05 00 01 74 00 01'));
        w.run();
        const got = c.packets().map((p) => p.type + ':' + (p as { reasonCode?: number }).reasonCode);
        assert.equal(got, version === 5 ? ['2:0', '14:129'] : ['2:0']);   // CONNACK 0 (and DISCONNECT 0x81)
        assert.ok(c.end.closed, 'closed by the server');
        w.run();
      };
      for (let i = 0; i < 3; i++) cycle();
      const base = w.fake.process.memory().usage;
      for (let i = 0; i < 40; i++) {
        cycle();
        assert.is(w.fake.process.memory().usage, base, 'variables in use after cycle ' + (i + 1));
      }
      assert.is(w.listener.sockets, 1);
      keep.raw(hex('C0 00'));   // PINGREQ: the client that stayed is still served
      w.run();
      assert.is(keep.hex(), H('D0 00'));
    });
  }

  test('in-process publish from the application reaches a socket client', () => {
    const w = world();
    const sub = w.connected('sub');
    sub.raw(hex('82 08 00 01 00 03 61 2F 62 00'));
    w.run();
    sub.hex();
    w.in(() => w.listener.publish('a/b', 'x', 0, false));
    w.run();
    assert.is(sub.hex(), H('30 06 00 03 61 2F 62 78'));
  });

  test.run();
}
