// The Node file journal (ports/node/file-journal.ts, journal-files.ts, journal-lock.ts) on
// real files in a temporary directory: append and load back, group commit under each fsync
// policy, torn and damaged files, compaction, a failing fs layer (ENOSPC, EIO), the lock.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, within } from '../integration/helpers.js';
import type { JournalOptions } from '../../ports/node/file-journal.js';
import { FileJournal, JOURNAL_DEFAULTS } from '../../ports/node/file-journal.js';
import type { JournalFs } from '../../ports/node/journal-files.js';
import { segmentName, snapshotName } from '../../ports/node/journal-files.js';
import type { LockFs } from '../../ports/node/journal-lock.js';
import { LOCK_FILE, LockedError } from '../../ports/node/journal-lock.js';
import { crc32Sliced } from '../../ports/node/journal-crc.js';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { loadedRecords } from '../helpers/loaded-records.js';
import type { StateRecord } from '../../core/index.js';
import { decodeRecord } from '../../core/index.js';

type Fs = JournalFs & LockFs;

function rec(i: number, size = 20): Uint8Array {
  const r = new Uint8Array(size);
  for (let k = 0; k < size; k++) r[k] = (i * 31 + k) & 255;
  r[0] = i & 255;
  r[1] = (i >> 8) & 255;
  return r;
}

function ids(records: Uint8Array[]): number[] {
  return records.map((r) => r[0] | (r[1] << 8));
}

interface Opened {
  j: FileJournal;
  lines: string[];
}

function open(dir: string, options: Partial<JournalOptions> = {}, layer: Fs = fs): Opened {
  const lines: string[] = [];
  const j = new FileJournal({ ...JOURNAL_DEFAULTS, dir, ...options }, layer, (level, line) => lines.push(`${level} ${line}`));
  return { j, lines };
}

function append(j: FileJournal, records: Uint8Array[]): Promise<boolean> {
  return within(5000, 'append', new Promise<boolean>((resolve) => j.append(records, resolve)));
}

function compact(j: FileJournal, records: Uint8Array[]): Promise<boolean> {
  return within(10000, 'compact', new Promise<boolean>((resolve) => j.compact(records, resolve)));
}

function close(j: FileJournal): Promise<void> {
  return within(5000, 'close', new Promise<void>((resolve) => j.close(resolve)));
}

function until(what: string, ok: () => boolean): Promise<void> {
  return within(5000, what, new Promise<void>((resolve) => {
    const check = (): void => {
      if (ok()) resolve();
      else setTimeout(check, 2);
    };
    check();
  }));
}

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/** node:fs whose writes throw `code` while `state.broken` (having written half, with `half`). */
function failingWrites(code: string, half: boolean): { layer: Fs; state: { broken: boolean; writes: number } } {
  const state = { broken: false, writes: 0 };
  const layer: Fs = {
    ...fs,
    writeSync: ((fd: number, b: Uint8Array, off?: number, len?: number) => {
      state.writes++;
      if (!state.broken) return fs.writeSync(fd, b, off, len);
      if (half) fs.writeSync(fd, b, off, Math.floor((len as number) / 2));
      throw errno(code);
    }) as typeof fs.writeSync,
  };
  return { layer, state };
}

/** node:fs with fdatasync held until release(): shows what waits for it. */
function heldSync(): { layer: Fs; held: Array<() => void>; calls: () => number } {
  const held: Array<() => void> = [];
  let calls = 0;
  const layer: Fs = {
    ...fs,
    fdatasync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      calls++;
      held.push(() => fs.fdatasync(fd, cb));
    }) as typeof fs.fdatasync,
  };
  return { layer, held, calls: () => calls };
}

test('the slicing-by-8 CRC-32 of start-up agrees with zlib at every length 0 to 300 and at odd offsets', () => {
  const b = new Uint8Array(400);
  for (let i = 0; i < b.length; i++) b[i] = (i * 151 + 7) & 255;
  for (let n = 0; n <= 300; n++) assert.is(crc32Sliced(b, 0, n), zlibCrc32(b.subarray(0, n)), 'length ' + n);
  for (let off = 1; off < 9; off++) assert.is(crc32Sliced(b, off, off + 77), zlibCrc32(b.subarray(off, off + 77)));
});

test('appended records load back in order after a restart', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir);
    assert.equal(loadedRecords(a.j), []);
    assert.ok(await append(a.j, [rec(1), rec(2)]));
    assert.ok(await append(a.j, [rec(3)]));
    await close(a.j);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [1, 2, 3]);
    assert.equal(loadedRecords(b.j), [], 'given once');
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('a broker killed without closing: everything it was told done(true) for loads (its own stale lock is taken over)', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir);
    for (let i = 0; i < 50; i++) assert.ok(await append(a.j, [rec(i)]));
    const b = open(t.dir);   // a still holds its lock and fds, as a killed process would have left them
    assert.equal(ids(loadedRecords(b.j)), Array.from({ length: 50 }, (_, i) => i));
    assert.ok(b.lines.some((l) => /lock of pid \d+, which is not running/.test(l)));
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('fsync always: done(true) waits for the fdatasync; one write and one fdatasync cover every append of a turn', async () => {
  const t = tempDir('journal');
  try {
    const h = heldSync();
    const a = open(t.dir, { fsync: 'always' }, h.layer);
    const answers: boolean[] = [];
    for (let i = 0; i < 5; i++) a.j.append([rec(i)], (ok) => answers.push(ok));
    await until('the write', () => a.j.stats.writes === 1);
    assert.is(h.calls(), 1);
    assert.equal(answers, [], 'nothing done before the fdatasync');
    h.held.shift()!();
    await until('done', () => answers.length === 5);
    assert.equal(answers, [true, true, true, true, true]);
    assert.is(a.j.stats.writes, 1);
    assert.is(a.j.stats.fsyncs, 1);
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('fsync always: appends written while an fdatasync is in flight wait for the next one', async () => {
  const t = tempDir('journal');
  try {
    const h = heldSync();
    const a = open(t.dir, { fsync: 'always' }, h.layer);
    const first: boolean[] = [];
    const second: boolean[] = [];
    a.j.append([rec(1)], (ok) => first.push(ok));
    await until('first write', () => a.j.stats.writes === 1);
    a.j.append([rec(2)], (ok) => second.push(ok));
    a.j.append([rec(3)], (ok) => second.push(ok));
    await until('second write', () => a.j.stats.writes === 2);
    assert.is(h.calls(), 1, 'one fdatasync at a time');
    h.held.shift()!();
    await until('first done', () => first.length === 1);
    assert.equal(second, [], 'written after that fdatasync began: not covered by it');
    await until('second fdatasync', () => h.held.length === 1);
    h.held.shift()!();
    await until('second done', () => second.length === 2);
    assert.equal(second, [true, true]);
    assert.is(h.calls(), 2);
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('fsync interval: done(true) once written, fdatasync from the timer', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { fsync: 'interval', fsyncIntervalMs: 10 });
    assert.ok(await append(a.j, [rec(1)]));
    assert.is(a.j.stats.fsyncs, 0);
    await until('the timer fdatasync', () => a.j.stats.fsyncs === 1);
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('fsync never: no fdatasync at all, and the records still load after a restart', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { fsync: 'never' });
    for (let i = 0; i < 10; i++) assert.ok(await append(a.j, [rec(i)]));
    await close(a.j);
    assert.is(a.j.stats.fsyncs, 0);
    const b = open(t.dir, { fsync: 'never' });
    assert.is(loadedRecords(b.j).length, 10);
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('a full disk (ENOSPC on write, after half the bytes): done(false), logged, counted, the half frame cut off, later appends refused', async () => {
  const t = tempDir('journal');
  try {
    const disk = failingWrites('ENOSPC', true);
    const a = open(t.dir, {}, disk.layer);
    assert.ok(await append(a.j, [rec(1)]));
    disk.state.broken = true;
    assert.is(await append(a.j, [rec(2), rec(3)]), false);
    assert.ok(a.j.failure !== null && /ENOSPC/.test(a.j.failure));
    assert.is(a.lines.filter((l) => /^error persistence: writing segment-.*ENOSPC.*not acknowledged/.test(l)).length, 1);
    disk.state.broken = false;
    assert.is(await append(a.j, [rec(4)]), false, 'refused until a snapshot: a gap in the log would load a wrong state');
    assert.is(a.j.stats.writeErrors, 1);
    assert.is(a.j.stats.refused, 2);
    assert.is(a.lines.filter((l) => /^error/.test(l)).length, 1, 'logged once, not per refusal');
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [1], 'no half frame left behind: nothing torn or damaged');
    assert.is(b.j.stats.tornTails + b.j.stats.damaged, 0);
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('after a failure compactionDue() asks for a snapshot, and a written snapshot ends the failure', async () => {
  const t = tempDir('journal');
  try {
    const disk = failingWrites('EIO', false);
    const a = open(t.dir, {}, disk.layer);
    disk.state.broken = true;
    assert.is(await append(a.j, [rec(1)]), false);
    assert.ok(a.j.compactionDue());
    assert.is(await compact(a.j, [rec(1)]), false, 'the disk still fails');
    assert.ok(a.j.failure !== null);
    disk.state.broken = false;
    await until('a retry', () => a.j.compactionDue());
    assert.ok(await compact(a.j, [rec(1), rec(2)]));
    assert.is(a.j.failure, null);
    assert.ok(await append(a.j, [rec(3)]));
    assert.ok(a.lines.some((l) => /appending again/.test(l)));
    await close(a.j);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [1, 2, 3]);
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('an fdatasync error (EIO): done(false) for what it covered, never done(true)', async () => {
  const t = tempDir('journal');
  try {
    const layer: Fs = {
      ...fs,
      fdatasync: ((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => { setImmediate(() => cb(errno('EIO'))); }) as typeof fs.fdatasync,
    };
    const a = open(t.dir, { fsync: 'always' }, layer);
    assert.is(await append(a.j, [rec(1)]), false);
    assert.is(a.j.stats.fsyncErrors, 1);
    assert.is(a.j.stats.refused, 1);
    assert.ok(/fdatasync.*EIO/.test(a.j.failure ?? ''));
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('appends past maxPendingBytes (a disk that cannot keep up) are refused before they are buffered, answered in append order', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { maxPendingBytes: 120 });
    const answers: Array<[number, boolean]> = [];
    for (let i = 0; i < 5; i++) a.j.append([rec(i, 30)], (ok) => answers.push([i, ok]));   // 38 bytes each framed
    assert.equal(answers, [], 'even a refusal waits for the answers of the appends before it');
    await until('all answered', () => answers.length === 5);
    assert.equal(answers, [[0, true], [1, true], [2, true], [3, false], [4, false]]);
    assert.is(a.j.stats.refused, 2, 'each refusal counted once');
    assert.is(a.j.stats.bytesWritten, 3 * 38, 'the refused ones were never buffered');
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('an append with no records is answered after the appends before it, at once when none waits', async () => {
  const t = tempDir('journal');
  try {
    const h = heldSync();
    const a = open(t.dir, { fsync: 'always' }, h.layer);
    const answers: string[] = [];
    a.j.append([], (ok) => answers.push('empty-first ' + ok));
    assert.equal(answers, ['empty-first true']);
    a.j.append([rec(1)], (ok) => answers.push('one ' + ok));
    a.j.append([], (ok) => answers.push('empty ' + ok));
    await until('the fdatasync', () => h.held.length === 1);
    assert.equal(answers.length, 1);
    h.held.shift()!();
    await until('answered', () => answers.length === 3);
    assert.equal(answers, ['empty-first true', 'one true', 'empty true']);
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('an append with no records made while an fdatasync is in flight is answered when it ends, with no later append', async () => {
  const t = tempDir('journal');
  try {
    const h = heldSync();
    const a = open(t.dir, { fsync: 'always' }, h.layer);
    const answers: string[] = [];
    a.j.append([rec(1)], (ok) => answers.push('one ' + ok));
    await until('the write', () => h.held.length === 1);
    a.j.append([], (ok) => answers.push('empty ' + ok));
    a.j.append([new Uint8Array(0)], (ok) => answers.push('refused ' + ok));
    // The journal takes these two in at its flush (a setImmediate): let it run before the
    // fdatasync is let go. Else a fast fdatasync can end first (its callback comes in the poll
    // phase, before the check phase), and the flush answers them at once, in order too, with
    // no second fdatasync for this test to see.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answers, [], 'nothing answered while the fdatasync is held');
    h.held.shift()!();
    await until('the first answer', () => answers.length === 1);
    await until('the fdatasync they wait for', () => h.held.length === 1);   // nothing new to sync, but order is kept
    assert.equal(answers, ['one true']);
    h.held.shift()!();
    await until('answered', () => answers.length === 3);
    assert.equal(answers, ['one true', 'empty true', 'refused false']);
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('records the broker framed itself (frames(), appendFrames) load back as they were, its buffer free again once the call returns', async () => {
  const d = tempDir('fj-frames');
  try {
    const { j } = open(d.dir, { fsync: 'never' });
    const enc = j.frames();
    const all: StateRecord[] = [];
    for (let i = 0; i < 300; i++) all.push({ kind: 14, clientId: 'c' + i, packetId: 1 + i });
    const answers: boolean[] = [];
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 100; i++) enc.add(all[b * 100 + i]);
      j.appendFrames(enc.take(), 100, (ok) => answers.push(ok));   // the next batch writes over the same bytes
    }
    await until('three answers', () => answers.length === 3);
    assert.equal(answers, [true, true, true]);
    await close(j);
    const again = open(d.dir);
    assert.equal(loadedRecords(again.j).map((r) => decodeRecord(r)), all);
    await close(again.j);
  } finally {
    d.remove();
  }
});

test('a framed batch with a record over maxRecordBytes is refused whole', async () => {
  const d = tempDir('fj-frames-big');
  try {
    const { j } = open(d.dir, { maxRecordBytes: 64 });
    const enc = j.frames();
    enc.add({ kind: 14, clientId: 'c', packetId: 1 });
    enc.add({ kind: 4, clientId: 'x'.repeat(100) });
    const ok = await within(5000, 'answer', new Promise<boolean>((resolve) => j.appendFrames(enc.take(), 2, resolve)));
    assert.is(ok, false);
    await close(j);
    const again = open(d.dir);
    assert.equal(loadedRecords(again.j), []);
    await close(again.j);
  } finally {
    d.remove();
  }
});

test('an empty or oversized record is refused', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { maxRecordBytes: 64 });
    assert.is(await append(a.j, [new Uint8Array(0)]), false);
    assert.is(await append(a.j, [rec(1), new Uint8Array(65)]), false);
    assert.ok(await append(a.j, [rec(2, 64)]));
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('a torn last record, cut at every byte offset: the records before it load, the tail is cut off, new appends load after them', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir);
    for (let i = 0; i < 4; i++) assert.ok(await append(a.j, [rec(i)]));
    await close(a.j);
    const file = join(t.dir, segmentName(0));
    const whole = fs.readFileSync(file);
    const frame = 8 + 20;
    for (let cut = 3 * frame; cut < whole.length; cut++) {
      for (const n of fs.readdirSync(t.dir)) if (n !== segmentName(0)) fs.unlinkSync(join(t.dir, n));
      fs.writeFileSync(file, whole.subarray(0, cut));
      const b = open(t.dir);
      assert.equal(ids(loadedRecords(b.j)), [0, 1, 2], `cut at ${cut}`);
      assert.is(b.j.stats.tornTails, cut === 3 * frame ? 0 : 1);
      assert.is(fs.statSync(file).size, 3 * frame, 'cut back to the whole frames');
      assert.ok(await append(b.j, [rec(9)]));
      await close(b.j);
      const c = open(t.dir);
      assert.equal(ids(loadedRecords(c.j)), [0, 1, 2, 9]);
      await close(c.j);
    }
  } finally {
    t.remove();
  }
});

test('damage in the middle: reported with its file and offset, the records before it load, the rest set aside, and the next start loads the same', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { segmentBytes: 100 });   // 28-byte frames: a new segment every 4
    for (let i = 0; i < 12; i++) assert.ok(await append(a.j, [rec(i)]));
    await close(a.j);
    const file = join(t.dir, segmentName(1));
    const bytes = fs.readFileSync(file);
    bytes[28 + 8 + 3] ^= 0x10;   // a payload byte of the second record of segment 1
    fs.writeFileSync(file, bytes);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [0, 1, 2, 3, 4]);
    assert.is(b.j.stats.damaged, 1);
    const line = b.lines.find((l) => l.startsWith('error')) ?? '';
    assert.match(line, `${file}: a record whose CRC does not match at offset 28; loaded the 5 records before it`);
    assert.match(line, /segment-000000000002\.log\.damaged-\d+/);
    const aside = fs.readdirSync(t.dir).filter((n) => n.includes('.damaged-'));
    assert.is(aside.length, 3, 'the rest of segment 1, segments 2 and 3');
    assert.ok(await append(b.j, [rec(20)]));
    await close(b.j);
    const c = open(t.dir);
    assert.equal(ids(loadedRecords(c.j)), [0, 1, 2, 3, 4, 20]);
    assert.is(c.j.stats.damaged, 0);
    await close(c.j);
  } finally {
    t.remove();
  }
});

test('compaction: due past maxLogBytes; the snapshot replaces the log, later appends follow it, old segments are removed', async () => {
  const t = tempDir('journal');
  try {
    const a = open(t.dir, { maxLogBytes: 200, segmentBytes: 100 });
    let i = 0;
    while (!a.j.compactionDue()) assert.ok(await append(a.j, [rec(i++)]));
    assert.ok(a.j.stats.logBytes > 200);
    const late: boolean[] = [];
    const compacted = compact(a.j, [rec(1000), rec(1001)]);
    a.j.append([rec(1002)], (ok) => late.push(ok));   // during the compaction: after the snapshot
    assert.ok(await compacted);
    await until('late append', () => late.length === 1);
    assert.is(a.j.compactionDue(), false);
    const names = fs.readdirSync(t.dir).sort();
    const snaps = names.filter((n) => n.startsWith('snapshot'));
    assert.is(snaps.length, 1);
    const snapSeq = Number(/\d{12}/.exec(snaps[0])![0]);
    assert.equal(names.filter((n) => n.startsWith('segment') && Number(/\d{12}/.exec(n)![0]) < snapSeq), [], 'old segments removed');
    await close(a.j);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [1000, 1001, 1002]);
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('a snapshot that takes long: appends go on meanwhile; one asked for meanwhile waits, a later one replaces it, all answered', async () => {
  const t = tempDir('journal');
  try {
    const held: Array<() => void> = [];
    const layer: Fs = {
      ...fs,
      fsync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => { held.push(() => fs.fsync(fd, cb)); }) as typeof fs.fsync,
    };
    const a = open(t.dir, {}, layer);
    assert.ok(await append(a.j, [rec(1)]));
    const answers: string[] = [];
    a.j.compact([rec(100)], (ok) => answers.push('first ' + ok));
    assert.ok(await append(a.j, [rec(2)]), 'an append is not held up by the snapshot in flight');
    a.j.compact([rec(100), rec(200)], (ok) => answers.push('second ' + ok));
    assert.ok(await append(a.j, [rec(3)]));
    a.j.compact([rec(100), rec(200), rec(300)], (ok) => answers.push('third ' + ok));
    assert.ok(await append(a.j, [rec(4)]));
    assert.is(held.length, 1, 'one snapshot at a time');
    held.shift()!();
    await until('the next snapshot', () => held.length === 1);
    assert.equal(answers, ['first true']);
    held.shift()!();
    await until('answered', () => answers.length === 3);
    assert.equal(answers, ['first true', 'second true', 'third true'], 'the second was replaced by the third');
    assert.is(a.j.stats.compactions, 2);
    await close(a.j);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [100, 200, 300, 4]);
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('a failing disk: a snapshot is tried at most once a second (each is costly), compactionDue() says when', async () => {
  const t = tempDir('journal');
  try {
    const disk = failingWrites('ENOSPC', false);
    const a = open(t.dir, {}, disk.layer);
    disk.state.broken = true;
    assert.is(await append(a.j, [rec(1)]), false);
    assert.ok(a.j.compactionDue());
    assert.is(await compact(a.j, [rec(1)]), false);
    const before = disk.state.writes;
    assert.not.ok(a.j.compactionDue());
    assert.is(await compact(a.j, [rec(1)]), false);
    assert.is(disk.state.writes, before, 'refused without writing');
    await close(a.j);
  } finally {
    t.remove();
  }
});

test('a compaction that fails before its rename (crash or error) leaves the old log whole; a leftover .tmp is removed at start', async () => {
  const t = tempDir('journal');
  try {
    const layer: Fs = { ...fs, renameSync: (() => { throw errno('EIO'); }) as typeof fs.renameSync };
    const a = open(t.dir, {}, layer);
    for (let i = 0; i < 5; i++) assert.ok(await append(a.j, [rec(i)]));
    assert.is(await compact(a.j, [rec(100)]), false);
    assert.is(a.j.failure, null, 'the log itself is fine: appends go on');
    assert.ok(await append(a.j, [rec(5)]));
    await close(a.j);
    fs.writeFileSync(join(t.dir, snapshotName(9) + '.tmp'), 'half a snapshot');
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [0, 1, 2, 3, 4, 5]);
    assert.not.ok(fs.readdirSync(t.dir).some((n) => n.endsWith('.tmp')));
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('a crash after the snapshot is renamed but before the old segments are removed loads the snapshot and what follows it', async () => {
  const t = tempDir('journal');
  try {
    const layer: Fs = { ...fs, unlinkSync: (() => { throw errno('EIO'); }) as typeof fs.unlinkSync };
    const a = open(t.dir, {}, layer);
    for (let i = 0; i < 5; i++) assert.ok(await append(a.j, [rec(i)]));
    assert.ok(await compact(a.j, [rec(100)]));
    assert.ok(await append(a.j, [rec(101)]));
    assert.ok(a.lines.some((l) => /cannot remove segment-000000000000\.log/.test(l)));
    await close(a.j);
    const b = open(t.dir);
    assert.equal(ids(loadedRecords(b.j)), [100, 101]);
    assert.not.ok(fs.readdirSync(t.dir).includes(segmentName(0)), 'the leftover is removed now');
    await close(b.j);
  } finally {
    t.remove();
  }
});

test('the lock: a directory held by a running broker is refused with a clear message', async () => {
  const t = tempDir('journal');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(join(t.dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), since: 'then' }));
    let err: unknown = null;
    try {
      open(t.dir);
    } catch (e) {
      err = e;
    }
    assert.instance(err, LockedError);
    assert.match((err as Error).message, `${t.dir} is in use by another broker (pid ${child.pid}`);
    assert.ok(fs.existsSync(join(t.dir, LOCK_FILE)), 'the holder keeps its lock');
  } finally {
    child.kill('SIGKILL');
    t.remove();
  }
});

test('the lock: a stale lock of a process that is gone (kill -9) does not block the restart', async () => {
  const t = tempDir('journal');
  try {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await within(5000, 'child exit', new Promise((resolve) => child.on('exit', resolve)));
    fs.writeFileSync(join(t.dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), since: 'then' }));
    const a = open(t.dir);
    assert.ok(a.lines.some((l) => l.includes(`lock of pid ${child.pid}, which is not running,`)));
    await close(a.j);
    assert.not.ok(fs.existsSync(join(t.dir, LOCK_FILE)), 'released on close');
  } finally {
    t.remove();
  }
});

test('a second journal on a directory this process holds is a crash restart: allowed (same pid); a half-written lock is stale too', async () => {
  const t = tempDir('journal');
  try {
    fs.writeFileSync(join(t.dir, LOCK_FILE), '{"pid": 12');
    const a = open(t.dir);
    assert.ok(a.lines.some((l) => l.includes('an unreadable lock taken over')));
    await close(a.j);
  } finally {
    t.remove();
  }
});

/** A process of its own that takes the lock of `dir` (test/helpers/lock-child.ts); its first line says how it went. */
function lockChild(dir: string, role: string, signals: string): { child: ReturnType<typeof spawn>; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', './test/ts-loader.mjs', 'test/helpers/lock-child.ts', dir, role, signals],
    { cwd: new URL('../..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const line = within(30000, 'the lock child ' + role, new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.on('exit', (code) => reject(new Error('the lock child ' + role + ' exited ' + code + ': ' + out)));
  }));
  return { child, line };
}

/** A lock file left by a process that is gone. */
async function staleLock(dir: string): Promise<number> {
  const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await within(5000, 'child exit', new Promise((resolve) => gone.on('exit', resolve)));
  fs.writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: gone.pid, host: (await import('node:os')).hostname(), since: 'then' }));
  return gone.pid as number;
}

test('the lock: two brokers starting at the same moment over a stale lock, one taking it over between the other\'s read and its takeover: only one gets it', async () => {
  const t = tempDir('journal-lock');
  const signals = tempDir('journal-signals');
  const children: Array<ReturnType<typeof spawn>> = [];
  try {
    await staleLock(t.dir);
    const slow = lockChild(t.dir, 'slow', signals.dir);
    const fast = lockChild(t.dir, 'fast', signals.dir);
    children.push(slow.child, fast.child);
    assert.is(await fast.line, 'acquired');
    const second = await slow.line;
    assert.match(second, `locked: ${t.dir} is in use by another broker (pid ${fast.child.pid}`);
    assert.match(fs.readFileSync(join(t.dir, LOCK_FILE), 'utf8'), `"pid":${fast.child.pid},`);
    assert.equal(fs.readdirSync(t.dir), [LOCK_FILE], 'no takeover or link file left behind');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    t.remove();
    signals.remove();
  }
});

test('the lock: of brokers started at once over a stale lock, exactly one gets it (3 rounds of 3)', async () => {
  for (let round = 0; round < 3; round++) {
    const t = tempDir('journal-lock');
    const children: Array<ReturnType<typeof spawn>> = [];
    try {
      await staleLock(t.dir);
      const started = [0, 1, 2].map(() => lockChild(t.dir, 'plain', t.dir));
      for (const c of started) children.push(c.child);
      const lines = await Promise.all(started.map((c) => c.line));
      assert.is(lines.filter((l) => l === 'acquired').length, 1, lines.join('\n'));
      for (const l of lines) if (l !== 'acquired') assert.match(l, /^locked: .* is in use by another broker \(pid \d+/);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      t.remove();
    }
  }
});

test.run();
