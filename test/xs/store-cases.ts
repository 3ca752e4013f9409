// The Moddable store (ports/moddable/file-store.js) over the fake `file` module
// (fake-moddable/file.ts) with power cuts, run unchanged on Node and inside XS by
// test/xs/run.mjs, which compares the two engines case by case. For SPIFFS (the SDK's ESP32
// default: every byte on flash as it is written) and LittleFS (kept as of the last close):
//   - a cut at every byte of a flush: every acknowledged record is there after the reboot,
//     with at most a prefix of the batch the cut interrupted, and later appends load after it;
//   - a cut at every 7th byte of a compaction: the old state or the new one, never a mixture;
//   - a flood of appends and compactions with power cut at random bytes (seeded): nothing
//     acknowledged is ever missing.
// and the first of them on the lin simulator's file module, whose write() takes no typed array.
// Each case's result is a deterministic summary (counts of outcomes); problem lists every
// breach. ECMAScript built-ins only: this runs in XS.

import { fileStore } from '../../ports/moddable/file-store.js';
import type { JournalStore } from '../../core/store/journal-store.js';
import { rec } from '../store/records.js';
import { resetDisk } from './fake-moddable/file.js';
import type { Disk } from './fake-moddable/file.js';
import { isPowerCut } from '../store/fake-flash.js';
import type { CaseResult } from './xs-bytes.js';
import { hex, errorText } from './xs-bytes.js';
import { loadedRecords } from '../helpers/loaded-records.js';

function hexes(list: Uint8Array[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) out.push(hex(list[i]));
  return out;
}

function startsWith(list: string[], prefix: string[]): boolean {
  if (list.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (list[i] !== prefix[i]) return false;
  return true;
}

function boot(d: Disk): { store: JournalStore; loaded: string[] } {
  d.reboot();
  const store = fileStore({ budgetBytes: 16384, segmentBytes: 2048 });
  return { store: store, loaded: hexes(loadedRecords(store)) };
}

function swallowCut(fn: () => void): void {
  try { fn(); } catch (e) { if (!isPowerCut(e)) throw e; }
}

function flushCuts(mode: string): CaseResult {
  const problems: string[] = [];
  const base = [rec(1, 40), rec(2, 40)];
  const batch = [rec(3, 30), rec(4, 30), rec(5, 30)];
  const counts = [0, 0, 0, 0];    // records of the batch found after the cut
  let cut = 0;
  for (; cut < 200; cut++) {
    const d = resetDisk(mode, 1 << 20);
    let s = boot(d).store;
    s.append(base, function () { /* acknowledged: checked below */ });
    s.flush();
    s.append(batch, function () { /* cut or not */ });
    d.cutAfter(cut);
    swallowCut(function () { s.flush(); });
    const wasCut = d.dead;
    const b = boot(d);
    s = b.store;
    if (!startsWith(b.loaded, hexes(base))) problems.push('cut ' + cut + ': acknowledged records missing');
    const extra = b.loaded.slice(2);
    if (!startsWith(hexes(batch), extra)) problems.push('cut ' + cut + ': not a prefix of the batch');
    counts[extra.length]++;
    s.append([rec(6, 10)], function () { /* written at the flush */ });
    s.flush();
    const again = boot(d).loaded;
    if (again.join() !== b.loaded.concat(hexes([rec(6, 10)])).join()) problems.push('cut ' + cut + ': an append after the reboot did not load after the rest');
    if (!wasCut) break;
  }
  return { name: '', result: 'cuts ' + cut + '; batch records kept 0/1/2/3: ' + counts.join('/'), problem: problems.join('; ') };
}

function compactionCuts(mode: string): CaseResult {
  const problems: string[] = [];
  const old: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) old.push(rec(i + 1, 300));
  const snap = [rec(50, 700), rec(51, 700), rec(52, 700)];   // two 2 KiB segments
  let olds = 0;
  let news = 0;
  let cut = 0;
  // Every 7th byte (XS runs this twice; the Node suite's Storage test cuts at every byte).
  for (; cut < 5000; cut += 7) {
    const d = resetDisk(mode, 1 << 20);
    const s = boot(d).store;
    for (let i = 0; i < old.length; i++) { s.append([old[i]], function () { /* kept */ }); s.flush(); }
    let finished = false;
    d.cutAfter(cut);
    swallowCut(function () { s.compact(snap, function (ok: boolean) { finished = ok && !d.dead; }); });
    const loaded = boot(d).loaded.join();
    if (loaded === hexes(old).join()) olds++;
    else if (loaded === hexes(snap).join()) news++;
    else problems.push('cut ' + cut + ': neither the old state nor the new');
    if (finished) break;
  }
  if (olds === 0 || news === 0) problems.push('the cuts did not land both before and after the commit');
  return { name: '', result: 'cuts ' + cut + '; old state ' + olds + ', new state ' + news, problem: problems.join('; ') };
}

function randomCuts(mode: string): CaseResult {
  const problems: string[] = [];
  let seed = 4242;
  function rand(n: number): number {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  }
  const d = resetDisk(mode, 1 << 20);
  let b = boot(d);
  let acked: string[] = b.loaded;
  let id = 0;
  let cuts = 0;
  let compactions = 0;
  let refused = 0;
  for (let round = 0; round < 40; round++) {
    const s = b.store;
    d.cutAfter(1 + rand(4000));
    let inflight: string[] = [];
    let snapshot: string[] | null = null;
    swallowCut(function () {
      for (let step = 0; step < 300 && !d.dead; step++) {
        const list: Uint8Array[] = [];
        const n = 1 + rand(3);
        for (let k = 0; k < n; k++) list.push(rec(++id, 1 + rand(300)));
        const hx = hexes(list);
        inflight = inflight.concat(hx);
        s.append(list, function (ok: boolean) {
          if (d.dead) return;                  // after the cut nothing runs
          if (ok) acked = acked.concat(hx); else refused++;
          inflight = inflight.filter(function (h) { return hx.indexOf(h) < 0; });
        });
        if (rand(3) === 0) s.flush();
        if (!d.dead && s.compactionDue()) {
          s.flush();
          const keep = acked.slice(acked.length > 6 ? acked.length - 6 : 0);
          const bytes: Uint8Array[] = [];
          for (let k = 0; k < keep.length; k++) {
            const r = new Uint8Array(keep[k].length / 2);
            for (let j = 0; j < r.length; j++) r[j] = parseInt(keep[k].slice(j * 2, j * 2 + 2), 16);
            bytes.push(r);
          }
          snapshot = keep;
          s.compact(bytes, function (ok: boolean) { if (ok && !d.dead) { acked = keep; compactions++; } });
          if (!d.dead) snapshot = null;
        }
      }
      s.flush();
    });
    if (d.dead) cuts++;
    b = boot(d);
    if (snapshot !== null && b.loaded.join() === (snapshot as string[]).join()) {
      acked = b.loaded;
      continue;
    }
    if (!startsWith(b.loaded, acked)) problems.push('round ' + round + ': an acknowledged record is missing');
    else if (!startsWith(inflight, b.loaded.slice(acked.length))) problems.push('round ' + round + ': a record nobody appended');
    acked = b.loaded;
  }
  if (cuts < 30) problems.push('only ' + cuts + ' cuts');
  return { name: '', result: 'cuts ' + cuts + ', compactions ' + compactions + ', refused ' + refused + ', records at the end ' + acked.length, problem: problems.join('; ') };
}

const CASES: Array<[string, (mode: string) => CaseResult]> = [
  ['a cut at every byte of a flush keeps every acknowledged record', flushCuts],
  ['a cut at every 7th byte of a compaction leaves the old state or the new one', compactionCuts],
  ['random power cuts in a flood with compactions lose nothing acknowledged', randomCuts],
];

export function runStoreCases(): CaseResult[] {
  const out: CaseResult[] = [];
  const modes = ['spiffs', 'littlefs', 'lin'];
  for (let m = 0; m < modes.length; m++) {
    // lin (the simulator's file module) keeps bytes as spiffs does: one case shows it is written at all.
    for (let i = 0; i < (modes[m] === 'lin' ? 1 : CASES.length); i++) {
      const name = 'store: ' + modes[m] + ': ' + CASES[i][0];
      try {
        const r = CASES[i][1](modes[m]);
        out.push({ name: name, result: r.result, problem: r.problem });
      } catch (e) {
        out.push({ name: name, result: '', problem: errorText(e) });
      }
    }
  }
  return out;
}
