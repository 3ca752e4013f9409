// The incremental decoder: bytes arrive in chunks split anywhere, several packets per
// chunk. It keeps no more than one fixed header in progress and, only when a packet spans
// chunks, one exactly-sized copy of that packet's body. Sizes are checked on the fixed
// header, before a byte of the body is buffered.
//
//   const d = new Decoder({ maxPacketSize: 65536 });
//   d.push(chunk);
//   for (let p = d.next(); p !== null; p = d.next()) handle(p);
//   if (d.error !== null) close(d.error);

import type { CodecError } from './codec-error.js';
import { codecError, isCodecError } from './codec-error.js';
import { checkFirstByte } from './fixed-header.js';
import type { Packet } from './packets.js';
import {
  CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE, MQTT_3_1_1,
} from './packets.js';
import { Reader, malformed, protocolError } from './reader.js';
import { RC_PACKET_TOO_LARGE, RC_QUOTA_EXCEEDED } from './reason-codes.js';
import { decodeConnack, decodeConnect } from './decode/connect.js';
import { decodePublish, publishPacket } from './decode/publish.js';
import type { InPlacePublish } from './in-place-publish.js';
import { decodeSuback, decodeSubscribe, decodeUnsuback, decodeUnsubscribe } from './decode/subscribe.js';
import { decodeAck, decodeAuth, decodeDisconnect, decodePing } from './decode/acks.js';


/** The largest packet MQTT can frame: 268,435,455 bytes after a 5-byte fixed header. */
export const MAX_PACKET_SIZE = 268435460;

export interface DecoderOptions {
  maxPacketSize?: number;   // whole packet, fixed header included (5.0 §3.1.2.11.4)
  version?: number;         // 0: a server before CONNECT; set by the CONNECT it decodes
  scratch?: number[][];     // string-decoding arrays to share between decoders (see Reader)
  budget?: DecoderBudget | null;   // asked before a body that spans chunks is allocated
  // One PUBLISH object for every QoS 0 PUBLISH it returns, filled again each time: for an
  // owner that keeps none of them past its next call to next() (a broker connection: what
  // holds a packet longer also stops it reading). A routed QoS 0 message then allocates no
  // packet object.
  reuseQoS0?: boolean;
}

/**
 * The owner's say over memory held between chunks: a body that spans chunks is copied into
 * one array of its announced size, allocated when its header arrives. false: no room, and
 * the packet is refused (0x97) before anything is allocated.
 */
export interface DecoderBudget {
  reserve(bytes: number): boolean;
}

// Where the decoder is inside the current packet.
const AT_FIRST_BYTE = 0, IN_LENGTH = 1, IN_BODY = 2;
const EMPTY = new Uint8Array(0);

export class Decoder {
  version: number;
  maxPacketSize: number;
  budget: DecoderBudget | null;
  error: CodecError | null;
  private chunk: Uint8Array;      // the bytes being read; packets inside it are decoded in place
  private pos: number;
  private state: number;
  private first: number;          // first byte of the packet in progress
  private length: number;         // its Remaining Length, as far as read
  private lengthBytes: number;
  private multiplier: number;
  private body: Uint8Array | null; // a body spanning chunks, being copied together
  private bodyFill: number;
  private reader: Reader;
  private reuseQoS0: boolean;
  private qos0: InPlacePublish | null;   // the reused QoS 0 PUBLISH, made on first use (a subscriber never needs one)

  constructor(options: DecoderOptions) {
    this.version = options.version === undefined ? 0 : options.version;
    this.maxPacketSize = options.maxPacketSize === undefined ? MAX_PACKET_SIZE : options.maxPacketSize;
    this.budget = options.budget === undefined ? null : options.budget;
    this.reuseQoS0 = options.reuseQoS0 === true;
    this.qos0 = null;
    this.error = null;
    this.chunk = EMPTY;
    this.pos = 0;
    this.state = AT_FIRST_BYTE;
    this.first = 0;
    this.length = 0;
    this.lengthBytes = 0;
    this.multiplier = 1;
    this.body = null;
    this.bodyFill = 0;
    this.reader = new Reader(options.scratch);
  }

  /** Hands the decoder more bytes. The chunk is read in place: the caller must not reuse it. */
  push(chunk: Uint8Array): void {
    if (this.error !== null) return;
    if (this.pos < this.chunk.length) {
      // The reader paused (backpressure) with bytes left: keep them in front of the new ones.
      const rest = this.chunk.length - this.pos;
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.chunk.subarray(this.pos), 0);
      joined.set(chunk, rest);
      this.chunk = joined;
    } else {
      this.chunk = chunk;
    }
    this.pos = 0;
  }

  /** The next whole packet, or null when more bytes are needed or after an error. */
  next(): Packet | null {
    if (this.error !== null) return null;
    try {
      const p = this.step();
      // Everything received is consumed: drop the chunk (and the reader's view of it), so an
      // idle connection does not keep its last receive buffer alive. A packet returned
      // earlier holds its own views.
      if (p === null && this.pos >= this.chunk.length && this.chunk !== EMPTY) {
        this.chunk = EMPTY;
        this.pos = 0;
        this.reader.release();
      }
      return p;
    } catch (e) {
      if (!isCodecError(e)) throw e;   // a bug of ours, not the peer's input
      this.error = e;
      this.chunk = EMPTY;
      this.pos = 0;
      this.body = null;
      this.reader.release();
      return null;
    }
  }

  /** Bytes received and not yet returned as packets (for the port's accounting). */
  buffered(): number {
    return this.chunk.length - this.pos + this.bodyFill;
  }

  /** Bytes of memory held for what is not yet returned: a spanning body's whole array, unread input. */
  held(): number {
    return this.chunk.length - this.pos + (this.body === null ? 0 : this.body.length);
  }

  private step(): Packet | null {
    if (this.body !== null) return this.fillBody();
    while (this.state !== IN_BODY) {
      if (this.pos >= this.chunk.length) return null;
      const b = this.chunk[this.pos++];
      if (this.state === AT_FIRST_BYTE) {
        const err = checkFirstByte(b, this.version === 0 ? MQTT_3_1_1 : this.version);
        if (err !== null) throw err;
        this.first = b;
        this.length = 0;
        this.lengthBytes = 0;
        this.multiplier = 1;
        this.state = IN_LENGTH;
        continue;
      }
      this.length += (b & 0x7f) * this.multiplier;
      this.lengthBytes++;
      if ((b & 0x80) !== 0) {
        // 5.0 §1.5.5, 3.1.1 §2.2.3: the Remaining Length has at most four bytes.
        if (this.lengthBytes === 4) throw malformed('5:§1.5.5', 'Remaining Length longer than four bytes');
        this.multiplier *= 128;
        continue;
      }
      const size = 1 + this.lengthBytes + this.length;
      if (size > this.maxPacketSize) {
        // 5.0 §3.2.2.3.6: refused on the header, before the body is read or kept.
        throw codecError(RC_PACKET_TOO_LARGE, '5:§3.2.2.3.6', 'a packet of ' + size + ' bytes, maximum ' + this.maxPacketSize);
      }
      this.state = IN_BODY;
    }
    const n = this.length;
    const available = this.chunk.length - this.pos;
    if (available >= n) {
      // The whole body is inside this chunk: decode it in place, payload as a view.
      const start = this.pos;
      this.pos += n;
      this.state = AT_FIRST_BYTE;
      return this.decodeBody(this.chunk, start, start + n);
    }
    // The body spans chunks: copy it together, exactly sized (its size was checked above).
    if (this.budget !== null && !this.budget.reserve(n)) {
      throw codecError(RC_QUOTA_EXCEEDED, '(limit)', 'no room to hold a packet of ' + (1 + this.lengthBytes + n) + ' bytes across reads');
    }
    this.body = new Uint8Array(n);
    this.body.set(this.chunk.subarray(this.pos), 0);
    this.bodyFill = available;
    this.pos = this.chunk.length;
    return null;
  }

  private fillBody(): Packet | null {
    const body = this.body as Uint8Array;
    const take = Math.min(body.length - this.bodyFill, this.chunk.length - this.pos);
    body.set(this.chunk.subarray(this.pos, this.pos + take), this.bodyFill);
    this.bodyFill += take;
    this.pos += take;
    if (this.bodyFill < body.length) return null;
    this.body = null;
    this.bodyFill = 0;
    this.state = AT_FIRST_BYTE;
    return this.decodeBody(body, 0, body.length);
  }

  private decodeBody(buf: Uint8Array, start: number, end: number): Packet {
    const r = this.reader;
    r.reset(buf, start, end);
    const type = this.first >> 4;
    const version = this.version === 0 ? MQTT_3_1_1 : this.version;
    switch (type) {
      case CONNECT: {
        const p = decodeConnect(r);
        if (this.version === 0) this.version = p.protocolVersion & 0x7f;   // without mosquitto's bridge flag (decode/connect.ts)
        return p;
      }
      case CONNACK: if (__CLIENT__) return decodeConnack(r, version); break;
      case PUBLISH:
        if (this.reuseQoS0 && this.qos0 === null) this.qos0 = publishPacket();
        return decodePublish(r, this.first & 0x0f, version, this.qos0);
      case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: return decodeAck(r, type, version);
      case SUBSCRIBE: return decodeSubscribe(r, version);
      case SUBACK: if (__CLIENT__) return decodeSuback(r, version); break;
      case UNSUBSCRIBE: return decodeUnsubscribe(r, version);
      case UNSUBACK: if (__CLIENT__) return decodeUnsuback(r, version); break;
      case PINGREQ: case PINGRESP: return decodePing(r, type);
      case DISCONNECT: return decodeDisconnect(r, version);
      default:   // AUTH; refused on the first byte outside 5.0
        if (__MQTT5__) return decodeAuth(r);
        throw malformed('4:MQTT-2.2.2-2', 'AUTH in a build without MQTT 5');
    }
    throw protocolError('5:§2.1.2', 'a client may not send packet type ' + type);
  }
}

/** Decodes every packet in `bytes`; stops at the first error. For tests and tools. */
export function decodeAll(bytes: Uint8Array, version: number, maxPacketSize?: number): { packets: Packet[]; error: CodecError | null } {
  const d = new Decoder({ version: version, maxPacketSize: maxPacketSize });
  d.push(bytes);
  const packets: Packet[] = [];
  for (let p = d.next(); p !== null; p = d.next()) packets.push(p);
  return { packets: packets, error: d.error };
}
