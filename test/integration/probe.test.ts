// `ganglion probe` as users run it: the built command against the built ganglion command and
// against a real mosquitto, each its own process on an ephemeral loopback port; its three
// output forms and its exit codes.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canConnect, freePort } from '../bench/brokers/broker-process.js';
import type { Background } from './helpers.js';
import { ROOT, background, run } from './helpers.js';
import { Mosquitto, mosquittoOrSkip } from './mosquitto-broker.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

let ganglion: Background | null = null;
let ganglionPort = 0;

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
  ganglionPort = await freePort();
  ganglion = background(process.execPath, [CLI, '-p', String(ganglionPort)]);
  await listening(ganglionPort);
});

test.after(() => {
  ganglion?.kill('SIGKILL');
});

interface Json { ok: boolean; sent: number; received: number; lost: number; duplicates: number; rttMs: { p50: number; p99: number; max: number } | null; connectMs: number }

async function probe(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await run(process.execPath, [CLI, 'probe', ...args], 30000);
  return { code: r.code, out: r.stdout + r.stderr };
}

for (const qos of [0, 1, 2]) {
  test(`probe against ganglion, QoS ${qos}: 20 messages back, none lost, JSON`, async () => {
    const r = await probe([`mqtt://127.0.0.1:${ganglionPort}`, '--qos', String(qos), '--count', '20', '--interval', '5', '--format', 'json']);
    assert.is(r.code, 0, r.out);
    const j = JSON.parse(r.out) as Json;
    assert.ok(j.ok);
    assert.is(j.sent, 20);
    assert.is(j.received, 20);
    assert.is(j.lost, 0);
    assert.is(j.duplicates, 0);
    assert.ok(j.rttMs !== null && j.rttMs.p50 > 0 && j.rttMs.p50 <= j.rttMs.p99 && j.rttMs.p99 <= j.rttMs.max);
    assert.ok(j.connectMs > 0);
  });
}

test('probe against mosquitto (3.1.1 and 5.0): all back, text report', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const m = await Mosquitto.start(bin);
  try {
    for (const v of ['mqttv311', 'mqttv5']) {
      const r = await probe([`mqtt://127.0.0.1:${m.port}`, '-V', v, '--count', '20', '--interval', '5']);
      assert.is(r.code, 0, r.out);
      assert.match(r.out, /sent 20, received 20, lost 0 \(0\.00%\), duplicates 0/);
      assert.match(r.out, /round trip ms: min [\d.]+ p50 [\d.]+ p99 [\d.]+ max [\d.]+/);
    }
  } finally {
    await m.stop();
  }
});

test('probe --format prometheus: the gauges and the round-trip summary', async () => {
  const r = await probe([`mqtt://127.0.0.1:${ganglionPort}`, '--count', '5', '--interval', '5', '--format', 'prometheus']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`ganglion_probe_up\\{target="mqtt://127.0.0.1:${ganglionPort}",qos="1"\\} 1`));
  assert.match(r.out, /ganglion_probe_received\{[^}]*\} 5/);
  assert.match(r.out, /ganglion_probe_rtt_seconds\{[^}]*quantile="0.99"\} [\d.e-]+/);
  assert.match(r.out, /# TYPE ganglion_probe_rtt_seconds summary/);
});

test('probe exits 1 past --max-p99 and 0 within --max-loss', async () => {
  const over = await probe([`mqtt://127.0.0.1:${ganglionPort}`, '--count', '3', '--interval', '5', '--max-p99', '0']);
  assert.is(over.code, 1, over.out);
  const within = await probe([`mqtt://127.0.0.1:${ganglionPort}`, '--count', '3', '--interval', '5', '--max-loss', '0']);
  assert.is(within.code, 0, within.out);
});

test('probe exits 2 when nothing listens, and names the reason', async () => {
  const port = await freePort();
  const r = await probe([`mqtt://127.0.0.1:${port}`, '--count', '1']);
  assert.is(r.code, 2);
  assert.match(r.out, /failed: connect ECONNREFUSED/);
});

test('probe exits 2 on bad usage', async () => {
  const r = await probe(['--qos', '3', 'mqtt://127.0.0.1:1']);
  assert.is(r.code, 2);
  assert.match(r.out, /--qos/);
});

test.run();
