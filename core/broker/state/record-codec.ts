// The byte form of a state record (records.ts): what a store keeps. One Uint8Array per record,
// its kind in the first byte, then its fields in a fixed order: integers big endian, strings
// as MQTT UTF-8 Encoded Strings (two-byte length), payloads with a four-byte length, 5.0
// properties as in a packet (Property Length, then properties), times as two four-byte
// halves (all ones: -1, none). Only what Node, XS and Espruino all have: no DataView, no
// TextEncoder (design.md §4).
//
// decodeRecord never throws: bytes a broken disk or flash gives back are a BadRecord with the
// reason, and the caller reports it and goes on.

import type { Properties, QoS } from '../../codec/index.js';
import { PUBLISH, isCodecError } from '../../codec/index.js';
import { propertiesLength, readProperties, writeProperties } from '../../codec/properties.js';
import { Reader } from '../../codec/reader.js';
import { Writer, stringFieldLength, varintLength } from '../../codec/writer.js';
import { BATCH_FLAG, BATCH_RECORD_HEADER_BYTES, FRAME_HEADER_BYTES } from '../../store/journal-frame.js';
import type { BadRecord, MessageRecord, Queued, StateRecord, StoredMessage } from './records.js';
import {
  REC_ACKED, REC_EXPIRY_SET, REC_INFLIGHT, REC_LAST, REC_MESSAGE, REC_PUBREC_RECEIVED, REC_QOS2_RECEIVED, REC_QOS2_RELEASED,
  REC_QUEUED, REC_RETAINED_DELETED, REC_RETAINED_SET, REC_SENT, REC_SESSION_CREATED, REC_SESSION_ENDED, REC_SESSION_OFFLINE,
  REC_SESSION_RESUMED, REC_SUBSCRIBED, REC_UNQUEUED, REC_UNSUBSCRIBED, REC_WILL_CLEARED, REC_WILL_SET, REC_CONNECTION_WILL,
  REC_BRIDGE_DONE, REC_BRIDGE_PUBREC, REC_BRIDGE_QUEUED, REC_BRIDGE_SENT,
} from './records.js';

const TWO_32 = 4294967296;
// Pure: a bundle that imports this module but uses none of it (the small Espruino ones) drops it.
const EMPTY_PAYLOAD = /* @__PURE__ */ new Uint8Array(0);

// Where a record's fields go: counted first (Measure), then written into a buffer of exactly
// that size (Put), by the one function that lists them (fields()).
interface Sink {
  u8(v: number): void;
  u16(v: number): void;
  u32(v: number): void;
  time(ms: number): void;
  str(s: string): void;
  blob(b: Uint8Array): void;
  props(p: Properties | null): void;
}

class Measure implements Sink {
  n: number;
  constructor() { this.n = 0; }
  u8(_v: number): void { this.n += 1; }
  u16(_v: number): void { this.n += 2; }
  u32(_v: number): void { this.n += 4; }
  time(_ms: number): void { this.n += 8; }
  str(s: string): void { this.n += stringFieldLength(s); }
  blob(b: Uint8Array): void { this.n += 4 + b.length; }
  props(p: Properties | null): void {
    const len = __MQTT5__ ? propertiesLength(p) : 0;
    this.n += varintLength(len) + len;
  }
}

class Put implements Sink {
  w: Writer;
  constructor(buf: Uint8Array) { this.w = new Writer(buf, 0); }
  u8(v: number): void { this.w.u8(v); }
  u16(v: number): void { this.w.u16(v); }
  u32(v: number): void { this.w.u32(v); }
  time(ms: number): void { putTime(this.w, ms); }
  str(s: string): void { this.w.utf8(s); }
  blob(b: Uint8Array): void {
    this.w.u32(b.length);
    this.w.bytes(b);
  }
  // Without MQTT 5 (the Espruino 3.x build) no message has properties: an empty section.
  props(p: Properties | null): void {
    if (__MQTT5__) writeProperties(this.w, p, propertiesLength(p));
    else this.w.u8(0);
  }
}

/**
 * A batch of records framed as every store frames them (core/store/journal-frame.ts), encoded
 * straight into one buffer, grown by doubling and used again for the next batch
 * (Store.appendFrames copies what it keeps): one pass, nothing allocated per record or batch.
 * `batched`: the records go into one batch frame, one CRC over them all, written by take().
 */
export class RecordFrames implements Sink {
  w: Writer;
  count: number;
  crc: (bytes: Uint8Array, start: number, end: number) => number;
  batched: boolean;
  head: number;        // bytes before each record: 4 in a batch, 8 as a frame of its own

  constructor(crc: (bytes: Uint8Array, start: number, end: number) => number, batched?: boolean) {
    this.w = new Writer(new Uint8Array(1024), 0);
    this.count = 0;
    this.crc = crc;
    this.batched = batched === true;
    this.head = this.batched ? BATCH_RECORD_HEADER_BYTES : FRAME_HEADER_BYTES;
  }

  /** Frames `r` after the others; throws, adding nothing, as encodeRecord does. */
  add(r: StateRecord): void {
    const w = this.w;
    if (this.batched && w.pos === 0) w.pos = FRAME_HEADER_BYTES;   // the batch's header, written by take()
    const start = w.pos;
    const head = this.head;
    this.room(head);
    w.pos = start + head;
    try {
      fields(this, r);
    } catch (e) {
      w.pos = this.count === 0 ? 0 : start;
      throw e;
    }
    const end = w.pos;
    w.pos = start;
    w.u32(end - start - head);
    if (!this.batched) w.u32(this.crc(w.buf, start + head, end));
    w.pos = end;
    this.count++;
  }

  /** The frames, good until the next add(); a buffer grown past 1 MiB is let go. */
  take(): Uint8Array {
    const w = this.w;
    const n = w.pos;
    if (this.batched && this.count > 0) {
      w.pos = 0;
      w.u32(BATCH_FLAG + (n - FRAME_HEADER_BYTES));
      w.u32(this.crc(w.buf, FRAME_HEADER_BYTES, n));
    }
    const out = w.buf.subarray(0, this.count > 0 ? n : 0);
    if (w.buf.length > 1048576) w.buf = new Uint8Array(1024);
    w.pos = 0;
    this.count = 0;
    return out;
  }

  private room(n: number): void {
    const w = this.w;
    let size = w.buf.length;
    if (w.pos + n <= size) return;
    while (size < w.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(w.buf.subarray(0, w.pos), 0);
    w.buf = bigger;
  }

  u8(v: number): void { this.room(1); this.w.u8(v); }
  u16(v: number): void { this.room(2); this.w.u16(v); }
  u32(v: number): void { this.room(4); this.w.u32(v); }
  time(ms: number): void { this.room(8); putTime(this.w, ms); }
  // A UTF-16 unit is at most 3 bytes of UTF-8; past 65,535 bytes it throws as encodeRecord would.
  str(s: string): void {
    this.room(2 + 3 * s.length);
    const at = this.w.pos;
    this.w.utf8(s);
    if (this.w.pos - at > 0x10001) stringFieldLength(s);
  }
  blob(b: Uint8Array): void { this.room(4 + b.length); this.w.u32(b.length); this.w.bytes(b); }
  props(p: Properties | null): void {
    if (__MQTT5__) {
      const len = propertiesLength(p);
      this.room(4 + len);
      writeProperties(this.w, p, len);
    } else this.u8(0);
  }
}

function putTime(w: Writer, ms: number): void {
  if (ms < 0) {
    w.u32(0xffffffff);
    w.u32(0xffffffff);
    return;
  }
  w.u32(Math.floor(ms / TWO_32));
  w.u32(ms % TWO_32);
}

/** The bytes of one record. Throws only for a record no state could hold (a string over 65,535 bytes). */
export function encodeRecord(r: StateRecord): Uint8Array {
  const m = new Measure();
  fields(m, r);
  const buf = new Uint8Array(m.n);
  fields(new Put(buf), r);
  return buf;
}

function fields(o: Sink, r: StateRecord): void {
  o.u8(r.kind);
  switch (r.kind) {
    case REC_SESSION_CREATED:
      o.str(r.clientId); optStr(o, r.username); o.u8(r.version); o.time(r.expiryMs);
      return;
    case REC_SESSION_RESUMED:
      o.str(r.clientId); optStr(o, r.username); o.u8(r.version);
      return;
    case REC_SESSION_OFFLINE:
      o.str(r.clientId); o.time(r.expiresAtMs);
      return;
    case REC_EXPIRY_SET:
      o.str(r.clientId); o.time(r.expiryMs);
      return;
    case REC_SUBSCRIBED:
      o.str(r.clientId); o.str(r.topicFilter); o.u8(r.qos);
      o.u8((r.noLocal ? 1 : 0) | (r.retainAsPublished ? 2 : 0) | (r.retainHandling << 2));
      o.u32(r.subscriptionId);
      return;
    case REC_UNSUBSCRIBED:
      o.str(r.clientId); o.str(r.topicFilter);
      return;
    case REC_MESSAGE:
      o.u32(r.messageId); message(o, r.message);
      return;
    case REC_QUEUED:
      o.str(r.clientId); o.u32(r.messageId); o.u8(r.qos | (r.retain ? 4 : 0)); ids(o, r.subscriptionIds); shareKey(o, r.shareKey);
      return;
    case REC_UNQUEUED:
      o.str(r.clientId); o.u32(r.index);
      return;
    case REC_INFLIGHT:
      o.str(r.clientId); o.u32(r.messageId); o.u16(r.packetId); o.u8(r.qos | (r.retain ? 4 : 0)); ids(o, r.subscriptionIds);
      shareKey(o, r.shareKey);
      return;
    case REC_SENT:
    case REC_PUBREC_RECEIVED:
    case REC_ACKED:
    case REC_QOS2_RECEIVED:
    case REC_QOS2_RELEASED:
      o.str(r.clientId); o.u16(r.packetId);
      return;
    case REC_WILL_SET:
      o.str(r.clientId); message(o, r.message); o.time(r.delayMs); o.time(r.atMs);
      return;
    case REC_SESSION_ENDED:
    case REC_WILL_CLEARED:
      o.str(r.clientId);
      return;
    case REC_CONNECTION_WILL:
      o.str(r.clientId); optStr(o, r.username); o.u8(r.version); message(o, r.message);
      return;
    case REC_RETAINED_SET:
      message(o, r.message);
      return;
    case REC_RETAINED_DELETED:
      o.str(r.topic);
      return;
    // A bridge's queue (core/bridge/queue-records.ts): its name where a session's client id goes.
    case REC_BRIDGE_QUEUED:
      o.str(r.bridge); o.time(r.seq); message(o, r.message);
      return;
    case REC_BRIDGE_SENT:
      o.str(r.bridge); o.time(r.seq); o.u16(r.packetId);
      return;
    case REC_BRIDGE_PUBREC:
    case REC_BRIDGE_DONE:
      o.str(r.bridge); o.time(r.seq);
      return;
  }
}

function optStr(o: Sink, s: string | null): void {
  o.u8(s === null ? 0 : 1);
  if (s !== null) o.str(s);
}

function ids(o: Sink, list: number[] | null): void {
  const n = list === null ? 0 : list.length;
  o.u16(n);
  for (let i = 0; i < n; i++) o.u32((list as number[])[i]);
}

// A shared subscription's key is its name, U+0000, its filter (routing.ts); U+0000 is no
// MQTT string's, so it goes as the two strings. Neither is empty in a key; both are for none.
function shareKey(o: Sink, key: string): void {
  const nul = key.indexOf('\u0000');
  o.str(nul < 0 ? '' : key.slice(0, nul));
  o.str(nul < 0 ? '' : key.slice(nul + 1));
}

function readShareKey(r: Reader): string {
  const b = r.buf;
  const at = r.pos;
  if (r.end - at >= 4 && (b[at] | b[at + 1] | b[at + 2] | b[at + 3]) === 0) {
    r.pos += 4;   // no share key (most entries): two empty strings, nothing to decode
    return '';
  }
  const name = r.utf8();
  const filter = r.utf8();
  return name === '' && filter === '' ? '' : name + '\u0000' + filter;
}

function message(o: Sink, m: StoredMessage): void {
  o.str(m.topic); o.str(m.publisher); o.u8(m.qos | (m.retain ? 4 : 0)); o.time(m.expiresAtMs);
  o.props(m.properties);
  o.blob(m.payload);
}

/**
 * Reads records one after another (a store's load: a million of them), with one Reader for
 * all, and the strings that come back record after record decoded once: the client id of the
 * records before (a session's queue is its client id a thousand times) and the last topic
 * (Reader.topic). What a record gives is its own: strings, and copies of payloads and
 * correlation data, never a view of the bytes read.
 */
/** The last string a field held, with its bytes: the same bytes again give the same string. */
class LastString {
  bytes: Uint8Array;
  length: number;
  value: string;

  constructor() {
    this.bytes = new Uint8Array(64);
    this.length = -1;
    this.value = '';
  }

  /** A UTF-8 string field, as r.utf8() reads it: decoded only when its bytes are new. */
  read(r: Reader): string {
    const n = r.u16();
    r.need(n);
    const buf = r.buf;
    const at = r.pos;
    if (n === this.length) {
      const last = this.bytes;
      let i = 0;
      while (i < n && buf[at + i] === last[i]) i++;
      if (i === n) {
        r.pos += n;
        return this.value;
      }
    }
    r.pos -= 2;
    const s = r.utf8();
    if (n <= 256) {
      if (this.bytes.length < n) this.bytes = new Uint8Array(256);
      this.bytes.set(buf.subarray(at, at + n), 0);
      this.length = n;
      this.value = s;
    }
    return s;
  }
}

/**
 * Reads records one after another (a store's load: a million of them), with one Reader for
 * all, and the strings that come back record after record decoded once: the client id of the
 * record before (a session's queue is its client id a thousand times), the last publisher,
 * the last topic (Reader.topic). What a record holds is its own: strings, and copies of
 * payloads and correlation data, never a view of the bytes read.
 */
export class RecordReader {
  r: Reader;
  clientIds: LastString;
  publishers: LastString;
  // The two records of each queued message, filled in again by each of their kind: no object
  // is made for them per record (decode's answer for them is good until the next decode).
  message: MessageRecord;
  queued: Queued;

  constructor() {
    this.r = new Reader();
    this.clientIds = new LastString();
    this.publishers = new LastString();
    this.message = { kind: REC_MESSAGE, messageId: 0, message: noMessage() };
    this.queued = { kind: REC_QUEUED, clientId: '', messageId: 0, qos: 0, retain: false, subscriptionIds: null, shareKey: '' };
  }

  /** The record in `bytes[start .. end)`, or a BadRecord (why not). Never throws. */
  decode(bytes: Uint8Array, start: number, end: number): StateRecord | BadRecord {
    const r = this.r;
    r.reset(bytes, start, end);
    try {
      const rec = read(this);
      if (r.pos !== r.end) return bad('bytes after the last field of a record of kind ' + rec.kind);
      return rec;
    } catch (e) {
      return bad(isCodecError(e) ? e.message : String(e));
    } finally {
      r.release();   // holds none of the store's bytes after the call
    }
  }
}

/** The record these bytes hold, or a BadRecord saying why they hold none. Never throws. */
export function decodeRecord(bytes: Uint8Array): StateRecord | BadRecord {
  return new RecordReader().decode(bytes, 0, bytes.length);
}

function bad(error: string): BadRecord {
  return { kind: 0, error: error };
}

function fail(what: string): never {
  throw new Error(what);
}

function read(rr: RecordReader): StateRecord {
  const r = rr.r;
  const kind = r.u8();
  if (kind < 1 || kind > REC_LAST) fail('unknown record kind ' + kind);
  if (kind === REC_MESSAGE) {
    const o = rr.message;
    o.messageId = r.u32();
    readMessage(rr, o.message);
    return o;
  }
  if (kind === REC_RETAINED_SET) return { kind: REC_RETAINED_SET, message: readMessage(rr) };
  if (kind === REC_RETAINED_DELETED) return { kind: REC_RETAINED_DELETED, topic: r.utf8() };
  const clientId = rr.clientIds.read(r);
  switch (kind) {
    case REC_SESSION_CREATED:
      return { kind: REC_SESSION_CREATED, clientId: clientId, username: readOptStr(r), version: r.u8(), expiryMs: readTime(r) };
    case REC_SESSION_RESUMED:
      return { kind: REC_SESSION_RESUMED, clientId: clientId, username: readOptStr(r), version: r.u8() };
    case REC_SESSION_OFFLINE:
      return { kind: REC_SESSION_OFFLINE, clientId: clientId, expiresAtMs: readTime(r) };
    case REC_EXPIRY_SET:
      return { kind: REC_EXPIRY_SET, clientId: clientId, expiryMs: readTime(r) };
    case REC_SUBSCRIBED: {
      const topicFilter = r.utf8();
      const qos = readQoS(r.u8());
      const flags = r.u8();
      if (flags > 11) fail('subscription options 0x' + flags.toString(16));
      return {
        kind: REC_SUBSCRIBED, clientId: clientId, topicFilter: topicFilter, qos: qos, noLocal: (flags & 1) !== 0,
        retainAsPublished: (flags & 2) !== 0, retainHandling: flags >> 2, subscriptionId: r.u32(),
      };
    }
    case REC_UNSUBSCRIBED:
      return { kind: REC_UNSUBSCRIBED, clientId: clientId, topicFilter: r.utf8() };
    case REC_QUEUED: {
      const o = rr.queued;
      o.clientId = clientId;
      o.messageId = r.u32();
      const flags = readFlags(r.u8());
      o.qos = (flags & 3) as QoS;
      o.retain = (flags & 4) !== 0;
      o.subscriptionIds = readIds(r);
      o.shareKey = readShareKey(r);
      return o;
    }
    case REC_UNQUEUED:
      return { kind: REC_UNQUEUED, clientId: clientId, index: r.u32() };
    case REC_INFLIGHT: {
      const messageId = r.u32();
      const packetId = readPacketId(r);
      const flags = readFlags(r.u8());
      return {
        kind: REC_INFLIGHT, clientId: clientId, messageId: messageId, packetId: packetId, qos: (flags & 3) as QoS,
        retain: (flags & 4) !== 0, subscriptionIds: readIds(r), shareKey: readShareKey(r),
      };
    }
    case REC_SENT: return { kind: REC_SENT, clientId: clientId, packetId: readPacketId(r) };
    case REC_PUBREC_RECEIVED: return { kind: REC_PUBREC_RECEIVED, clientId: clientId, packetId: readPacketId(r) };
    case REC_ACKED: return { kind: REC_ACKED, clientId: clientId, packetId: readPacketId(r) };
    case REC_QOS2_RECEIVED: return { kind: REC_QOS2_RECEIVED, clientId: clientId, packetId: readPacketId(r) };
    case REC_QOS2_RELEASED: return { kind: REC_QOS2_RELEASED, clientId: clientId, packetId: readPacketId(r) };
    case REC_WILL_SET:
      return { kind: REC_WILL_SET, clientId: clientId, message: readMessage(rr), delayMs: readTime(r), atMs: readTime(r) };
    case REC_WILL_CLEARED:
      return { kind: REC_WILL_CLEARED, clientId: clientId };
    case REC_CONNECTION_WILL:
      return { kind: REC_CONNECTION_WILL, clientId: clientId, username: readOptStr(r), version: r.u8(), message: readMessage(rr) };
    case REC_BRIDGE_QUEUED:
      return { kind: REC_BRIDGE_QUEUED, bridge: clientId, seq: readSeq(r), message: readMessage(rr) };
    case REC_BRIDGE_SENT:
      return { kind: REC_BRIDGE_SENT, bridge: clientId, seq: readSeq(r), packetId: readPacketId(r) };
    case REC_BRIDGE_PUBREC:
      return { kind: REC_BRIDGE_PUBREC, bridge: clientId, seq: readSeq(r) };
    case REC_BRIDGE_DONE:
      return { kind: REC_BRIDGE_DONE, bridge: clientId, seq: readSeq(r) };
    default:
      return { kind: REC_SESSION_ENDED, clientId: clientId };
  }
}

function readOptStr(r: Reader): string | null {
  const present = r.u8();
  if (present > 1) fail('a string flag of ' + present);
  return present === 1 ? r.utf8() : null;
}

function readTime(r: Reader): number {
  const hi = r.u32();
  const lo = r.u32();
  if (hi === 0xffffffff && lo === 0xffffffff) return -1;
  if (hi > 0x1fffff) fail('a time beyond 2^53 ms');
  return hi * TWO_32 + lo;
}

function readSeq(r: Reader): number {
  const seq = readTime(r);
  if (seq < 1) fail('a bridge queue number of ' + seq);
  return seq;
}

function readQoS(v: number): QoS {
  if (v > 2) fail('QoS ' + v);
  return v as QoS;
}

// QoS in bits 0-1 (never 3), retain in bit 2, nothing above.
function readFlags(v: number): number {
  if (v > 7 || (v & 3) === 3) fail('message flags 0x' + v.toString(16));
  return v;
}

function readPacketId(r: Reader): number {
  const id = r.u16();
  if (id === 0) fail('packet id 0');
  return id;
}

function readIds(r: Reader): number[] | null {
  const n = r.u16();
  if (n === 0) return null;
  r.need(n * 4);
  const list: number[] = [];
  for (let i = 0; i < n; i++) list.push(r.u32());
  return list;
}

function emptyProperties(r: Reader): null {
  if (r.u8() !== 0) fail('message properties in a build without MQTT 5');
  return null;
}

/** A message's fields, into `into` if given (a reused object), else a new one. */
function readMessage(rr: RecordReader, into?: StoredMessage): StoredMessage {
  const r = rr.r;
  const topic = r.topic();   // a Topic Name (no wildcard); the last one's string again when it repeats
  const publisher = rr.publishers.read(r);
  const flags = readFlags(r.u8());
  const expiresAtMs = readTime(r);
  const properties = __MQTT5__ ? readProperties(r, PUBLISH) : emptyProperties(r);
  const n = r.u32();
  r.need(n);
  const payload = new Uint8Array(n);   // a copy: the record's bytes may be a view of a store's buffer
  payload.set(r.buf.subarray(r.pos, r.pos + n), 0);
  r.pos += n;
  if (properties !== null && properties.correlationData !== undefined) {
    const c = new Uint8Array(properties.correlationData.length);
    c.set(properties.correlationData, 0);
    properties.correlationData = c;
  }
  const m = into !== undefined ? into : noMessage();
  m.topic = topic;
  m.payload = payload;
  m.qos = (flags & 3) as QoS;
  m.retain = (flags & 4) !== 0;
  m.properties = properties;
  m.publisher = publisher;
  m.expiresAtMs = expiresAtMs;
  return m;
}

function noMessage(): StoredMessage {
  return { topic: '', payload: EMPTY_PAYLOAD, qos: 0, retain: false, properties: null, publisher: '', expiresAtMs: -1 };
}
