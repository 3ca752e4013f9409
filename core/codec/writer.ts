// Writes fields into a buffer that was sized exactly beforehand: encoding computes every
// packet's length first, allocates once, and writes once.

import { utf8Length, writeUtf8 } from './utf8.js';

export class Writer {
  buf: Uint8Array;
  pos: number;

  constructor(buf: Uint8Array, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.buf[this.pos++] = v >> 8;
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  /** Variable Byte Integer in the fewest bytes [5:MQTT-1.5.5-1]. */
  varint(v: number): void {
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) b |= 0x80;
      this.buf[this.pos++] = b;
    } while (v > 0);
  }

  /** A UTF-8 Encoded String: the bytes first, then their count in the two bytes before them. */
  utf8(s: string): void {
    const at = this.pos;
    this.pos = writeUtf8(s, this.buf, at + 2);
    const n = this.pos - at - 2;
    this.buf[at] = n >> 8;
    this.buf[at + 1] = n;
  }

  binary(b: Uint8Array): void {
    this.u16(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

// Up to this many bytes are copied one by one: a subarray view for set() is an object (4 XS
// slots), and a short loop costs less than collecting it on a device. Longer runs go through
// a view and set(), whose per-byte cost is far lower.
const COPY_BY_BYTE = 32;

/** Copies bytes `start` .. `end` of `src` into `dst` at `at`. */
export function copyRange(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  const n = end - start;
  if (n > COPY_BY_BYTE) {
    dst.set(src.subarray(start, end), at);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[start + i];
}

export function varintLength(v: number): number {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

/** Length of a UTF-8 Encoded String field (two-byte prefix included); throws past 65,535 bytes. */
export function stringFieldLength(s: string): number {
  const n = utf8Length(s);
  if (n > 0xffff) throw new Error('ganglion: a string of ' + n + ' bytes does not fit an MQTT string [MQTT-1.5.4]');
  return 2 + n;
}

export function binaryFieldLength(b: Uint8Array): number {
  if (b.length > 0xffff) throw new Error('ganglion: ' + b.length + ' bytes do not fit an MQTT Binary Data field');
  return 2 + b.length;
}
