// The journal of a device store (issue 19): records framed as every store frames them
// (journal-frame.ts) in a ring of fixed-size segments on a medium the port provides (Espruino
// Storage files, Moddable files), within a byte budget.
//
// Why segments: a compaction writes the snapshot into new segments while the old ones still
// hold everything, commits it, and only then removes the old ones; so at its peak the store
// holds the log plus one snapshot, never a second copy of a whole file, and a power cut at any
// byte leaves either the old state or the new one.
//
// A segment is
//     header (16 bytes): "GJ" | format 1 | kind | sequence (u32 BE) | commit | 7 bytes 0xFF
//     frames back to back (journal-frame.ts), then, on flash, erased bytes (0xFF)
// kind LOG: records appended; SNAPSHOT: the first segment of a snapshot; SNAPSHOT_MORE: its
// next segments. A snapshot counts only once its first segment's commit byte (written 0xFF at
// creation) has been written to 0x00, after its last record: one byte, so a cut leaves it
// either committed or not. On flash that byte can be written later without an erase (a write
// only clears bits); on a file system it is overwritten in place.
//
// At load: the newest committed snapshot and the segments after it are the state; segments
// older than it (a compaction cut before it removed them) and an uncommitted snapshot (a
// compaction cut before its commit) are removed. Each segment's frames are read until the
// first bad one: a torn tail (the last write cut short) is dropped silently, damage in the
// middle is reported with its offset and the rest of that segment is skipped; later segments
// are still read (they hold later acknowledged records). A segment whose end is not clean is
// never appended to again: appends go to a new segment, so nothing is ever written after a
// torn frame.
//
// Appends are refused (done(false), counted) when they would take the log past its share of
// the budget (the budget less the reserve kept for a compaction's snapshot), or a record is
// bigger than a segment holds: nothing is written for a refused append, so a refused message
// never comes back at load.
//
// Device subset (design.md §4): no Map, no for...of, no DataView; the medium is the only I/O,
// and it is the port's.

import type { RecordVisitor } from '../broker/store.js';
import { FRAME_HEADER_BYTES, scanSegment, writeFrame } from './journal-frame.js';

export const SEGMENT_HEADER_BYTES = 16;
export const KIND_LOG = 1;
export const KIND_SNAPSHOT = 2;
export const KIND_SNAPSHOT_MORE = 3;
const MAGIC_G = 0x47;
const MAGIC_J = 0x4a;
const FORMAT = 1;
export const COMMIT_AT = 8;

/** Where the segments live. Every call may throw: the journal counts it as a failed write. */
export interface SegmentMedium {
  /** The sequence numbers of every segment there is, in any order. */
  list(): number[];
  /** All bytes of segment `seq` (a copy): on flash its unwritten rest reads 0xFF, in a file it ends where writing stopped. */
  read(seq: number): Uint8Array;
  /** Creates segment `seq` of `size` bytes beginning with `first`. false: no room. */
  create(seq: number, size: number, first: Uint8Array): boolean;
  /** Writes `bytes` at `offset` of segment `seq`, over bytes never written before (or the commit byte). */
  write(seq: number, offset: number, bytes: Uint8Array): boolean;
  /** Removes segment `seq` (its space may come back only later, as with Espruino's trash). */
  remove(seq: number): void;
}

export interface SegmentJournalOptions {
  /** Bytes per segment, header included: 4096 (one ESP32 flash sector). */
  segmentBytes?: number;
  /** Bytes the journal may occupy in all: 16384. Whole segments only. */
  budgetBytes?: number;
  /** Bytes of the budget appends leave free for a compaction's snapshot: a quarter, at least one segment. */
  reserveBytes?: number;
  /** Called with what load() found wrong in the middle of a segment (not a torn tail). */
  onDamage?: (seq: number, offset: number) => void;
}

export interface SegmentJournalStats {
  appends: number;           // append() calls kept
  refused: number;           // append() calls refused: over the budget, a record too big, a failed write
  records: number;           // records written
  bytes: number;             // bytes handed to the medium (frames, headers, commit bytes)
  writes: number;            // calls to the medium that write (create, write)
  compactions: number;
  compactionsFailed: number;
  damaged: number;           // segments with damage in the middle, found at load
  torn: number;              // segments that ended in a torn frame, found at load
}

interface Pending {
  records: Uint8Array[];
  done: (stored: boolean) => void;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function allErased(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0xff) return false;
  return true;
}

export class SegmentJournal {
  medium: SegmentMedium;
  segmentBytes: number;
  maxSegments: number;
  reserveSegments: number;
  maxRecordBytes: number;
  stats: SegmentJournalStats;
  /** Sequence numbers of the live segments, oldest first. */
  segments: number[];
  private nextSeq: number;
  /** The segment appends go to (the newest), or -1: the next append starts a new one. */
  private active: number;
  /** Where the next frame goes in the active segment. */
  private activeEnd: number;
  /** false while the active segment exists only here (created by its first write). */
  private activeCreated: boolean;
  private pending: Pending[];
  private pendingBytes: number;
  private onDamage: ((seq: number, offset: number) => void) | null;

  constructor(medium: SegmentMedium, o: SegmentJournalOptions) {
    this.medium = medium;
    this.segmentBytes = o.segmentBytes === undefined ? 4096 : o.segmentBytes;
    const budget = o.budgetBytes === undefined ? 16384 : o.budgetBytes;
    this.maxSegments = Math.floor(budget / this.segmentBytes);
    const reserve = o.reserveBytes === undefined ? Math.floor(budget / 4) : o.reserveBytes;
    this.reserveSegments = Math.max(1, Math.ceil(reserve / this.segmentBytes));
    if (this.maxSegments < this.reserveSegments + 1) throw new Error('journal budget: room for at least one log segment and the reserve');
    this.maxRecordBytes = this.segmentBytes - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES;
    this.stats = { appends: 0, refused: 0, records: 0, bytes: 0, writes: 0, compactions: 0, compactionsFailed: 0, damaged: 0, torn: 0 };
    this.segments = [];
    this.nextSeq = 1;
    this.active = -1;
    this.activeEnd = 0;
    this.activeCreated = false;
    this.pending = [];
    this.pendingBytes = 0;
    this.onDamage = o.onDamage || null;
  }

  // ---- load ----

  /**
   * Gives `visit` every record kept, oldest first, as the bytes of its segment and its bounds
   * (the Store contract, core/broker/store.ts: no copy or view per record); tidies what an
   * interrupted compaction left.
   */
  load(visit: RecordVisitor): void {
    const seqs = this.medium.list().slice().sort(function (a, b) { return a - b; });
    const bodies: Array<Uint8Array | null> = [];
    const kinds: number[] = [];
    let base = -1;                     // index of the newest committed snapshot
    const drop: number[] = [];
    for (let i = 0; i < seqs.length; i++) {
      if (seqs[i] >= this.nextSeq) this.nextSeq = seqs[i] + 1;
      const b = this.medium.read(seqs[i]);
      const kind = this.kindOf(b, seqs[i]);
      bodies.push(b);
      kinds.push(kind);
      if (kind === KIND_SNAPSHOT && b[COMMIT_AT] === 0) base = i;
    }
    const keep: number[] = [];
    let inSnapshot = false;            // in the committed snapshot's own segments
    let uncommitted = false;           // in an uncommitted snapshot's segments
    for (let i = 0; i < seqs.length; i++) {
      const kind = kinds[i];
      if (kind === 0 || i < base) { drop.push(i); continue; }
      if (kind === KIND_SNAPSHOT) {
        inSnapshot = i === base;
        uncommitted = i !== base;
        if (uncommitted) { drop.push(i); continue; }
      } else if (kind === KIND_SNAPSHOT_MORE) {
        if (!inSnapshot || uncommitted) { drop.push(i); continue; }
      } else {
        inSnapshot = false;
        uncommitted = false;
      }
      keep.push(i);
    }
    for (let k = 0; k < drop.length; k++) {
      bodies[drop[k]] = null;
      try { this.medium.remove(seqs[drop[k]]); } catch (e) { /* tried again at the next load */ }
    }
    this.segments = [];
    this.active = -1;
    for (let k = 0; k < keep.length; k++) {
      const i = keep[k];
      const end = this.readRecords(seqs[i], bodies[i] as Uint8Array, visit);
      bodies[i] = null;   // read and rebuilt from: its memory may go before the next segment's
      this.segments.push(seqs[i]);
      if (k === keep.length - 1 && end >= 0 && end < this.segmentBytes) {
        this.active = seqs[i];
        this.activeEnd = end;
        this.activeCreated = true;
      }
    }
  }

  /** The segment's kind, or 0 if its header is not one of ours (a create cut short). */
  private kindOf(b: Uint8Array, seq: number): number {
    if (b.length < SEGMENT_HEADER_BYTES || b[0] !== MAGIC_G || b[1] !== MAGIC_J || b[2] !== FORMAT) return 0;
    if (readU32(b, 4) !== seq) return 0;
    const kind = b[3];
    return kind === KIND_LOG || kind === KIND_SNAPSHOT || kind === KIND_SNAPSHOT_MORE ? kind : 0;
  }

  /** Gives the segment's records to `visit`; returns where an append may go, or -1 (sealed). */
  private readRecords(seq: number, b: Uint8Array, visit: RecordVisitor): number {
    const body = b.subarray(SEGMENT_HEADER_BYTES);
    const scan = scanSegment(body, this.maxRecordBytes, null, visit);
    if (scan.tornAt < 0 && scan.damagedAt < 0) return SEGMENT_HEADER_BYTES + scan.validEnd;
    const bad = scan.validEnd;
    // On flash the unwritten rest reads 0xFF, which the scan sees as a bad length: if all of
    // it is erased, this is simply where writing stopped.
    if (allErased(body, bad, body.length)) return SEGMENT_HEADER_BYTES + bad;
    // A frame cut short on flash: its header (and, if its length is plausible, its payload
    // span) partly written, erased bytes after it. That is the last write, torn.
    let extent = bad + FRAME_HEADER_BYTES;
    if (extent <= body.length) {
      const n = readU32(body, bad);
      if (n > 0 && n <= this.maxRecordBytes && extent + n <= body.length) extent += n;
    } else {
      extent = body.length;
    }
    if (scan.tornAt >= 0 || allErased(body, extent, body.length)) {
      this.stats.torn++;
      return -1;
    }
    this.stats.damaged++;
    if (this.onDamage !== null) this.onDamage(seq, SEGMENT_HEADER_BYTES + scan.damagedAt);
    return -1;
  }

  // ---- append ----

  /**
   * Queues the records to be written at the next flush(); done(stored) is called then, or now
   * with false when they cannot fit the budget (nothing of them is written).
   */
  append(records: Uint8Array[], done: (stored: boolean) => void): void {
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      if (records[i].length === 0 || records[i].length > this.maxRecordBytes) {
        this.stats.refused++;
        done(false);
        return;
      }
      bytes += FRAME_HEADER_BYTES + records[i].length;
    }
    if (!this.fits(records)) {
      this.stats.refused++;
      done(false);
      return;
    }
    this.pending.push({ records: records, done: done });
    this.pendingBytes += bytes;
  }

  /** true if appends are waiting for flush(). */
  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Would the pending appends plus `records` fit in the log's share of the budget? Placement
   * as flush() does it: an append starts a new segment when it does not fit in what is left.
   */
  private fits(records: Uint8Array[]): boolean {
    let segs = this.segments.length;
    let end = this.active < 0 ? this.segmentBytes : this.activeEnd;
    const limit = this.maxSegments - this.reserveSegments;
    const self = this;
    function place(list: Uint8Array[]): boolean {
      let n = 0;
      for (let i = 0; i < list.length; i++) n += FRAME_HEADER_BYTES + list[i].length;
      if (end + n <= self.segmentBytes) { end += n; return true; }
      // A new segment; an append longer than one segment spreads over several.
      for (let i = 0; i < list.length; i++) {
        const f = FRAME_HEADER_BYTES + list[i].length;
        if (end + f > self.segmentBytes) {
          segs++;
          if (segs > limit) return false;
          end = SEGMENT_HEADER_BYTES;
        }
        end += f;
      }
      return true;
    }
    for (let p = 0; p < this.pending.length; p++) if (!place(this.pending[p].records)) return false;
    return place(records);
  }

  /**
   * Writes every pending append, one medium write per segment touched, and calls their done:
   * true for each append whose records all reached the medium, false for the rest.
   */
  flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    let frames: Uint8Array[] = [];     // records of the write being gathered, in order
    let size = 0;
    let written = 0;                   // appends before this one are all on the medium
    let ok = true;
    for (let p = 0; p < batch.length && ok; p++) {
      const list = batch[p].records;
      let n = 0;
      for (let i = 0; i < list.length; i++) n += FRAME_HEADER_BYTES + list[i].length;
      // Placement as fits() reckons it: the whole append in what is left of the segment, or
      // record by record, each that does not fit starting a new segment.
      const whole = this.active >= 0 && this.activeEnd + size + n <= this.segmentBytes;
      for (let i = 0; i < list.length && ok; i++) {
        const f = FRAME_HEADER_BYTES + list[i].length;
        if (!whole && (this.active < 0 || this.activeEnd + size + f > this.segmentBytes)) {
          if (frames.length > 0) {
            ok = this.writeFrames(frames, size);
            frames = [];
            size = 0;
            if (ok) written = p;
          }
          if (ok) ok = this.openSegment();
        }
        frames.push(list[i]);
        size += f;
      }
    }
    if (ok && frames.length > 0) ok = this.writeFrames(frames, size);
    if (ok) written = batch.length;
    for (let p = 0; p < batch.length; p++) {
      const e = batch[p];
      if (p < written) {
        this.stats.appends++;
        this.stats.records += e.records.length;
      } else {
        this.stats.refused++;
      }
    }
    for (let p = 0; p < batch.length; p++) batch[p].done(p < written);
  }

  /** Frames `records` (size bytes framed) into the active segment in one write. */
  private writeFrames(records: Uint8Array[], size: number): boolean {
    const head = this.activeCreated ? 0 : SEGMENT_HEADER_BYTES;
    const out = new Uint8Array(head + size);
    if (head > 0) out.set(this.header(KIND_LOG, this.active), 0);
    let at = head;
    for (let i = 0; i < records.length; i++) at = writeFrame(records[i], out, at);
    let ok = false;
    this.stats.writes++;
    try {
      ok = head > 0 ? this.medium.create(this.active, this.segmentBytes, out) : this.medium.write(this.active, this.activeEnd, out);
    } catch (e) {
      ok = false;
    }
    if (ok) {
      this.stats.bytes += out.length;
      this.activeEnd += size;
      this.activeCreated = true;
    } else {
      // Never written after again: the next append starts a new segment. One that was never
      // created is forgotten (a create that failed part way leaves a header load() drops).
      if (head > 0) this.segments.pop();
      this.active = -1;
    }
    return ok;
  }

  /**
   * Starts a new log segment as the active one. It is created by the first write into it
   * (header and frames in one create), so a new segment costs no write of its own.
   */
  private openSegment(): boolean {
    if (this.segments.length >= this.maxSegments) return false;
    const seq = this.nextSeq++;
    this.segments.push(seq);
    this.active = seq;
    this.activeEnd = SEGMENT_HEADER_BYTES;
    this.activeCreated = false;
    return true;
  }

  private header(kind: number, seq: number): Uint8Array {
    const h = new Uint8Array(SEGMENT_HEADER_BYTES).fill(0xff);
    h[0] = MAGIC_G;
    h[1] = MAGIC_J;
    h[2] = FORMAT;
    h[3] = kind;
    h[4] = (seq >>> 24) & 255;
    h[5] = (seq >>> 16) & 255;
    h[6] = (seq >>> 8) & 255;
    h[7] = seq & 255;
    return h;
  }

  private put(seq: number, offset: number, bytes: Uint8Array): boolean {
    this.stats.writes++;
    let ok = false;
    try {
      ok = this.medium.write(seq, offset, bytes);
    } catch (e) {
      ok = false;
    }
    if (ok) this.stats.bytes += bytes.length;
    return ok;
  }

  /**
   * Creates the `need` segments of a snapshot of `records` (one create each: header and frames
   * in one buffer), pushing each made into `made`; returns where the last one ends, or -1
   * if a create failed. Nothing is committed here.
   */
  private writeSnapshot(records: Uint8Array[], need: number, made: number[]): number {
    let i = 0;
    let end = -1;
    for (let s = 0; s < need; s++) {
      const seq = this.nextSeq++;
      let size = SEGMENT_HEADER_BYTES;
      let j = i;
      while (j < records.length && size + FRAME_HEADER_BYTES + records[j].length <= this.segmentBytes) {
        size += FRAME_HEADER_BYTES + records[j].length;
        j++;
      }
      const buf = new Uint8Array(size);
      buf.set(this.header(s === 0 ? KIND_SNAPSHOT : KIND_SNAPSHOT_MORE, seq), 0);
      let at = SEGMENT_HEADER_BYTES;
      for (let k = i; k < j; k++) at = writeFrame(records[k], buf, at);
      i = j;
      this.stats.writes++;
      let ok = false;
      try {
        ok = this.medium.create(seq, this.segmentBytes, buf);
      } catch (e) {
        ok = false;
      }
      if (!ok) return -1;
      made.push(seq);
      this.stats.bytes += size;
      end = size;
    }
    return end;
  }

  // ---- compaction ----

  /** true once the log has filled its share of the budget and a snapshot would free it. */
  compactionDue(): boolean {
    return this.segments.length >= this.maxSegments - this.reserveSegments;
  }

  /**
   * Replaces everything kept by `records` (pending appends are written first): the snapshot
   * goes into new segments, is committed, then the old segments are removed. done(false) if
   * it does not fit beside the old ones (counted; the old state stays as it was).
   */
  compact(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.flush();
    for (let i = 0; i < records.length; i++) {
      if (records[i].length === 0 || records[i].length > this.maxRecordBytes) {
        this.stats.compactionsFailed++;
        done(false);
        return;
      }
    }
    // Segments the snapshot needs.
    let need = 1;
    let end = SEGMENT_HEADER_BYTES;
    for (let i = 0; i < records.length; i++) {
      const f = FRAME_HEADER_BYTES + records[i].length;
      if (end + f > this.segmentBytes) { need++; end = SEGMENT_HEADER_BYTES; }
      end += f;
    }
    const old = this.segments.slice();
    if (old.length + need > this.maxSegments) {
      this.stats.compactionsFailed++;
      done(false);
      return;
    }
    const made: number[] = [];
    const lastEnd = this.writeSnapshot(records, need, made);
    let ok = lastEnd > 0;
    if (ok) ok = this.put(made[0], COMMIT_AT, new Uint8Array(1));   // 0xFF -> 0x00: committed
    if (!ok) {
      for (let k = 0; k < made.length; k++) {
        try { this.medium.remove(made[k]); } catch (e) { /* removed at the next load */ }
      }
      this.stats.compactionsFailed++;
      done(false);
      return;
    }
    for (let k = 0; k < old.length; k++) {
      try { this.medium.remove(old[k]); } catch (e) { /* older than the snapshot: removed at the next load */ }
    }
    this.segments = made;
    this.active = made[made.length - 1];
    this.activeEnd = lastEnd;
    this.activeCreated = true;
    this.stats.compactions++;
    this.stats.records += records.length;
    done(true);
  }
}
