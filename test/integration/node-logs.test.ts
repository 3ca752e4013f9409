// The Node port's logs: --log-format json, --log-file reopened on SIGHUP (logrotate), -v -v
// one line per packet in and out that never holds a payload or a password, and refusals and
// TLS failures that name the remote address and say why in words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { hashPassword } from '../../ports/node/password-file.js';
import type { Background } from './helpers.js';
import { ROOT, background, makeCerts, startTestServer, tempDir, within } from './helpers.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');
const tmp = tempDir('logs');
const started: Background[] = [];
const FAST = { N: 1024, r: 8, p: 1 };

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
});

test.after(() => {
  for (const b of started) b.kill();
  tmp.remove();
});

/** Polls `cond` until it holds; rejects after `ms` naming `what` (and stops polling). */
async function until(what: string, ms: number, cond: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const refusal = (port: number, opts: mqtt.IClientOptions): Promise<string> => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  .then((c) => { c.end(true); return 'accepted'; }, (e: Error) => e.message);

test('--log-format json --log-file FILE -v -v: JSON lines, one per packet, no payload or password; SIGHUP reopens the file', async () => {
  const log = join(tmp.dir, 'ganglion.log');
  const passwd = join(tmp.dir, 'passwd');
  writeFileSync(passwd, `alice:${await hashPassword('s3cret-pw', FAST)}\n`);
  const g = background(process.execPath, [CLI, '-p', '0', '-v', '-v', '--log-format', 'json', '--log-file', log, '--password-file', passwd, '--allow-anonymous']);
  started.push(g);
  await g.lines(1, 5000);
  const port = Number(/:(\d+) /.exec(g.output())![1]);
  const sub = await within(5000, 'sub', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'reader', reconnectPeriod: 0, username: 'alice', password: 's3cret-pw' }));
  const got = new Promise<void>((resolve) => sub.on('message', () => resolve()));
  await sub.subscribeAsync('logs/#', { qos: 1 });
  const pub = await within(5000, 'pub', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'writer', reconnectPeriod: 0, protocolVersion: 5 }));
  await pub.publishAsync('logs/a', 'the-payload-text', { qos: 1 });
  await within(3000, 'delivery', got);
  await until('PUBACK from reader in the log', 3000, () => existsSync(log) && /"in {2}\\"reader\\" PUBACK id 1/.test(readFileSync(log, 'utf8')));
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string; msg: string });
  for (const l of lines) assert.ok(/^\d{4}-\d\d-\d\dT/.test(l.time) && ['error', 'warn', 'info', 'debug'].includes(l.level), JSON.stringify(l));
  const msgs = lines.map((l) => l.msg);
  const has = (re: RegExp): void => assert.ok(msgs.some((m) => re.test(m)), `${re} in\n${msgs.join('\n')}`);
  has(/^in  CONNECT level 4 keep-alive 60 clean client id "reader" user name password \(\d+ bytes\); peer 127\.0\.0\.1:\d+ on tcp/);
  has(/^out "reader" CONNACK code 0x0 \(4 bytes\)/);
  has(/^in  "reader" SUBSCRIBE id \d+ "logs\/#" qos 1/);
  has(/^in  "writer" PUBLISH qos 1 id \d+ topic "logs\/a" payload 16 bytes \(\d+ bytes\)/);
  has(/^out "reader" PUBLISH qos 1 id 1 topic "logs\/a" payload 16 bytes/);
  has(/^out "writer" PUBACK id \d+/);
  const all = readFileSync(log, 'utf8');
  assert.not.ok(all.includes('the-payload-text'), 'a payload in the log');
  assert.not.ok(all.includes('s3cret-pw'), 'a password in the log');

  // logrotate: the file is moved, SIGHUP, and the next lines go to a new file of the old name.
  renameSync(log, log + '.1');
  g.kill('SIGHUP');
  await until('the new log file', 3000, () => existsSync(log) && readFileSync(log, 'utf8').includes('reloaded'));
  await pub.publishAsync('logs/b', 'more', { qos: 0 });
  await until('a packet line in the new file', 3000, () => /topic \\"logs\/b\\"/.test(readFileSync(log, 'utf8')));
  assert.not.match(readFileSync(log + '.1', 'utf8'), /logs\/b/);
  sub.end(true);
  pub.end(true);
  g.kill('SIGTERM');
  assert.is((await g.done(6000)).code, 0);
});

test('a refused CONNECT is logged with its code in words, the remote address and the listener', async () => {
  writeFileSync(join(tmp.dir, 'p2'), `alice:${await hashPassword('right', FAST)}\n`);
  const s = await startTestServer({ passwordFile: 'p2', listeners: [{ type: 'tcp', port: 0 }] }, tmp.dir, 'info');
  try {
    assert.match(await refusal(s.port(), { clientId: 'wrong5', protocolVersion: 5, username: 'alice', password: 'wrong' }), /Bad User Name or Password/);
    assert.match(await refusal(s.port(), { clientId: 'wrong4', protocolVersion: 4, username: 'alice', password: 'wrong' }), /Bad username or password/);
    await until('two refusals logged', 3000, () => s.lines.filter((l) => l.includes('refused: CONNACK')).length >= 2);
    const lines = s.lines.join('\n');
    assert.match(lines, /warn wrong5: refused: CONNACK 0x86 \(Bad User Name or Password\) from 127\.0\.0\.1:\d+ on tcp 127\.0\.0\.1:\d+ user "alice"/);
    assert.match(lines, /warn wrong4: refused: CONNACK 0x4 \(bad user name or password\) from 127\.0\.0\.1:\d+ on tcp/);
  } finally {
    await s.close();
  }
});

test('a packet over maxPacketSize is a warning naming the client, its address and the limit', async () => {
  const s = await startTestServer({ limits: { maxPacketSize: 256 }, listeners: [{ type: 'tcp', port: 0 }] }, tmp.dir, 'warn');
  try {
    const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { clientId: 'big', reconnectPeriod: 0 }));
    c.on('error', () => {});
    c.publish('big/x', 'x'.repeat(1000));
    await until('the refusal logged', 3000, () => s.lines.some((l) => /bytes, maximum 256/.test(l)));
    assert.match(s.lines.join('\n'), /warn big: closing: a packet of \d+ bytes, maximum 256 .* from 127\.0\.0\.1:\d+ on tcp/);
    c.end(true);
  } finally {
    await s.close();
  }
});

test('TLS handshake failures name the remote address and say why', async () => {
  const certs = makeCerts(tmp.dir);
  const s = await startTestServer({ listeners: [{ type: 'tls', port: 0, cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requireCertificate: true }] }, tmp.dir, 'warn');
  try {
    // A plain MQTT client on the TLS port.
    const plain = netConnect({ host: '127.0.0.1', port: s.port('tls') }, () => plain.write(Buffer.from('101000044d5154540402003c000461626364', 'hex')));
    plain.on('error', () => {});
    await until('not TLS logged', 4000, () => s.lines.some((l) => l.includes('TLS handshake failed')));
    assert.match(s.lines.join('\n'), /warn TLS handshake failed from 127\.0\.0\.1:\d+ on tls 127\.0\.0\.1:\d+: not TLS: a plain MQTT client on a TLS port\? \[wrong version number\]/);
    plain.destroy();
    // A TLS client with no certificate where one is required.
    const before = s.lines.length;
    const c = mqtt.connect(`mqtts://127.0.0.1:${s.port('tls')}`, { reconnectPeriod: 0, ca: readFileSync(certs.ca), rejectUnauthorized: true, connectTimeout: 3000 });
    c.on('error', () => {});
    await until('no certificate logged', 4000, () => s.lines.slice(before).some((l) => l.includes('TLS handshake failed')));
    assert.match(s.lines.slice(before).join('\n'), /from 127\.0\.0\.1:\d+ on tls .*: the client sent no certificate, and this listener requires one \(requireCertificate\)/);
    c.end(true);
  } finally {
    await s.close();
  }
});

test.run();
