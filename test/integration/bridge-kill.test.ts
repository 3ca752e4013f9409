// The bridging ganglion killed with SIGKILL mid-flood and started again (issue 16 §4): the
// built `ganglion` command with persistence on (`--persist DIR --fsync always`) and a bridge
// to a real mosquitto started by the test (Debian's package, loopback). A local publisher with
// a persistent session (test/kill-loop/session-client.ts: it keeps its state in this process
// and resends what was not acknowledged) floods numbered QoS 1 or QoS 2 messages; ganglion is
// killed twice; every message is then accounted for by its number at a subscriber of the
// upstream: none lost, and repeats only where QoS 1 allows them. Before each kill the upstream
// hangs (SIGSTOP) while 100 more messages are taken, so that the bridge holds messages queued
// and in flight when it dies; they come back from the store (core/bridge/queue-records.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, within } from './helpers.js';
import { Mosquitto, mosquittoOrSkip } from './mosquitto-broker.js';
import { canConnect, freePort, ganglionCommand } from '../bench/brokers/broker-process.js';
import { SessionClient } from '../kill-loop/session-client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The bridging ganglion as its own process, on `port` and `dir`, its log kept. */
class Site {
  child: ChildProcess | null = null;
  log = '';
  constructor(readonly conf: string, readonly dir: string, readonly port: number) {}

  async start(): Promise<void> {
    const g = ganglionCommand();
    const child = spawn(g[0], [g[1], '-c', this.conf, '--persist', this.dir, '--fsync', 'always'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer): void => { this.log = (this.log + d.toString()).slice(-20000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const end = Date.now() + 15000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null) throw new Error(`ganglion exited at start: ${this.log}`);
      if (Date.now() > end) throw new Error(`ganglion did not listen on ${this.port}: ${this.log}`);
      await sleep(20);
    }
  }

  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

async function connectRetrying(c: SessionClient, port: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await c.connect(port, 3000);
      return;
    } catch (e) {
      if (i > 100) throw e;
      await sleep(30);
    }
  }
}

for (const qos of [1, 2] as const) {
  test(`the bridging ganglion killed -9 twice mid-flood (persistence on): every QoS ${qos} message reaches the upstream${qos === 2 ? ' exactly once' : ', repeats only as QoS 1 allows'}`, async () => {
    const bin = mosquittoOrSkip();
    if (bin === null) return;
    const up = await Mosquitto.start(bin);
    const tmp = tempDir('bridge-kill');
    const port = await freePort();
    const conf = join(tmp.dir, 'site.json');
    writeFileSync(conf, JSON.stringify({
      listeners: [{ type: 'tcp', host: '127.0.0.1', port }], logLevel: 'info',
      bridges: [{ name: 'up', addresses: [`mqtt://127.0.0.1:${up.port}`], protocolVersion: 5, clientId: 'site-kill',
        sessionExpiryInterval: 600, topics: [`flood/# out ${qos}`], maxInflight: 20, backoffMinMs: 50, backoffMaxMs: 400 }],
    }));
    const site = new Site(conf, join(tmp.dir, 'state'), port);
    const N = 2000;
    const seen = new Uint16Array(N);
    const sub = mqtt.connect({ host: '127.0.0.1', port: up.port, clientId: 'kill-sub', clean: false, protocolVersion: 5,
      properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 100 });
    const pub = new SessionClient({ clientId: 'kill-pub', version: 5, sessionExpiryS: 600, keepAliveS: 30 });
    const acked = new Uint8Array(N);
    let ackedCount = 0;
    pub.onAcked = (o) => { if (acked[o.tag] === 0) { acked[o.tag] = 1; ackedCount++; } };
    try {
      await within(5000, 'the upstream subscriber', new Promise<void>((resolve, reject) => { sub.once('connect', () => resolve()); sub.once('error', reject); }));
      sub.on('message', (_t, p) => { seen[Number(p.toString())]++; });
      await new Promise<void>((resolve, reject) => sub.subscribe('flood/#', { qos }, (e) => (e ? reject(e) : resolve())));
      await site.start();
      await connectRetrying(pub, port);
      const killAt = [600, 1300];
      let kills = 0;
      let paused = false;
      const deadline = Date.now() + 45000;
      for (let next = 0; next < N || pub.outgoing.size > 0;) {
        if (Date.now() > deadline) throw new Error(`flood not done: ${next} sent, ${ackedCount} acknowledged; ganglion: ${site.log.slice(-3000)}`);
        if (kills < killAt.length && ackedCount >= killAt[kills] && !paused) {
          // The upstream hangs (SIGSTOP): what ganglion takes from now on waits in its bridge,
          // in flight and queued ...
          up.pause();
          paused = true;
        }
        if (paused && ackedCount >= killAt[kills] + 100) {
          // ... and ganglion is gone at once, then back on the same directory, and the upstream runs again.
          await site.kill();
          kills++;
          await site.start();
          up.resume();
          paused = false;
          await connectRetrying(pub, port);
          continue;
        }
        if (!pub.connected) {
          await connectRetrying(pub, port);
          continue;
        }
        if (next < N && pub.outgoing.size < 20) {
          pub.publish('flood/x', Buffer.from(String(next)), qos, false, next);
          next++;
          if (next % 20 === 0) await sleep(0);
          continue;
        }
        await sleep(1);
      }
      assert.is(ackedCount, N);
      const end = Date.now() + 20000;
      while (!seen.every((n) => n > 0) && Date.now() < end) await sleep(50);
      await sleep(300);   // repeats still on their way arrive too
      const missing = [...seen.keys()].filter((i) => seen[i] === 0);
      const repeated = [...seen.keys()].filter((i) => seen[i] > 1);
      const ctx = `${missing.length} missing (${missing.slice(0, 20).join(' ')}), ${repeated.length} repeated (${repeated.slice(0, 20).join(' ')}); ganglion: ${site.log.slice(-3000)}`;
      assert.is(missing.length, 0, ctx);
      if (qos === 2) assert.is(repeated.length, 0, ctx);
      assert.is(kills, 2);
      const back = site.log.match(/bridge up: \d+ messages for the upstream back from the store/g) ?? [];
      assert.is(back.length, 2, 'the bridge took its queue back after each kill: ' + site.log.slice(-3000));
      console.log(`    QoS ${qos}: ${N} sent, 2 kills, 0 missing, ${repeated.length} repeated`);
    } finally {
      pub.drop();
      sub.end(true);
      await site.kill();
      await up.stop();
      tmp.remove();
    }
  });
}

test.run();
