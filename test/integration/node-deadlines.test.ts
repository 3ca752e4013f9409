// The Node port's one timer for the core's deadlines (issue 13 §3), over real loopback sockets:
// a will with a delay, a silent client's keep-alive and a client trickling a packet one byte
// at a time all end through broker.nextDeadline(), never before their time. Only lower
// bounds are asserted (a deadline that fires early is a bug; a busy machine may make one
// late), and every wait is bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { TestServer } from './helpers.js';
import { startTestServer, within } from './helpers.js';

let server: TestServer;
const clients: MqttClient[] = [];
const sockets: net.Socket[] = [];

test.before(async () => {
  server = await startTestServer({}, undefined, 'warn');
});

test.after(async () => {
  for (const c of clients) c.end(true);
  for (const s of sockets) s.destroy();
  await server.close();
});

/** A raw 3.1.1 client: CONNECT with Clean Session and this Keep Alive; resolves when the broker closes it. */
function rawClient(keepAlive: number, id: string): { socket: net.Socket; closed: Promise<number> } {
  const socket = net.connect(server.port(), '127.0.0.1');
  sockets.push(socket);
  socket.on('data', () => {});   // read, so that the broker's FIN is seen
  socket.on('error', () => {});
  const cid = Buffer.from(id);
  // 10 RL | 00 04 'MQTT' 04 02 KA KA | 00 LEN id
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, keepAlive >> 8, keepAlive & 255, 0, cid.length]), cid]);
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
  return { socket, closed };
}

test('5:MQTT-3.1.3-9 a will with Will Delay 1 s arrives through the port\'s timer, not before 1 s after the connection ended', async () => {
  const url = `mqtt://127.0.0.1:${server.port()}`;
  const sub = await within(5000, 'subscriber', mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'dl-sub' }));
  clients.push(sub);
  await within(5000, 'subscribe', sub.subscribeAsync('dl/will'));
  const c = await within(5000, 'client', mqtt.connectAsync(url, {
    protocolVersion: 5, reconnectPeriod: 0, clientId: 'dl-will', properties: { sessionExpiryInterval: 60 },
    will: { topic: 'dl/will', payload: Buffer.from('gone'), qos: 0, retain: false, properties: { willDelayInterval: 1 } },
  }));
  clients.push(c);
  const got = new Promise<number>((resolve) => sub.on('message', () => resolve(performance.now())));
  const t0 = performance.now();
  c.stream.destroy();   // no DISCONNECT: the will is due 1 s after the broker sees the close
  const t1 = await within(10000, 'the will', got);
  assert.ok(t1 - t0 >= 1000, `the will came ${(t1 - t0).toFixed(1)} ms after the close`);
});

test('4:MQTT-3.1.2-24 a silent client with Keep Alive 1 is closed by the port\'s timer, not before 1.5 s', async () => {
  const t0 = performance.now();
  const c = rawClient(1, 'dl-silent');
  const t1 = await within(10000, 'the keep-alive close', c.closed);
  assert.ok(t1 - t0 >= 1500, `closed ${(t1 - t0).toFixed(1)} ms after CONNECT`);
});

test('4:MQTT-3.1.2-24 a client trickling a PUBLISH one byte every 300 ms with Keep Alive 1 is closed: bytes are not packets', async () => {
  const t0 = performance.now();
  const c = rawClient(1, 'dl-trickle');
  // PUBLISH QoS 0 "a/b" with a 200-byte payload, far more bytes than the test sends
  const publish = Buffer.concat([Buffer.from([0x30, 0xcd, 0x01, 0x00, 0x03, 0x61, 0x2f, 0x62]), Buffer.alloc(200, 0x78)]);
  let i = 0;
  let done = false;
  void c.closed.then(() => { done = true; });
  const trickle = setInterval(() => {
    if (done || i >= publish.length) return;
    c.socket.write(publish.subarray(i, i + 1));
    i++;
  }, 300);
  try {
    const t1 = await within(10000, 'the keep-alive close of a trickling client', c.closed);
    assert.ok(t1 - t0 >= 1500, `closed ${(t1 - t0).toFixed(1)} ms after CONNECT`);
    assert.ok(i < publish.length, 'closed before the PUBLISH was complete');
  } finally {
    clearInterval(trickle);
  }
});

test.run();
