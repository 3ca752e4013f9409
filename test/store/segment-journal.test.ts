// The device journal (core/store/segment-journal.ts) on the fake Espruino Storage over a fake
// NOR flash (test/store/fakes.test.ts pins what those fakes do), through the Espruino port's
// Storage medium (ports/espruino/storage-store.ts). What issue 19 asks of it:
//   - every record whose append got done(true) is there after any power cut, in order;
//   - nothing is acknowledged before it reached the flash; a refused append writes nothing;
//   - a torn tail is dropped, damage in the middle reported with everything before it kept;
//   - a compaction cut at any byte leaves the old state or the new one, never a mixture;
//   - the budget holds: appends refused (counted) once the log has its share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeFlash, isPowerCut } from './fake-flash.js';
import { FakeStorage } from '../espruino/fake-storage.js';
import { FRAME_HEADER_BYTES } from '../../core/index.js';
import { COMMIT_AT, SegmentJournal, SEGMENT_HEADER_BYTES } from '../../core/store/segment-journal.js';
import type { SegmentJournalOptions } from '../../core/store/segment-journal.js';
import { StorageMedium, storageStore } from '../../ports/espruino/storage-store.js';
import { rec } from './records.js';
import { loadedRecords } from '../helpers/loaded-records.js';

function hexOf(list: Uint8Array[]): string[] {
  return list.map((r) => Buffer.from(r).toString('hex'));
}

class Board {
  flash: FakeFlash;
  storage: FakeStorage;
  journal!: SegmentJournal;
  options: SegmentJournalOptions;
  damage: Array<[number, number]> = [];
  constructor(options: SegmentJournalOptions = {}, sectors = 32) {
    this.flash = new FakeFlash(sectors * 4096);
    this.storage = new FakeStorage(this.flash);
    this.options = options;
  }
  /** Power on: a new Storage and journal over what the chip holds; the records loaded. */
  boot(): Uint8Array[] {
    this.flash.reboot();
    this.storage = FakeStorage.boot(this.flash);
    this.journal = new SegmentJournal(new StorageMedium(this.storage, 'gj'), {
      ...this.options, onDamage: (seq, at) => { this.damage.push([seq, at]); },
    });
    return loadedRecords(this.journal);
  }
  append(records: Uint8Array[]): boolean[] {
    const got: boolean[] = [];
    this.journal.append(records, (ok) => { got.push(ok); });
    return got;
  }
}

test('records appended and flushed come back in order after a reset', () => {
  const b = new Board();
  b.boot();
  const rs = [rec(1, 10), rec(2, 200), rec(3, 1)];
  const got = b.append(rs.slice(0, 2));
  const got2 = b.append(rs.slice(2));
  assert.equal(got, [], 'done waits for the flush');
  b.journal.flush();
  assert.equal(got.concat(got2), [true, true]);
  assert.equal(hexOf(b.boot()), hexOf(rs));
});

test('one flush is one write to flash when the batch fits the segment', () => {
  const b = new Board();
  b.boot();
  for (let i = 0; i < 10; i++) b.append([rec(i, 20)]);
  const before = b.flash.writes;
  b.journal.flush();
  assert.is(b.flash.writes - before, 2, 'the Storage file\'s header, then the segment (its create), nothing else');
  const w = b.flash.writes;
  for (let i = 10; i < 20; i++) b.append([rec(i, 20)]);
  b.journal.flush();
  assert.is(b.flash.writes - w, 1);
});

test('segments rotate: records spread over several segments load in order', () => {
  const b = new Board({ budgetBytes: 32768 });
  b.boot();
  const all: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) {
    const r = rec(i, 100 + (i % 7) * 30);
    all.push(r);
    b.append([r]);
    if (i % 5 === 4) b.journal.flush();
  }
  b.journal.flush();
  assert.ok(b.storage.list(/^gj/).length >= 3, 'several segment files');
  assert.equal(hexOf(b.boot()), hexOf(all));
});

test('the budget: once the log has its share (the budget less the reserve) appends are refused, counted, and write nothing', () => {
  const b = new Board({ budgetBytes: 16384, segmentBytes: 4096 });   // 4 segments, 1 reserved
  b.boot();
  let kept = 0;
  let refused = 0;
  for (let i = 0; i < 100; i++) {
    const got = b.append([rec(i, 500)]);
    if (got.length > 0) refused++;
    b.journal.flush();
    if (got.length === 0 || got[0]) kept++;
  }
  assert.ok(refused > 0);
  assert.is(b.journal.stats.refused, refused);
  assert.is(b.journal.segments.length, 3);
  const bytes = b.flash.bytesWritten;
  assert.equal(b.append([rec(999, 500)]), [false]);
  b.journal.flush();
  assert.is(b.flash.bytesWritten, bytes, 'a refused append writes nothing');
  assert.is(b.boot().length, kept);
});

test('a record bigger than a segment holds is refused', () => {
  const b = new Board({ segmentBytes: 4096 });
  b.boot();
  assert.equal(b.append([rec(1, 4096 - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES + 1)]), [false]);
  const ok = b.append([rec(2, 4096 - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES)]);
  b.journal.flush();
  assert.equal(ok, [true]);
});

test('compaction: the snapshot replaces everything before it, later appends follow it, old segments are erased', () => {
  const b = new Board({ budgetBytes: 32768 });
  b.boot();
  for (let i = 0; i < 80; i++) { b.append([rec(i, 300)]); b.journal.flush(); }
  assert.ok(b.journal.compactionDue());
  const snap = [rec(100, 50), rec(101, 60)];
  let done: boolean | null = null;
  b.journal.compact(snap, (ok) => { done = ok; });
  assert.is(done, true);
  assert.not.ok(b.journal.compactionDue());
  b.append([rec(102, 70)]);
  b.journal.flush();
  assert.is(b.storage.list(/^gj/).length, 1, 'the snapshot segment, which the next appends share');
  assert.equal(hexOf(b.boot()), hexOf(snap.concat([rec(102, 70)])));
});

test('compaction that does not fit beside the old segments fails and leaves the old state', () => {
  const b = new Board({ budgetBytes: 16384, reserveBytes: 4096 });
  b.boot();
  const all: Uint8Array[] = [];
  for (let i = 0; i < 18; i++) { const r = rec(i, 600); all.push(r); b.append([r]); b.journal.flush(); }
  const big: Uint8Array[] = [];
  for (let i = 0; i < 14; i++) big.push(rec(200 + i, 600));   // two segments: more than the one in reserve
  let done: boolean | null = null;
  b.journal.compact(big, (ok) => { done = ok; });
  assert.is(done, false);
  assert.is(b.journal.stats.compactionsFailed, 1);
  assert.equal(hexOf(b.boot()), hexOf(all));
});

test('a compaction whose commit fails leaves the old state, and appends go on after it in the old segment', () => {
  const flash = new FakeFlash(32 * 4096);
  const storage = new FakeStorage(flash);
  const medium = new StorageMedium(storage, 'gj');
  const failing = Object.create(medium) as StorageMedium;
  failing.write = (seq: number, offset: number, bytes: Uint8Array): boolean => offset === COMMIT_AT ? false : medium.write(seq, offset, bytes);
  const j = new SegmentJournal(failing, { budgetBytes: 32768 });
  loadedRecords(j);
  const all = [rec(1, 100), rec(2, 100)];
  j.append(all.slice(0, 1), () => {});
  j.flush();
  let done: boolean | null = null;
  j.compact([rec(9, 50)], (ok) => { done = ok; });
  assert.is(done, false);
  j.append(all.slice(1), () => {});
  j.flush();
  assert.equal(hexOf(loadedRecords(new SegmentJournal(medium, { budgetBytes: 32768 }))), hexOf(all));
});

test('a power cut at every byte of a flush: what was acknowledged is kept, the torn batch leaves at most a prefix, and later appends load after it', () => {
  const base = [rec(1, 40), rec(2, 40)];
  const batch = [rec(3, 30), rec(4, 30), rec(5, 30)];
  for (let cut = 0; cut < 3 * (30 + FRAME_HEADER_BYTES) + 2; cut++) {
    const b = new Board();
    b.boot();
    b.append(base);
    b.journal.flush();
    b.append(batch);
    b.flash.cutAfter(cut);
    try { b.journal.flush(); } catch (e) { if (!isPowerCut(e)) throw e; }
    const loaded = hexOf(b.boot());
    assert.equal(loaded.slice(0, 2), hexOf(base), 'cut ' + cut);
    assert.equal(loaded.slice(2), hexOf(batch).slice(0, loaded.length - 2), 'cut ' + cut + ': a prefix of the batch');
    b.append([rec(6, 10)]);
    b.journal.flush();
    assert.equal(hexOf(b.boot()), loaded.concat(hexOf([rec(6, 10)])), 'cut ' + cut + ': appends after the torn tail');
  }
});

test('a power cut at every byte of a compaction leaves the old state or the new one', () => {
  const old = [rec(1, 500), rec(2, 500), rec(3, 500), rec(4, 500), rec(5, 500), rec(6, 500), rec(7, 500), rec(8, 500)];
  const snap = [rec(50, 900), rec(51, 900), rec(52, 900), rec(53, 900), rec(54, 900)];   // two segments
  let both = 0;
  let resets = 0;
  for (let cut = 0; ; cut++) {
    const b = new Board({ budgetBytes: 32768 });
    b.boot();
    for (let i = 0; i < old.length; i++) { b.append([old[i]]); b.journal.flush(); }
    b.flash.cutAfter(cut);
    let finished = false;
    b.journal.compact(snap, (ok) => { finished = ok; });
    const loaded = hexOf(b.boot());
    const isOld = loaded.join() === hexOf(old).join();
    const isNew = loaded.join() === hexOf(snap).join();
    if (b.storage.resetAtBoot) {
      resets++;                          // Espruino's own reset: see the assertion after the loop
      assert.equal(loaded, []);
    } else {
      assert.ok(isOld || isNew, 'cut ' + cut + ': ' + loaded.length + ' records');
      if (isNew) both |= 2; else both |= 1;
    }
    b.append([rec(9, 10)]);
    b.journal.flush();
    assert.equal(hexOf(b.boot()), loaded.concat(hexOf([rec(9, 10)])), 'cut ' + cut);
    if (finished) break;
  }
  assert.is(both, 3, 'cuts landed before and after the commit');
  // The two snapshot segments are two new Storage files; a cut after the 1st or 2nd byte of a
  // file's header makes Espruino find "Storage is corrupt" at boot and erase it all
  // (fake-storage.ts). Nothing else lost anything.
  assert.is(resets, 4);
});

test('damage in the middle of a segment is reported with its offset; records before it and later segments are kept', () => {
  const b = new Board({ budgetBytes: 32768 });
  b.boot();
  const first: Uint8Array[] = [];
  for (let i = 0; i < 12; i++) { const r = rec(i, 300); first.push(r); b.append([r]); b.journal.flush(); }
  // Clear bits in the 3rd record's payload of the first segment (as a failing cell would).
  const name = b.storage.list(/^gj/).sort()[0];
  const at = (b.storage as unknown as { find(n: string): { addr: number } }).find(name).addr + 32 +
    SEGMENT_HEADER_BYTES + 2 * (FRAME_HEADER_BYTES + 300) + FRAME_HEADER_BYTES + 5;
  b.flash.write(at, new Uint8Array([0x00]));
  const loaded = hexOf(b.boot());
  assert.equal(b.damage.length, 1);
  assert.is(b.damage[0][1], SEGMENT_HEADER_BYTES + 2 * (FRAME_HEADER_BYTES + 300));
  assert.equal(loaded.slice(0, 2), hexOf(first.slice(0, 2)));
  const perSegment = Math.floor((4096 - SEGMENT_HEADER_BYTES) / (FRAME_HEADER_BYTES + 300));
  assert.equal(loaded.slice(2), hexOf(first.slice(perSegment)), 'the next segments are read');
});

test('random power cuts during a flood of appends and compactions never lose an acknowledged record', () => {
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const b = new Board({ budgetBytes: 24576 }, 64);
  let acked: string[] = hexOf(b.boot());
  let id = 0;
  let cuts = 0;
  let compactions = 0;
  let refused = 0;
  let resets = 0;
  for (let round = 0; round < 150; round++) {
    b.flash.cutAfter(1 + rand(6000));
    let inflight: string[] = [];
    let snapshotTry: string[] | null = null;
    try {
      for (let step = 0; step < 400; step++) {
        const n = 1 + rand(3);
        const batch: Uint8Array[] = [];
        for (let k = 0; k < n; k++) batch.push(rec(++id, 1 + rand(400)));
        const hx = hexOf(batch);
        inflight = inflight.concat(hx);
        b.journal.append(batch, (ok) => {
          if (b.flash.dead) return;          // after the cut nothing runs: nobody hears this
          if (ok) acked = acked.concat(hx); else refused++;
          inflight = inflight.filter((h) => hx.indexOf(h) < 0);
        });
        if (rand(4) === 0) b.journal.flush();
        if (b.journal.compactionDue() && rand(2) === 0) {
          b.journal.flush();
          const keep = acked.slice(Math.max(0, acked.length - 1 - rand(8)));
          snapshotTry = keep;
          b.journal.compact(keep.map((h) => new Uint8Array(Buffer.from(h, 'hex'))), (ok) => {
            if (ok && !b.flash.dead) { acked = keep; compactions++; }
          });
          if (!b.flash.dead) snapshotTry = null;
        }
        if (b.flash.dead) break;
      }
      b.journal.flush();
    } catch (e) {
      if (!isPowerCut(e)) throw e;
    }
    if (b.flash.dead) cuts++;
    const loaded = hexOf(b.boot());
    if (b.storage.resetAtBoot) {
      resets++;                            // Espruino wiped Storage (a cut inside a file header)
    } else if (snapshotTry !== null && loaded.join() === (snapshotTry as string[]).join()) {
      acked = snapshotTry;                 // the cut came after the commit byte
    } else {
      assert.equal(loaded.slice(0, acked.length), acked, 'round ' + round + ': every acknowledged record');
      const extra = loaded.slice(acked.length);
      assert.equal(extra, inflight.slice(0, extra.length), 'round ' + round + ': only a prefix of unacknowledged ones');
    }
    acked = loaded;
  }
  assert.ok(cuts > 100, cuts + ' cuts');
  assert.ok(compactions > 10, compactions + ' compactions');
  assert.ok(resets < 10, resets + ' Storage resets by the firmware');
  void refused;
});

test('storageStore: appends of one turn are written together on the next, then acknowledged', async () => {
  const flash = new FakeFlash(64 * 4096);
  const storage = new FakeStorage(flash);
  const store = storageStore({ storage, budgetBytes: 16384 });
  assert.equal(loadedRecords(store), []);
  const got: boolean[] = [];
  store.append([rec(1, 10)], (ok) => { got.push(ok); });
  store.append([rec(2, 10)], (ok) => { got.push(ok); });
  assert.equal(got, []);
  const w = flash.writes;
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(got, [true, true]);
  assert.is(flash.writes - w, 2, 'one create (the Storage file\'s header, then the data)');
  assert.equal(hexOf(loadedRecords(storageStore({ storage: new FakeStorage(flash) }))), hexOf([rec(1, 10), rec(2, 10)]));
});

test.run();
