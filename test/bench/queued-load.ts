// Start-up of the broker on a Node file journal that holds N queued 64-byte QoS 1 messages for
// one offline persistent session (issue 15 §4: a million under 2 s), in this process, without
// the `ganglion` command around it: the journal's read (FileJournal's constructor: every file,
// every CRC) and the core's rebuild (createBroker: state/load.ts) timed apart. The store is
// made once, through the core as the broker writes it (a 3.1.1 subscriber to bench/queued that
// went away, then N in-process publishes: their publisher is the broker, '', where the queued-store
// scenario's is a client id), in a temporary directory or in --dir (kept, and
// used as it is when it already holds a journal). Medians over rounds, wall clock and the
// process's CPU time (on a loaded machine the wall clock is mostly waiting); nothing here
// asserts a time. For a CPU profile: `node --cpu-prof --import ./test/ts-loader.mjs ...`.
//
//   node --import ./test/ts-loader.mjs test/bench/queued-load.ts [--queued 1000000] [--rounds 3] [--dir DIR]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker } from '../../core/index.js';
import type { BrokerOptions } from '../../core/index.js';
import { FileJournal, JOURNAL_DEFAULTS } from '../../ports/node/file-journal.js';
import { Rig } from '../helpers/rig.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const QUEUED = Number(arg('queued') ?? 1000000);
const ROUNDS = Number(arg('rounds') ?? 3);
const LIMITS: BrokerOptions = { maxQueued: QUEUED + 1000, maxQueuedBytes: 1 << 30, maxOfflineBytes: 1 << 30, maxSessions: 1000 };

function quiet(): void {
  // the bench prints its own lines
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function journal(dir: string): FileJournal {
  return new FileJournal({ ...JOURNAL_DEFAULTS, dir, fsync: 'never' }, fs, quiet);
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Queues QUEUED messages for the offline session `queued-sub` through a broker on the journal in `dir`. */
async function fill(dir: string): Promise<void> {
  const j = journal(dir);
  const t = new Rig({ ...LIMITS, store: j, wallClockMs: Date.now() });
  t.connected('queued-sub', { clean: false });
  t.subscribe('queued-sub', 'bench/queued', 1);
  t.drop('queued-sub');
  const payload = new Uint8Array(64);
  for (let i = 0; i < QUEUED; i++) {
    payload[4] = i >>> 24; payload[5] = (i >>> 16) & 255; payload[6] = (i >>> 8) & 255; payload[7] = i & 255;
    t.broker.publish('bench/queued', payload, 1, false, t.now);
    if (i % 5000 === 4999) await turn();   // the journal writes what the turn appended
  }
  await new Promise<void>((resolve) => j.close(resolve));
  if (j.stats.refused > 0) throw new Error(`the journal refused ${j.stats.refused} appends`);
}

function bytesIn(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) n += statSync(join(dir, name)).size;
  return n;
}

const given = arg('dir');
const dir = given ?? mkdtempSync(join(tmpdir(), 'ganglion-bench-queued-'));
try {
  if (!readdirSync(dir).some((n) => n.endsWith('.log'))) {
    const t0 = performance.now();
    await fill(dir);
    console.log(`made: ${QUEUED} queued messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const bytes = bytesIn(dir);
  const read: number[] = [];
  const rebuild: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const j = journal(dir);
    const t1 = performance.now();
    const b = createBroker({ ...LIMITS, store: j, wallClockMs: Date.now() }, {}, 0);
    const t2 = performance.now();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    const s = b.sessions.get('queued-sub');
    const n = s === undefined ? -1 : s.queue.length + s.inflight.length;
    if (n !== QUEUED) throw new Error(`rebuilt ${n} of ${QUEUED} queued messages`);
    read.push(t1 - t0);
    rebuild.push(t2 - t1);
    await new Promise<void>((resolve) => j.close(resolve));
  }
  const total = read.map((x, i) => x + rebuild[i]);
  const ms = (xs: number[]): string => xs.map((x) => Math.round(x)).join(' ');
  console.log(`${QUEUED} queued 64-byte QoS 1 messages, ${(bytes / QUEUED).toFixed(1)} bytes on disk each (${(bytes / (1 << 20)).toFixed(1)} MiB), in ${dir}`);
  console.log(`journal read ms: median ${Math.round(median(read))} (${ms(read)}); rebuild ms: median ${Math.round(median(rebuild))} (${ms(rebuild)}); ` +
    `both: median ${Math.round(median(total))} (${ms(total)}); CPU ms of both: median ${Math.round(median(cpu))} (${ms(cpu)})`);
} finally {
  if (given === undefined) rmSync(dir, { recursive: true, force: true });
}
