// The Node port's socket handling, with raw sockets and hand-made frames: MQTT over
// WebSocket at the frame level (handshake checks, ping/pong, fragmented frames, close
// handshake both ways, maximum frame size, text frames refused), write batching, a slow
// reader (backpressure) losing nothing at QoS 1, idle sockets closed, latency on $SYS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import mqttPacket from 'mqtt-packet';
import mqtt from 'mqtt';
import { reportLatency } from '../../ports/node/server.js';
import { createLogger } from '../../ports/node/logger.js';
import { LatencyWindow } from '../../ports/node/latency.js';
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT, acceptKey, closePayload, maskedFrame } from '../../ports/node/websocket.js';
import type { TestServer } from './helpers.js';
import { startTestServer, within } from './helpers.js';

let s: TestServer;
const open: Socket[] = [];

test.before(async () => {
  s = await startTestServer({
    limits: { connectTimeoutMs: 300 },
    listeners: [{ type: 'tcp', port: 0 }, { type: 'ws', port: 0, maxFrameSize: 4096 }],
  });
});

test.after(async () => {
  for (const sock of open) sock.destroy();
  await s.close();
});

const gen = (p: object): Buffer => mqttPacket.generate(p as mqttPacket.Packet);
const CONNECT = (clientId: string, protocolVersion = 4): Buffer => gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, keepalive: 0, clientId });

/** A raw socket that collects what it receives and parses MQTT packets from it. */
class Raw {
  chunks = 0;
  bytes = Buffer.alloc(0);
  packets: mqttPacket.Packet[] = [];
  closed = false;
  private parser = mqttPacket.parser({ protocolVersion: 4 });
  private waiters: Array<() => void> = [];
  constructor(public sock: Socket, mqttParse = true) {
    open.push(sock);
    this.parser.on('packet', (p) => this.packets.push(p));
    this.parser.on('error', (e) => { throw e; });
    sock.on('data', (b: Buffer) => {
      this.chunks++;
      this.bytes = Buffer.concat([this.bytes, b]);
      if (mqttParse) this.parser.parse(b);
      this.wake();
    });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => {});
  }
  private wake(): void { for (const w of this.waiters.splice(0)) w(); }
  until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
    return within(ms, what, new Promise<void>((resolve) => {
      const check = (): void => { if (cond()) resolve(); else this.waiters.push(check); };
      check();
    }));
  }
}

function tcp(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(s.port(), '127.0.0.1', () => resolve(new Raw(sock)));
    sock.once('error', reject);
  });
}

/** Opens a WebSocket by hand; resolves with the raw socket after the 101. */
function ws(headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; raw: Raw | null; key: string }> {
  const key = randomBytes(16).toString('base64');
  return within(3000, 'WebSocket handshake', new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: s.port('ws'), path: '/mqtt',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': 'mqtt', ...headers },
    });
    req.on('upgrade', (res, sock, head) => {
      const raw = new Raw(sock, false);
      if (head.length) raw.bytes = Buffer.concat([raw.bytes, head]);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, key });
    });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: null, key }); });
    req.on('error', reject);
    req.end();
  }));
}

/** Server frames (unmasked) in `bytes`: [opcode, fin, payload][]. */
function frames(bytes: Buffer): Array<[number, boolean, Buffer]> {
  const out: Array<[number, boolean, Buffer]> = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    assert.is(bytes[i + 1] & 0x80, 0, 'server frames are never masked');
    let len = bytes[i + 1] & 0x7f, p = i + 2;
    if (len === 126) { len = bytes.readUInt16BE(p); p += 2; } else if (len === 127) { len = Number(bytes.readBigUInt64BE(p)); p += 8; }
    if (p + len > bytes.length) break;
    out.push([bytes[i] & 0x0f, (bytes[i] & 0x80) !== 0, bytes.subarray(p, p + len)]);
    i = p + len;
  }
  return out;
}

/** MQTT packets inside the binary frames received so far. */
function mqttIn(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const got: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => got.push(p));
  for (const [op, , payload] of frames(bytes)) if (op === OP_BINARY || op === OP_CONTINUATION) parser.parse(payload);
  return got;
}

test('WebSocket handshake: 101 with the accept key and subprotocol mqtt [MQTT-6.0.0-4]', async () => {
  const r = await ws();
  assert.is(r.status, 101);
  assert.is(r.headers['sec-websocket-accept'], acceptKey(r.key));
  assert.is(r.headers['sec-websocket-protocol'], 'mqtt');
  r.raw!.sock.destroy();
});

test('WebSocket handshake refused: no mqtt subprotocol, wrong version, plain HTTP', async () => {
  assert.is((await ws({ 'Sec-WebSocket-Protocol': 'chat' })).status, 400);
  const v = await ws({ 'Sec-WebSocket-Version': '8' });
  assert.is(v.status, 426);
  assert.is(v.headers['sec-websocket-version'], '13');
  const plain = await within(3000, 'GET', new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: s.port('ws'), path: '/' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  }));
  assert.is(plain, 426);
});

test('WebSocket: MQTT in fragmented frames split across writes, pings answered, then the client closes', async () => {
  const { raw } = await ws();
  const r = raw!;
  const connect = CONNECT('ws-frag');
  // CONNECT as three fragments (binary FIN 0, continuation, continuation FIN 1), a ping in between, sent byte by byte.
  const bytes = Buffer.concat([
    maskedFrame(OP_BINARY, connect.subarray(0, 5), false),
    maskedFrame(OP_PING, Buffer.from('are you there')),
    maskedFrame(OP_CONTINUATION, connect.subarray(5, 9), false),
    maskedFrame(OP_CONTINUATION, connect.subarray(9), true),
  ]);
  for (let i = 0; i < bytes.length; i++) r.sock.write(bytes.subarray(i, i + 1));
  await r.until('CONNACK and pong', () => frames(r.bytes).length >= 2);
  const f = frames(r.bytes);
  assert.equal(f[0][0], 0xa);                                    // pong first: the CONNACK waits for the whole CONNECT
  assert.is(f[0][2].toString(), 'are you there');
  const [connack] = mqttIn(r.bytes) as mqttPacket.IConnackPacket[];
  assert.is(connack.cmd, 'connack');
  assert.is(connack.returnCode, 0);
  // Client-initiated close: the server answers with a close frame with the same code and ends the socket.
  r.sock.write(maskedFrame(OP_CLOSE, closePayload(1000, 'done')));
  await r.until('close reply and end', () => r.closed);
  const last = frames(r.bytes).at(-1)!;
  assert.is(last[0], OP_CLOSE);
  assert.is(last[2].readUInt16BE(0), 1000);
});

test('WebSocket: the server closes with 1003 on a text frame and 1009 on a frame over maxFrameSize', async () => {
  const a = (await ws()).raw!;
  a.sock.write(maskedFrame(OP_TEXT, Buffer.from('hello')));
  await a.until('close', () => a.closed);
  const fa = frames(a.bytes).at(-1)!;
  assert.is(fa[0], OP_CLOSE);
  assert.is(fa[2].readUInt16BE(0), 1003);
  const b = (await ws()).raw!;
  b.sock.write(maskedFrame(OP_BINARY, Buffer.alloc(5000)).subarray(0, 8));   // the header says 5000 > 4096
  await b.until('close', () => b.closed);
  const fb = frames(b.bytes).at(-1)!;
  assert.is(fb[0], OP_CLOSE);
  assert.is(fb[2].readUInt16BE(0), 1009);
});

test('WebSocket: when the core closes (bad MQTT), the server sends close 1000 and ends', async () => {
  const r = (await ws()).raw!;
  r.sock.write(maskedFrame(OP_BINARY, Buffer.from([0xf0, 0x00])));   // reserved packet type 15 as the first packet
  await r.until('close', () => r.closed);
  const last = frames(r.bytes).at(-1)!;
  assert.is(last[0], OP_CLOSE);
  assert.is(last[2].readUInt16BE(0), 1000);
});

test('batching: a burst of 200 PUBLISH to one subscriber leaves in a few socket writes, not 200', async () => {
  const sub = await tcp();
  sub.sock.write(Buffer.concat([CONNECT('burst-sub'), gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'burst', qos: 0 }] })]));
  await sub.until('SUBACK', () => sub.packets.some((p) => p.cmd === 'suback'));
  // Count the writes the server's socket for this subscriber makes (each is a write/writev syscall).
  const serverSocket = (s.server.broker.sessions.get('burst-sub')!.connection!.transport as unknown as { socket: Socket & { _write: Function; _writev: Function } }).socket;
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    const original = serverSocket[name];
    serverSocket[name] = function (this: Socket, ...args: unknown[]) {
      writes++;
      return original.apply(this, args);
    };
  }
  const pub = await tcp();
  const burst = [CONNECT('burst-pub')];
  for (let i = 0; i < 200; i++) burst.push(gen({ cmd: 'publish', topic: 'burst', payload: Buffer.from(`m${i}`), qos: 0, retain: false, dup: false }));
  await new Promise<void>((resolve) => pub.sock.write(Buffer.concat(burst), () => resolve()));
  await sub.until('200 messages', () => sub.packets.filter((p) => p.cmd === 'publish').length === 200);
  // One receive() of the burst is one flush; TCP may hand the burst over in two reads.
  assert.ok(writes >= 1 && writes <= 3, `200 messages left in ${writes} socket writes: not batched`);
  const got = (sub.packets.filter((p) => p.cmd === 'publish') as mqttPacket.IPublishPacket[]).map((p) => p.payload.toString());
  assert.equal(got, Array.from({ length: 200 }, (_, i) => `m${i}`));
});

test('backpressure: a subscriber that stops reading holds up no one; once it reads again it gets, in order, what its backlog had room for', async () => {
  // 120 messages of 200 KB: 24 MB, past what the kernel's socket buffers take on loopback
  // and past the subscriber's backlog (maxQueuedBytes, 4 MiB on Node): the socket itself
  // reports full, the publisher still gets every PUBACK, and the subscriber loses the newest
  // (slowSubscriberPolicy dropNew), counted for it.
  const N = 120;
  const payload = 'x'.repeat(200000);
  const sub = await tcp();
  sub.sock.write(Buffer.concat([CONNECT('slow-sub'), gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'slow', qos: 1 }] })]));
  await sub.until('SUBACK', () => sub.packets.some((p) => p.cmd === 'suback'));
  sub.sock.pause();
  // Count the times the port's transport tells the core "full" (write() -> false).
  const session = s.server.broker.sessions.get('slow-sub')!;
  const t = session.connection!.transport;
  const write = t.write.bind(t);
  let full = 0;
  t.write = (frame: Uint8Array): boolean => {
    const ok = write(frame);
    if (!ok) full++;
    return ok;
  };
  const pubClient = await within(3000, 'publisher', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
  await within(15000, 'every PUBACK while the subscriber is not reading',
    Promise.all(Array.from({ length: N }, (_, i) => pubClient.publishAsync('slow', `${i}:${payload}`, { qos: 1 }))));
  assert.ok(full > 0, 'the transport said full');
  const kept = N - session.dropped;
  assert.ok(session.dropped > 0 && kept > 0, `dropped ${session.dropped} of ${N}`);
  assert.ok(s.lines.some((l) => l.includes('warn slow-sub: backlog full')), 'logged: ' + s.lines.slice(-5).join(' | '));
  sub.sock.resume();
  // Acknowledge each PUBLISH so the in-flight window moves.
  const parser = mqttPacket.parser();
  const got: number[] = [];
  sub.sock.removeAllListeners('data');
  sub.sock.on('data', (b: Buffer) => parser.parse(b));
  parser.on('packet', (p: mqttPacket.Packet) => {
    if (p.cmd !== 'publish') return;
    got.push(Number(p.payload.toString().split(':')[0]));
    sub.sock.write(gen({ cmd: 'puback', messageId: p.messageId }));
  });
  // Anything already parsed before the switch counts too.
  for (const p of sub.packets) if (p.cmd === 'publish') { got.push(Number(p.payload.toString().split(':')[0])); sub.sock.write(gen({ cmd: 'puback', messageId: p.messageId })); }
  await within(15000, `the ${kept} kept messages (got ${got.length})`, (async () => { while (got.length < kept) await new Promise((r) => setTimeout(r, 20)); })());
  // dropNew keeps the oldest: the first `kept` messages, in order [MQTT-4.6.0-6].
  assert.equal(got, Array.from({ length: kept }, (_, i) => i));
  pubClient.end(true);
});

test('a socket that never sends CONNECT is closed after connectTimeoutMs', async () => {
  // The core measures from its last tick (1 s granularity): closed within 300 ms + 1 s.
  const idle = await tcp();
  await idle.until('idle socket closed', () => idle.closed, 3000);
  assert.is(idle.bytes.length, 0, 'the server sent something to a client that never spoke');
});

test('latency: p50/p99/max of the last interval on $SYS/broker/latency/... and in the log', async () => {
  const sub = await within(3000, 'sub', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
  const pub = await within(3000, 'pub', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
  try {
    await sub.subscribeAsync('lat/#', { qos: 0 });
    s.server.latency.reset();
    for (let i = 0; i < 50; i++) await pub.publishAsync('lat/x', 'y', { qos: 1 });
    await within(3000, '50 samples', (async () => { while (s.server.latency.count < 50) await new Promise((r) => setTimeout(r, 10)); })());
    const lines: string[] = [];
    const values = new Map<string, string>();
    const sysSub = await within(3000, 'sys', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
    sysSub.on('message', (t, p) => values.set(t, p.toString()));
    await sysSub.subscribeAsync('$SYS/broker/latency/+', { qos: 0 });
    reportLatency(s.server.broker, new LatencyWindow().take(s.server.latency), createLogger('info', (l) => lines.push(l)), 10000);
    await within(3000, 'latency topics', (async () => { while (values.size < 4) await new Promise((r) => setTimeout(r, 10)); })());
    assert.is(values.get('$SYS/broker/latency/count'), '50');
    const p50 = Number(values.get('$SYS/broker/latency/p50'));
    const p99 = Number(values.get('$SYS/broker/latency/p99'));
    const max = Number(values.get('$SYS/broker/latency/max'));
    assert.ok(p50 >= 0 && p50 <= p99 && p99 <= max && max < 1e6, `p50 ${p50} p99 ${p99} max ${max} (microseconds)`);
    assert.match(lines.join('\n'), /latency over 10 s: 50 deliveries, p50 \d+ us, p99 \d+ us, max \d+ us/);
    sysSub.end(true);
  } finally {
    sub.end(true);
    pub.end(true);
  }
});

test.run();
