// Issue 13 §1 over real sockets: the `ganglion` command (its own process, the Node port's
// defaults: 1 MiB packets) survives packets that once ended it or could, and another
// client still works after each; and in this process, a throw under one socket's callback
// closes that socket only, counted and logged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { Connection, encode } from '../../core/index.js';
import type { Packet } from '../../core/index.js';
import type { Background } from './helpers.js';
import { ROOT, background, startTestServer, within } from './helpers.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');
let g: Background | null = null;
let port = 0;
const clients: MqttClient[] = [];

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
  g = background(process.execPath, [CLI, '-p', '0']);
  await within(5000, 'ganglion to listen', (async () => {
    while (!/mqtt:\/\/[^ ]+:\d+/.test(g!.output())) await g!.lines(g!.output().split('\n').filter(Boolean).length + 1, 5000);
  })());
  port = Number(/mqtt:\/\/[^ ]+:(\d+)/.exec(g.output())![1]);
});

test.after(() => {
  for (const c of clients) c.end(true);
  if (g !== null) g.kill();
});

const CONNECT5: Packet = { type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0, properties: null, clientId: '', will: null, username: null, password: null };

/** Sends `bytes` on a raw socket; resolves with everything received once the broker closes it. */
function hostile(bytes: Uint8Array): Promise<Buffer> {
  return within(8000, 'the broker to close the hostile socket', new Promise<Buffer>((resolve, reject) => {
    const s: Socket = netConnect(port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (b) => got.push(b));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got)));
    s.write(bytes);
  }));
}

function joined(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

/** The process is alive and a real client still publishes to another. */
async function stillWorks(what: string): Promise<void> {
  const sub = await within(5000, 'subscriber connect', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5 }));
  clients.push(sub);
  const pub = await within(5000, 'publisher connect', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 }));
  clients.push(pub);
  const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
  await sub.subscribeAsync('alive', { qos: 1 });
  await pub.publishAsync('alive', 'after ' + what, { qos: 1 });
  assert.is(await within(4000, 'the message after ' + what, got), 'after ' + what);
  sub.end(true);
  pub.end(true);
  assert.not.match(g!.errors(), /Uncaught|TypeError|RangeError|throw/);
}

const connack = encode(CONNECT5, 5);

test('issue 13: a 5.0 PUBLISH with a Response Topic of 65,510 "+" gets DISCONNECT 0x82 with a short reason; the process lives on', async () => {
  const publish = encode({ type: 3, dup: false, qos: 0, retain: false, topic: 'a', packetId: 0, properties: { responseTopic: '+'.repeat(65510) }, payload: new Uint8Array(1) }, 5);
  const got = await hostile(joined(connack, publish));
  // CONNACK, then DISCONNECT 0x82 (Protocol Error) whose Reason String is at most 128 bytes
  const d = got.subarray(got[1] + 2);
  assert.is(d[0], 0xe0, got.toString('hex'));
  assert.is(d[2], 0x82);
  assert.ok(d.length <= 2 + 1 + 4 + 3 + 128, 'DISCONNECT of ' + d.length + ' bytes');
  await stillWorks('the Response Topic packet');
});

test('issue 13: a PUBLISH with 15 User Properties of 65,535 bytes and a wildcard in its topic is refused; the process lives on', async () => {
  const big = 'é'.repeat(32767);
  const userProperties: Array<[string, string]> = [];
  for (let i = 0; i < 15; i++) userProperties.push([big, big]);
  const publish = encode({ type: 3, dup: false, qos: 1, retain: false, topic: 'a/b', packetId: 1, properties: { userProperties, topicAlias: 99 }, payload: new Uint8Array(1) }, 5);
  const got = await hostile(joined(connack, publish));
  assert.ok(got.length < 300, 'answer of ' + got.length + ' bytes');
  await stillWorks('huge user properties');
});

test('issue 13: a client DISCONNECT with a 65,535-byte Reason String, and a CONNECT whose Maximum Packet Size is 8 (no CONNACK fits): the process lives on', async () => {
  const bye = encode({ type: 14, reasonCode: 0x80, properties: { reasonString: '#'.repeat(65535) } }, 5);
  await hostile(joined(connack, bye));
  const tiny = await hostile(encode({ ...CONNECT5, properties: { maximumPacketSize: 8 } } as Packet, 5));
  assert.is(tiny.length, 0, 'nothing larger than 8 bytes is sent: ' + tiny.toString('hex'));
  await stillWorks('the reason string and the tiny maximum');
});

test('issue 13: a client id and a Will Topic of 65,535 bytes of wildcards, and a 3.1.1 SUBSCRIBE with an empty filter: the process lives on', async () => {
  const connect = encode({ ...CONNECT5, clientId: '+'.repeat(65535), will: { topic: '#'.repeat(65535), payload: new Uint8Array(1), qos: 1, retain: false, properties: null } } as Packet, 5);
  await hostile(connect);
  const connect4 = encode({ ...CONNECT5, protocolVersion: 4, properties: null } as Packet, 4);
  await hostile(joined(connect4, Uint8Array.from([0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00])));
  await stillWorks('the huge ids and the empty filter');
});

test('issue 13: a throw under one socket\'s data callback closes that socket only: counted, logged, the server serves on', async () => {
  const t = await startTestServer({});
  const original = Connection.prototype.receive;
  const marker = Buffer.from('boom-client');
  Connection.prototype.receive = function (chunk: Uint8Array, nowMs: number): void {
    if (Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(marker)) throw new Error('a bug under the port');
    original.call(this, chunk, nowMs);
  };
  try {
    const closed = await within(5000, 'the faulty socket to close', new Promise<void>((resolve) => {
      const s = netConnect(t.port(), '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.write(encode({ ...CONNECT5, protocolVersion: 4, properties: null, clientId: 'boom-client' } as Packet, 4));
    }));
    assert.is(closed, undefined);
    assert.is(t.server.broker.stats.errors, 1);
    assert.ok(t.lines.some((l) => l.startsWith('error') && l.includes('internal error in the port') && l.includes('a bug under the port')), t.lines.join('\n'));
    const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${t.port()}`, { reconnectPeriod: 0 }));
    await c.subscribeAsync('x');
    c.end(true);
  } finally {
    Connection.prototype.receive = original;
    await t.close();
  }
});

test.run();
