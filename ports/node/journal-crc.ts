// The CRC-32 of the journal framing (core/store/journal-frame.ts: IEEE 802.3 / zlib), computed
// eight bytes at a time ("slicing-by-8"), for start-up on Node: a log of a million records
// checks a million payloads. The core's crc32 goes a nibble at a time (16 table entries, for
// the devices); this one keeps 8 tables of 256 (8 KiB), and on this machine checked 100-byte
// payloads about twice as fast as zlib.crc32, whose call costs more than the sum itself.
// The answers are the same: test/unit/node-file-journal.test.ts checks it against zlib.

import * as zlib from 'node:zlib';

function makeTables(): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n] >>> 8) ^ t[t[(s - 1) * 256 + n] & 255];
  }
  return t;
}

const T = makeTables();

/** The CRC-32 of `b[start .. end)`, as an unsigned 32-bit number (core FrameCrc). */
export function crc32Sliced(b: Uint8Array, start: number, end: number): number {
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    const h = b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24);
    c = T[1792 + (c & 255)] ^ T[1536 + ((c >>> 8) & 255)] ^ T[1280 + ((c >>> 16) & 255)] ^ T[1024 + (c >>> 24)] ^
      T[768 + (h & 255)] ^ T[512 + ((h >>> 8) & 255)] ^ T[256 + ((h >>> 16) & 255)] ^ T[h >>> 24];
  }
  for (; i < end; i++) c = T[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// zlib.crc32 (Node 20.15 and later) sums a long range many times faster than the loop above,
// but its call costs more than a short record: a batch frame (core/store/journal-frame.ts) of
// a turn's records goes to zlib, a single record to the loop.
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
const ZLIB_FROM_BYTES = 256;

/** crc32Sliced's answers, through zlib for ranges of ZLIB_FROM_BYTES and more where Node has it. */
export function crc32Fast(b: Uint8Array, start: number, end: number): number {
  if (zlibCrc32 === undefined || end - start < ZLIB_FROM_BYTES) return crc32Sliced(b, start, end);
  return zlibCrc32(b.subarray(start, end)) >>> 0;
}
