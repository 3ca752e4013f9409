// Persistence on Node (issue 15 §2): the real `ganglion` command with --persist (its lock
// against a second broker, its restart after kill -9), and a server whose journal fails
// (a full disk): no success acknowledgement, /health, $SYS and /metrics say so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Background } from './helpers.js';
import { ROOT, background, mosquittoCheck, run, tempDir, within } from './helpers.js';
import { createServer } from '../../ports/node/server.js';
import type { GanglionServer } from '../../ports/node/server.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');
const started: Background[] = [];
const clients: MqttClient[] = [];
const haveMosquitto = mosquittoCheck();

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
});

test.after.each(() => {
  for (const c of clients.splice(0)) c.end(true);
  for (const b of started.splice(0)) b.kill();
});

function ganglion(args: string[]): Background {
  const b = background(process.execPath, [CLI, ...args]);
  started.push(b);
  return b;
}

/** The port from the "listening on mqtt://127.0.0.1:PORT" line. */
async function listening(b: Background): Promise<number> {
  await within(10000, 'ganglion to listen', (async () => {
    while (!/mqtt:\/\/[^ ]+:\d+/.test(b.output())) await b.lines(b.output().split('\n').filter(Boolean).length + 1, 10000);
  })());
  return Number(/mqtt:\/\/[^ ]+:(\d+)/.exec(b.output())![1]);
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return within(5000, `GET ${path}`, new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  }));
}

test('ganglion --persist DIR: says so at start, a second broker on DIR is refused, a restart after kill -9 is not', async () => {
  const t = tempDir('persist');
  try {
    const first = ganglion(['-p', '0', '--persist', t.dir]);
    const port = await listening(first);
    assert.match(first.output(), `ganglion: state kept in ${t.dir} (fsync always): 0 records loaded`);
    if (haveMosquitto) {
      const r = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-r', '-t', 'persist/a', '-m', 'kept']);
      assert.is(r.code, 0, JSON.stringify(r));   // PUBACK: after the journal's fdatasync
    }
    const second = await run(process.execPath, [CLI, '-p', '0', '--persist', t.dir], 30000);
    assert.is(second.code, 1, JSON.stringify(second));
    assert.match(second.stderr, `ganglion: ${t.dir} is in use by another broker (pid `);
    first.kill('SIGKILL');
    await first.done();
    assert.ok(fs.existsSync(join(t.dir, 'ganglion.lock')), 'kill -9 left its lock behind');
    const again = ganglion(['-p', '0', '--persist', t.dir]);
    await listening(again);
    assert.match(again.output(), haveMosquitto ? /state kept in .*: [1-9]\d* records loaded/ : /state kept in /);
    assert.match(again.errors(), /lock of pid \d+, which is not running, taken over/);
    again.kill('SIGTERM');
    const end = await again.done(6000);
    assert.is(end.code, 0, JSON.stringify(end));
    assert.not.ok(fs.existsSync(join(t.dir, 'ganglion.lock')), 'a clean stop removes the lock');
  } finally {
    t.remove();
  }
});

test('kill -9 and restart: every QoS 1 message acknowledged for an offline persistent subscriber reaches it (mosquitto_pub, mosquitto_sub)', async () => {
  if (!haveMosquitto) return;   // mosquittoCheck() has failed the run in CI, and warned loudly here
  const t = tempDir('persist-restart');
  try {
    const first = ganglion(['-p', '0', '--persist', t.dir]);
    let port = await listening(first);
    const sub = (extra: string[]): Promise<Awaited<ReturnType<typeof run>>> =>
      run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-c', '-i', 'offline-sub', '-q', '1', '-t', 'persist/#', ...extra], 20000);
    const subscribed = await sub(['-E']);   // a persistent session with its subscription, then away
    assert.is(subscribed.code, 0, subscribed.stderr);
    const lines = Array.from({ length: 50 }, (_, i) => `message ${i + 1}`);
    // -l: one PUBLISH per line; mosquitto_pub exits 0 once every PUBACK has come back
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', 'persist/q', '-l'], 20000, lines.join('\n') + '\n');
    assert.is(pub.code, 0, pub.stderr);
    first.kill('SIGKILL');
    await first.done();
    const again = ganglion(['-p', '0', '--persist', t.dir]);
    port = await listening(again);
    assert.match(again.output(), /state kept in .*: [1-9]\d* records loaded/);
    const got = await sub(['-C', String(lines.length), '-W', '15']);
    assert.is(got.code, 0, got.stderr);
    assert.equal(got.stdout.split('\n').filter((l) => l !== ''), lines, 'every message, in order, once');
  } finally {
    t.remove();
  }
});

test('MQTT-3.1.2-8 kill -9 and restart: the wills of clients whose sessions were not kept (3.1.1 Clean Session, 5.0 Session Expiry 0 with a Will Delay) go out at the restart (mosquitto_sub)', async () => {
  if (!haveMosquitto) return;   // mosquittoCheck() has failed the run in CI, and warned loudly here
  const t = tempDir('persist-wills');
  try {
    const first = ganglion(['-p', '0', '--persist', t.dir]);
    let port = await listening(first);
    const live = (version: string, name: string, extra: string[]): Background => {
      const b = background('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-i', name, '-t', 'ready/' + name, '-v',
        '--will-topic', 'wills/' + name, '--will-payload', name + ' lost', '--will-retain', ...extra]);
      started.push(b);
      return b;
    };
    const clean = live('mqttv311', 'clean', []);
    const five = live('mqttv5', 'five', ['-D', 'will', 'will-delay-interval', '600']);
    // Each is connected and subscribed once a message to it comes back: its will is in the journal.
    for (const [name, b] of [['clean', clean], ['five', five]] as Array<[string, Background]>) {
      await within(15000, name + ' ready', (async () => {
        while (!b.output().includes('ready/' + name + ' hi')) {
          await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'ready/' + name, '-m', 'hi'], 10000);
          await new Promise((r) => setTimeout(r, 100));
        }
      })());
    }
    first.kill('SIGKILL');
    await first.done();
    const again = ganglion(['-p', '0', '--persist', t.dir]);
    port = await listening(again);
    // Retained wills: a subscriber after the restart sees both, the 5.0 one without waiting 600 s.
    const got = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'wills/#', '-v', '-C', '2', '-W', '15'], 20000);
    assert.is(got.code, 0, got.stderr);
    assert.equal(got.stdout.split('\n').filter((l) => l !== '').sort(), ['wills/clean clean lost', 'wills/five five lost']);
  } finally {
    t.remove();
  }
});

/** node:fs whose writes fail with ENOSPC while `full.on`. */
function fullDisk(): { layer: typeof fs; full: { on: boolean } } {
  const full = { on: false };
  const layer = {
    ...fs,
    writeSync: ((fd: number, b: Uint8Array, off?: number, len?: number) => {
      if (full.on) {
        const e = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
        e.code = 'ENOSPC';
        throw e;
      }
      return fs.writeSync(fd, b, off, len);
    }) as typeof fs.writeSync,
  };
  return { layer, full };
}

test('a full disk: QoS 1 is not acknowledged as a success (5.0 PUBACK >= 0x80), /health 503 names it, $SYS and /metrics count it, QoS 0 goes on', async () => {
  const t = tempDir('persist-full');
  const disk = fullDisk();
  const lines: string[] = [];
  let server: GanglionServer | null = null;
  try {
    server = createServer({
      listeners: [{ type: 'tcp', port: 0 }, { type: 'http', port: 0 }],
      persistence: { dir: t.dir },
      limits: { sysIntervalMs: 1000 },
    }, { log: (l, line) => lines.push(`${l} ${line}`) }, disk.layer);
    const bound = await server.listen();
    const mqttPort = bound.find((b) => b.config.type === 'tcp')!.port;
    const httpPort = bound.find((b) => b.config.type === 'http')!.port;
    assert.equal(await httpGet(httpPort, '/health'), { status: 200, body: 'ok\n' });
    const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 5, clientId: 'p5', reconnectPeriod: 0 }));
    clients.push(c);
    await c.subscribeAsync('$SYS/broker/persistence/state');
    const okPuback = await c.publishAsync('full/a', 'before', { qos: 1, retain: true });
    assert.ok(((okPuback as { reasonCode?: number } | undefined)?.reasonCode ?? 0) < 0x80, 'stored: a success');
    disk.full.on = true;
    let code = -1;
    await within(5000, 'PUBACK', new Promise<void>((resolve) => {
      // retained: a change the broker must record (a plain QoS 1 message to no one may need none)
      c.publish('full/b', 'after', { qos: 1, retain: true }, (err, packet) => {
        code = (err as unknown as { code?: number } | null)?.code ?? (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
        resolve();
      });
    }));
    assert.ok(code >= 0x80, `PUBACK reason 0x${code.toString(16)}`);
    const health = await httpGet(httpPort, '/health');
    assert.is(health.status, 503);
    assert.match(health.body, /^persistence failing: writing segment-\d+\.log: ENOSPC/);
    assert.ok(lines.some((l) => /^error persistence: writing segment-.*ENOSPC.*not acknowledged/.test(l)));
    const status = JSON.parse((await httpGet(httpPort, '/status.json')).body) as { state: string };
    assert.match(status.state, /^persistence failing: writing segment-\d+\.log: ENOSPC/, 'the status page shows it (in red: not "serving")');
    const metrics = await httpGet(httpPort, '/metrics');
    assert.match(metrics.body, /\nganglion_persistence_failing 1\n/);
    assert.match(metrics.body, /\nganglion_persistence_write_errors_total 1\n/);
    const state = await within(5000, '$SYS persistence state', new Promise<string>((resolve) => {
      c.on('message', (topic, p) => {
        if (topic === '$SYS/broker/persistence/state' && p.toString() !== 'ok') resolve(p.toString());
      });
    }));
    assert.match(state, /^failing: writing segment-\d+\.log: ENOSPC/);
    const got = new Promise<string>((resolve) => c.on('message', (topic, p) => { if (topic === 'full/q0') resolve(p.toString()); }));
    await c.subscribeAsync('full/q0');
    await c.publishAsync('full/q0', 'qos 0 is not stored', { qos: 0 });
    assert.is(await within(5000, 'QoS 0 delivery', got), 'qos 0 is not stored');
  } finally {
    if (server !== null) await within(6000, 'close', server.close());
    t.remove();
  }
});

test.run();
