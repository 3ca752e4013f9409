// Interop with MQTT.js (the `mqtt` package) over real loopback sockets: 3.1.1 and 5.0,
// QoS 0/1/2 both ways, retained, wills, persistent sessions, wildcards, TLS (with client
// certificates), WebSocket and WebSocket over TLS, auth failures and ACL denials.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient, IPublishPacket } from 'mqtt';
import { hashPassword } from '../../ports/node/password-file.js';
import type { Certs, TestServer } from './helpers.js';
import { makeCerts, startTestServer, tempDir, within } from './helpers.js';

const FAST = { N: 1024, r: 8, p: 1 };   // cheap scrypt for tests; the file records the cost
const tmp = tempDir('mqttjs');
let open: TestServer;                    // anonymous, no ACL: tcp, ws
let secure: TestServer;                  // users + ACL on tcp; TLS with client certificates; wss
let certs: Certs;
const clients: MqttClient[] = [];

test.before(async () => {
  certs = makeCerts(tmp.dir);
  writeFileSync(join(tmp.dir, 'passwd'), `alice:${await hashPassword('wonderland', FAST)}\nbob:${await hashPassword('builder', FAST)}\n`);
  writeFileSync(join(tmp.dir, 'acl'), [
    'allow read $SYS/broker/uptime',
    'user alice',
    'allow readwrite home/#',
    'deny write home/locks/#',
    'user bob',
    'allow read home/#',
    'allow readwrite users/%u/#',
    'pattern readwrite clients/%c/#',
  ].join('\n') + '\n');
  open = await startTestServer({ listeners: [{ type: 'tcp', port: 0 }, { type: 'ws', port: 0, path: '/mqtt' }] });
  secure = await startTestServer({
    passwordFile: 'passwd',
    aclFile: 'acl',
    listeners: [
      { type: 'tcp', port: 0 },
      { type: 'tls', port: 0, cert: 'server.crt', key: 'server.key', ca: 'ca.crt', requireCertificate: true, useIdentityAsUsername: true },
      { type: 'wss', port: 0, cert: 'server.crt', key: 'server.key' },
    ],
  }, tmp.dir);
});

test.after(async () => {
  for (const c of clients) c.end(true);
  await open?.close();
  await secure?.close();
  tmp.remove();
});

async function connect(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = await within(5000, `connect ${url}`, mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 4000, ...opts }));
  clients.push(c);
  return c;
}

/** Collects messages; next(n) waits for n more. */
function inbox(c: MqttClient): { next(n: number, ms?: number): Promise<IPublishPacket[]> } {
  const got: IPublishPacket[] = [];
  let waiter: (() => void) | null = null;
  c.on('message', (_t, _p, packet) => {
    got.push(packet);
    if (waiter) waiter();
  });
  return {
    next(n, ms = 4000) {
      return within(ms, `${n} message(s)`, new Promise((resolve) => {
        const check = (): void => {
          if (got.length >= n) resolve(got.splice(0, n));
          else waiter = check;
        };
        check();
      }));
    },
  };
}

const text = (p: IPublishPacket): string => Buffer.from(p.payload as Uint8Array).toString();

for (const v of [4, 5] as const) {
  const name = v === 5 ? '5.0' : '3.1.1';
  const url = (): string => `mqtt://127.0.0.1:${open.port()}`;

  test(`MQTT.js ${name}: QoS 0, 1 and 2 both ways, each delivered at the QoS it was published with`, async () => {
    const sub = await connect(url(), { protocolVersion: v, clientId: `q-sub-${v}` });
    const box = inbox(sub);
    const granted = await sub.subscribeAsync(`qos/${v}/#`, { qos: 2 });
    assert.equal(granted.map((g) => g.qos), [2]);
    const pub = await connect(url(), { protocolVersion: v, clientId: `q-pub-${v}` });
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`qos/${v}/${qos}`, `m${qos}`, { qos });
    const got = await box.next(3);
    assert.equal(got.map((p) => [p.topic, text(p), p.qos]), [[`qos/${v}/0`, 'm0', 0], [`qos/${v}/1`, 'm1', 1], [`qos/${v}/2`, 'm2', 2]]);
    // A QoS 1 subscription downgrades QoS 2 [MQTT-3.8.4-8 / 3.3.5-1].
    await sub.subscribeAsync(`down/${v}`, { qos: 1 });
    await pub.publishAsync(`down/${v}`, 'x', { qos: 2 });
    const [d] = await box.next(1);
    assert.is(d.qos, 1);
  });

  test(`MQTT.js ${name}: retained message goes to a later subscriber, flagged retained`, async () => {
    const pub = await connect(url(), { protocolVersion: v });
    await pub.publishAsync(`retained/${v}`, 'kept', { qos: 1, retain: true });
    const sub = await connect(url(), { protocolVersion: v });
    const box = inbox(sub);
    await sub.subscribeAsync(`retained/${v}`, { qos: 1 });
    const [m] = await box.next(1);
    assert.is(text(m), 'kept');
    assert.is(m.retain, true);
    await pub.publishAsync(`retained/${v}`, '', { qos: 1, retain: true });   // clear
  });

  test(`MQTT.js ${name}: will published when a client is killed`, async () => {
    const watcher = await connect(url(), { protocolVersion: v });
    const box = inbox(watcher);
    await watcher.subscribeAsync(`will/${v}`, { qos: 1 });
    const doomed = await connect(url(), { protocolVersion: v, will: { topic: `will/${v}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    doomed.stream.destroy();   // no DISCONNECT: the network connection just ends
    const [m] = await box.next(1);
    assert.is(text(m), 'gone');
    assert.is(m.topic, `will/${v}`);
  });

  test(`MQTT.js ${name}: persistent session resumed with the messages queued meanwhile`, async () => {
    const id = `persist-${v}`;
    const props = v === 5 ? { properties: { sessionExpiryInterval: 300 } } : {};
    const first = await connect(url(), { protocolVersion: v, clientId: id, clean: false, ...props });
    await first.subscribeAsync(`persist/${v}`, { qos: 1 });
    await first.endAsync();
    const pub = await connect(url(), { protocolVersion: v });
    await pub.publishAsync(`persist/${v}`, 'one', { qos: 1 });
    await pub.publishAsync(`persist/${v}`, 'two', { qos: 1 });
    const again = mqtt.connect(url(), { protocolVersion: v, clientId: id, clean: false, reconnectPeriod: 0, ...props });
    clients.push(again);
    const box = inbox(again);
    const connack = await within(4000, 'CONNACK', new Promise<{ sessionPresent: boolean }>((resolve) => again.once('connect', resolve)));
    assert.is(connack.sessionPresent, true);
    const got = await box.next(2);
    assert.equal(got.map(text), ['one', 'two']);
  });

  test(`MQTT.js ${name}: wildcards + and #, and # does not reach $SYS`, async () => {
    const sub = await connect(url(), { protocolVersion: v });
    const box = inbox(sub);
    await sub.subscribeAsync([`wild/${v}/+/temp`, `deep/${v}/#`, '#'], { qos: 0 });
    const pub = await connect(url(), { protocolVersion: v });
    await pub.publishAsync(`wild/${v}/kitchen/temp`, 'a', { qos: 1 });
    await pub.publishAsync(`wild/${v}/kitchen/humidity`, 'b', { qos: 1 });
    await pub.publishAsync(`deep/${v}/x/y/z`, 'c', { qos: 1 });
    const got = await box.next(3);
    // '#' overlaps the other two filters: still one copy per message [MQTT-3.3.5-1].
    assert.equal(got.map((p) => p.topic).sort(), [`deep/${v}/x/y/z`, `wild/${v}/kitchen/humidity`, `wild/${v}/kitchen/temp`]);
    for (const p of got) assert.ok(!p.topic.startsWith('$'), 'a $SYS topic matched #');
  });

  test(`MQTT.js ${name}: WebSocket (ws://, subprotocol mqtt)`, async () => {
    const wsUrl = `ws://127.0.0.1:${open.port('ws')}/mqtt`;
    const sub = await connect(wsUrl, { protocolVersion: v });
    const box = inbox(sub);
    await sub.subscribeAsync(`ws/${v}`, { qos: 2 });
    const pub = await connect(url(), { protocolVersion: v });
    const big = 'x'.repeat(70000);   // a 64-bit-length WebSocket frame out
    await pub.publishAsync(`ws/${v}`, 'over tcp', { qos: 1 });
    await sub.publishAsync(`ws/${v}`, big, { qos: 2 });
    const got = await box.next(2);
    assert.equal(got.map((p) => text(p).length), [8, 70000]);
  });

  test(`MQTT.js ${name}: TLS with a client certificate, its CN as the user name`, async () => {
    const c = await connect(`mqtts://127.0.0.1:${secure.port('tls')}`, {
      protocolVersion: v, ca: readPem(certs.ca), cert: readPem(certs.clientCert), key: readPem(certs.clientKey), rejectUnauthorized: true,
    });
    const box = inbox(c);
    // alice's ACL: home/# yes, home/locks/# no.
    await c.subscribeAsync('home/#', { qos: 1 });
    await c.publishAsync('home/lamp', 'on', { qos: 1 });
    const [m] = await box.next(1);
    assert.is(text(m), 'on');
  });

  test(`MQTT.js ${name}: TLS without a client certificate is refused`, async () => {
    const err = await mqtt.connectAsync(`mqtts://127.0.0.1:${secure.port('tls')}`, {
      protocolVersion: v, ca: readPem(certs.ca), reconnectPeriod: 0, connectTimeout: 3000,
    }).then(() => null, (e: Error) => e);
    assert.ok(err !== null, 'connected without a certificate');
  });

  test(`MQTT.js ${name}: WebSocket over TLS (wss://) with a user name and password`, async () => {
    const c = await connect(`wss://127.0.0.1:${secure.port('wss')}/mqtt`, {
      protocolVersion: v, ca: readPem(certs.ca), username: 'alice', password: 'wonderland',
    });
    const box = inbox(c);
    await c.subscribeAsync('home/wss', { qos: 1 });
    await c.publishAsync('home/wss', 'secure', { qos: 1 });
    const [m] = await box.next(1);
    assert.is(text(m), 'secure');
  });

  test(`MQTT.js ${name}: bad password, unknown user and anonymous are refused with the right code`, async () => {
    const refused = async (opts: IClientOptions): Promise<number> => {
      const e = await mqtt.connectAsync(`mqtt://127.0.0.1:${secure.port()}`, { protocolVersion: v, reconnectPeriod: 0, connectTimeout: 3000, ...opts })
        .then((c) => { c.end(true); return null; }, (err: Error & { code?: number }) => err);
      assert.ok(e !== null, 'connected');
      return (e as { code?: number }).code as number;
    };
    // 5.0: 0x86 Bad User Name or Password, 0x87 Not authorized; 3.1.1: return codes 4 and 5.
    assert.is(await refused({ username: 'alice', password: 'wrong' }), v === 5 ? 0x86 : 4);
    assert.is(await refused({ username: 'mallory', password: 'x' }), v === 5 ? 0x86 : 4);
    assert.is(await refused({}), v === 5 ? 0x87 : 5);
  });

  test(`MQTT.js ${name}: ACL denials (5.0 reason codes 0x87 in PUBACK, PUBREC and SUBACK)`, async () => {
    const bob = await connect(`mqtt://127.0.0.1:${secure.port()}`, { protocolVersion: v, username: 'bob', password: 'builder', clientId: `bob-${v}` });
    const box = inbox(bob);
    // Allowed: %u and %c patterns, reading home/#.
    await bob.subscribeAsync([`users/bob/#`, `clients/bob-${v}/#`, 'home/#'], { qos: 1 });
    await bob.publishAsync('users/bob/note', 'mine', { qos: 1 });
    await bob.publishAsync(`clients/bob-${v}/x`, 'by id', { qos: 1 });
    const got = await box.next(2);
    assert.equal(got.map(text), ['mine', 'by id']);
    // Denied publish: bob may not write home/.
    const pubErr = await bob.publishAsync('home/lamp', 'off', { qos: 1 }).then(() => null, (e: { code?: number }) => e);
    const pubErr2 = await bob.publishAsync('users/alice/note', 'theirs', { qos: 2 }).then(() => null, (e: { code?: number }) => e);
    if (v === 5) {
      assert.is(pubErr?.code, 0x87);
      assert.is(pubErr2?.code, 0x87);
    } else {
      assert.is(pubErr, null);   // 3.1.1 acknowledges and drops [MQTT-3.3.5-2]
      assert.is(pubErr2, null);
    }
    // Denied subscription: other users' topics (no rule lets bob read any of them). $SYS/# is
    // granted because one $SYS topic is readable; the others are filtered per message.
    const subErr = await bob.subscribeAsync(['users/alice/#', '$SYS/#', '$SYS/broker/uptime'], { qos: 1 })
      .then((g) => ({ packet: { granted: g.map((x) => x.qos) } }), (e: { packet: { granted: number[] } }) => e);
    assert.equal(subErr.packet.granted, [v === 5 ? 0x87 : 0x80, 1, 1]);
    // Nothing denied was delivered to anyone.
    const alice = await connect(`mqtt://127.0.0.1:${secure.port()}`, { protocolVersion: v, username: 'alice', password: 'wonderland' });
    const aliceBox = inbox(alice);
    await alice.subscribeAsync('home/#', { qos: 1 });
    const lockErr = await alice.publishAsync('home/locks/front', 'open', { qos: 1 }).then(() => null, (e: { code?: number }) => e);
    if (v === 5) assert.is(lockErr?.code, 0x87);
    await alice.publishAsync('home/lamp', 'dim', { qos: 1 });
    const [m] = await aliceBox.next(1);
    assert.is(m.topic, 'home/lamp');
  });
}

function readPem(file: string): Buffer {
  return readFileSync(file);
}

test.run();
