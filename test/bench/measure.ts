// Small timing and allocation helpers for the benchmarks under test/bench/.
// Node only. Nothing here asserts anything: these functions measure and format.
//
//   const r = rate(() => decodeChunk(), 1000);             // fn does 1000 ops per call
//   r.median                                               // ops/s, median over rounds
//   const c = compareRates(ours, theirs, 1000);            // rounds interleaved
//   c.a.median, c.b.median, c.ratio
//   const a = await allocation(() => decodeChunk(), 1000); // needs node --expose-gc
//   a.bytesPerOp
//
// A measured function returns a number (a count, a length) so that its work is used.

import os from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';

// ---- throughput ---------------------------------------------------------------------

export interface RateOptions {
  rounds?: number;      // timed rounds; the median is reported (default 5)
  roundMs?: number;     // target duration of one round (default 100)
  warmupMs?: number;    // untimed calls first, also used to size the rounds (default 150)
  clock?: Clock;        // default 'cpu'
}

// 'cpu': this process's CPU time (user + system, all its threads, so GC helper threads
// count), which other processes on a shared machine do not inflate. 'wall': elapsed time.
export type Clock = 'cpu' | 'wall';

export interface Rate {
  median: number;       // ops per second, median over rounds
  rounds: number[];     // ops per second of each round, in the order run
  callsPerRound: number;
  opsPerCall: number;
}

// Sink for results, so that no measured call is dead code.
let sink = 0;

// Runs `fn` (which performs `opsPerCall` operations per call) in rounds and reports
// ops/s. The warm-up also estimates the cost of one call, so that each round lasts
// about `roundMs`.
export function rate(fn: () => number, opsPerCall: number, options?: RateOptions): Rate {
  const o = options || {};
  const rounds = o.rounds || 5;
  const clock = o.clock || 'cpu';
  const callsPerRound = callsFor(fn, o.warmupMs || 150, o.roundMs || 100);
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) perRound.push(timeRound(fn, callsPerRound, opsPerCall, clock));
  return { median: median(perRound), rounds: perRound, callsPerRound, opsPerCall };
}

export interface Comparison {
  a: Rate;
  b: Rate;
  ratio: number;        // a/b: median of the per-round ratios (each pair ran back to back)
}

// Measures two functions doing the same work, alternating their rounds (a, b, a, b ...)
// so that both see the same machine conditions; the ratio is the median of the ratios
// of paired rounds, which is steadier than a ratio of two medians on a noisy machine.
export function compareRates(fa: () => number, fb: () => number, opsPerCall: number, options?: RateOptions): Comparison {
  const o = options || {};
  const rounds = o.rounds || 5;
  const roundMs = o.roundMs || 100;
  const warmupMs = o.warmupMs || 150;
  const clock = o.clock || 'cpu';
  const callsA = callsFor(fa, warmupMs, roundMs);
  const callsB = callsFor(fb, warmupMs, roundMs);
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = timeRound(fa, callsA, opsPerCall, clock);
    const y = timeRound(fb, callsB, opsPerCall, clock);
    ra.push(x);
    rb.push(y);
    ratios.push(x / y);
  }
  return {
    a: { median: median(ra), rounds: ra, callsPerRound: callsA, opsPerCall },
    b: { median: median(rb), rounds: rb, callsPerRound: callsB, opsPerCall },
    ratio: median(ratios),
  };
}

// Warms `fn` up for `warmupMs` and returns how many calls take about `roundMs`.
function callsFor(fn: () => number, warmupMs: number, roundMs: number): number {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < warmupMs) {
    sink += fn();
    calls++;
    elapsed = performance.now() - start;
  }
  return Math.max(1, Math.round(roundMs / (elapsed / calls)));
}

// Ops per second over `calls` calls of `fn`.
function timeRound(fn: () => number, calls: number, opsPerCall: number, clock: Clock): number {
  if (clock === 'cpu') {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) sink += fn();
    const c = process.cpuUsage(c0);
    return (calls * opsPerCall * 1e6) / Math.max(1, c.user + c.system);
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += fn();
  const ns = Number(process.hrtime.bigint() - t0);
  return (calls * opsPerCall * 1e9) / ns;
}

export function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- allocation ---------------------------------------------------------------------

export interface Allocation {
  bytesPerOp: number;   // heap growth per op, minus the growth of an empty loop
  ops: number;          // ops in the measured loop
  tries: number;        // loops measured (a loop with a GC inside is thrown away)
}

type GcFunction = () => void;

function gcFunction(): GcFunction | null {
  const g = (globalThis as { gc?: GcFunction }).gc;
  return typeof g === 'function' ? g : null;
}

export function canMeasureAllocation(): boolean {
  return gcFunction() !== null;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

// Heap bytes allocated per op by `fn` (which performs `opsPerCall` ops per call).
// Runs `calls` calls between two readings of process.memoryUsage().heapUsed, after a
// full gc(). If a GC ran during the loop (seen by a PerformanceObserver on 'gc'
// entries), the reading is useless: it halves `calls` and tries again. Returns null
// without --expose-gc, or if even one call cannot run without a GC.
// `fn` should be warm (already optimised) so that compiling it is not counted.
export async function allocation(fn: () => number, opsPerCall: number, calls?: number): Promise<Allocation | null> {
  const gc = gcFunction();
  if (gc === null) return null;
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    for (let i = 0; i < 50; i++) { sink += fn(); sink += empty(); }   // warm both loops
    let n = calls || 64;
    let tries = 0;
    while (n >= 1) {
      tries++;
      const base = await heapGrowth(gc, empty, n, gcStarts);
      const used = await heapGrowth(gc, fn, n, gcStarts);
      if (base !== null && used !== null) {
        return { bytesPerOp: (used - base) / (n * opsPerCall), ops: n * opsPerCall, tries };
      }
      n = n >> 1;
    }
    return null;
  } finally {
    observer.disconnect();
  }
}

function empty(): number {
  return 0;
}

// Heap growth over `n` calls of `fn`, or null if a GC started during them.
async function heapGrowth(gc: GcFunction, fn: () => number, n: number, gcStarts: number[]): Promise<number | null> {
  gc();
  gc();
  await settle();                       // let the gc() entries above be delivered first
  const t0 = performance.now();
  const before = process.memoryUsage().heapUsed;
  let s = 0;
  for (let i = 0; i < n; i++) s += fn();
  const after = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  sink += s;
  await settle();                       // GC entries are delivered asynchronously
  for (let i = 0; i < gcStarts.length; i++) {
    if (gcStarts[i] >= t0 && gcStarts[i] <= t1) return null;
  }
  return after - before;
}

// ---- reporting ----------------------------------------------------------------------

export function machineFacts(): string {
  const cpus = os.cpus();
  const model = cpus.length > 0 ? cpus[0].model : 'unknown cpu';
  return [
    `date:    ${new Date().toISOString()}`,
    `node:    ${process.version} (${process.platform} ${process.arch}, V8 ${process.versions.v8})`,
    `cpu:     ${model}, ${cpus.length} cores`,
    `load:    ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min averages at start; above 0 means other work shares the cores)`,
    `flags:   ${process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--import')).join(' ') || '(none)'}`,
  ].join('\n');
}

// 1234567 -> "1.23 M", 12345 -> "12.3 k"
export function formatRate(opsPerSecond: number): string {
  if (!(opsPerSecond > 0)) return '-';
  if (opsPerSecond >= 1e6) return (opsPerSecond / 1e6).toFixed(opsPerSecond >= 1e8 ? 0 : 2) + ' M';
  if (opsPerSecond >= 1e3) return (opsPerSecond / 1e3).toFixed(1) + ' k';
  return opsPerSecond.toFixed(0);
}

// Spread of the rounds: half their interquartile range, as "±x%" of the median.
export function formatSpread(r: Rate): string {
  const s = r.rounds.slice().sort((a, b) => a - b);
  const q1 = s[Math.floor((s.length - 1) / 4)];
  const q3 = s[Math.ceil((3 * (s.length - 1)) / 4)];
  return '±' + ((50 * (q3 - q1)) / r.median).toFixed(0) + '%';
}

// Prints rows as a plain-text table; the first row is the header. Columns after the
// first are right-aligned.
export function printTable(rows: string[][]): void {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] || 0, cell.length); });
  }
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (let i = 1; i < rows.length; i++) console.log(line(rows[i]));
}
