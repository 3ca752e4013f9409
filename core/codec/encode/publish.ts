// PUBLISH encoder (5.0 §3.3, 3.1.1 §3.3), and the PublishFrame that lets one encoding
// serve every receiver of the same wire form.

import type { PublishPacket } from '../packets.js';
import { MQTT_5 } from '../packets.js';
import { propertiesLength, writeProperties } from '../properties.js';
import { Writer, stringFieldLength, varintLength } from '../writer.js';
import { frame } from './frame.js';
import { InPlacePublish } from '../in-place-publish.js';
import type { FrameAllocator } from '../slab-allocator.js';


/**
 * `topicBytes`, when given, are the Topic Name already encoded as UTF-8 (a broker keeps them
 * per topic): written as they are instead of encoding the string again.
 */
export function encodePublish(p: PublishPacket, version: number, alloc: FrameAllocator | null, topicBytes?: Uint8Array | null,
  writer?: Writer | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  const topicLength = topicBytes ? 2 + topicBytes.length : stringFieldLength(p.topic);
  // A payload still in its received bytes is copied from there: reading `payload` would make a view.
  const inPlace = p instanceof InPlacePublish ? p : null;
  const payloadLength = inPlace !== null ? inPlace.payloadEnd - inPlace.payloadStart : p.payload.length;
  const n = topicLength + (p.qos > 0 ? 2 : 0) + (v5 ? varintLength(propsLength) + propsLength : 0) + payloadLength;
  const w = frame(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0), n, alloc, writer);
  if (topicBytes) w.binary(topicBytes);
  else w.utf8(p.topic);
  // [MQTT-2.2.1-2] a QoS 0 PUBLISH has no Packet Identifier.
  if (p.qos > 0) w.u16(p.packetId);
  if (v5) writeProperties(w, p.properties, propsLength);
  if (inPlace !== null) {
    inPlace.copyPayload(w.buf, w.pos);
    w.pos += payloadLength;
  } else w.bytes(p.payload);
  const out = w.buf;
  if (writer) writer.buf = NO_BYTES;   // a reused Writer holds no frame alive
  return out;
}

const NO_BYTES = new Uint8Array(0);

/**
 * One PUBLISH encoded once for many receivers. For QoS 0 `bytes` is the frame to hand to
 * all of them. For QoS 1/2 each receiver needs its own Packet Identifier (and DUP on a
 * resend): `withPacketId` copies the frame with those bytes set, or `head` gives a small
 * per-receiver piece (fixed header, topic, packet id) to send before the shared `body`
 * (properties and payload), which is never copied. `bytes` itself is never modified, so a
 * port may keep a view of it (design.md §1).
 */
export class PublishFrame {
  bytes: Uint8Array;
  private bodyView: Uint8Array | null;
  headLength: number;     // fixed header + topic + packet id
  packetIdOffset: number; // where the packet id sits (QoS > 0)

  private alloc: FrameAllocator | null;
  // The Writer of the next encoding, once this object is reused (encodePublishFrame): set
  // only then, so a frame that is never reused carries no such property.
  writer?: Writer;

  constructor(bytes: Uint8Array, alloc: FrameAllocator | null) {
    this.alloc = alloc;
    this.bytes = bytes;
    this.bodyView = null;
    this.headLength = 0;
    this.packetIdOffset = 0;
    this.locate();
  }

  /**
   * This object for another encoding: a broker reuses the frame of a message nothing kept,
   * so that routing allocates no PublishFrame. The old bytes are left as they are (a port
   * may still hold them, design.md §1); only this object points elsewhere.
   */
  reset(bytes: Uint8Array, alloc: FrameAllocator | null): PublishFrame {
    this.alloc = alloc;
    this.bytes = bytes;
    this.bodyView = null;
    this.locate();
    return this;
  }

  private locate(): void {
    const bytes = this.bytes;
    // Past the fixed header (first byte, Remaining Length) and the Topic Name sits the
    // Packet Identifier, present for QoS 1 and 2 only.
    let i = 1;
    while ((bytes[i] & 0x80) !== 0) i++;
    i++;
    this.packetIdOffset = i + 2 + ((bytes[i] << 8) | bytes[i + 1]);
    this.headLength = this.packetIdOffset + ((bytes[0] & 0x06) !== 0 ? 2 : 0);
  }

  /** Properties and payload: the part every receiver shares (made on first use). */
  get body(): Uint8Array {
    if (this.bodyView === null) this.bodyView = this.bytes.subarray(this.headLength);
    return this.bodyView;
  }

  /** A copy of the frame for one receiver, with its Packet Identifier and DUP flag. */
  withPacketId(packetId: number, dup: boolean): Uint8Array {
    const copy = this.copy(this.bytes.length);
    this.patch(copy, 0, packetId, dup);
    return copy;
  }

  /** The per-receiver first piece; send `body` after it. */
  head(packetId: number, dup: boolean): Uint8Array {
    const head = this.copy(this.headLength);
    this.patch(head, 0, packetId, dup);
    return head;
  }

  /** Writes the per-receiver first piece into `out` at `offset` (a port's batch buffer); returns the end. */
  writeHead(out: Uint8Array, offset: number, packetId: number, dup: boolean): number {
    out.set(this.bytes.subarray(0, this.headLength), offset);
    this.patch(out, offset, packetId, dup);
    return offset + this.headLength;
  }

  private copy(length: number): Uint8Array {
    // Not bytes.slice(): on Espruino a typed array's slice() is a plain Array.
    const out = this.alloc === null ? new Uint8Array(length) : this.alloc.alloc(length);
    out.set(this.bytes.subarray(0, length), 0);
    return out;
  }

  private patch(out: Uint8Array, offset: number, packetId: number, dup: boolean): void {
    out[offset] = (out[offset] & 0xf7) | (dup ? 0x08 : 0);
    if (this.headLength > this.packetIdOffset) {
      out[offset + this.packetIdOffset] = packetId >> 8;
      out[offset + this.packetIdOffset + 1] = packetId & 0xff;
    }
  }
}

/**
 * Encodes `p` once for many receivers; `alloc` (optional) supplies the frame buffers.
 * `reuse` (optional): a PublishFrame nothing uses any more, filled again instead of a new
 * one, with its own Writer.
 */
export function encodePublishFrame(p: PublishPacket, version: number, alloc?: FrameAllocator | null, topicBytes?: Uint8Array | null,
  reuse?: PublishFrame | null): PublishFrame {
  const a = alloc === undefined ? null : alloc;
  if (!reuse) return new PublishFrame(encodePublish(p, version, a, topicBytes), a);
  if (reuse.writer === undefined) reuse.writer = new Writer(NO_BYTES, 0);
  return reuse.reset(encodePublish(p, version, a, topicBytes, reuse.writer), a);
}
