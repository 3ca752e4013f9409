// The journal framing every durable store shares (the Node file log, a device's flash or
// Storage file): each record is one frame
//
//     length (u32, big endian) | CRC-32 of the payload (u32, big endian) | payload
//
// or a batch of records under one CRC (the Node file journal writes each turn's records so:
// one CRC of a few kilobytes costs far less than one per record, and a batch is all-or-nothing
// for the acknowledgements that waited for it anyway):
//
//     BATCH_FLAG | length (u32) | CRC-32 of the body (u32) | body: { length (u32) | payload }...
//
// and a segment is frames back to back. A crash can cut the last write anywhere (a torn
// tail), or leave the space a file grew by filled with zeros; anything else wrong is damage.
// `scanSegment` tells the two apart, so a store drops a torn tail silently and reports damage
// with its offset, keeping every record before either.
//
// Device subset (design.md §4): no TextEncoder, DataView, Map or Node API; the CRC table is
// 16 numbers (a nibble at a time), not 256, so it costs nothing on Espruino's variable pool.

import type { RecordVisitor } from '../broker/store.js';

/** Bytes before each payload: its length, then its CRC-32. */
export const FRAME_HEADER_BYTES = 8;

/** The high bit of a frame's length: a batch frame (above). A record is never 2 GiB long. */
export const BATCH_FLAG = 0x80000000;
/** Bytes before each payload inside a batch: its length. */
export const BATCH_RECORD_HEADER_BYTES = 4;

/** What went wrong at `SegmentScan.damagedAt`. */
export const DAMAGE_NONE = 0;
/** The payload's CRC-32 is not the one in its header. */
export const DAMAGE_CRC = 1;
/** The length is 0 (records are never empty) or over the store's bound. */
export const DAMAGE_LENGTH = 2;

// CRC-32 of IEEE 802.3 / zlib / PNG (reflected polynomial 0xEDB88320, initial and final
// value 0xFFFFFFFF), so a frame can be checked with any standard tool. Entry i is the CRC
// register after shifting the nibble i through it.
const CRC_NIBBLE = Object.freeze([
  0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
  0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
]);

/** The CRC-32 of `bytes[start .. end)`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) {
    c ^= bytes[i];
    c = CRC_NIBBLE[c & 15] ^ (c >>> 4);
    c = CRC_NIBBLE[c & 15] ^ (c >>> 4);
  }
  return (c ^ -1) >>> 0;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 255;
  out[at + 1] = (v >>> 16) & 255;
  out[at + 2] = (v >>> 8) & 255;
  out[at + 3] = v & 255;
}

/**
 * Frames `payload` into `out` at `at` (the caller made room: FRAME_HEADER_BYTES +
 * payload.length) and returns the offset after it. For a batch in one buffer, one write.
 */
export function writeFrame(payload: Uint8Array, out: Uint8Array, at: number): number {
  writeU32(out, at, payload.length);
  writeU32(out, at + 4, crc32(payload, 0, payload.length));
  out.set(payload, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + payload.length;
}

/** Records `from .. to` of `records` framed back to back in one new buffer. */
export function frameRecords(records: Uint8Array[], from: number, to: number): Uint8Array {
  let n = 0;
  for (let i = from; i < to; i++) n += FRAME_HEADER_BYTES + records[i].length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = from; i < to; i++) at = writeFrame(records[i], out, at);
  return out;
}

/**
 * The payload length in the frame header at `at`, or -1 if it is 0 or over `maxRecordBytes`.
 * A store that reads frame by frame (a device reading flash in pieces) asks this before it
 * allocates anything for the payload.
 */
export function frameLength(header: Uint8Array, at: number, maxRecordBytes: number): number {
  const n = readU32(header, at);
  return n === 0 || n > maxRecordBytes ? -1 : n;
}

/** A CRC-32 of `bytes[start .. end)` with crc32's answers: a faster one a port can spend the memory on. */
export type FrameCrc = (bytes: Uint8Array, start: number, end: number) => number;

/** What `scanSegment` found. */
export interface SegmentScan {
  /** How many whole, intact frames come before the first bad one (each was given to `visit`). */
  count: number;
  /** Where the intact frames end: a store that appends to this segment cuts it here first. */
  validEnd: number;
  /** Where a torn tail starts (dropped: a crash cut the last write), or -1. */
  tornAt: number;
  /** Where the first damaged frame starts, with more bytes after it (report it), or -1. */
  damagedAt: number;
  /** DAMAGE_NONE, DAMAGE_CRC or DAMAGE_LENGTH: what was wrong at damagedAt. */
  damage: number;
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Reads the frames of one segment, oldest first, and stops at the first bad one. A bad frame
 * is a torn tail when nothing but zeros follows what was written of it (a header cut short,
 * a frame longer than what is left, a CRC wrong in the last frame, a run of zeros): an append
 * the crash interrupted. Otherwise it is damage in the middle, and what follows it is not read
 * (a record missing from the middle would make the state after it wrong). A length over
 * `maxRecordBytes` is refused before any use, so a hostile or garbled length costs nothing.
 * Never throws; `bytes` is only read. Each intact payload goes to `visit`, if given, as
 * `bytes` and its bounds (no view is made: a store of a million records would make a million).
 * `crc`, if given, replaces crc32 (Node: ports/node/journal-crc.ts). A batch frame's body is
 * at most `maxBatchBytes` (maxRecordBytes if not given; the Node journal's batches are bounded
 * by what it lets wait for the disk).
 */
export function scanSegment(bytes: Uint8Array, maxRecordBytes: number, crc?: FrameCrc | null, visit?: RecordVisitor | null,
  maxBatchBytes?: number): SegmentScan {
  const sum = crc === undefined || crc === null ? crc32 : crc;
  const maxBatch = maxBatchBytes === undefined ? maxRecordBytes : maxBatchBytes;
  const end = bytes.length;
  let at = 0;
  let count = 0;
  let damage = DAMAGE_NONE;
  while (at < end) {
    if (end - at < FRAME_HEADER_BYTES) break;                     // header cut short: torn
    if (bytes[at] >= 128) {
      const b = scanBatch(bytes, at, maxRecordBytes, maxBatch, sum, visit);
      const next = at + FRAME_HEADER_BYTES + (readU32(bytes, at) - BATCH_FLAG);
      // As for one record: a wrong CRC in the last frame is a torn tail; a body that passed
      // its CRC with records that do not fit it is damage (no crash writes that).
      if (b === BATCH_TORN) break;
      if (b === BATCH_BAD_CRC) {
        if (!allZero(bytes, next, end)) damage = DAMAGE_CRC;
        break;
      }
      if (b === BATCH_BAD_LENGTH) {
        damage = DAMAGE_LENGTH;
        break;
      }
      count += b;
      at = next;
      continue;
    }
    const n = frameLength(bytes, at, maxRecordBytes);
    if (n < 0) {
      if (!allZero(bytes, at, end)) damage = DAMAGE_LENGTH;
      break;
    }
    const next = at + FRAME_HEADER_BYTES + n;
    if (next > end) break;                                        // payload cut short: torn
    if (sum(bytes, at + FRAME_HEADER_BYTES, next) !== readU32(bytes, at + 4)) {
      if (!allZero(bytes, next, end)) damage = DAMAGE_CRC;
      break;
    }
    if (visit !== undefined && visit !== null) visit(bytes, at + FRAME_HEADER_BYTES, next);
    count++;
    at = next;
  }
  const torn = at < end && damage === DAMAGE_NONE;
  return {
    count: count,
    validEnd: at,
    tornAt: torn ? at : -1,
    damagedAt: damage === DAMAGE_NONE ? -1 : at,
    damage: damage,
  };
}

/**
 * Gives `visit` the payload of every frame in `bytes[0 .. end)`, oldest first, and returns how
 * many: frames a scan already found whole and intact (`end` its validEnd), so nothing is
 * checked again.
 */
export function visitFrames(bytes: Uint8Array, end: number, visit: RecordVisitor): number {
  let at = 0;
  let count = 0;
  while (at + FRAME_HEADER_BYTES <= end) {
    const n = readU32(bytes, at);
    if (n >= BATCH_FLAG) {
      const next = at + FRAME_HEADER_BYTES + (n - BATCH_FLAG);
      for (let r = at + FRAME_HEADER_BYTES; r < next;) {
        const to = r + BATCH_RECORD_HEADER_BYTES + readU32(bytes, r);
        visit(bytes, r + BATCH_RECORD_HEADER_BYTES, to);
        count++;
        r = to;
      }
      at = next;
      continue;
    }
    const next = at + FRAME_HEADER_BYTES + n;
    visit(bytes, at + FRAME_HEADER_BYTES, next);
    count++;
    at = next;
  }
  return count;
}

const BATCH_TORN = -1, BATCH_BAD_CRC = -2, BATCH_BAD_LENGTH = -3;

/**
 * The batch frame at `at` (its flag checked by the caller): the number of records in it, each
 * given to `visit` once the whole body is checked, or BATCH_TORN (it runs past the end: the
 * last write cut short), BATCH_BAD_CRC, or BATCH_BAD_LENGTH (a record inside of 0 bytes, over
 * `maxRecordBytes`, or past the body's end; or a body empty or over `maxBatchBytes`).
 */
function scanBatch(bytes: Uint8Array, at: number, maxRecordBytes: number, maxBatchBytes: number, sum: FrameCrc,
  visit: RecordVisitor | null | undefined): number {
  const n = readU32(bytes, at) - BATCH_FLAG;
  const body = at + FRAME_HEADER_BYTES;
  // A garbled length is refused before it is used, as for one record.
  if (n === 0 || n > maxBatchBytes) return BATCH_BAD_LENGTH;
  const next = body + n;
  if (next > bytes.length) return BATCH_TORN;
  if (sum(bytes, body, next) !== readU32(bytes, at + 4)) return BATCH_BAD_CRC;
  let count = 0;
  for (let r = body; r < next;) {
    if (next - r < BATCH_RECORD_HEADER_BYTES) return BATCH_BAD_LENGTH;
    const len = readU32(bytes, r);
    if (len === 0 || len > maxRecordBytes || r + BATCH_RECORD_HEADER_BYTES + len > next) return BATCH_BAD_LENGTH;
    r += BATCH_RECORD_HEADER_BYTES + len;
    count++;
  }
  if (visit !== undefined && visit !== null) {
    for (let r = body; r < next;) {
      const to = r + BATCH_RECORD_HEADER_BYTES + readU32(bytes, r);
      visit(bytes, r + BATCH_RECORD_HEADER_BYTES, to);
      r = to;
    }
  }
  return count;
}
