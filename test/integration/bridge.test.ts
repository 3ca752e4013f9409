// The bridge (ports/node/bridge.ts) between the Node port and real upstreams on loopback:
// mosquitto 2.0 (Debian's package, started by the test) as 3.1.1 and 5.0 upstreams,
// messages both ways, the upstream stopped mid-flood and started again (every message
// accounted for by its sequence number), failover between two mosquittos and back, and two
// ganglions bridged both ways without loops. Clients on either side are MQTT.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { TestServer } from './helpers.js';
import { ROOT, makeCerts, startTestServer, tempDir, within } from './helpers.js';
import { createServer as createNetServer } from 'node:net';
import { createServer } from '../../ports/node/server.js';
import { buildConfig } from '../../ports/node/config.js';
import { Mosquitto, mosquittoOrSkip } from './mosquitto-broker.js';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../bench/brokers/broker-process.js';
import { parseMosquittoConf } from '../../ports/node/mosquitto-conf.js';

async function client(port: number, o: IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 5000, ...o });
  await within(5000, `MQTT.js to connect to ${port}`, new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  }));
  return c;
}

async function subscribe(c: MqttClient, filter: string, qos: 0 | 1 | 2 = 1): Promise<void> {
  await new Promise<void>((resolve, reject) => c.subscribe(filter, { qos }, (e) => (e ? reject(e) : resolve())));
}

/** Collects "topic payload" lines. */
function collect(c: MqttClient): string[] {
  const seen: string[] = [];
  c.on('message', (t, p) => seen.push(`${t} ${p.toString()}`));
  return seen;
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  await within(ms, what, new Promise<void>((resolve) => {
    const check = (): void => { if (ok()) resolve(); else setTimeout(check, 20); };
    check();
  }));
}

function bridgeState(s: TestServer, name = 'up'): string {
  const b = s.server.bridges.find((x) => x.config.name === name);
  return b === undefined ? 'none' : b.stats().state;
}

async function ganglionBridged(bridge: Record<string, unknown>, sysIntervalMs = 0): Promise<TestServer> {
  const s = await startTestServer({ limits: { sysIntervalMs }, bridges: [{ name: 'up', backoffMinMs: 50, backoffMaxMs: 400, keepAlive: 5, ...bridge }] }, undefined, 'info');
  await until('the bridge to connect', 10000, () => bridgeState(s) === 'connected');
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const version of [4, 5]) {
  test(`bridge to a mosquitto ${version === 5 ? '5.0' : '3.1.1'} upstream: out and in, prefixes mapped, $SYS state`, async () => {
    const bin = mosquittoOrSkip();
    if (bin === null) return;
    const m = await Mosquitto.start(bin);
    const s = await ganglionBridged({
      addresses: [`mqtt://127.0.0.1:${m.port}`], protocolVersion: version,
      topics: ['sensors/# out 1 site/ sites/a/', { pattern: 'cmd/#', direction: 'in', qos: 2, localPrefix: 'site/', remotePrefix: 'sites/a/' }],
    }, 200);
    const upSub = await client(m.port, { protocolVersion: version as 4 | 5 });
    const localSub = await client(s.port(), { protocolVersion: version as 4 | 5 });
    const pub = await client(s.port());
    const upPub = await client(m.port);
    try {
      const up = collect(upSub);
      const local = collect(localSub);
      await subscribe(upSub, 'sites/a/sensors/#');
      await subscribe(localSub, 'site/cmd/#');
      await subscribe(localSub, '$SYS/broker/bridge/up/state', 0);
      await sleep(300);   // the bridge's upstream SUBSCRIBE has gone (it is sent on CONNACK)
      pub.publish('site/sensors/t1', '21.5', { qos: 1 });
      upPub.publish('sites/a/cmd/led', 'on', { qos: 2 });
      await until('one message each way', 5000, () => up.length >= 1 && local.filter((l) => l.startsWith('site/cmd')).length >= 1);
      assert.equal(up, ['sites/a/sensors/t1 21.5']);
      assert.ok(local.includes('site/cmd/led on'), local.join('\n'));
      assert.ok(local.includes('$SYS/broker/bridge/up/state connected'), local.join('\n'));
      const st = s.server.bridges[0].stats();
      assert.is(st.sent, 1);
      assert.is(st.received, 1);
      assert.ok(s.lines.some((l) => /bridge up: connected to mqtt:\/\/127\.0\.0\.1:\d+ \(MQTT/.test(l)), s.lines.join('\n'));
    } finally {
      for (const c of [upSub, localSub, pub, upPub]) c.end(true);
      await s.close();
      await m.stop();
    }
  });
}

test('5.0 properties cross both ways through a mosquitto 5.0 upstream: user properties, content type, response topic, correlation data, what is left of the expiry', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const m = await Mosquitto.start(bin);
  const s = await ganglionBridged({ addresses: [`mqtt://127.0.0.1:${m.port}`], protocolVersion: 5, topics: ['out/# out 1', 'in/# in 1'] });
  const upSub = await client(m.port, { protocolVersion: 5 });
  const localSub = await client(s.port(), { protocolVersion: 5 });
  const pub = await client(s.port(), { protocolVersion: 5 });
  const upPub = await client(m.port, { protocolVersion: 5 });
  const props = (tag: string) => ({ userProperties: { from: tag, n: ['1', '2'] }, contentType: 'text/plain', responseTopic: 'reply/' + tag,
    correlationData: Buffer.from('c-' + tag), payloadFormatIndicator: true, messageExpiryInterval: 300 });
  try {
    const got: Record<string, mqtt.IPublishPacket> = {};
    upSub.on('message', (t, _p, packet) => { got[t] = packet; });
    localSub.on('message', (t, _p, packet) => { got[t] = packet; });
    await subscribe(upSub, 'out/#');
    await subscribe(localSub, 'in/#');
    await sleep(300);
    pub.publish('out/a', 'to the cloud', { qos: 1, properties: props('site') });
    upPub.publish('in/b', 'to the site', { qos: 1, properties: props('cloud') });
    await until('one message each way', 5000, () => got['out/a'] !== undefined && got['in/b'] !== undefined);
    for (const [topic, tag] of [['out/a', 'site'], ['in/b', 'cloud']]) {
      const p = got[topic].properties ?? {};
      assert.equal({ ...p.userProperties }, { from: tag, n: ['1', '2'] }, topic);   // MQTT.js gives a prototype-less object
      assert.is(p.contentType, 'text/plain', topic);
      assert.is(p.responseTopic, 'reply/' + tag, topic);
      assert.is(Buffer.from(p.correlationData ?? []).toString(), 'c-' + tag, topic);
      assert.is(p.payloadFormatIndicator, true, topic);
      assert.ok(p.messageExpiryInterval !== undefined && p.messageExpiryInterval <= 300 && p.messageExpiryInterval >= 290, topic + ' expiry ' + p.messageExpiryInterval);
    }
  } finally {
    for (const c of [upSub, localSub, pub, upPub]) c.end(true);
    await s.close();
    await m.stop();
  }
});

for (const qos of [1, 2] as const) {
  test(`the upstream stopped mid-flood and started again: every QoS ${qos} message arrives${qos === 2 ? ' exactly once' : ' (duplicates only as QoS 1 allows)'}`, async () => {
    const bin = mosquittoOrSkip();
    if (bin === null) return;
    // mosquitto keeps sessions across its restart (persistence, written as it stops), so what
    // it had taken is not lost on its side; the bridge keeps the rest.
    const dir = tempDir('bridge-persist');
    chmodSync(dir.dir, 0o777);
    const m = await Mosquitto.start(bin, ['persistence true', `persistence_location ${dir.dir}/`]);
    const s = await ganglionBridged({ addresses: [`mqtt://127.0.0.1:${m.port}`], protocolVersion: 5, topics: [`flood/# out ${qos}`], maxInflight: 20 });
    const N = 3000;
    // One subscriber for the whole run, reconnecting by itself: its QoS 2 state survives the upstream's restart.
    const upSub = await client(m.port, { clientId: 'flood-sub', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 100 });
    const pub = await client(s.port(), { clientId: 'flood-pub' });
    const seen = new Uint16Array(N);
    const onMessage = (_t: string, p: Buffer): void => { seen[Number(p.toString())]++; };
    try {
      upSub.on('message', onMessage);
      await subscribe(upSub, 'flood/#', qos);
      let acked = 0;
      for (let i = 0; i < N; i++) {
        pub.publish('flood/x', String(i), { qos }, () => { acked++; });
        if (i === 1000) {
          // Mid-flood: the upstream goes away ...
          await m.kill('SIGTERM');
        }
        if (i === 2000) {
          // ... and comes back: the bridge and the subscriber reconnect by themselves and resume their sessions.
          await m.restart();
        }
        // At most 10 unacknowledged at ganglion (its maxInflightIn for QoS 2 would close a 3.1.1 client that sends more).
        while (i + 1 - acked > 10) await sleep(1);
      }
      await until('ganglion to acknowledge every publish', 20000, () => acked === N);
      await until('every message at the upstream subscriber', 30000, () => seen.every((n) => n > 0)).catch((e) => {
        const missing = [...seen.keys()].filter((i) => seen[i] === 0);
        throw new Error(`${(e as Error).message}: ${missing.length} missing (${missing.slice(0, 20).join(' ')}), bridge ${JSON.stringify(s.server.bridges[0].stats())}, mosquitto: ${m.log}`);
      });
      await sleep(300);
      const missing = [...seen].filter((n) => n === 0).length;
      const dups = [...seen].reduce((a, n) => a + (n > 1 ? n - 1 : 0), 0);
      assert.is(missing, 0);
      // The bridge resumed its upstream session, so what it had in flight went again with DUP
      // and its packet id (PUBREL where PUBREC had come), never as a new message. QoS 2: exactly
      // once (an earlier session saw 9 repeats in one run of about a dozen, cause not found;
      // 102 runs of this scenario since, both legs traced, repeated none).
      assert.is(s.server.bridges[0].client.stats.requeued, 0);
      assert.ok(s.lines.some((l) => l.includes('session present 1')), s.lines.join('\n'));
      if (qos === 2) assert.is(dups, 0, `${dups} repeated: ${[...seen.keys()].filter((i) => seen[i] > 1).slice(0, 40).join(' ')}; mosquitto: ${m.log}`);
      const st = s.server.bridges[0].stats();
      assert.is(st.dropped, 0);
      assert.ok(st.connects >= 2, 'reconnected: ' + st.connects);
      console.log(`    QoS ${qos}: ${N} sent, 0 missing, ${dups} duplicate(s), ${st.connects} connects; ${s.lines.filter((l) => l.includes('connected to')).map((l) => l.replace(/.*\(/, '(')).join(', ')}`);
    } finally {
      upSub.end(true);
      pub.end(true);
      await s.close();
      await m.stop();
      dir.remove();
    }
  });
}

test('5.0 persistent upstream session: what the upstream queued for the bridge while this broker was down arrives when it is back', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const m = await Mosquitto.start(bin);
  const bridge = { name: 'up', addresses: [`mqtt://127.0.0.1:${m.port}`], protocolVersion: 5, clientId: 'site-a', sessionExpiryInterval: 600,
    backoffMinMs: 50, topics: ['cmd/# in 1'] };
  const first = await ganglionBridged(bridge);
  await first.close();   // the bridge's session stays at mosquitto (Session Expiry 600 s)
  const upPub = await client(m.port);
  const second = createServer(buildConfig({ listeners: [{ type: 'tcp', port: 0 }], logLevel: 'warn', bridges: [bridge] }, {}, ROOT), { log: () => {} });
  const got: string[] = [];
  second.subscribe('cmd/#', (msg) => got.push(`${msg.topic} ${Buffer.from(msg.payload).toString()}`));
  try {
    await new Promise<void>((resolve) => upPub.publish('cmd/door', 'open', { qos: 1 }, () => resolve()));
    await second.listen();
    await until('the queued command at the site', 10000, () => got.length === 1);
    assert.equal(got, ['cmd/door open']);
  } finally {
    upPub.end(true);
    await second.close();
    await m.stop();
  }
});

test('failover: the second upstream while the first is down; back to the first once it takes connections again', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const m1 = await Mosquitto.start(bin);
  const m2 = await Mosquitto.start(bin);
  await m1.kill();
  const s = await ganglionBridged({ addresses: [`mqtt://127.0.0.1:${m1.port}`, `mqtt://127.0.0.1:${m2.port}`], topics: ['s/# out 1'], primaryRetryMs: 200 });
  const pub = await client(s.port());
  let sub2: MqttClient | null = null, sub1: MqttClient | null = null;
  try {
    assert.is(s.server.bridges[0].stats().address, `mqtt://127.0.0.1:${m2.port}`);
    sub2 = await client(m2.port);
    const at2 = collect(sub2);
    await subscribe(sub2, 's/#');
    pub.publish('s/a', 'one', { qos: 1 });
    await until('the message at the second upstream', 5000, () => at2.length === 1);
    await m1.restart();
    sub1 = await client(m1.port);
    const at1 = collect(sub1);
    await subscribe(sub1, 's/#');
    await until('the bridge back on the first upstream', 10000, () => bridgeState(s) === 'connected' && s.server.bridges[0].stats().address.endsWith(':' + m1.port));
    pub.publish('s/a', 'two', { qos: 1 });
    await until('the message at the first upstream', 5000, () => at1.length === 1);
    assert.equal(at1, ['s/a two']);
    assert.equal(at2, ['s/a one']);
    assert.ok(s.lines.some((l) => /failed .*ECONNREFUSED.*; trying/.test(l)), s.lines.join('\n'));
    assert.ok(s.lines.some((l) => l.includes('takes connections again; moving back to it')), s.lines.join('\n'));
  } finally {
    pub.end(true);
    sub1?.end(true);
    sub2?.end(true);
    await s.close();
    await m1.stop();
    await m2.stop();
  }
});

// 5.0: No Local and Retain As Published on the bridge's upstream subscriptions; 3.1.1: the
// upstream ganglion takes mosquitto's bridge flag and gives the same (handlers/subscribe.ts).
for (const version of [5, 4] as const) test(`two ganglions bridged both ways on the same topics (${version === 5 ? '5.0' : '3.1.1 with the bridge flag'}): each message once on each side, no loop`, async () => {
  const upstream = await startTestServer({}, undefined, 'warn');
  const s = await ganglionBridged({ addresses: [`mqtt://127.0.0.1:${upstream.port()}`], protocolVersion: version, topics: ['t/# both 2'] });
  if (version === 4) assert.ok(s.lines.some((l) => l.includes('(MQTT 3.1.1 with the bridge flag')), s.lines.join('\n'));
  const subA = await client(s.port());
  const subB = await client(upstream.port());
  const pubA = await client(s.port());
  const pubB = await client(upstream.port());
  try {
    const a = collect(subA), b = collect(subB);
    await subscribe(subA, 't/#', 2);
    await subscribe(subB, 't/#', 2);
    await sleep(300);
    for (let i = 0; i < 20; i++) {
      pubA.publish('t/a', 'A' + i, { qos: 1 });
      pubB.publish('t/b', 'B' + i, { qos: 1 });
    }
    await until('40 messages on each side', 5000, () => a.length >= 40 && b.length >= 40);
    await sleep(500);   // a loop would keep them coming
    assert.is(a.length, 40, a.join(','));
    assert.is(b.length, 40, b.join(','));
    assert.is(new Set(a).size, 40);
    assert.is(new Set(b).size, 40);
  } finally {
    for (const c of [subA, subB, pubA, pubB]) c.end(true);
    await s.close();
    await upstream.close();
  }
});

test('two ganglions, plain 3.1.1 (tryPrivate false): out and in kept apart by their prefixes, each message once, no loop', async () => {
  const upstream = await startTestServer({}, undefined, 'warn');
  const s = await ganglionBridged({ addresses: [`mqtt://127.0.0.1:${upstream.port()}`], protocolVersion: 4, tryPrivate: false,
    topics: ['# out 1 up/ site-a/up/', '# in 1 down/ site-a/down/'] });
  const subA = await client(s.port());
  const subB = await client(upstream.port());
  const pubA = await client(s.port());
  const pubB = await client(upstream.port());
  try {
    const a = collect(subA), b = collect(subB);
    await subscribe(subA, '#');
    await subscribe(subB, 'site-a/#');
    await sleep(300);
    pubA.publish('up/x', 'from a', { qos: 1 });
    pubB.publish('site-a/down/y', 'from b', { qos: 1 });
    await until('both delivered', 5000, () => b.length >= 2 && a.length >= 2);
    await sleep(500);
    assert.equal(b.sort(), ['site-a/down/y from b', 'site-a/up/x from a']);
    assert.equal(a.filter((l) => !l.startsWith('$')).sort(), ['down/y from b', 'up/x from a']);
    assert.ok(s.lines.some((l) => l.includes('(MQTT 3.1.1, session present')), s.lines.join('\n'));
  } finally {
    for (const c of [subA, subB, pubA, pubB]) c.end(true);
    await s.close();
    await upstream.close();
  }
});

test('one mosquitto.conf with a connection section: the bridging mosquitto and the bridging ganglion carry the same messages', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const up = await Mosquitto.start(bin);
  const dir = tempDir('bridge-conf');
  chmodSync(dir.dir, 0o755);
  const results: Record<string, string[]> = {};
  try {
    for (const kind of ['mosquitto', 'ganglion']) {
      const port = await freePort();
      const text = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'connection up', `address 127.0.0.1:${up.port}`,
        `remote_clientid bridge-${kind}`, 'cleansession true', 'topic s/# out 1 "" site/', 'topic c/# in 1 "" site/', 'restart_timeout 1', ''].join('\n');
      writeFileSync(join(dir.dir, 'site.conf'), text);
      let stop: () => Promise<void>;
      if (kind === 'mosquitto') {
        const child = spawn(bin, ['-c', join(dir.dir, 'site.conf')], { stdio: 'ignore' });
        stop = async () => { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); };
      } else {
        const g = await startTestServer(parseMosquittoConf(text, 'site.conf').file, undefined, 'warn');
        stop = () => g.close();
      }
      try {
        const upSub = await retryClient(up.port);
        const localSub = await retryClient(port);
        const seen: string[] = [];
        upSub.on('message', (t, p) => seen.push(`up ${t} ${p.toString()}`));
        localSub.on('message', (t, p) => seen.push(`local ${t} ${p.toString()}`));
        await subscribe(upSub, 'site/s/#');
        await subscribe(localSub, 'c/#');
        const localPub = await client(port);
        const upPub = await client(up.port);
        // Until the bridge is up, a probe goes out every 100 ms; then one message each way.
        for (let i = 0; !seen.some((l) => l.startsWith('up site/s/probe')); i++) {
          if (i > 100) throw new Error(`${kind}: the bridge did not come up`);
          localPub.publish('s/probe', 'p', { qos: 0 });
          await sleep(100);
        }
        await sleep(200);   // the in-direction SUBSCRIBE went with the CONNECT's answer
        seen.length = 0;
        localPub.publish('s/t', 'from the site', { qos: 1 });
        upPub.publish('site/c/led', 'from the cloud', { qos: 1 });
        await until(`${kind}: both delivered`, 5000, () => seen.length >= 2);
        await sleep(200);
        results[kind] = seen.sort();
        for (const c of [upSub, localSub, localPub, upPub]) c.end(true);
      } finally {
        await stop();
      }
    }
    assert.equal(results.mosquitto, ['local c/led from the cloud', 'up site/s/t from the site']);
    assert.equal(results.ganglion, results.mosquitto);
  } finally {
    await up.stop();
    dir.remove();
  }
});

/** A client to a broker that may still be starting. */
test('a mosquitto bridge into ganglion with its bridge flag (3.1.1, try_private): both ways on the same topics, each message once, no loop', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const g = await startTestServer({}, undefined, 'info');
  const dir = tempDir('bridge-into');
  chmodSync(dir.dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir.dir, 'site.conf'), [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'connection into-ganglion',
    `address 127.0.0.1:${g.port()}`, 'bridge_protocol_version mqttv311', 'try_private true', 'remote_clientid mq-bridge',
    'cleansession true', 'topic t/# both 1', 'restart_timeout 1', ''].join('\n'));
  const child = spawn(bin, ['-c', join(dir.dir, 'site.conf')], { stdio: 'ignore' });
  const clients: MqttClient[] = [];
  try {
    const mqSub = await retryClient(port);
    const gSub = await client(g.port());
    const mqPub = await client(port);
    const gPub = await client(g.port());
    clients.push(mqSub, gSub, mqPub, gPub);
    const atMq = collect(mqSub), atG = collect(gSub);
    await subscribe(mqSub, 't/#', 1);
    await subscribe(gSub, 't/#', 1);
    // The bridge is up once a probe from the mosquitto side reaches ganglion.
    for (let i = 0; !atG.some((l) => l.startsWith('t/probe')); i++) {
      if (i > 100) throw new Error('the mosquitto bridge did not come up');
      mqPub.publish('t/probe', 'p', { qos: 0 });
      await sleep(100);
    }
    await sleep(300);   // its SUBSCRIBE (the in direction) has gone too
    atMq.length = 0;
    atG.length = 0;
    for (let i = 0; i < 20; i++) {
      mqPub.publish('t/m', 'M' + i, { qos: 1 });
      gPub.publish('t/g', 'G' + i, { qos: 1 });
    }
    await until('40 messages on each side', 5000, () => atMq.length >= 40 && atG.length >= 40);
    await sleep(500);   // a loop would keep them coming
    assert.is(atMq.length, 40, atMq.join(','));
    assert.is(atG.length, 40, atG.join(','));
    assert.is(new Set(atMq).size, 40);
    assert.is(new Set(atG).size, 40);
    const conn = g.server.broker.sessions.get('mq-bridge')?.connection;
    assert.ok(conn !== null && conn !== undefined && conn.bridge && conn.version === 4, 'ganglion took mosquitto as a 3.1.1 bridge');
  } finally {
    for (const c of clients) c.end(true);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await g.close();
    dir.remove();
  }
});

async function retryClient(port: number): Promise<MqttClient> {
  for (let i = 0; ; i++) {
    try {
      return await client(port);
    } catch (e) {
      if (i > 50) throw e;
      await sleep(100);
    }
  }
}

test('a hostile upstream (a CONNACK, then a packet announcing 200 MB): the bridge closes, says why, backs off; the site broker serves on', async () => {
  const hostile = createNetServer((sock) => {
    sock.once('data', () => sock.write(Buffer.from([0x20, 0x02, 0x00, 0x00, 0x30, 0xff, 0xff, 0xff, 0x5f])));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  const port = (hostile.address() as { port: number }).port;
  const s = await startTestServer({ bridges: [{ name: 'up', addresses: [`mqtt://127.0.0.1:${port}`], topics: ['# out 1'], backoffMinMs: 50, backoffMaxMs: 100 }] }, undefined, 'info');
  try {
    await until('a backoff after the oversized packet', 5000, () => s.lines.some((l) => /bridge up: backoff connection to .* lost \(a packet of \d+ bytes, maximum \d+\)/.test(l)));
    const a = await client(s.port());
    const got = collect(a);
    await subscribe(a, 'local/#');
    a.publish('local/x', 'still here', { qos: 1 });
    await until('local delivery', 5000, () => got.length === 1);
    a.end(true);
    assert.is(s.server.broker.stats.errors, 0);
  } finally {
    await s.close();
    hostile.close();
  }
});

test('bridge over TLS (mqtts://), the upstream\'s certificate checked against the configured CA file', async () => {
  const tmp = tempDir('bridge-tls');
  const certs = makeCerts(tmp.dir);
  const upstream = await startTestServer({ listeners: [{ type: 'tls', port: 0, cert: certs.serverCert, key: certs.serverKey }] }, undefined, 'warn');
  const s = await ganglionBridged({ addresses: [`mqtts://127.0.0.1:${upstream.port('tls')}`], protocolVersion: 5, tls: { ca: certs.ca }, topics: ['tls/# out 1'] });
  const sub = await client(upstream.port('tls'), { protocol: 'mqtts', ca: readFileSync(certs.ca) });
  const pub = await client(s.port());
  try {
    const got = collect(sub);
    await subscribe(sub, 'tls/#');
    pub.publish('tls/a', 'secret', { qos: 1 });
    await until('the message over TLS', 5000, () => got.length === 1);
    assert.equal(got, ['tls/a secret']);
  } finally {
    sub.end(true);
    pub.end(true);
    await s.close();
    await upstream.close();
    tmp.remove();
  }
});

test.run();
