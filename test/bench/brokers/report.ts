// The broker benchmark's report: per scenario, metric and broker the median over rounds and
// its ratio to mosquitto and to aedes; losses and duplicates summed over every round; the
// CPU of the broker and of the load generator; then the issue's targets, met or not.

import type { BrokerName } from './broker-process.js';
import { label } from './broker-process.js';
import type { Measure, RunResult, Scenario } from './scenarios.js';

export interface Row {
  scenario: Scenario;
  broker: BrokerName;
  runs: RunResult[];
  errors: string[];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(v: number, metric: string): string {
  if (!Number.isFinite(v)) return '-';
  if (metric.endsWith('/s')) {
    if (v >= 1e6) return (v / 1e6).toFixed(2) + ' M';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + ' k';
    return v.toFixed(0);
  }
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function ratio(a: number, b: number): string {
  if (!(a > 0) || !(b > 0)) return '-';
  const r = a / b;
  return (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)) + 'x';
}

/** The median of one metric for one scenario and broker (NaN when absent). */
export function value(rows: Row[], scenarioId: string, broker: BrokerName, metric: string): number {
  const r = rows.find((x) => x.scenario.id === scenarioId && x.broker === broker);
  if (r === undefined) return NaN;
  return median(r.runs.map((run) => run.measures.find((m) => m.metric === metric)?.value ?? NaN).filter((v) => Number.isFinite(v)));
}

function metricsOf(row: Row): Measure[] {
  for (const r of row.runs) if (r.measures.length > 0) return r.measures;
  return [];
}

/** The markdown table. Ratios are this broker's median divided by the peer's. */
export function table(rows: Row[]): string {
  const lines = [
    '| scenario | metric | broker | median | vs mosquitto | vs aedes | lost | dup | broker CPU | load CPU | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const scenarios: Scenario[] = [];
  for (const r of rows) if (!scenarios.includes(r.scenario)) scenarios.push(r.scenario);
  for (const s of scenarios) {
    const mine = rows.filter((r) => r.scenario === s);
    const metrics: string[] = [];
    for (const r of mine) for (const m of metricsOf(r)) if (!metrics.includes(m.metric)) metrics.push(m.metric);
    if (metrics.length === 0) metrics.push('-');
    for (const metric of metrics) {
      for (const r of mine) {
        const v = value(rows, s.id, r.broker, metric);
        const mq = r.broker === 'mosquitto' ? NaN : value(rows, s.id, 'mosquitto', metric);
        const ae = r.broker === 'aedes' ? NaN : value(rows, s.id, 'aedes', metric);
        const lost = r.runs.reduce((n, x) => n + x.lost, 0);
        const dup = r.runs.reduce((n, x) => n + x.duplicates, 0);
        const cpu = median(r.runs.map((x) => x.brokerCpu).filter((x) => x >= 0));
        const load = median(r.runs.map((x) => x.loadCpu).filter((x) => x >= 0));
        const parts = r.runs.flatMap((x) => x.note.split('; ')).filter((x) => x !== '');
        const notes = [...new Set([...parts, ...r.errors.map((e) => 'ERROR: ' + e.split('\n')[0])])];
        lines.push(`| ${s.title} | ${metric} | ${label(r.broker)} | ${fmt(v, metric)} | ${ratio(v, mq)} | ${ratio(v, ae)} | ${lost} | ${dup} | ${Number.isFinite(cpu) ? cpu.toFixed(0) + '%' : '-'} | ${Number.isFinite(load) ? load.toFixed(0) + '%' : '-'} | ${notes.join('; ')} |`);
      }
    }
  }
  return lines.join('\n');
}

interface Target {
  what: string;
  check(rows: Row[]): { met: boolean; shown: string } | null;
}

/** `ours` (ganglion unless said) delivers at least `times` the peer's rate in the same scenario, without loss. */
function atLeast(scenarioId: string, peer: BrokerName, times: number, what: string, ours?: BrokerName): Target {
  const me = ours ?? 'ganglion';
  return {
    what,
    check(rows) {
      const a = value(rows, scenarioId, me, 'deliveries/s');
      const b = value(rows, scenarioId, peer, 'deliveries/s');
      if (!(a > 0) || !(b > 0)) return null;
      const clean = lossFree(rows, scenarioId, me);
      const r = a / b;
      return { met: r >= times && clean, shown: `${r.toFixed(r < 1 ? 2 : 1)}x${clean ? '' : ', with losses or duplicates'}` };
    },
  };
}

function atMost(scenarioId: string, metric: string, bytes: number, what: string): Target {
  return {
    what,
    check(rows) {
      const ours = value(rows, scenarioId, 'ganglion', metric);
      if (!Number.isFinite(ours)) return null;
      return { met: ours <= bytes, shown: `${Math.round(ours)} bytes` };
    },
  };
}

/** Ours at most `times` mosquitto's (lower is better: latency, memory, CPU). */
function timesPeer(scenarioId: string, metric: string, times: number, what: string): Target {
  return {
    what,
    check(rows) {
      const ours = value(rows, scenarioId, 'ganglion', metric);
      const theirs = value(rows, scenarioId, 'mosquitto', metric);
      if (!(ours > 0) || !(theirs > 0)) return null;
      return { met: ours <= times * theirs, shown: `${fmt(ours, metric)} vs ${fmt(theirs, metric)}` };
    },
  };
}

function lossFree(rows: Row[], scenarioId: string, broker: BrokerName): boolean {
  const r = rows.find((x) => x.scenario.id === scenarioId && x.broker === broker);
  return r !== undefined && r.errors.length === 0 && r.runs.every((x) => x.lost === 0 && x.duplicates === 0);
}

export const TARGETS: Target[] = [
  atLeast('qos0-1to1', 'mosquitto', 5, 'QoS 0 1->1: at least 5x mosquitto'),
  atLeast('qos0-fanin', 'mosquitto', 5, 'QoS 0 100->1: at least 5x mosquitto'),
  atLeast('qos0-fanout', 'mosquitto', 10, 'QoS 0 1->100: at least 10x mosquitto'),
  atLeast('qos1-1to1', 'aedes', 5, 'QoS 1 1->1: at least 5x aedes, no loss, no duplicates'),
  atLeast('qos2-1to1', 'aedes', 5, 'QoS 2 1->1: at least 5x aedes, no loss, no duplicates'),
  timesPeer('latency-qos0', 'p50 us', 1, 'latency QoS 0 p50 at 1,000 msg/s: no worse than mosquitto'),
  timesPeer('latency-qos0', 'p99 us', 1, 'latency QoS 0 p99 at 1,000 msg/s: no worse than mosquitto'),
  timesPeer('latency-qos1', 'p50 us', 1, 'latency QoS 1 p50 at 1,000 msg/s: no worse than mosquitto'),
  timesPeer('latency-qos1', 'p99 us', 1, 'latency QoS 1 p99 at 1,000 msg/s: no worse than mosquitto'),
  atMost('idle', 'bytes/connection', 4096, 'memory per idle connection: at most 4 KB (just after a burst of connects)'),
  atMost('idle', 'bytes/connection after 25 s', 2048, 'memory per idle connection: at most 2 KB (after 25 s idle)'),
  atMost('retained', 'bytes/retained msg', 450, 'memory per 64-byte retained message: at most 450 bytes (after a warm-up)'),
  atMost('retained-cold', 'bytes/retained msg', 450, 'memory per 64-byte retained message: at most 450 bytes (without a warm-up)'),
  timesPeer('fleet-1000', 'broker RSS MB', 2, 'fleet of 1,000: RSS at most 2x mosquitto\'s'),
  timesPeer('fleet-5000', 'broker RSS MB', 2, 'fleet of 5,000: RSS at most 2x mosquitto\'s'),
  timesPeer('fleet-1000', 'broker CPU us/delivery', 1, 'fleet of 1,000: CPU per delivery at most mosquitto\'s'),
  timesPeer('fleet-5000', 'broker CPU us/delivery', 1, 'fleet of 5,000: CPU per delivery at most mosquitto\'s'),
  timesPeer('fleet-1000', 'p99 us', 1, 'fleet of 1,000: p99 latency at most mosquitto\'s'),
  timesPeer('fleet-5000', 'p99 us', 1, 'fleet of 5,000: p99 latency at most mosquitto\'s'),
];

/** The median of `metric` for `broker` at most `limit`. */
function atMostOf(scenarioId: string, broker: BrokerName, metric: string, limit: number, unit: string, what: string): Target {
  return {
    what,
    check(rows) {
      const v = value(rows, scenarioId, broker, metric);
      if (!Number.isFinite(v)) return null;
      return { met: v <= limit, shown: `${fmt(v, metric)} ${unit}`.trim() };
    },
  };
}

/** Nothing acknowledged lost in any round of the kill loop. */
function noneLost(broker: BrokerName, what: string): Target {
  return {
    what,
    check(rows) {
      const r = rows.find((x) => x.scenario.id === 'kill-loop' && x.broker === broker);
      if (r === undefined || r.runs.length === 0) return null;
      const lost = r.runs.reduce((n, x) => n + x.lost, 0);
      return { met: lost === 0 && r.errors.length === 0, shown: `${lost} lost in ${r.runs.length} run(s)` };
    },
  };
}

/** Bytes on disk per queued message beyond its 64-byte payload. */
const overhead: Target = {
  what: 'on disk at most 100 bytes of overhead per queued 64-byte message (fsync always)',
  check(rows) {
    const v = value(rows, 'queued-store', 'ganglion-always', 'bytes on disk/message');
    if (!Number.isFinite(v)) return null;
    return { met: v - 64 <= 100, shown: `${Math.round(v)} bytes a message, ${Math.round(v - 64)} beyond the payload` };
  },
};

export const PERSISTENCE_TARGETS: Target[] = [
  atLeast('qos1-persist', 'mosquitto', 1, 'fsync always: QoS 1 at least mosquitto\'s in-memory QoS 1 rate', 'ganglion-always'),
  noneLost('ganglion-always', 'fsync always: 0 acknowledged messages lost in the kill -9 loop'),
  atLeast('qos1-persist', 'ganglion', 0.8, 'fsync never: QoS 1 at least 80% of ganglion in memory', 'ganglion-never'),
  atLeast('qos2-persist', 'ganglion', 0.8, 'fsync never: QoS 2 at least 80% of ganglion in memory', 'ganglion-never'),
  atMostOf('queued-store', 'ganglion-always', 'start-up ms', 2000, 'ms', 'start-up of a store of queued messages under 2 s (1 million in the full run)'),
  overhead,
];

export function targets(rows: Row[], list?: Target[]): string {
  const out: string[] = [];
  for (const t of list ?? TARGETS) {
    const c = t.check(rows);
    out.push(`- ${c === null ? 'n/a    ' : c.met ? 'met    ' : 'NOT MET'}  ${t.what}${c === null ? '' : ` (${c.shown})`}`);
  }
  return out.join('\n');
}

/** Losses, duplicates and errors anywhere. The short (smoke) mode fails on an error of any broker and on a loss or duplicate of ganglion's. */
export interface Problem {
  text: string;
  broker: BrokerName;
  kind: 'error' | 'loss';
}

export function problems(rows: Row[]): Problem[] {
  const out: Problem[] = [];
  for (const r of rows) {
    const at = `${r.scenario.id} on ${r.broker}`;
    for (const e of r.errors) out.push({ text: `${at}: ${e.split('\n')[0]}`, broker: r.broker, kind: 'error' });
    const lost = r.runs.reduce((n, x) => n + x.lost, 0);
    const dup = r.runs.reduce((n, x) => n + x.duplicates, 0);
    if (lost > 0 || dup > 0) out.push({ text: `${at}: ${lost} lost, ${dup} duplicates`, broker: r.broker, kind: 'loss' });
    if (r.runs.length === 0 && r.errors.length === 0) out.push({ text: `${at}: no run`, broker: r.broker, kind: 'error' });
  }
  return out;
}
