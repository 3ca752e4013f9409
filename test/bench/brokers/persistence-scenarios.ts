// The persistence scenarios of the broker benchmark (issue 15 §4), beside the in-memory
// brokers of the same run. MQTT 3.1.1, 64-byte payloads. Node only.
//
//   qos1-persist, qos2-persist: QoS 1 / QoS 2 1->1 (window 100) as qos1-1to1 / qos2-1to1, but
//               every client has a persistent session (Clean Session 0), so that a persistent
//               broker writes down what it acknowledges; ganglion and mosquitto in memory in
//               the same scenario are the reference
//   kill-loop:  the kill -9 loop (test/kill-loop/kill-loop.ts): `killRounds` kills at seeded
//               moments under a QoS 1 + QoS 2 flood; acknowledged-then-lost, duplicates
//   queued-store: `queuedMessages` QoS 1 messages queued for an offline persistent subscriber,
//               then the broker is stopped (crash-safe brokers: kill -9; mosquitto, which
//               writes only at shutdown: SIGTERM) and started again: start-up time (spawn to
//               accepting connections), bytes on disk per queued message, and every message
//               drained and counted

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BrokerName } from './broker-process.js';
import { PERSISTENT, crashSafe } from './broker-process.js';
import { Client, SeqTrack, sleep, withTimeout } from './load-generator.js';
import { PUBACK, publishTemplate } from './mqtt-frames.js';
import type { Scenario } from './scenarios.js';
import { CONNECT_TIMEOUT_MS, throughput } from './scenarios.js';
import { killLoop } from '../../kill-loop/kill-loop.js';

const SESSION_EXPIRY_S = 3600;

const killLoopScenario: Scenario = {
  id: 'kill-loop',
  title: 'kill -9 loop (QoS 1 + QoS 2 floods, persistent sessions, seed 1)',
  brokers: PERSISTENT,
  smokeBrokers: [],   // npm test runs the loop itself (test/integration/kill-loop.test.ts)
  startsBroker: true,
  boundMs: 600000,
  async run(broker, o) {
    const r = await killLoop(broker, { rounds: o.killRounds, perRound: o.killPerRound, seed: 1 });
    return {
      measures: [
        { metric: 'acknowledged', value: r.acknowledged[0] + r.acknowledged[1], better: 'higher' },
        { metric: 'acknowledged-then-lost', value: r.lost, better: 'lower' },
        { metric: 'QoS 1 duplicates', value: r.duplicatesQos1, better: 'lower' },
        { metric: 'QoS 2 duplicates', value: r.duplicatesQos2, better: 'lower' },
        { metric: 'subscriptions missing', value: r.subscriptionsMissing, better: 'lower' },
        { metric: 'retained missing or wrong', value: r.retainedMissing + r.retainedWrong, better: 'lower' },
        { metric: 'start-up ms', value: r.startMs, better: 'lower' },
      ],
      lost: r.lost,
      duplicates: r.duplicatesQos2,   // QoS 1 duplicates are allowed: a measure, not a fault
      brokerCpu: -1,
      loadCpu: -1,
      note: `${r.kills} kills; lost counted per subscriber (2); out of order ${r.outOfOrder}; sessions lost ${r.sessionsLost}`,
    };
  },
};

/** Sends `n` numbered QoS 1 PUBLISHes to `topic`, at most `window` unacknowledged; resolves when all are acknowledged. */
export function publishNumbered(pub: Client, topic: string, n: number, window: number, timeoutMs: number): Promise<void> {
  const t = publishTemplate(topic, 1, false, 4, 0, 64);
  let sent = 0;
  let acked = 0;
  const done = new Promise<void>((resolve) => {
    const pump = (): void => {
      const parts: Buffer[] = [];
      while (sent < n && sent - acked < window) {
        t.frame.writeUInt32BE(sent, t.seqAt);
        const id = (sent % 65535) + 1;
        t.frame[t.idAt] = id >> 8;
        t.frame[t.idAt + 1] = id & 0xff;
        parts.push(Buffer.from(t.frame));
        sent++;
      }
      if (parts.length > 0) pub.write(Buffer.concat(parts));
      if (acked === n) resolve();
    };
    pub.onAck = (_c, type) => {
      if (type === PUBACK) acked++;
    };
    pub.afterRead = pump;
    pump();
  });
  return withTimeout(done, timeoutMs, `${n} PUBACKs`);
}

function closed(c: Client): Promise<void> {
  c.close();
  return withTimeout(new Promise<void>((resolve) => {
    if (c.closed) resolve();
    else c.socket.once('close', () => resolve());
  }), 5000, 'the socket to close');
}

function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return n;
}

const queuedStore: Scenario = {
  id: 'queued-store',
  title: 'a store of queued 64-byte QoS 1 messages: start-up and disk',
  brokers: PERSISTENT,
  smokeBrokers: ['ganglion-always'],
  startsBroker: true,
  boundMs: 900000,
  async run(broker, o) {
    const n = o.queuedMessages;
    await broker.start(15000);
    const sub = await Client.connect(broker.port, 'queued-sub', 4, 60, CONNECT_TIMEOUT_MS, SESSION_EXPIRY_S);
    await sub.subscribe('bench/queued', 1, CONNECT_TIMEOUT_MS);
    await closed(sub);
    const pub = await Client.connect(broker.port, 'queued-pub', 4, 60, CONNECT_TIMEOUT_MS);
    const t0 = performance.now();
    await publishNumbered(pub, 'bench/queued', n, 100, 600000);
    const fillS = (performance.now() - t0) / 1000;
    await closed(pub);
    const crash = crashSafe(broker.name);
    if (crash) await broker.kill();
    else await broker.shutdown(120000);
    const bytes = bytesUnder(broker.stateDir());
    await broker.start(120000);
    const startMs = broker.startMs[broker.startMs.length - 1];

    const track = new SeqTrack();
    let last = performance.now();
    const t1 = performance.now();
    const again = await Client.connect(broker.port, 'queued-sub', 4, 60, CONNECT_TIMEOUT_MS, SESSION_EXPIRY_S, (c, b, at, qos, id) => {
      last = performance.now();
      track.add(b.readUInt32BE(at + 4));
      if (qos === 1) c.queueAck(PUBACK, id);
    });
    while (track.unique < n && performance.now() - last < 5000) await sleep(20);
    const drainS = (last - t1) / 1000;
    again.destroy();
    return {
      measures: [
        { metric: 'start-up ms', value: startMs, better: 'lower' },
        { metric: 'bytes on disk/message', value: bytes / n, better: 'lower' },
        { metric: 'queued msg/s', value: n / fillS, better: 'higher' },
        { metric: 'drained msg/s', value: track.unique / drainS, better: 'higher' },
      ],
      lost: n - track.unique,
      duplicates: track.dups,
      brokerCpu: -1,
      loadCpu: -1,
      note: `${n.toLocaleString('en-US')} messages; restarted after ${crash ? 'kill -9' : 'SIGTERM (it writes its database only then)'}`,
    };
  },
};

const WITH_PEERS: BrokerName[] = ['ganglion', 'mosquitto', ...PERSISTENT];
const q = { version: 4 as const, payloadSize: 64, window: 100, batch: 100, publishers: 1, subscribers: 1, credit: 1000, sessionExpiryS: SESSION_EXPIRY_S };

const qos1 = throughput('qos1-persist', 'QoS 1, 1 -> 1, window 100, persistent sessions', WITH_PEERS, { ...q, qos: 1, topicOf: () => 'bench/p1', filter: 'bench/p1' });
qos1.smokeBrokers = ['ganglion-always'];
const qos2 = throughput('qos2-persist', 'QoS 2, 1 -> 1, window 100, persistent sessions', WITH_PEERS, { ...q, qos: 2, topicOf: () => 'bench/p2', filter: 'bench/p2' });
qos2.smokeBrokers = [];

// The smoke (npm test) runs QoS 1 and the store of queued messages with fsync always only.
export const PERSISTENCE_SCENARIOS: Scenario[] = [qos1, qos2, killLoopScenario, queuedStore];
