// The scenarios of the broker benchmark, each a bounded run against one freshly started
// broker, returning its measurements. MQTT 3.1.1 and 64-byte payloads unless said. Node only.
//
//   throughput: QoS 0 1->1, QoS 0 fan-out 1->100, QoS 0 fan-in 100->1 on a wildcard,
//               QoS 1 1->1 (window 100), QoS 2 1->1 (window 100); again with MQTT 5 clients
//               (ganglion and mosquitto: aedes speaks 3.1.1 only)
//   latency:    p50/p99 publish -> delivery at a fixed 1,000 msg/s, QoS 0 and QoS 1
//   (QoS 0 1->1 and latency also run `relay`, the floor of a Node broker, when it is asked for)
//   idle:       5,000 connections: connects/s and broker memory per connection, just after
//               they connected and again after 25 s of idleness
//   retained:   10,000 retained messages, then a `#` subscribe: time to receive them all and
//               broker memory per retained message (retained-cold: the same on a fresh
//               broker, without the warm-up; retained: from a baseline taken after a warm-up
//               of the same publishes that keeps nothing)
//   fleet:      N clients (`--fleet N[,N]`, 1,000 and 5,000 by default, 50 in the smoke),
//               each one connection publishing QoS 1 at a fixed rate to fleet/<i>/state and
//               subscribed to fleet/<i+1>/state: deliveries/s, latency p50/p99/max, broker
//               RSS and broker CPU per delivery (also `relay` when it is asked for)
//
// Every scenario counts losses and duplicates exactly and measures the broker's CPU and
// resident memory from /proc while it runs.

import { performance } from 'node:perf_hooks';
import type { BrokerName, BrokerProcess } from './broker-process.js';
import { BROKERS } from './broker-process.js';
import type { FlowSpec } from './load-generator.js';
import { Client, Fleet, Flow, SeqTrack, many, sleep, withTimeout } from './load-generator.js';
import type { Version } from './mqtt-frames.js';
import { PUBACK, deleteRetainedFrame, publishTemplate } from './mqtt-frames.js';

export interface RunOptions {
  short: boolean;
  warmupMs: number;       // throughput: publishing before the measured window
  measureMs: number;      // throughput and latency: the measured window
  drainMs: number;        // most time to wait for the last deliveries after publishing stops
  idleConnections: number;
  retainedMessages: number;
  settleMs: number;       // idle: how long the connections are left idle before the second measure
  latencyRate: number;    // msg/s
  fleetMs: number;        // fleet: the measured window
  fleetDrainMs: number;   // fleet: most time to wait for the last deliveries and PUBACKs
  killRounds: number;     // kill-loop: kills
  killPerRound: number;   // kill-loop: new messages per publisher per round, at most
  queuedMessages: number; // queued-store: messages queued for the offline subscriber
}

export function runOptions(short: boolean): RunOptions {
  return short
    ? { short, warmupMs: 300, measureMs: 1000, drainMs: 3000, idleConnections: 1000, retainedMessages: 2000, latencyRate: 1000, settleMs: 1000, fleetMs: 2000, fleetDrainMs: 10000, killRounds: 3, killPerRound: 200, queuedMessages: 5000 }
    : { short, warmupMs: 1000, measureMs: 5000, drainMs: 5000, idleConnections: 5000, retainedMessages: 10000, latencyRate: 1000, settleMs: 25000, fleetMs: 10000, fleetDrainMs: 15000, killRounds: 20, killPerRound: 2000, queuedMessages: 1000000 };
}

/** One figure of one run. */
export interface Measure {
  metric: string;         // e.g. 'deliveries/s', 'p99 us', 'bytes/connection'
  value: number;
  better: 'higher' | 'lower';
}

export interface RunResult {
  measures: Measure[];
  lost: number;
  duplicates: number;
  brokerCpu: number;      // % of one core during the measured window (-1: not measured)
  loadCpu: number;        // % of one core used by this load generator over the same window
  note: string;           // e.g. 'not drained', 'load-bound'
}

export interface Scenario {
  id: string;
  title: string;
  brokers: BrokerName[];
  /** The broker comes to `run` not started (it starts, kills and restarts it itself). */
  startsBroker?: boolean;
  /** Most time one run may take (else the warm-up, measure and drain times plus 150 s). */
  boundMs?: number;
  /** The brokers of the --short smoke run, when not all of `brokers` (none: not in the smoke). */
  smokeBrokers?: BrokerName[];
  run(broker: BrokerProcess, o: RunOptions): Promise<RunResult>;
}

export const CONNECT_TIMEOUT_MS = 10000;

/** A CPU and wall-clock window over the broker process and this one. */
class Window {
  private t0: number;
  private b0: number;
  private g0: NodeJS.CpuUsage;
  constructor(private broker: BrokerProcess) {
    this.t0 = performance.now();
    this.b0 = broker.stats().cpuS;
    this.g0 = process.cpuUsage();
  }
  end(): { seconds: number; brokerCpu: number; loadCpu: number } {
    const seconds = (performance.now() - this.t0) / 1000;
    const b = this.broker.stats().cpuS - this.b0;
    const g = process.cpuUsage(this.g0);
    return { seconds, brokerCpu: (100 * b) / seconds, loadCpu: (100 * (g.user + g.system) / 1e6) / seconds };
  }
}

/** Which side limited a throughput run, from the two CPU figures. */
export function boundBy(brokerCpu: number, loadCpu: number): string {
  if (brokerCpu >= 90) return 'broker-bound';
  if (loadCpu >= 90) return 'LOAD-BOUND (generator saturated)';
  return '';
}

export function throughput(id: string, title: string, brokers: BrokerName[], spec: Omit<FlowSpec, 'connectTimeoutMs' | 'idPrefix'>): Scenario {
  return {
    id,
    title,
    brokers,
    async run(broker, o) {
      const flow = new Flow({ ...spec, connectTimeoutMs: CONNECT_TIMEOUT_MS, idPrefix: id });
      try {
        await flow.open(broker.port);
        flow.start();
        await watch(flow, o.warmupMs);
        const d0 = flow.deliveredSoFar();
        const w = new Window(broker);
        await watch(flow, o.measureMs);
        const d1 = flow.deliveredSoFar();
        const m = w.end();
        flow.stop();
        const drained = await flow.drain(o.drainMs);
        const c = flow.counts();
        const notes: string[] = [];
        if (!drained) notes.push(`not drained in ${o.drainMs} ms (${c.unacked} unacknowledged)`);
        const b = boundBy(m.brokerCpu, m.loadCpu);
        if (b !== '') notes.push(b);
        return {
          measures: [{ metric: 'deliveries/s', value: (d1 - d0) / m.seconds, better: 'higher' }],
          lost: c.lost,
          duplicates: c.duplicates,
          brokerCpu: m.brokerCpu,
          loadCpu: m.loadCpu,
          note: notes.join('; '),
        };
      } finally {
        flow.close();
      }
    },
  };
}

/** Waits `ms`, failing early if a client's socket closed. */
async function watch(flow: { broken(): string | null }, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await sleep(Math.min(50, Math.max(1, end - performance.now())));
    const b = flow.broken();
    if (b !== null) throw new Error(b);
  }
}

function latency(id: string, title: string, qos: number, version: Version, brokers: BrokerName[]): Scenario {
  return {
    id,
    title,
    brokers,
    async run(broker, o) {
      const flow = new Flow({
        version, qos, publishers: 1, subscribers: 1, topicOf: () => 'bench/latency', filter: 'bench/latency',
        payloadSize: 64, window: 100, credit: 1000, batch: 1, connectTimeoutMs: CONNECT_TIMEOUT_MS, idPrefix: id,
      });
      try {
        await flow.open(broker.port);
        flow.sampleLatency = true;
        // warm-up at the same rate, then the measured window
        await paced(flow, o.latencyRate, Math.min(1000, o.warmupMs * 2));
        await flow.drain(o.drainMs);
        flow.latencies.length = 0;
        const w = new Window(broker);
        await paced(flow, o.latencyRate, o.measureMs);
        const m = w.end();
        const drained = await flow.drain(o.drainMs);
        const c = flow.counts();
        const l = flow.latencies.slice().sort((a, b) => a - b);
        return {
          measures: [
            { metric: 'p50 us', value: 1000 * percentile(l, 0.5), better: 'lower' },
            { metric: 'p99 us', value: 1000 * percentile(l, 0.99), better: 'lower' },
          ],
          lost: c.lost,
          duplicates: c.duplicates,
          brokerCpu: m.brokerCpu,
          loadCpu: -1,   // the pacing loop spins on purpose
          note: drained ? '' : 'not drained',
        };
      } finally {
        flow.close();
      }
    },
  };
}

/** One PUBLISH every 1/rate s, on time (the loop spins on setImmediate for precision). */
async function paced(flow: Flow, rate: number, ms: number): Promise<void> {
  const step = 1000 / rate;
  const start = performance.now();
  const end = start + ms;
  let next = start;
  for (;;) {
    const now = performance.now();
    if (now >= end) return;
    if (now >= next) {
      flow.writeOne(0);
      next += step;
      if (next < now - 10 * step) next = now;   // far behind (a pause): do not burst
    }
    const b = flow.broken();
    if (b !== null) throw new Error(b);
    await new Promise((r) => setImmediate(r));
  }
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const idle: Scenario = {
  id: 'idle',
  title: 'idle connections',
  brokers: BROKERS,
  async run(broker, o) {
    const n = o.idleConnections;
    await sleep(500);
    const rss0 = broker.stats().rssBytes;
    const clients: Client[] = [];
    try {
      const w = new Window(broker);
      const t0 = performance.now();
      await withTimeout(many(n, 100, async (i) => {
        const c = await Client.connect(broker.port, `idle-${i}`, 4, 300, CONNECT_TIMEOUT_MS);
        clients.push(c);
        return c;
      }), 120000, `${n} connections`);
      const seconds = (performance.now() - t0) / 1000;
      const m = w.end();
      await sleep(1500);
      const rss1 = broker.stats().rssBytes;
      // Then as idle connections are kept: a while later, when a garbage-collected broker has
      // given back what the burst of connects grew (V8's memory reducer runs some 10 to 20 s
      // after the heap stops growing). Clients keep-alive at 300 s: nothing is sent meanwhile.
      await sleep(o.settleMs);
      const rss2 = broker.stats().rssBytes;
      const closed = clients.filter((c) => c.closed).length;
      return {
        measures: [
          { metric: 'connects/s', value: n / seconds, better: 'higher' },
          { metric: 'bytes/connection', value: (rss1 - rss0) / n, better: 'lower' },
          { metric: `bytes/connection after ${o.settleMs / 1000} s`, value: (rss2 - rss0) / n, better: 'lower' },
        ],
        lost: closed,
        duplicates: 0,
        brokerCpu: m.brokerCpu,
        loadCpu: m.loadCpu,
        note: [`${n} connections`, closed > 0 ? `${closed} closed by the broker` : '', boundBy(m.brokerCpu, m.loadCpu)].filter((x) => x !== '').join('; '),
      };
    } finally {
      for (const c of clients) c.destroy();
    }
  },
};

/** `n` QoS 1 PUBLISH frames to `topic(i)`, sequence number i in the payload. */
function numberedFrames(topic: (i: number) => string, n: number, retain: boolean): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const t = publishTemplate(topic(i), 1, retain, 4, 0, 64);
    t.frame.writeUInt32BE(i, t.seqAt);
    const id = (i % 65535) + 1;
    t.frame[t.idAt] = id >> 8;
    t.frame[t.idAt + 1] = id & 0xff;
    frames.push(t.frame);
  }
  return frames;
}

/** Sends the frames with at most `window` unacknowledged; resolves when all are acknowledged. */
function publishAcked(pub: Client, frames: Buffer[], window: number, timeoutMs: number): Promise<void> {
  let sent = 0;
  let acked = 0;
  const done = new Promise<void>((resolve) => {
    const pump = (): void => {
      const parts: Buffer[] = [];
      while (sent < frames.length && sent - acked < window) parts.push(frames[sent++]);
      if (parts.length > 0) pub.write(Buffer.concat(parts));
      if (acked === frames.length) resolve();
    };
    pub.onAck = (_c, type) => {
      if (type === PUBACK) acked++;
    };
    pub.afterRead = pump;
    pump();
  });
  return withTimeout(done, timeoutMs, `${frames.length} PUBACKs`);
}

/**
 * Retained messages, then a `#` subscribe. `warm`: after a warm-up, so that what a broker
 * allocates once for a burst of publishes (a JIT's compiled code, a garbage collector's
 * grown young generation, malloc's arenas, a bounded cache of topics) is in the baseline and
 * the measure is what keeping the messages costs: the same publishes not retained, then
 * retained but all to one topic (each replaces the one before, and the last is deleted).
 * Without it, the memory figure is what a fresh broker grows by for the burst.
 */
function retainedScenario(id: string, title: string, warm: boolean): Scenario {
  return {
    id,
    title,
    brokers: BROKERS,
    async run(broker, o) {
      const n = o.retainedMessages;
      const pub = await Client.connect(broker.port, 'retained-pub', 4, 60, CONNECT_TIMEOUT_MS);
      let sub: Client | null = null;
      try {
        if (warm) {
          await publishAcked(pub, numberedFrames((i) => 'bench/warmup/' + i, n, false), 100, 60000);
          await publishAcked(pub, numberedFrames(() => 'bench/warmup', n, true), 100, 60000);
          await publishAcked(pub, [deleteRetainedFrame('bench/warmup', 1)], 1, 10000);
        }
        await sleep(500);
        const rss0 = broker.stats().rssBytes;
        // QoS 1, 100 unacknowledged at most: every message is stored before the subscribe
        await publishAcked(pub, numberedFrames((i) => 'bench/retained/' + i, n, true), 100, 60000);
        await sleep(1500);
        const rss1 = broker.stats().rssBytes;

        const s = await Client.connect(broker.port, 'retained-sub', 4, 60, CONNECT_TIMEOUT_MS);
        sub = s;
        const track = new SeqTrack();
        let received = 0;
        let resolveAll: () => void = () => {};
        const all = new Promise<void>((r) => {
          resolveAll = r;
        });
        s.onPublish = (_c, b, at) => {
          received++;
          track.add(b.readUInt32BE(at + 4));
          if (track.unique === n) resolveAll();
        };
        const w = new Window(broker);
        const t0 = performance.now();
        await s.subscribe('#', 0, CONNECT_TIMEOUT_MS);
        let note = '';
        try {
          await withTimeout(all, 30000, `${n} retained messages`);
        } catch (e) {
          note = (e as Error).message;
        }
        const ms = performance.now() - t0;
        const m = w.end();
        await sleep(100);   // anything extra (duplicates) still on the way
        return {
          measures: [
            { metric: 'ms to receive all', value: ms, better: 'lower' },
            { metric: 'bytes/retained msg', value: (rss1 - rss0) / n, better: 'lower' },
          ],
          lost: n - track.unique,
          duplicates: track.dups + Math.max(0, received - track.unique - track.dups),
          brokerCpu: m.brokerCpu,
          loadCpu: m.loadCpu,
          note: note || `${n} messages`,
        };
      } finally {
        pub.destroy();
        if (sub !== null) sub.destroy();
      }
    },
  };
}

const retained = retainedScenario('retained', 'retained messages, then #', true);
const retainedCold = retainedScenario('retained-cold', 'retained messages without a warm-up, then #', false);

/**
 * The per-client rate of a fleet: 10,000 msg/s offered by the whole fleet and at most 10 a
 * client, so 1,000 clients x 10/s and 5,000 x 2/s (issue 20's two shapes).
 */
export function fleetRate(clients: number): number {
  return Math.min(10, 10000 / clients);
}

/** Fleet sizes when --fleet is not given. */
export function fleetSizes(short: boolean): number[] {
  return short ? [50] : [1000, 5000];
}

export function fleet(clients: number): Scenario {
  const rate = fleetRate(clients);
  return {
    id: `fleet-${clients}`,
    title: `fleet of ${clients.toLocaleString('en-US')}, QoS 1 at ${rate} msg/s each`,
    brokers: [...BROKERS, 'relay'],
    async run(broker, o) {
      const f = new Fleet({ clients, rate, payloadSize: 64, connectTimeoutMs: CONNECT_TIMEOUT_MS });
      try {
        await withTimeout(f.open(broker.port), 120000, `${clients} fleet clients connecting`);
        f.start();
        await watch(f, o.warmupMs);
        f.sampleLatency = true;
        const d0 = f.deliveredSoFar();
        const w = new Window(broker);
        await watch(f, o.fleetMs);
        const d1 = f.deliveredSoFar();
        const m = w.end();
        const rss = broker.stats().rssBytes;
        f.sampleLatency = false;
        f.stop();
        const drained = await f.drain(o.fleetDrainMs);
        const c = f.counts();
        const l = f.latencies.slice().sort((a, b) => a - b);
        const delivered = d1 - d0;
        const notes = [`${clients} clients, ${fmtRate(clients * rate)} msg/s offered`];
        if (!drained) notes.push(`not drained in ${o.fleetDrainMs} ms (${c.unacked} unacknowledged)`);
        const b = boundBy(m.brokerCpu, m.loadCpu);
        if (b !== '') notes.push(b);
        return {
          measures: [
            { metric: 'deliveries/s', value: delivered / m.seconds, better: 'higher' },
            { metric: 'p50 us', value: 1000 * percentile(l, 0.5), better: 'lower' },
            { metric: 'p99 us', value: 1000 * percentile(l, 0.99), better: 'lower' },
            { metric: 'max us', value: 1000 * (l.length > 0 ? l[l.length - 1] : NaN), better: 'lower' },
            { metric: 'broker RSS MB', value: rss / 2 ** 20, better: 'lower' },
            // CPU seconds of the broker over the window, per message delivered in it
            { metric: 'broker CPU us/delivery', value: delivered > 0 ? (1e4 * m.brokerCpu * m.seconds) / delivered : NaN, better: 'lower' },
          ],
          lost: c.lost,
          duplicates: c.duplicates,
          brokerCpu: m.brokerCpu,
          loadCpu: m.loadCpu,
          note: notes.join('; '),
        };
      } finally {
        f.close();
      }
    },
  };
}

function fmtRate(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

const BOTH: BrokerName[] = ['ganglion', 'mosquitto'];

function throughputSet(version: Version, brokers: BrokerName[]): Scenario[] {
  const v = version === 5 ? ' MQTT 5' : '';
  const sfx = version === 5 ? '-v5' : '';
  const q0 = { version, payloadSize: 64, window: 100, batch: 1000 };
  return [
    throughput(`qos0-1to1${sfx}`, `QoS 0, 1 -> 1${v}`, version === 4 ? [...brokers, 'relay'] : brokers, {
      ...q0, qos: 0, publishers: 1, subscribers: 1, topicOf: () => 'bench/one', filter: 'bench/one', credit: 10000,
    }),
    throughput(`qos0-fanout${sfx}`, `QoS 0, fan-out 1 -> 100${v}`, brokers, {
      ...q0, qos: 0, publishers: 1, subscribers: 100, topicOf: () => 'bench/fan', filter: 'bench/fan', credit: 1000,
    }),
    throughput(`qos0-fanin${sfx}`, `QoS 0, fan-in 100 -> 1 (bench/+/data)${v}`, brokers, {
      ...q0, qos: 0, publishers: 100, subscribers: 1, topicOf: (i) => `bench/${i}/data`, filter: 'bench/+/data', credit: 100, batch: 100,
    }),
    throughput(`qos1-1to1${sfx}`, `QoS 1, 1 -> 1, window 100${v}`, brokers, {
      ...q0, qos: 1, publishers: 1, subscribers: 1, topicOf: () => 'bench/q1', filter: 'bench/q1', credit: 1000, batch: 100,
    }),
    throughput(`qos2-1to1${sfx}`, `QoS 2, 1 -> 1, window 100${v}`, brokers, {
      ...q0, qos: 2, publishers: 1, subscribers: 1, topicOf: () => 'bench/q2', filter: 'bench/q2', credit: 1000, batch: 100,
    }),
  ];
}

export const SCENARIOS: Scenario[] = [
  ...throughputSet(4, BROKERS),
  latency('latency-qos0', 'latency at 1,000 msg/s, QoS 0', 0, 4, [...BROKERS, 'relay']),
  latency('latency-qos1', 'latency at 1,000 msg/s, QoS 1', 1, 4, [...BROKERS, 'relay']),
  idle,
  retained,
  retainedCold,
  ...throughputSet(5, BOTH),
];
