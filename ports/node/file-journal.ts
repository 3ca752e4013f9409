// The crash-safe file journal of the Node port (issue 15 §2): records appended to log
// segments in a directory, each framed with its length and CRC-32 (core/store/journal-frame.ts),
// replaced by a snapshot when the log has grown past its bound, read back at start-up
// (journal-files.ts), one broker per directory (journal-lock.ts).
//
// Appends of one event-loop turn go to disk in one write at the end of the turn. `fsync`:
// - "always": `done(true)` only once an fdatasync that began after the write has finished.
//   One fdatasync covers every append written before it began (group commit): while one is
//   in flight, the next turns' appends are written and wait for the next one.
// - "interval": `done(true)` once the write is in the kernel (it survives kill -9 of the
//   broker, not a power cut), and an fdatasync every `fsyncIntervalMs`.
// - "never": as interval, with no fdatasync at all (the kernel writes back when it likes).
// A write or fdatasync that fails (EIO, ENOSPC: a full disk) answers `done(false)` for what
// it held, and the journal refuses every later append (done(false)) until a snapshot has been
// written: records refused would leave a gap in the log, and the snapshot rewrites the whole
// state from memory. It is logged once, counted, and `failure` says why meanwhile.
import { join } from 'node:path';
import type { Store } from '../../core/index.js';
import type { RecordVisitor } from '../../core/index.js';
import { BATCH_FLAG, BATCH_RECORD_HEADER_BYTES, FRAME_HEADER_BYTES, RecordFrames, frameRecords, visitFrames } from '../../core/index.js';
import type { JournalFs, Log } from './journal-files.js';
import { loadJournal, segmentName, snapshotName, syncDir, writeAll } from './journal-files.js';
import { writeSnapshot } from './journal-snapshot.js';
import { crc32Fast } from './journal-crc.js';
import type { Lock, LockFs } from './journal-lock.js';
import { acquireLock } from './journal-lock.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';
export const FSYNC_POLICIES: ReadonlyArray<FsyncPolicy> = Object.freeze(['always', 'interval', 'never']);

export interface JournalOptions {
  dir: string;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** The log (segments since the snapshot) may grow to this, or to the snapshot's size if larger, before compactionDue(). */
  maxLogBytes: number;
  /** A segment past this size is closed and the next one begun. */
  segmentBytes: number;
  /** A record longer is refused on append and read as damage at load (a garbled length costs nothing). */
  maxRecordBytes: number;
  /** Appended but not yet written (the disk is slow): past this, appends are refused (done(false)). */
  maxPendingBytes: number;
}

export const JOURNAL_DEFAULTS: Omit<JournalOptions, 'dir'> = {
  fsync: 'always',
  fsyncIntervalMs: 1000,
  maxLogBytes: 64 << 20,
  segmentBytes: 16 << 20,
  maxRecordBytes: (256 << 20) + (1 << 16),   // a 256 MiB PUBLISH (MQTT's largest) and its session fields
  maxPendingBytes: 64 << 20,
};

/** Counters for $SYS and /metrics. */
export interface JournalStats {
  recordsAppended: number;
  bytesWritten: number;
  writes: number;
  fsyncs: number;
  compactions: number;
  writeErrors: number;
  fsyncErrors: number;
  /** Appends and compactions answered done(false). */
  refused: number;
  loadedRecords: number;
  loadMs: number;
  tornTails: number;
  damaged: number;
  logBytes: number;
  snapshotBytes: number;
}

type Done = (stored: boolean) => void;

// The frames of a turn are copied into one buffer, written at its end and used again; one
// grown past this (a slow disk's backlog) is let go after the write.
const PENDING_KEPT_BYTES = 1 << 16;

// While failed, compactionDue() asks for a snapshot (the way out) at most this often.
const RETRY_MS = 1000;

/** The Node port's durable Store (core/broker/store.ts): the broker appends its state records here. */
export class FileJournal implements Store {
  readonly durable = true;

  readonly options: JournalOptions;
  readonly stats: JournalStats;
  /** Why the journal refuses appends (a write or fsync error), or null. */
  failure: string | null = null;
  private readonly fs: JournalFs;
  private readonly log: Log;
  private readonly lock: Lock;
  private loaded: Array<{ bytes: Uint8Array; end: number }> | null;
  private seq: number;
  private fd: number;
  private segmentBytes = 0;
  private pending = new Uint8Array(PENDING_KEPT_BYTES);   // frames appended this turn, pendingBytes of them
  private pendingBytes = 0;
  private pendingDone: Done[] = [];
  private flushScheduled = false;
  private unsynced: Done[] = [];      // always: written, waiting for the next fdatasync
  private syncing = false;
  private dirty = false;              // interval: written since the last fdatasync
  private closeAfterSync: number[] = [];
  private compacting = false;
  private failures = 0;               // fail() calls: a snapshot ends only the failures before it began
  private lastAttemptMs = 0;          // a snapshot was begun while failing
  private nextSnapshot: { seq: number; records: Uint8Array[]; dones: Done[]; failuresBefore: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /** Takes the directory's lock, reads what it keeps, and opens a new segment. Throws LockedError or an fs error. */
  constructor(options: JournalOptions, fs: JournalFs & LockFs, log: Log) {
    this.options = options;
    this.fs = fs;
    this.log = log;
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.lock = acquireLock(fs, options.dir, (line) => log('warn', line));
    const started = Date.now();
    try {
      const found = loadJournal(fs, options.dir, options.maxRecordBytes, batchBound(options), crc32Fast, log, started);
      let logBytes = 0;
      for (const s of found.segments) logBytes += s.bytes;
      this.stats = {
        recordsAppended: 0, bytesWritten: 0, writes: 0, fsyncs: 0, compactions: 0, writeErrors: 0, fsyncErrors: 0,
        refused: 0, loadedRecords: found.records, loadMs: Date.now() - started, tornTails: found.tornTails,
        damaged: found.damaged, logBytes, snapshotBytes: found.snapshotBytes,
      };
      this.loaded = found.files;
      this.seq = found.nextSeq;
      this.fd = this.openSegment(this.seq);
    } catch (e) {
      this.lock.release();
      throw e;
    }
    if (options.fsync === 'interval') {
      this.timer = setInterval(() => this.syncNow(), options.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * The records found at start-up, once (then the files' bytes are let go): `visit` gets each
   * as its file's buffer and bounds, checked by the constructor's scan, so no view is made.
   */
  load(visit: RecordVisitor): void {
    const files = this.loaded ?? [];
    this.loaded = null;
    // Each file is let go once visited: the state rebuilt so far keeps copies, not views.
    for (let f = files.shift(); f !== undefined; f = files.shift()) visitFrames(f.bytes, f.end, visit);
  }

  /**
   * Keeps `records` after every earlier append; done(true) once durable under the fsync
   * policy. Every done is called in the order of the appends, refusals too: an append refused
   * at once still waits for the answers of the appends before it.
   */
  append(records: Uint8Array[], given: Done): void {
    if (this.closed) return this.refuse(given, 'the journal is closed');
    // Counted where it is answered, once, whichever path answers it.
    const done: Done = (stored) => {
      if (!stored) this.stats.refused++;
      given(stored);
    };
    let n = 0;
    for (const r of records) {
      if (r.length === 0 || r.length > this.options.maxRecordBytes) {
        return this.answerInTurn(done, false, `a record of ${r.length} bytes (records are 1 to ${this.options.maxRecordBytes} bytes)`);
      }
      n += FRAME_HEADER_BYTES + r.length;
    }
    if (this.failure !== null) return this.answerInTurn(done, false, null);
    if (this.pendingBytes + n > this.options.maxPendingBytes) {
      return this.answerInTurn(done, false, `${this.pendingBytes} bytes wait for the disk already (maxPendingBytes ${this.options.maxPendingBytes})`);
    }
    if (n === 0) return this.answerInTurn(done, true, null);   // nothing to keep: durable once all before it are
    this.keep(frameRecords(records, 0, records.length), records.length, done);
  }

  /**
   * The broker's encoder of a batch for appendFrames (Store.frames): each append one batch
   * frame (core/store/journal-frame.ts), one CRC over the turn's records instead of one each.
   */
  frames(): RecordFrames {
    return new RecordFrames(crc32Fast, true);
  }

  /**
   * append() for `count` records the broker framed with frames(), written as they are. Only
   * the lengths are read: the frames are the broker's own encoding.
   */
  appendFrames(frames: Uint8Array, count: number, given: Done): void {
    if (this.closed) return this.refuse(given, 'the journal is closed');
    const done: Done = (stored) => {
      if (!stored) this.stats.refused++;
      given(stored);
    };
    const max = this.options.maxRecordBytes;
    const bad = oversizedRecord(frames, max);
    if (bad >= 0) return this.answerInTurn(done, false, `a record of ${bad} bytes (records are 1 to ${max} bytes)`);
    if (this.failure !== null) return this.answerInTurn(done, false, null);
    if (this.pendingBytes + frames.length > this.options.maxPendingBytes) {
      return this.answerInTurn(done, false, `${this.pendingBytes} bytes wait for the disk already (maxPendingBytes ${this.options.maxPendingBytes})`);
    }
    if (count === 0) return this.answerInTurn(done, true, null);
    this.keep(frames, count, done);
  }

  /** Framed records (copied) to write at the end of this turn, answered by `done` as the policy says. */
  private keep(frames: Uint8Array, count: number, done: Done): void {
    const at = this.pendingBytes;
    if (at + frames.length > this.pending.length) {
      let size = this.pending.length * 2;
      while (size < at + frames.length) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.pending.subarray(0, at), 0);
      this.pending = bigger;
    }
    this.pending.set(frames, at);
    this.pendingBytes += frames.length;
    this.pendingDone.push(done);
    this.stats.recordsAppended += count;
    this.scheduleFlush();
  }

  /** Answers `ok` (and what the appends before it got, if false) once every earlier append is answered. */
  private answerInTurn(done: Done, ok: boolean, why: string | null): void {
    if (!ok && why !== null) this.log('warn', `persistence: refused: ${why}`);
    const answer: Done = ok ? done : () => done(false);
    if (this.pendingDone.length === 0 && this.unsynced.length === 0 && !this.syncing) return answer(true);
    this.pendingDone.push(answer);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Answers `dones` false after whatever waits for the fdatasync in flight. */
  private refuseInTurn(dones: Done[]): void {
    for (const d of dones) {
      if (this.syncing || this.unsynced.length > 0) this.unsynced.push(() => d(false));
      else d(false);
    }
  }

  /** The log has outgrown its bound (and the last snapshot), or a failure waits for a snapshot to end it. */
  compactionDue(): boolean {
    if (this.compacting || this.closed) return false;
    if (this.failure !== null) return Date.now() - this.lastAttemptMs >= RETRY_MS;
    return this.stats.logBytes > this.options.maxLogBytes && this.stats.logBytes > this.stats.snapshotBytes;
  }

  /**
   * Replaces everything kept so far by `records` (the state now, from memory): appends made
   * before this call are in it, appends after it go to a new segment that follows it. One
   * snapshot is written at a time: one asked for meanwhile waits, and a later one replaces
   * it (it holds everything the earlier one did); all of them are answered by its outcome.
   */
  compact(records: Uint8Array[], done: Done): void {
    if (this.closed) return this.refuse(done, null);
    // A failing disk: at most one attempt a second (a snapshot of a large state is costly).
    if (this.failure !== null) {
      const now = Date.now();
      if (now - this.lastAttemptMs < RETRY_MS) return this.refuse(done, null);
      this.lastAttemptMs = now;
    }
    this.flush();
    const seq = this.rotate();
    if (seq < 0) return this.refuse(done, null);
    const next = this.nextSnapshot;
    const dones = next === null ? [done] : next.dones.concat([done]);
    this.nextSnapshot = { seq, records, dones, failuresBefore: this.failures };
    if (!this.compacting) this.startSnapshot();
  }

  private startSnapshot(): void {
    const s = this.nextSnapshot;
    if (s === null) {
      this.compacting = false;
      return;
    }
    this.nextSnapshot = null;
    this.compacting = true;
    writeSnapshot(this.fs, this.options.dir, s.seq, s.records, (failed, bytes) => {
      if (failed !== null) {
        this.stats.refused += s.dones.length;
        if (failed.step === 'fsync') this.stats.fsyncErrors++;
        else this.stats.writeErrors++;
        this.log('error', `persistence: a snapshot could not be written (${failed.step} ${snapshotName(s.seq)}.tmp: ${failed.error.message}); the log is kept as it was`);
      } else {
        this.dropBefore(s.seq);
        this.stats.compactions++;
        this.stats.snapshotBytes = bytes;
        this.stats.logBytes = this.logSince(s.seq);
        // A failure since this call left a gap after the snapshot: that one needs the next snapshot.
        if (this.failure !== null && this.failures === s.failuresBefore) {
          this.log('warn', `persistence: a snapshot of ${s.records.length} records is written: appending again after "${this.failure}"`);
          this.failure = null;
        }
      }
      for (const d of s.dones) d(failed === null);
      this.startSnapshot();
    });
  }

  /** Bytes in the segments from `seq` on (the log after a snapshot of `seq`). */
  private logSince(seq: number): number {
    let n = 0;
    for (const name of this.fs.readdirSync(this.options.dir)) {
      const m = /^segment-(\d{12})\.log$/.exec(name);
      if (m === null || +m[1] < seq) continue;
      n += +m[1] === this.seq ? this.segmentBytes : this.fs.statSync(join(this.options.dir, name)).size;
    }
    return n;
  }

  /** Writes what is pending, syncs it, and releases the lock; `done` when it is all on disk. */
  close(done: () => void): void {
    if (this.closed) return done();
    this.flush();
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    const finish = (): void => {
      if (this.syncing || this.compacting) {
        setTimeout(finish, 5);
        return;
      }
      try {
        if (this.options.fsync !== 'never') this.fs.fsyncSync(this.fd);
        this.fs.closeSync(this.fd);
      } catch (e) {
        this.log('error', `persistence: closing ${segmentName(this.seq)}: ${(e as Error).message}`);
      }
      this.lock.release();
      done();
    };
    finish();
  }

  private refuse(done: Done, why: string | null): void {
    this.stats.refused++;
    if (why !== null) this.log('warn', `persistence: refused: ${why}`);
    done(false);
  }

  private openSegment(seq: number): number {
    const fd = this.fs.openSync(join(this.options.dir, segmentName(seq)), 'a', 0o600);
    this.segmentBytes = this.fs.fstatSync(fd).size;
    syncDir(this.fs, this.options.dir);   // the new name survives a crash
    return fd;
  }

  /** Everything appended so far goes to disk in one write (once per event-loop turn). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pendingDone.length === 0) return;   // (answers queued with no bytes count too)
    const dones = this.pendingDone;
    const n = this.pendingBytes;
    const bytes = this.pending.subarray(0, n);
    if (this.pending.length > PENDING_KEPT_BYTES) this.pending = new Uint8Array(PENDING_KEPT_BYTES);
    this.pendingDone = [];
    this.pendingBytes = 0;
    if (this.failure !== null) return this.refuseInTurn(dones);
    if (n === 0) {
      // only answers queued behind earlier appends (empty or refused ones): no write
      if (this.options.fsync === 'always' && (this.syncing || this.unsynced.length > 0)) for (const d of dones) this.unsynced.push(d);
      else for (const d of dones) d(true);
      return;
    }
    try {
      writeAll(this.fs, this.fd, bytes);
    } catch (e) {
      this.stats.writeErrors++;
      this.cutBack();
      this.fail(`writing ${segmentName(this.seq)}: ${(e as Error).message}`);
      return this.refuseInTurn(dones);
    }
    this.stats.writes++;
    this.stats.bytesWritten += n;
    this.segmentBytes += n;
    this.stats.logBytes += n;
    if (this.options.fsync === 'always') {
      for (const d of dones) this.unsynced.push(d);
      this.startSync();
    } else {
      this.dirty = true;
      for (const d of dones) d(true);
    }
    if (this.segmentBytes >= this.options.segmentBytes && !this.compacting) this.rotate();
  }

  /** A failed write may have left part of a frame: cut the segment back to its last whole one. */
  private cutBack(): void {
    try {
      this.fs.ftruncateSync(this.fd, this.segmentBytes);
    } catch (e) {
      this.log('error', `persistence: cannot cut ${segmentName(this.seq)} back to ${this.segmentBytes} bytes: ${(e as Error).message}`);
    }
  }

  private fail(why: string): void {
    this.failures++;
    if (this.failure === null) {
      this.log('error', `persistence: ${why}; QoS 1/2 messages are not acknowledged until a snapshot can be written (the broker serves from memory meanwhile)`);
    }
    this.failure = why;
  }

  /** One fdatasync for everything written before it; the next one starts when it ends. */
  private startSync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    const covered = this.unsynced;
    this.unsynced = [];
    this.datasync('', (failed) => {
      for (const d of covered) d(!failed);
      this.startSync();
    });
  }

  /** interval: the timer's fdatasync of what was written since the last one. */
  private syncNow(): void {
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    this.datasync(` (appends of the last ${this.options.fsyncIntervalMs} ms may not be on disk)`, () => undefined);
  }

  /**
   * fdatasync of the current segment, one at a time; then closes the segments rotated away
   * meanwhile. A failure fails the journal: after a failed fsync the kernel may have dropped
   * the pages and cleared the error, so what it covered is not known to be on disk, and a
   * retry proves nothing.
   */
  private datasync(note: string, then: (failed: boolean) => void): void {
    this.syncing = true;
    const name = segmentName(this.seq);
    this.fs.fdatasync(this.fd, (err) => {
      this.syncing = false;
      this.stats.fsyncs++;
      for (const old of this.closeAfterSync) this.closeQuietly(old);
      this.closeAfterSync = [];
      if (err !== null) {
        this.stats.fsyncErrors++;
        this.fail(`fdatasync of ${name}: ${err.message}${note}`);
      }
      then(err !== null);
    });
  }

  /**
   * Closes the current segment and opens the next; returns the new one's number, or -1 if it
   * could not (then the journal has failed and keeps the old segment). The old one
   * is synced first (except under "never"), so a crash never leaves a torn segment before
   * another, which load would have to take for damage.
   */
  private rotate(): number {
    const old = this.fd;
    const oldBytes = this.segmentBytes;
    try {
      if (this.options.fsync !== 'never') this.fs.fsyncSync(old);
      this.fd = this.openSegment(this.seq + 1);
    } catch (e) {
      this.stats.fsyncErrors++;
      this.segmentBytes = oldBytes;
      this.fail(`closing ${segmentName(this.seq)} and starting the next: ${(e as Error).message}`);
      return -1;
    }
    this.seq++;
    if (this.syncing) this.closeAfterSync.push(old);
    else this.closeQuietly(old);
    return this.seq;
  }

  private closeQuietly(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      // already closed or never opened; nothing is lost by it
    }
  }

  /** After a snapshot of `seq`: the segments and snapshot before it are in it. */
  private dropBefore(seq: number): void {
    const dir = this.options.dir;
    for (const name of this.fs.readdirSync(dir)) {
      const m = /^(?:segment|snapshot)-(\d{12})\.(?:log|snap)$/.exec(name);
      if (m === null || +m[1] >= seq) continue;
      try {
        this.fs.unlinkSync(join(dir, name));
      } catch (e) {
        this.log('warn', `persistence: cannot remove ${name}, which the snapshot replaced: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * The longest batch frame a journal with these options writes, and so reads: a batch waits
 * for the disk whole, and appends are refused past maxPendingBytes waiting.
 */
function batchBound(o: JournalOptions): number {
  return Math.max(o.maxRecordBytes, o.maxPendingBytes);
}

function u32At(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/**
 * The length of the first record in `frames` (records and batch frames, as RecordFrames makes
 * them) that is 0 or over `max`, or -1: such a record would be read back as damage.
 */
function oversizedRecord(frames: Uint8Array, max: number): number {
  for (let at = 0; at < frames.length;) {
    const n = u32At(frames, at);
    if (n >= BATCH_FLAG) {
      const next = at + FRAME_HEADER_BYTES + (n - BATCH_FLAG);
      for (let r = at + FRAME_HEADER_BYTES; r < next; r += BATCH_RECORD_HEADER_BYTES + u32At(frames, r)) {
        const len = u32At(frames, r);
        if (len === 0 || len > max) return len;
      }
      at = next;
      continue;
    }
    if (n === 0 || n > max) return n;
    at += FRAME_HEADER_BYTES + n;
  }
  return -1;
}
