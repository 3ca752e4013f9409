// `ganglion/node` as an application embeds it (ports/node/index.ts): createServer(config,
// hooks), listen(), close(), in-process publish/subscribe beside MQTT.js clients, and the
// application's hooks combined with the config's users and ACL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as netServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { ConfigError, createServer } from '../../ports/node/index.js';
import type { Client, GanglionServer } from '../../ports/node/index.js';
import { tempDir, within } from './helpers.js';

const tmp = tempDir('api');
const servers: GanglionServer[] = [];
const clients: MqttClient[] = [];

test.after(async () => {
  for (const c of clients) c.end(true);
  for (const s of servers) await within(5000, 'close', s.close());
  tmp.remove();
});

function serve(config: Parameters<typeof createServer>[0], hooks: Parameters<typeof createServer>[1] = {}): GanglionServer {
  const s = createServer(config, { log: () => {}, ...hooks });
  servers.push(s);
  return s;
}

async function connect(port: number, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 4000, ...opts }));
  clients.push(c);
  return c;
}

function refusal(port: number, opts: mqtt.IClientOptions): Promise<number | undefined> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 5, ...opts })
    .then((c) => { c.end(true); return 0; }, (e: { code?: number }) => e.code);
}

test('createServer checks the config at once, naming a bad key; listen() binds, with the real port', async () => {
  assert.throws(() => createServer({ listeners: [{ type: 'tcp', port: 70000 }] }), (e: Error) => e instanceof ConfigError && /listeners\[0\]\.port/.test(e.message));
  assert.throws(() => createServer({ listeners: [{ host: '0.0.0.0' }] }), /refusing to listen on 0\.0\.0\.0 with no users configured/);
  // An authenticate hook is the users: no refusal (not bound here: tests stay on loopback).
  createServer({ listeners: [{ host: '0.0.0.0' }] }, { authenticate: () => false });
  const s = serve({ listeners: [{ type: 'tcp', port: 0 }, { type: 'ws', port: 0, path: '/mqtt' }] });
  assert.is(s.listeners.length, 0);
  const bound = await s.listen();
  assert.is(await s.listen(), bound);   // once
  assert.equal(bound.map((l) => l.config.type), ['tcp', 'ws']);
  assert.ok(bound.every((l) => l.port > 0));
  assert.is(s.listeners, bound);
});

test('listen() rejects naming the listener whose port is taken, and closes the ones it had bound', async () => {
  const squatter = netServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as AddressInfo).port;
  try {
    const s = serve({ listeners: [{ type: 'tcp', port: 0 }, { type: 'tcp', port: taken }] });
    await s.listen().then(() => assert.unreachable('listened on a taken port'), (e: Error) => {
      assert.match(e.message, new RegExp(`listener tcp 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`));
    });
    assert.is(s.listeners.length, 0);
  } finally {
    squatter.close();
  }
});

test('in-process publish and subscribe beside MQTT.js clients, retained included', async () => {
  const s = serve({ listeners: [{ type: 'tcp', port: 0 }] });
  const [tcp] = await s.listen();
  const seen: string[] = [];
  const sub = s.subscribe('app/#', (m) => seen.push(`${m.topic}=${Buffer.from(m.payload).toString()}`));
  assert.is(s.publish('app/retained', 'kept', { qos: 1, retain: true }), 1);   // the local subscriber
  const c = await connect(tcp.port, { protocolVersion: 5 });
  const got = new Promise<string>((resolve) => c.on('message', (t, p) => resolve(`${t}=${p.toString()}`)));
  await c.subscribeAsync('app/#', { qos: 1 });
  assert.is(await within(4000, 'retained to the client', got), 'app/retained=kept');
  await c.publishAsync('app/from-client', 'hello', { qos: 1 });
  assert.equal(seen, ['app/retained=kept', 'app/from-client=hello']);
  sub.unsubscribe();
  await c.publishAsync('app/after', 'x', { qos: 1 });
  assert.is(seen.length, 2);
});

test('the authenticate hook decides every CONNECT and sees the client; connected/disconnected follow it', async () => {
  const asked: string[] = [];
  const events: string[] = [];
  const s = serve({ listeners: [{ type: 'tcp', port: 0, name: 'plain' }] }, {
    authenticate(client: Client, username, password) {
      asked.push(`${client.clientId} ${username} v${client.protocolVersion} ${client.listener} ${/^127\.0\.0\.1:\d+$/.test(client.remoteAddress)}`);
      if (username === 'later') return new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20));
      if (username === 'banned') return 0x8a;   // 5.0: Banned
      return username === 'alice' && password !== null && Buffer.from(password).toString() === 'pw';
    },
    connected: (client) => events.push(`+${client.clientId}`),
    disconnected: (client, clean) => events.push(`-${client.clientId}${clean ? ' clean' : ''}`),
  });
  const [tcp] = await s.listen();
  assert.is(await refusal(tcp.port, { clientId: 'x', username: 'alice', password: 'nope' }), 0x86);
  assert.is(await refusal(tcp.port, { clientId: 'y', username: 'banned', password: 'pw' }), 0x8a);
  assert.is(await refusal(tcp.port, { clientId: 'z' }), 0x86);   // anonymous: the hook said false
  const a = await connect(tcp.port, { clientId: 'a', username: 'alice', password: 'pw', protocolVersion: 5 });
  await connect(tcp.port, { clientId: 'b', username: 'later', protocolVersion: 4 });
  assert.equal(asked, ['x alice v5 plain true', 'y banned v5 plain true', 'z null v5 plain true', 'a alice v5 plain true', 'b later v4 plain true']);
  await a.endAsync();
  await within(2000, 'disconnected hook', (async () => { while (!events.includes('-a clean')) await new Promise((r) => setTimeout(r, 10)); })());
  assert.equal(events.slice(0, 2).sort(), ['+a', '+b']);
});

test('authorizePublish and authorizeSubscribe hooks are asked after the ACL file: both must allow', async () => {
  const acl = join(tmp.dir, 'acl');
  writeFileSync(acl, 'allow readwrite ok/#\nallow readwrite hook-says-no/#\n');
  const s = serve({ aclFile: acl, listeners: [{ type: 'tcp', port: 0 }] }, {
    authorizePublish: (_c, topic) => !topic.startsWith('hook-says-no/'),
    authorizeSubscribe: (_c, filter) => Promise.resolve(!filter.startsWith('hook-says-no/')),
  });
  const [tcp] = await s.listen();
  const c = await connect(tcp.port, { protocolVersion: 5 });
  const suback = (filter: string): Promise<string> => c.subscribeAsync(filter, { qos: 1 }).then((g) => 'granted ' + g[0].qos, (e: Error) => e.message);
  assert.is(await suback('ok/#'), 'granted 1');
  assert.is(await suback('hook-says-no/#'), 'Subscribe error: Not authorized');   // SUBACK 0x87
  assert.is(await suback('acl-says-no/#'), 'Subscribe error: Not authorized');
  const seen: string[] = [];
  s.subscribe('#', (m) => seen.push(m.topic));
  for (const t of ['ok/1', 'hook-says-no/1', 'acl-says-no/1']) await c.publishAsync(t, 'x', { qos: 1 }).catch(() => {});
  assert.equal(seen, ['ok/1']);
});

test('close() ends the clients (5.0: DISCONNECT 0x8B) and resolves; a second close() is the same promise', async () => {
  const s = serve({ listeners: [{ type: 'tcp', port: 0 }], shutdownTimeoutMs: 2000 });
  const [tcp] = await s.listen();
  const c = await connect(tcp.port, { protocolVersion: 5 });
  const reason = new Promise<number | undefined>((resolve) => c.on('disconnect', (p) => resolve(p.reasonCode)));
  const closing = s.close();
  assert.is(s.close(), closing);
  assert.is(await within(3000, 'DISCONNECT', reason), 0x8b);
  await within(3000, 'close', closing);
});

test.run();
