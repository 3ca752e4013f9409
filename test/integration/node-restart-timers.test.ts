// Timers across a restart (issue 15 §3), through the built `ganglion --persist DIR` command and
// MQTT.js 5.0 clients over loopback: a session expiry, a will delay and a message expiry that
// fall due while the broker is down (killed with SIGKILL, started again DOWN_MS later), and
// ones that fall due after it is back. Deadlines are wall-clock times in the records, so the
// restarted broker counts from the moment the connection ended, not from its own start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { BrokerProcess, freePort } from '../bench/brokers/broker-process.js';
import { sleep } from '../bench/brokers/load-generator.js';
import { ROOT, within } from './helpers.js';

const DOWN_MS = 3000;       // the broker is down this long: 1 s deadlines fall due meanwhile
const SHORT_S = 1;          // due while the broker is down
const LONG_S = 15;          // due after it is back (it is back within about DOWN_MS + 2 s)
const KEPT_S = 120;         // not due during the test

let broker: BrokerProcess;
const clients: MqttClient[] = [];
let killedAt = 0;           // Date.now() of the kill
let droppedAt = 0;          // when the will clients' connections ended

function url(): string {
  return `mqtt://127.0.0.1:${broker.port}`;
}

async function connect(clientId: string, opts: IClientOptions): Promise<{ c: MqttClient; present: boolean; inbox: IPublishPacket[] }> {
  const c = mqtt.connect(url(), { protocolVersion: 5, clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(c);
  const inbox: IPublishPacket[] = [];
  c.on('message', (_t, _p, packet) => inbox.push(packet));
  const connack = await within(8000, `${clientId} CONNACK`, new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', reject);
  }));
  return { c, present: connack.sessionPresent, inbox };
}

/** A 5.0 client with a session that expires `s` seconds after it leaves, subscribed to `filter`. */
async function sessionOf(clientId: string, s: number, filter: string): Promise<void> {
  const { c } = await connect(clientId, { properties: { sessionExpiryInterval: s } });
  await c.subscribeAsync(filter, { qos: 1 });
  await c.endAsync();
}

/** Session Present when `clientId` comes back (then it leaves again, its session kept 120 s). */
async function present(clientId: string): Promise<boolean> {
  const { c, present: p } = await connect(clientId, { properties: { sessionExpiryInterval: KEPT_S } });
  await c.endAsync();
  return p;
}

/** What a persistent subscriber gets when it comes back: every message within `ms`. */
async function drain(clientId: string, ms: number): Promise<IPublishPacket[]> {
  const { c, inbox } = await connect(clientId, { properties: { sessionExpiryInterval: KEPT_S } });
  await sleep(ms);
  await c.endAsync();
  return inbox;
}

function topics(got: IPublishPacket[]): string[] {
  return got.map((p) => p.topic).sort();
}

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
  broker = new BrokerProcess('ganglion-always', await freePort());
  await broker.start(20000);
  // sessions: expiring while down, after the broker is back, and not at all
  await sessionOf('expiry-down', SHORT_S, 'x/down');
  await sessionOf('expiry-back', LONG_S, 'x/back');
  await sessionOf('expiry-kept', LONG_S, 'x/kept');
  // subscribers that are away: they get the wills and the expiring messages when they return
  await sessionOf('will-watcher', KEPT_S, 'will/#');
  await sessionOf('early-reader', KEPT_S, 'msg/#');
  await sessionOf('late-reader', KEPT_S, 'msg/#');
  // wills whose delay ends while the broker is down, and after it is back: the connections
  // end without DISCONNECT while the broker is up
  const w1 = await connect('will-down', { properties: { sessionExpiryInterval: KEPT_S }, will: { topic: 'will/down', payload: Buffer.from('down'), qos: 1, retain: false, properties: { willDelayInterval: SHORT_S } } });
  const w2 = await connect('will-back', { properties: { sessionExpiryInterval: KEPT_S }, will: { topic: 'will/back', payload: Buffer.from('back'), qos: 1, retain: false, properties: { willDelayInterval: LONG_S } } });
  // messages that expire while the broker is down, after it is back, and not at all
  const pub = (await connect('timer-publisher', {})).c;
  await pub.publishAsync('msg/down', 'down', { qos: 1, properties: { messageExpiryInterval: SHORT_S } });
  await pub.publishAsync('msg/back', 'back', { qos: 1, properties: { messageExpiryInterval: LONG_S } });
  await pub.publishAsync('msg/kept', 'kept', { qos: 1, properties: { messageExpiryInterval: KEPT_S } });
  await pub.endAsync();
  w1.c.stream.destroy();
  w2.c.stream.destroy();
  droppedAt = Date.now();
  await sleep(200);   // the broker has seen both connections end
  await broker.kill();
  killedAt = Date.now();
  await sleep(DOWN_MS);
  await broker.start(20000);
});

test.after(async () => {
  for (const c of clients) c.end(true);
  if (broker !== undefined) await broker.stop(3000);
});

test('restart: a session whose expiry fell due while the broker was down is gone', async () => {
  assert.is(await present('expiry-down'), false);
});

test('restart: a session whose expiry is not due yet is kept', async () => {
  assert.ok(Date.now() - killedAt < LONG_S * 1000, 'checked before the deadline');
  assert.is(await present('expiry-kept'), true);
});

test('restart: a will whose delay ended while the broker was down goes out at start; one not due yet does not', async () => {
  const got = await drain('will-watcher', 1000);
  assert.equal(topics(got), ['will/down']);
});

test('restart: a message whose expiry fell due while the broker was down is not delivered; the others are, with their expiry counted down', async () => {
  const got = await drain('early-reader', 1000);
  assert.equal(topics(got), ['msg/back', 'msg/kept']);
  for (const p of got) {
    const left = p.properties?.messageExpiryInterval ?? -1;
    const total = p.topic === 'msg/back' ? LONG_S : KEPT_S;
    // [5:MQTT-3.3.2-6] the interval sent is what is left of it
    const waited = Math.floor((Date.now() - droppedAt) / 1000);
    assert.ok(left < total && left >= total - waited - 2, `${p.topic}: Message Expiry Interval ${left} of ${total}, after ${waited} s`);
  }
});

test('restart: deadlines that fall due after the broker is back: the will goes out, the session and the message expire', async () => {
  const due = droppedAt + LONG_S * 1000;
  await sleep(Math.max(0, due - Date.now()) + 1500);
  const wills = await drain('will-watcher', 1000);
  assert.equal(topics(wills), ['will/back']);
  assert.is(await present('expiry-back'), false);
  const late = await drain('late-reader', 1000);
  assert.equal(topics(late), ['msg/kept']);
});

test.run();
