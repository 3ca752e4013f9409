// The real `ganglion` command, started as the README says: flags, config file, refusal of
// unsafe settings, `ganglion passwd`, SIGHUP reload, and SIGTERM shutdown (5.0 clients get
// DISCONNECT 0x8B, the process exits 0).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Background } from './helpers.js';
import { ROOT, background, haveMosquittoClients, run, tempDir, within } from './helpers.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');
const tmp = tempDir('cli');
const started: Background[] = [];
const clients: MqttClient[] = [];

test.before(async () => {
  // The command as built by `node build.mjs` (npm start / npm test build it first).
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
});

test.after(() => {
  for (const c of clients) c.end(true);
  for (const b of started) b.kill();
  tmp.remove();
});

function ganglion(args: string[]): Background {
  const b = background(process.execPath, [CLI, ...args]);
  started.push(b);
  return b;
}

/** The port from the "listening on mqtt://127.0.0.1:PORT" line. */
async function listening(b: Background, scheme = 'mqtt'): Promise<number> {
  await within(5000, 'ganglion to listen', (async () => {
    for (;;) {
      if (new RegExp(`${scheme}://[^ ]+:\\d+`).test(b.output())) return;
      await b.lines(b.output().split('\n').filter(Boolean).length + 1, 5000);
    }
  })());
  return Number(new RegExp(`${scheme}://[^ ]+:(\\d+)`).exec(b.output())![1]);
}

async function connect(port: number, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 4000, ...opts }));
  clients.push(c);
  return c;
}

test('ganglion --help and npx ganglion --version', async () => {
  const help = await run(process.execPath, [CLI, '--help']);
  assert.is(help.code, 0);
  for (const flag of ['-p, --port', '-c, --config', '-v, --verbose', '--host', 'passwd']) assert.ok(help.stdout.includes(flag), flag);
  const npx = await run('npx', ['--no-install', 'ganglion', '--version'], 20000);
  assert.is(npx.code, 0, npx.stderr);
  assert.match(npx.stdout, /^\d+\.\d+\.\d+/);
});

test('ganglion: publish and subscribe, then SIGTERM: DISCONNECT 0x8B to 5.0 clients and exit 0', async () => {
  const g = ganglion(['-p', '0', '-v']);
  const port = await listening(g);
  const v5 = await connect(port, { protocolVersion: 5, clientId: 'five' });
  const v4 = await connect(port, { protocolVersion: 4, clientId: 'four' });
  const got = new Promise<string>((resolve) => v5.on('message', (_t, p) => resolve(p.toString())));
  await v5.subscribeAsync('cli/test', { qos: 1 });
  if (haveMosquittoClients()) {
    const r = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', 'cli/test', '-m', 'from mosquitto_pub']);
    assert.is(r.code, 0, r.stderr);
    assert.is(await within(4000, 'message', got), 'from mosquitto_pub');
  } else {
    await v4.publishAsync('cli/test', 'from mqtt.js', { qos: 1 });
    assert.is(await within(4000, 'message', got), 'from mqtt.js');
  }
  const disconnect = new Promise<number | undefined>((resolve) => v5.on('disconnect', (p) => resolve(p.reasonCode)));
  const v4closed = new Promise<void>((resolve) => v4.on('close', () => resolve()));
  const t0 = Date.now();
  g.kill('SIGTERM');
  assert.is(await within(4000, 'DISCONNECT', disconnect), 0x8b);
  await within(4000, '3.1.1 client closed', v4closed);
  const exit = await g.done(6000);
  assert.is(exit.code, 0, exit.stderr);
  assert.ok(Date.now() - t0 < 5000, 'shutdown took too long');
  assert.match(exit.stdout, /stopped/);
  assert.match(exit.stderr, /five: connected \(MQTT 5\.0\)/);   // -v: connects are logged
});

test('ganglion refuses a non-loopback address without users, and bad flags', async () => {
  const r = await run(process.execPath, [CLI, '--host', '0.0.0.0', '-p', '0']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 with no users configured/);
  assert.match(r.stderr, /allowAnonymous/);
  const bad = await run(process.execPath, [CLI, '--port', 'eighty']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--port: must be a port number/);
  const unknown = await run(process.execPath, [CLI, '--frobnicate']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option "--frobnicate"/);
});

test('ganglion -c: unknown keys and bad values are named', async () => {
  const file = join(tmp.dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ limits: { maxQueue: 10 } }));
  const r = await run(process.execPath, [CLI, '-c', file]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /limits: unknown key "maxQueue"/);
  writeFileSync(file, JSON.stringify({ listeners: [{ type: 'tcp', port: 70000 }] }));
  const r2 = await run(process.execPath, [CLI, '-c', file]);
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /listeners\[0\]\.port: must be an integer from 0 to 65535, got 70000/);
});

test('ganglion passwd from stdin, users from a config file, SIGHUP reloads them', async () => {
  const passwd = join(tmp.dir, 'passwd');
  const set = await run(process.execPath, [CLI, 'passwd', passwd, 'alice'], 10000, 'wonderland\n');
  assert.is(set.code, 0, set.stderr);
  const text = readFileSync(passwd, 'utf8');
  assert.match(text, /^alice:\$scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
  assert.not.match(text, /wonderland/);
  const config = join(tmp.dir, 'ganglion.json');
  writeFileSync(config, JSON.stringify({ passwordFile: 'passwd', listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] }));
  const g = ganglion(['-c', config]);
  const port = await listening(g);
  await connect(port, { username: 'alice', password: 'wonderland' });
  const refused = (user: string, pw: string): Promise<number | undefined> => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`,
    { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 5, username: user, password: pw })
    .then((c) => { c.end(true); return 0; }, (e: { code?: number }) => e.code);
  assert.is(await refused('bob', 'builder'), 0x86);
  const add = await run(process.execPath, [CLI, 'passwd', passwd, 'bob'], 10000, 'builder\n');
  assert.is(add.code, 0, add.stderr);
  g.kill('SIGHUP');
  await within(4000, 'bob accepted after SIGHUP', (async () => {
    while ((await refused('bob', 'builder')) !== 0) await new Promise((r) => setTimeout(r, 50));
  })());
  g.kill('SIGTERM');
  assert.is((await g.done(6000)).code, 0);
});

test.run();
