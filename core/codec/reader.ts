// A cursor over the bytes of one packet's body (after the fixed header). Every read checks
// that it stays inside the Remaining Length: a field running past it is a Malformed Packet
// (5.0 §2.1.4, 3.1.1 §2.2.3). Failures are thrown as CodecError values and caught in one
// place, Decoder.next(), which turns them into `decoder.error`.

import { codecError } from './codec-error.js';
import { decodeUtf8 } from './utf8.js';
import { RC_MALFORMED_PACKET, RC_PROTOCOL_ERROR, RC_TOPIC_NAME_INVALID } from './reason-codes.js';

// Shared by every reader until it has bytes of its own (a zero-length array is never written).
const EMPTY = new Uint8Array(0);

export class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;
  // The last PUBLISH topic, as bytes and as the string they decode to: a client mostly
  // publishes to the same few topics, and comparing bytes is cheaper than decoding them.
  private topicBytes: Uint8Array;
  private topicLength: number;
  private topicString: string;
  lastTopicLength: number;        // byte length of the topic just read by topic()
  private scratch: number[][];    // per string length, for decodeUtf8's ASCII path

  /**
   * `scratch` may be shared by every reader of a broker (decoding is synchronous): kept per
   * reader, its arrays (one per string length seen) cost a few hundred bytes a connection.
   */
  constructor(scratch?: number[][]) {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.topicBytes = EMPTY;
    this.topicLength = -1;
    this.topicString = '';
    this.lastTopicLength = 0;
    this.scratch = scratch === undefined ? [] : scratch;
  }

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Lets go of the packet's bytes (an idle connection keeps no received chunk alive). */
  release(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (this.end - this.pos < n) throw malformed('5:§2.1.4', 'a field runs past the Remaining Length');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** A Variable Byte Integer of at most four bytes [5:MQTT-1.5.5-1]. */
  varint(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw malformed('5:§1.5.5', 'a Variable Byte Integer longer than four bytes');
  }

  /** A UTF-8 Encoded String: two-byte length, then that many bytes [MQTT-1.5.4-1..3]. */
  utf8(): string {
    const n = this.u16();
    this.need(n);
    const s = decodeUtf8(this.buf, this.pos, this.pos + n, this.scratch);
    if (s === null) {
      const nul = this.buf.subarray(this.pos, this.pos + n).indexOf(0) >= 0;
      throw nul ? malformed('5:MQTT-1.5.4-2', 'a string holds U+0000') : malformed('5:MQTT-1.5.4-1', 'a string is not valid MQTT UTF-8');
    }
    this.pos += n;
    return s;
  }

  /** A UTF-8 string that is likely the same as last time (a PUBLISH topic): reused when the bytes are. */
  topic(): string {
    const n = this.u16();
    this.need(n);
    this.lastTopicLength = n;
    const buf = this.buf;
    const start = this.pos;
    if (n === this.topicLength) {
      const last = this.topicBytes;
      let i = 0;
      while (i < n && buf[start + i] === last[i]) i++;
      if (i === n) {
        this.pos += n;
        return this.topicString;
      }
    }
    // A Topic Name holds no wildcard [MQTT-3.3.2-2]: checked on the bytes, once per new topic.
    for (let i = 0; i < n; i++) {
      const b = buf[start + i];
      if (b === 0x2b || b === 0x23) throw codecError(RC_TOPIC_NAME_INVALID, '4:MQTT-3.3.2-2', 'a wildcard in a Topic Name');
    }
    this.pos -= 2;
    const s = this.utf8();
    if (n <= 256) {
      if (this.topicBytes.length < n) this.topicBytes = new Uint8Array(n < 64 ? 64 : 256);
      this.topicBytes.set(buf.subarray(start, start + n), 0);
      this.topicLength = n;
      this.topicString = s;
    }
    return s;
  }

  /** Binary Data: two-byte length, then that many bytes, as a view (5.0 §1.5.6). */
  binary(): Uint8Array {
    const n = this.u16();
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Everything up to the end of the packet, as a view (a PUBLISH payload). */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** Fixed-layout packets end exactly where their fields do. */
  done(what: string): void {
    if (this.pos !== this.end) throw malformed('5:§2.1.4', what + ' has bytes after its last field');
  }
}

export function malformed(rule: string, message: string): ReturnType<typeof codecError> {
  return codecError(RC_MALFORMED_PACKET, rule, message);
}

export function protocolError(rule: string, message: string): ReturnType<typeof codecError> {
  return codecError(RC_PROTOCOL_ERROR, rule, message);
}
