// The bridge scenario of the broker benchmark (`npm run bench -- bridge-qos1`, and
// `npm run bench:bridge`, test/bench/bridge.ts, for it alone): throughput through a bridge (issue 16 §4): local publisher -> bridging broker -> bridge ->
// upstream mosquitto -> subscriber, QoS 1, 64-byte payloads, window 100 at the publisher.
// The bridging broker is the built `ganglion` command (a "bridges" config: `bench/# out 1`)
// beside mosquitto with its own bridge (`connection`, `topic bench/# out 1`), each in its own
// process on loopback, rounds interleaved, medians. Every message is numbered: loss and
// duplicates counted exactly. Each run is bounded (it gives up 30 s after the last delivery).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BrokerName } from './broker-process.js';
import { canConnect, freePort, mosquittoPath } from './broker-process.js';
import { Client, SeqTrack, sleep } from './load-generator.js';
import { PUBACK, publishTemplate } from './mqtt-frames.js';
import type { Scenario } from './scenarios.js';
import { publishNumbered } from './persistence-scenarios.js';

const ROOT = new URL('../../..', import.meta.url).pathname;

async function listening(p: ChildProcess, port: number, name: string, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (p.exitCode !== null) throw new Error(`${name} exited: ${log()}`);
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`${name} does not listen on ${port}: ${log()}`);
}

function start(cmd: string, argv: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => { out = (out + d.toString()).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, log: () => out };
}

export interface Run { rate: number; lost: number; dups: number }

/** One run: `n` numbered QoS 1 messages through `kind`'s bridge into a fresh upstream mosquitto (config files in `dir`). */
export async function throughBridge(kind: 'ganglion' | 'mosquitto', mosquitto: string, n: number, dir: string): Promise<Run> {
  const up = await freePort();
  const local = await freePort();
  writeFileSync(join(dir, 'up.conf'), `listener ${up} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 100\nmax_queued_messages 1000000\nset_tcp_nodelay true\n`);
  const upstream = start(mosquitto, ['-c', join(dir, 'up.conf')]);
  let bridging: { child: ChildProcess; log: () => string };
  if (kind === 'ganglion') {
    writeFileSync(join(dir, 'site.json'), JSON.stringify({
      listeners: [{ type: 'tcp', port: local }],
      limits: { sysIntervalMs: 0 },
      latencyIntervalMs: 0,
      bridges: [{ name: 'up', addresses: [`mqtt://127.0.0.1:${up}`], topics: ['bench/# out 1'], maxInflight: 100, backoffMinMs: 100 }],
    }));
    // BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof": flags for the ganglion process.
    const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
    bridging = start(process.execPath, [...flags, join(ROOT, 'dist/node/ganglion-cli.js'), '-c', join(dir, 'site.json')]);
  } else {
    writeFileSync(join(dir, 'site.conf'), [`listener ${local} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_inflight_messages 100',
      'max_queued_messages 1000000', 'set_tcp_nodelay true', 'connection up', `address 127.0.0.1:${up}`, 'topic bench/# out 1',
      'max_inflight_messages 100', 'restart_timeout 1', ''].join('\n'));
    bridging = start(mosquitto, ['-c', join(dir, 'site.conf')]);
  }
  const subs: Client[] = [];
  try {
    await listening(upstream.child, up, 'upstream mosquitto', upstream.log);
    await listening(bridging.child, local, kind, bridging.log);
    const track = new SeqTrack();
    let last = performance.now();
    let probes = 0;
    const sub = await Client.connect(up, 'bench-sub', 4, 60, 10000, 0, (c, b, at, qos, id) => {
      const seq = b.readUInt32BE(at + 4);
      if (seq === 0xffffffff) probes++;
      else {
        last = performance.now();
        track.add(seq);
      }
      if (qos === 1) c.queueAck(PUBACK, id);
    });
    subs.push(sub);
    await sub.subscribe('bench/bridge', 1, 10000);
    const pub = await Client.connect(local, 'bench-pub', 4, 60, 10000);
    subs.push(pub);
    // Until the bridge is up: a numbered-out probe message every 100 ms comes through.
    const probe = publishTemplate('bench/bridge', 0, false, 4, 0, 64);
    probe.frame.writeUInt32BE(0xffffffff, probe.seqAt);
    for (let i = 0; probes === 0; i++) {
      if (i > 100) throw new Error(`${kind}: the bridge did not come up: ${bridging.log()}`);
      pub.write(Buffer.from(probe.frame));
      await sleep(100);
    }
    const t0 = performance.now();
    await publishNumbered(pub, 'bench/bridge', n, 100, 600000);
    while (track.unique < n && performance.now() - last < 30000) await sleep(20);
    const seconds = (last - t0) / 1000;
    return { rate: track.unique / seconds, lost: n - track.unique, dups: track.dups };
  } finally {
    for (const c of subs) c.destroy();
    bridging.child.kill(kind === 'ganglion' ? 'SIGTERM' : 'SIGKILL');   // SIGTERM: a --cpu-prof is written
    upstream.child.kill('SIGKILL');
    await sleep(100);
  }
}

export const BRIDGE_SCENARIOS: Scenario[] = [{
  id: 'bridge-qos1',
  title: 'QoS 1 through a bridge into an upstream mosquitto (publisher -> this broker -> its bridge -> mosquitto -> subscriber)',
  brokers: ['ganglion', 'mosquitto'] as BrokerName[],
  startsBroker: true,
  async run(broker, o) {
    const bin = mosquittoPath();
    if (bin === null) throw new Error('mosquitto is not installed (apt-get install mosquitto): it is the upstream');
    const dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-bridge-'));
    chmodSync(dir, 0o755);   // mosquitto started as root reads its config as user mosquitto
    try {
      const n = o.short ? 2000 : 20000;
      const r = await throughBridge(broker.name === 'ganglion' ? 'ganglion' : 'mosquitto', bin, n, dir);
      return { measures: [{ metric: 'delivered msg/s', value: r.rate, better: 'higher' }], lost: r.lost, duplicates: r.dups, brokerCpu: -1, loadCpu: -1,
        note: `${n.toLocaleString('en-US')} messages, window 100 at the publisher and 100 in flight on the bridge` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
}];
