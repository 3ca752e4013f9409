// The files of a persistence directory and how start-up reads them back.
//
//     ganglion.lock              journal-lock.ts
//     snapshot-000000000007.snap records that rebuild the whole state as it was when segment 7 began
//     segment-000000000007.log   records appended after that snapshot, oldest first
//     segment-000000000008.log   ...
//
// A snapshot is written to a .tmp file, synced, then renamed: it is whole or absent. Load
// takes the newest snapshot and the segments from its number on. Older files are leftovers
// of a compaction that crashed before removing them. A torn tail of the last segment (a
// crash in the middle of an append) is cut off; a bad frame anywhere else is damage: the
// records before it load, and the rest (and every later file) is set aside under a
// `.damaged-<time>` name for inspection instead of being read into a state it would corrupt.
import { join } from 'node:path';
import type * as nodeFs from 'node:fs';
import type { FrameCrc } from '../../core/index.js';
import { DAMAGE_CRC, scanSegment } from '../../core/index.js';

/** The calls of `node:fs` the journal makes (tests hand in a layer that fails). */
export type JournalFs = Pick<typeof nodeFs,
  'openSync' | 'closeSync' | 'writeSync' | 'fsyncSync' | 'fdatasync' | 'fsync' | 'ftruncateSync' | 'renameSync' |
  'unlinkSync' | 'readdirSync' | 'readFileSync' | 'mkdirSync' | 'fstatSync' | 'statSync'>;

export type Log = (level: 'error' | 'warn' | 'info', line: string) => void;

const SNAPSHOT = /^snapshot-(\d{12})\.snap$/;
const SEGMENT = /^segment-(\d{12})\.log$/;
const TEMPORARY = /\.tmp$/;

function seqName(seq: number): string {
  return ('00000000000' + seq).slice(-12);
}

export function snapshotName(seq: number): string {
  return `snapshot-${seqName(seq)}.snap`;
}

export function segmentName(seq: number): string {
  return `segment-${seqName(seq)}.log`;
}

/** What was found on disk at start-up. */
export interface Loaded {
  /** The files' bytes, oldest first, each with where its intact frames end: the records to load. */
  files: Array<{ bytes: Uint8Array; end: number }>;
  /** How many records they hold. */
  records: number;
  /** The number the next segment takes. */
  nextSeq: number;
  /** The seq of the snapshot loaded (-1: none), and its size: compaction compares the log to it. */
  snapshotSeq: number;
  snapshotBytes: number;
  /** Segments kept (seq and bytes), oldest first: the log since the snapshot. */
  segments: Array<{ seq: number; bytes: number }>;
  tornTails: number;
  damaged: number;
}

/** Every record kept in `dir`, oldest first, after cutting torn tails and setting damage aside. */
export function loadJournal(fs: JournalFs, dir: string, maxRecordBytes: number, maxBatchBytes: number, crc: FrameCrc, log: Log,
  nowMs: number): Loaded {
  let snapshotSeq = -1;
  const segmentSeqs: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    const snap = SNAPSHOT.exec(name);
    const seg = SEGMENT.exec(name);
    if (snap !== null) snapshotSeq = Math.max(snapshotSeq, +snap[1]);
    else if (seg !== null) segmentSeqs.push(+seg[1]);
    else if (TEMPORARY.test(name)) fs.unlinkSync(join(dir, name));   // a snapshot a crash interrupted
  }
  segmentSeqs.sort((a, b) => a - b);
  const files: Array<{ name: string; seq: number; snapshot: boolean }> = [];
  if (snapshotSeq >= 0) files.push({ name: snapshotName(snapshotSeq), seq: snapshotSeq, snapshot: true });
  for (const seq of segmentSeqs) {
    if (seq >= snapshotSeq) files.push({ name: segmentName(seq), seq, snapshot: false });
    else fs.unlinkSync(join(dir, segmentName(seq)));   // already in the snapshot
  }
  // Older snapshots: superseded by the newest, which is whole (renamed only once synced).
  for (const name of fs.readdirSync(dir)) {
    const snap = SNAPSHOT.exec(name);
    if (snap !== null && +snap[1] < snapshotSeq) fs.unlinkSync(join(dir, name));
  }

  const out: Loaded = { files: [], records: 0, nextSeq: Math.max(0, snapshotSeq), snapshotSeq, snapshotBytes: 0, segments: [], tornTails: 0, damaged: 0 };
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const path = join(dir, f.name);
    const file = fs.readFileSync(path);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length);
    const scan = scanSegment(bytes, maxRecordBytes, crc, null, maxBatchBytes);
    if (scan.count > 0) out.files.push({ bytes, end: scan.validEnd });
    out.records += scan.count;
    out.nextSeq = f.seq + 1;
    const last = i === files.length - 1;
    if (scan.validEnd === bytes.length || (last && !f.snapshot && scan.tornAt >= 0)) {
      if (scan.tornAt >= 0) {
        log('warn', `persistence: ${path}: a torn last record at offset ${scan.tornAt} (${bytes.length - scan.tornAt} bytes, an append cut short by a crash) dropped`);
        cutAt(fs, path, scan.validEnd);
        out.tornTails++;
      }
      if (f.snapshot) out.snapshotBytes = scan.validEnd;
      else out.segments.push({ seq: f.seq, bytes: scan.validEnd });
      continue;
    }
    // Damage (or a torn frame that is not the end of the log): keep the prefix, set the rest aside.
    out.damaged++;
    const suffix = `.damaged-${nowMs}`;
    const what = scan.damagedAt >= 0 ? (scan.damage === DAMAGE_CRC ? 'a record whose CRC does not match' : 'a record with an impossible length')
      : 'a record cut short before the end of the log';
    const at = scan.damagedAt >= 0 ? scan.damagedAt : scan.tornAt;
    const aside: string[] = [f.name + suffix];
    writeWhole(fs, join(dir, f.name + suffix), bytes.subarray(scan.validEnd));
    cutAt(fs, path, scan.validEnd);
    if (f.snapshot) out.snapshotBytes = scan.validEnd;
    else out.segments.push({ seq: f.seq, bytes: scan.validEnd });
    for (let j = i + 1; j < files.length; j++) {
      fs.renameSync(join(dir, files[j].name), join(dir, files[j].name + suffix));
      aside.push(files[j].name + suffix);
    }
    log('error', `persistence: ${path}: ${what} at offset ${at}; loaded the ${out.records} records before it; the rest is set aside in ${dir}: ${aside.join(', ')}`);
    break;
  }
  return out;
}

function cutAt(fs: JournalFs, path: string, length: number): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes all of `bytes` at the file position of `fd`; throws on an error or a short write. */
export function writeAll(fs: JournalFs, fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    const n = fs.writeSync(fd, bytes, at, bytes.length - at);
    if (n <= 0) throw new Error(`write returned ${n}`);
    at += n;
  }
}

function writeWhole(fs: JournalFs, path: string, bytes: Uint8Array): void {
  const fd = fs.openSync(path, 'w', 0o600);
  try {
    writeAll(fs, fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a rename or unlink in `dir` durable (the directory entry itself is data). */
export function syncDir(fs: JournalFs, dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
