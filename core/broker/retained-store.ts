// Retained messages (5.0 §3.3.1.3, 3.1.1 §3.3.1.3), one per topic, kept as bytes: each
// message is one record in a byte region, and the records are indexed by one array of their
// offsets sorted by topic. A retained message costs its own bytes plus a 20-byte header and
// a 4-byte index slot, and no object on the JavaScript heap: on a device that is the
// difference between hundreds and thousands of retained messages, and on Node a store of
// 10,000 messages is no work for the garbage collector.
//
// Topics sort as bytes, so every topic below a level is one run of the index: a lookup is a
// binary search, and a filter only compares the run that begins with its literal prefix
// (`a/b/+` looks at the topics starting `a/b/`, `#` at all). Matching follows the
// subscription tree's rules (4.7) on the UTF-8 bytes (a `/` byte never occurs inside a
// multi-byte character), including [MQTT-4.7.2-1]: a filter starting with `+` or `#` never
// matches a topic starting with `$`.
//
// Replacing or deleting a message leaves its old record as a hole; when the region runs out
// of room, the live records are copied into a new one sized for them, in topic order. Messages
// handed out by get() and match() are made on demand and view the region's bytes, which are
// never written again once a record is complete (a new region is a new buffer), so a view
// stays valid for as long as a delivery holds it.
//
// Bounded: at most maxCount messages and maxBytes bytes (payload + UTF-8 topic), refused
// with Quota exceeded (0x97) beyond.

import type { Properties, QoS } from '../codec/index.js';
import { PUBLISH, RC_QUOTA_EXCEEDED, RC_SUCCESS, decodeUtf8 } from '../codec/index.js';
import { propertiesLength, readProperties, writeProperties } from '../codec/properties.js';
import { Reader } from '../codec/reader.js';
import { MAX_UTF8_PER_UNIT, writeUtf8 } from '../codec/utf8.js';
import { Writer, varintLength } from '../codec/writer.js';
import type { Message } from './message.js';
import { createMessage } from './message.js';
import { levelsOver } from './trie-stack.js';

// Record layout: a 20-byte header, then the topic, the property section, the payload.
const QOS = 0;            // u8
const TOPIC_LENGTH = 2;   // u16
const PAYLOAD_LENGTH = 4; // u32
const PROPS_LENGTH = 8;   // u32: bytes of the property section (0: none)
const EXPIRES_HIGH = 12;  // u32 and u32: expiresAtMs + 1 as two halves (0: never expires)
const EXPIRES_LOW = 16;
const HEADER = 20;

const TWO_32 = 4294967296;
const MIN_REGION = 256;   // bytes of the first region
const MIN_INDEX = 16;     // slots of the first index
// What an empty store holds: nothing to write into, so it makes its own before it writes.
const NO_BYTES = new Uint8Array(0);
const NO_SLOTS = new Int32Array(0);
const SLASH = 0x2f;       // '/'
const PLUS = 0x2b;        // '+'
const HASH = 0x23;        // '#'
const DOLLAR = 0x24;      // '$'

export class RetainedStore {
  /** Topics compared by the last match(): a cost measure for tests and benchmarks. */
  lastVisits: number;
  private data: Uint8Array;   // the records, then free space (also scratch for a topic or filter)
  private end: number;        // bytes of data in use, holes included
  private holes: number;      // bytes of replaced and deleted records
  private index: Int32Array;  // record offsets in topic order: [0, stored)
  private stored: number;
  private used: number;
  private maxCount: number;
  private maxBytes: number;
  private maxLevels: number;
  private reader: Reader | null;   // reads a record's property section; made when first needed

  constructor(maxCount: number, maxBytes: number, maxLevels: number) {
    this.lastVisits = 0;
    this.data = NO_BYTES;   // the region and the index are made by the first message
    this.end = 0;
    this.holes = 0;
    this.index = NO_SLOTS;
    this.stored = 0;
    this.used = 0;
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
    this.maxLevels = maxLevels;
    this.reader = null;
  }

  /** Number of retained messages. */
  get count(): number {
    return this.stored;
  }

  /** Bytes held: for each message, payload length + UTF-8 length of its topic. */
  get bytes(): number {
    return this.used;
  }

  /** Bytes of the record region in use, headers and holes included (for tests). */
  get regionBytes(): number {
    return this.end;
  }

  /**
   * Retains `message` for `topic` (a valid Topic Name), replacing the previous one
   * [4:MQTT-3.3.1-5 · 5:MQTT-3.3.1-5]; an empty payload deletes it and is never stored
   * [4:MQTT-3.3.1-10, -11 · 5:MQTT-3.3.1-6, -7]. Returns RC_SUCCESS (stored, replaced,
   * deleted or nothing to delete), or RC_QUOTA_EXCEEDED, changing nothing, when a new topic
   * would pass maxCount or maxBytes, a replacement would pass maxBytes, or the topic has
   * more than maxLevels levels. The store keeps a copy: `message` stays the caller's.
   */
  set(topic: string, message: Message): number {
    if (levelsOver(topic, this.maxLevels)) return message.payload.length === 0 ? RC_SUCCESS : RC_QUOTA_EXCEEDED;
    const props = __MQTT5__ && message.properties !== null ? message.properties : null;
    const propsBytes = __MQTT5__ && props !== null ? propertiesLength(props) : 0;
    const propsSection = __MQTT5__ && props !== null ? propsBytes + varintLength(propsBytes) : 0;
    const payload = message.payload;
    // The record is written at the end of the region first: its topic bytes are what the
    // search compares, and nothing counts it until it is committed below.
    const topicMax = topic.length * MAX_UTF8_PER_UNIT;
    this.reserve(HEADER + topicMax + propsSection + payload.length);
    const d = this.data;
    const at = this.end;
    const topicEnd = writeUtf8(topic, d, at + HEADER);
    const topicLength = topicEnd - at - HEADER;
    const i = this.search(at + HEADER, topicLength);
    const found = i >= 0;
    const slot = found ? i : -i - 1;
    const old = found ? this.index[slot] : -1;
    const oldBytes = found ? readU16(d, old + TOPIC_LENGTH) + readU32(d, old + PAYLOAD_LENGTH) : 0;
    if (payload.length === 0) {
      if (found) this.remove(slot, old, oldBytes);
      return RC_SUCCESS;
    }
    const size = topicLength + payload.length;
    if (this.used - oldBytes + size > this.maxBytes) return RC_QUOTA_EXCEEDED;
    if (!found && this.stored + 1 > this.maxCount) return RC_QUOTA_EXCEEDED;

    // The header in layout order (QOS, TOPIC_LENGTH, ... EXPIRES_LOW), then after the topic
    // the property section and the payload.
    const w = new Writer(d, at);
    // Whole milliseconds, rounded up: a fractional clock (Node's port) never expires it early.
    const expires = message.expiresAtMs < 0 ? 0 : Math.ceil(message.expiresAtMs) + 1;
    w.u8(message.qos);
    w.u8(0);
    w.u16(topicLength);
    w.u32(payload.length);
    w.u32(propsSection);
    w.u32(Math.floor(expires / TWO_32));
    w.u32(expires % TWO_32);
    w.pos = topicEnd;
    if (__MQTT5__ && props !== null) writeProperties(w, props, propsBytes);
    w.bytes(payload);
    this.end = w.pos;
    this.used += size - oldBytes;
    if (found) {
      this.index[slot] = at;
      this.holes += recordSize(d, old);
    } else {
      this.insert(slot, at);
    }
    return RC_SUCCESS;
  }

  /** Every retained message, made from its record, pushed onto `out` (a snapshot, state/snapshot.ts). */
  all(out: Message[]): number {
    for (let i = 0; i < this.stored; i++) out.push(this.message(this.index[i]));
    return this.stored;
  }

  /** The retained message of `topic`, made from its record; undefined if there is none. */
  get(topic: string): Message | undefined {
    const i = this.find(topic);
    return i < 0 ? undefined : this.message(this.index[i]);
  }

  /**
   * Writes every retained message whose topic matches `filter` (a valid Topic Filter) into
   * out[0..n), in topic order, and returns n. `out` grows (push) only when too short and is
   * never shrunk: entries past n are stale.
   */
  match(filter: string, out: Message[]): number {
    let n = 0;
    if (filter.indexOf('+') < 0 && filter.indexOf('#') < 0) {
      const i = this.find(filter);
      this.lastVisits = i < 0 ? 0 : 1;
      if (i >= 0) n = emit(this.message(this.index[i]), out, n);
      return n;
    }
    // The filter's bytes go to the free space after the records, as scratch.
    this.reserve(filter.length * MAX_UTF8_PER_UNIT);
    const d = this.data;
    const f = this.end;
    const fEnd = writeUtf8(filter, d, f);
    // The literal part before the first wildcard level: `a/b/+` and `a/b/#` compare only
    // the topics that begin with `a/b` (`#` also matches its parent level, `a/b` itself).
    let prefix = 0;
    while (f + prefix < fEnd && d[f + prefix] !== PLUS && d[f + prefix] !== HASH) prefix++;
    if (prefix > 0) prefix--;   // drop the '/' before the wildcard level
    let i = this.lowerBound(f, prefix);
    let visits = 0;
    for (; i < this.stored; i++) {
      const r = this.index[i];
      const t = r + HEADER;
      const tEnd = t + readU16(d, r + TOPIC_LENGTH);
      if (!startsWith(d, t, tEnd, f, prefix)) break;
      visits++;
      if (topicMatches(d, t, tEnd, f, fEnd)) n = emit(this.message(r), out, n);
    }
    this.lastVisits = visits;
    return n;
  }

  // ---- records ---------------------------------------------------------------------------

  /** The message in the record at `r`: a new object whose payload is a view of the region. */
  private message(r: number): Message {
    const d = this.data;
    const topicLength = readU16(d, r + TOPIC_LENGTH);
    const propsSection = readU32(d, r + PROPS_LENGTH);
    const payloadLength = readU32(d, r + PAYLOAD_LENGTH);
    const t = r + HEADER;
    const topic = decodeUtf8(d, t, t + topicLength) as string;   // written from a string: well-formed
    let properties: Properties | null = null;
    if (__MQTT5__ && propsSection > 0) {
      if (this.reader === null) this.reader = new Reader();
      const rd = this.reader;
      rd.reset(d, t + topicLength, t + topicLength + propsSection);
      properties = readProperties(rd, PUBLISH);
      rd.reset(d, 0, 0);
    }
    const p = t + topicLength + propsSection;
    const m = createMessage(topic, d.subarray(p, p + payloadLength), d[r + QOS] as QoS, true, properties, '');
    m.kept = true;   // not a view of a receive buffer
    const expires = readU32(d, r + EXPIRES_HIGH) * TWO_32 + readU32(d, r + EXPIRES_LOW);
    m.expiresAtMs = expires === 0 ? -1 : expires - 1;
    return m;
  }

  /**
   * Makes room for `n` more bytes after the records. A new region is sized for the live
   * records, not the holes, and half as much again: growing and compacting are one copy.
   */
  private reserve(n: number): void {
    if (this.end + n <= this.data.length) return;
    const need = this.end - this.holes + n;
    const size = need + (need >> 1);
    this.rebuild(size < MIN_REGION ? MIN_REGION : size);
  }

  /** Copies the live records, in topic order, into a new region of `size` bytes. */
  private rebuild(size: number): void {
    const from = this.data;
    const to = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < this.stored; i++) {
      const r = this.index[i];
      const len = recordSize(from, r);
      to.set(from.subarray(r, r + len), at);
      this.index[i] = at;
      at += len;
    }
    this.data = to;
    this.end = at;
    this.holes = 0;
  }

  private insert(slot: number, r: number): void {
    if (this.stored === this.index.length) {
      const bigger = new Int32Array(this.index.length < MIN_INDEX ? MIN_INDEX : this.index.length * 2);
      bigger.set(this.index, 0);
      this.index = bigger;
    }
    const x = this.index;
    if (slot < this.stored) x.set(x.subarray(slot, this.stored), slot + 1);   // overlapping set is defined
    x[slot] = r;
    this.stored++;
  }

  private remove(slot: number, r: number, bytes: number): void {
    const x = this.index;
    x.set(x.subarray(slot + 1, this.stored), slot);
    this.stored--;
    this.used -= bytes;
    this.holes += recordSize(this.data, r);
    if (this.stored === 0) {
      // Nothing left: give the region and the index back.
      this.data = NO_BYTES;
      this.index = NO_SLOTS;
      this.end = 0;
      this.holes = 0;
    } else if (this.stored * 4 <= x.length && x.length > MIN_INDEX) {
      // A copy into a new array, not x.slice(): on Espruino a typed array's slice() is a plain Array.
      const smaller = new Int32Array(x.length >> 1);
      smaller.set(x.subarray(0, this.stored), 0);
      this.index = smaller;
    }
  }

  // ---- search ----------------------------------------------------------------------------

  /** Index slot of `topic`'s record, or -1. */
  private find(topic: string): number {
    this.reserve(topic.length * MAX_UTF8_PER_UNIT);
    const t = this.end;
    const i = this.search(t, writeUtf8(topic, this.data, t) - t);
    return i < 0 ? -1 : i;
  }

  /**
   * Binary search for the topic in data[t, t + n): its slot, or -(insertion slot) - 1 when
   * no record has it.
   */
  private search(t: number, n: number): number {
    const i = this.lowerBound(t, n);
    if (i < this.stored) {
      const r = this.index[i];
      if (compare(this.data, r + HEADER, readU16(this.data, r + TOPIC_LENGTH), t, n) === 0) return i;
    }
    return -i - 1;
  }

  /** First slot whose topic is not below data[p, p + n) (a whole topic or a prefix). */
  private lowerBound(p: number, n: number): number {
    const d = this.data;
    let lo = 0;
    let hi = this.stored;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = this.index[mid];
      if (compare(d, r + HEADER, readU16(d, r + TOPIC_LENGTH), p, n) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Appends m to out[n..], growing out only when it is too short. */
function emit(m: Message, out: Message[], n: number): number {
  if (n < out.length) out[n] = m;
  else out.push(m);
  return n + 1;
}

function recordSize(d: Uint8Array, r: number): number {
  return HEADER + readU16(d, r + TOPIC_LENGTH) + readU32(d, r + PROPS_LENGTH) + readU32(d, r + PAYLOAD_LENGTH);
}

/** Byte order of d[a, a + an) and d[b, b + bn): negative, 0 or positive. */
function compare(d: Uint8Array, a: number, an: number, b: number, bn: number): number {
  const n = an < bn ? an : bn;
  for (let i = 0; i < n; i++) {
    const x = d[a + i] - d[b + i];
    if (x !== 0) return x;
  }
  return an - bn;
}

function startsWith(d: Uint8Array, t: number, tEnd: number, p: number, n: number): boolean {
  if (tEnd - t < n) return false;
  for (let i = 0; i < n; i++) if (d[t + i] !== d[p + i]) return false;
  return true;
}

/**
 * Whether the topic d[t, tEnd) matches the filter d[f, fEnd), level by level (4.7): `+`
 * matches one whole level, empty ones included; `#` matches the rest, and its parent level
 * (`sport/#` matches `sport`).
 */
export function topicMatches(d: Uint8Array, t: number, tEnd: number, f: number, fEnd: number): boolean {
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with `$`.
  if ((d[f] === PLUS || d[f] === HASH) && t < tEnd && d[t] === DOLLAR) return false;
  for (;;) {
    const c = d[f];
    if (c === HASH) return true;
    if (c === PLUS) {
      while (t < tEnd && d[t] !== SLASH) t++;
      f++;
    } else {
      while (f < fEnd && d[f] !== SLASH) {
        if (t >= tEnd || d[t] !== d[f]) return false;
        t++;
        f++;
      }
      if (t < tEnd && d[t] !== SLASH) return false;   // the topic's level is longer
    }
    // Both are at the end of a level.
    if (f >= fEnd) return t >= tEnd;
    f++;                                            // the filter's '/'
    if (t >= tEnd) return f === fEnd - 1 && d[f] === HASH;   // `a/#` matches `a`
    t++;                                            // the topic's '/'
  }
}

function readU16(d: Uint8Array, at: number): number {
  return (d[at] << 8) | d[at + 1];
}

function readU32(d: Uint8Array, at: number): number {
  return d[at] * 16777216 + ((d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]);
}
