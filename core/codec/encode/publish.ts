// PUBLISH encoder (5.0 §3.3, 3.1.1 §3.3), and the PublishFrame that lets one encoding
// serve every receiver of the same wire form.

import type { PublishPacket } from '../packets.js';
import { MQTT_5 } from '../packets.js';
import { propertiesLength, writeProperties } from '../properties.js';
import { stringFieldLength, varintLength } from '../writer.js';
import { frame } from './frame.js';

export function encodePublish(p: PublishPacket, version: number): Uint8Array {
  return encodePublishFrame(p, version).bytes;
}

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
  body: Uint8Array;
  headLength: number;     // fixed header + topic + packet id
  packetIdOffset: number; // where the packet id sits (QoS > 0)

  constructor(bytes: Uint8Array, packetIdOffset: number, headLength: number) {
    this.bytes = bytes;
    this.packetIdOffset = packetIdOffset;
    this.headLength = headLength;
    this.body = bytes.subarray(headLength);
  }

  /** A copy of the frame for one receiver, with its Packet Identifier and DUP flag. */
  withPacketId(packetId: number, dup: boolean): Uint8Array {
    const copy = this.bytes.slice(0);
    this.patch(copy, 0, packetId, dup);
    return copy;
  }

  /** The per-receiver first piece; send `body` after it. */
  head(packetId: number, dup: boolean): Uint8Array {
    const head = this.bytes.slice(0, this.headLength);
    this.patch(head, 0, packetId, dup);
    return head;
  }

  /** Writes the per-receiver first piece into `out` at `offset` (a port's batch buffer); returns the end. */
  writeHead(out: Uint8Array, offset: number, packetId: number, dup: boolean): number {
    out.set(this.bytes.subarray(0, this.headLength), offset);
    this.patch(out, offset, packetId, dup);
    return offset + this.headLength;
  }

  private patch(out: Uint8Array, offset: number, packetId: number, dup: boolean): void {
    out[offset] = (out[offset] & 0xf7) | (dup ? 0x08 : 0);
    if (this.headLength > this.packetIdOffset) {
      out[offset + this.packetIdOffset] = packetId >> 8;
      out[offset + this.packetIdOffset + 1] = packetId & 0xff;
    }
  }
}

export function encodePublishFrame(p: PublishPacket, version: number): PublishFrame {
  const v5 = version === MQTT_5;
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  const topicLength = stringFieldLength(p.topic);
  const idLength = p.qos > 0 ? 2 : 0;
  const n = topicLength + idLength + (v5 ? varintLength(propsLength) + propsLength : 0) + p.payload.length;
  const w = frame(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0), n);
  w.utf8(p.topic);
  const packetIdOffset = w.pos;
  // [MQTT-2.2.1-2] a QoS 0 PUBLISH has no Packet Identifier.
  if (idLength > 0) w.u16(p.packetId);
  const headLength = w.pos;
  if (v5) writeProperties(w, p.properties, propsLength);
  w.bytes(p.payload);
  return new PublishFrame(w.buf, packetIdOffset, headLength);
}
