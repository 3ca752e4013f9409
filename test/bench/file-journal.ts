// The Node file journal alone (ports/node/file-journal.ts), no broker: append throughput and
// fdatasyncs per second under each fsync policy, and the start-up load of a log of 1 million
// small records. Wall-clock medians over rounds; in a temporary directory on the machine's
// own disk (os.tmpdir()). Nothing here asserts a time.
//
//   node --import ./test/ts-loader.mjs test/bench/file-journal.ts [--rounds 3] [--seconds 2]
//        [--window 100] [--record 100] [--load 1000000]
//
// Appends: `window` appends of one record each are kept outstanding, and each done(true)
// appends the next, as a publisher with 100 QoS 1 messages in flight does through the broker.
import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FsyncPolicy } from '../../ports/node/file-journal.js';
import { FileJournal, FSYNC_POLICIES, JOURNAL_DEFAULTS } from '../../ports/node/file-journal.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 2);
const WINDOW = arg('window', 100);
const RECORD = arg('record', 100);
const LOAD = arg('load', 1000000);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function record(i: number): Uint8Array {
  const r = new Uint8Array(RECORD);
  r.fill(i & 255);
  return r;
}

function quiet(): void {
  // the bench prints its own lines
}

/** One round: appends for SECONDS with WINDOW outstanding; records/s and fdatasyncs/s. */
function appendRound(policy: FsyncPolicy): Promise<{ perSecond: number; fsyncsPerSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-journal-'));
  const j = new FileJournal({ ...JOURNAL_DEFAULTS, dir, fsync: policy, maxLogBytes: 1 << 40, segmentBytes: 1 << 30 }, fs, quiet);
  const rec = record(1);
  return new Promise((resolve) => {
    const started = performance.now();
    const stopAt = started + SECONDS * 1000;
    let done = 0;
    let outstanding = 0;
    let stopped = false;
    const one = (): void => {
      outstanding++;
      j.append([rec], (ok) => {
        outstanding--;
        if (!ok) throw new Error('append refused: ' + j.failure);
        done++;
        if (!stopped && performance.now() < stopAt) one();
        else if (!stopped) {
          stopped = true;
          const s = (performance.now() - started) / 1000;
          const out = { perSecond: done / s, fsyncsPerSecond: j.stats.fsyncs / s };
          const finish = (): void => {
            if (outstanding > 0) return void setImmediate(finish);
            j.close(() => {
              rmSync(dir, { recursive: true, force: true });
              resolve(out);
            });
          };
          finish();
        }
      });
    };
    for (let i = 0; i < WINDOW; i++) one();
  });
}

/** Writes LOAD records (fsync never, big batches), then times opening the directory (load) ROUNDS times. */
async function loadRounds(): Promise<{ ms: number[]; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-load-'));
  try {
    const w = new FileJournal({ ...JOURNAL_DEFAULTS, dir, fsync: 'never', maxLogBytes: 1 << 40 }, fs, quiet);
    const batch: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) batch.push(record(i));
    for (let i = 0; i < LOAD; i += 1000) {
      await new Promise<void>((resolve, reject) => w.append(batch, (ok) => (ok ? resolve() : reject(new Error(w.failure ?? 'refused')))));
    }
    await new Promise<void>((resolve) => w.close(resolve));
    const bytes = w.stats.bytesWritten;
    const ms: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const j = new FileJournal({ ...JOURNAL_DEFAULTS, dir, fsync: 'never', maxLogBytes: 1 << 40 }, fs, quiet);
      let loaded = 0;
      j.load(() => { loaded++; });   // each record as its file's bytes and bounds (core/broker/store.ts)
      ms.push(performance.now() - t);
      if (loaded !== LOAD) throw new Error(`loaded ${loaded} of ${LOAD}`);
      await new Promise<void>((resolve) => j.close(resolve));
    }
    return { ms, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`file journal, ${RECORD}-byte records, window ${WINDOW}, ${ROUNDS} rounds of ${SECONDS} s, in ${tmpdir()}`);
console.log('policy     records/s (median)   fdatasync/s (median)   rounds');
for (const policy of FSYNC_POLICIES) {
  const rates: number[] = [];
  const syncs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = await appendRound(policy);
    rates.push(x.perSecond);
    syncs.push(x.fsyncsPerSecond);
  }
  console.log(`${policy.padEnd(10)} ${Math.round(median(rates)).toString().padStart(17)}   ${median(syncs).toFixed(1).padStart(20)}   ${rates.map((x) => Math.round(x)).join(' ')}`);
}
if (LOAD > 0) {
  const l = await loadRounds();
  console.log(`load: ${LOAD} records of ${RECORD} bytes (${(l.bytes / (1 << 20)).toFixed(1)} MiB on disk, ${(l.bytes / LOAD).toFixed(0)} bytes each framed): ` +
    `median ${Math.round(median(l.ms))} ms (rounds ${l.ms.map((x) => Math.round(x)).join(' ')})`);
}
