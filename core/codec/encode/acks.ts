// PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ, PINGRESP, DISCONNECT and AUTH encoders. In 5.0
// these use the short forms where the spec allows: reason 0x00 and no properties is left
// off entirely, and a reason without properties omits the Property Length.

import type { AckPacket, AuthPacket, DisconnectPacket, PingPacket } from '../packets.js';
import { MQTT_5, PUBREL } from '../packets.js';
import type { Properties } from '../properties.js';
import { propertiesLength, writeProperties } from '../properties.js';
import { varintLength } from '../writer.js';
import { frame } from './frame.js';
import type { FrameAllocator } from '../slab-allocator.js';

export function encodeAck(p: AckPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const first = (p.type << 4) | (p.type === PUBREL ? 0x02 : 0);   // PUBREL flags are 0010 [MQTT-3.6.1-1]
  if (__MQTT5__ && version === MQTT_5 && (p.reasonCode !== 0 || p.properties !== null)) {
    return withReason(first, p.packetId, p.reasonCode, p.properties, false, alloc);
  }
  const w = frame(first, 2, alloc);
  w.u16(p.packetId);
  return w.buf;
}

export function encodePing(p: PingPacket, alloc: FrameAllocator | null): Uint8Array {
  return frame(p.type << 4, 0, alloc).buf;
}

export function encodeDisconnect(p: DisconnectPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  if (__MQTT5__ && version === MQTT_5 && (p.reasonCode !== 0 || p.properties !== null)) {
    return withReason(0xe0, -1, p.reasonCode, p.properties, false, alloc);
  }
  return frame(0xe0, 0, alloc).buf;
}

export function encodeAuth(p: AuthPacket, alloc: FrameAllocator | null): Uint8Array {
  if (p.reasonCode === 0 && p.properties === null) return frame(0xf0, 0, alloc).buf;
  // 5.0 §3.15.2.2: only "Success with no properties" may drop the Property Length.
  return withReason(0xf0, -1, p.reasonCode, p.properties, true, alloc);
}

// The packet id (when there is one, else -1), the reason code, then the properties (left
// off when there are none and the packet allows that). Properties are measured once.
function withReason(first: number, packetId: number, reasonCode: number, props: Properties | null,
  alwaysProperties: boolean, alloc: FrameAllocator | null): Uint8Array {
  const hasProperties = props !== null || alwaysProperties;
  const n = hasProperties ? propertiesLength(props) : 0;
  const w = frame(first, (packetId < 0 ? 0 : 2) + 1 + (hasProperties ? varintLength(n) + n : 0), alloc);
  if (packetId >= 0) w.u16(packetId);
  w.u8(reasonCode);
  if (hasProperties) writeProperties(w, props, n);
  return w.buf;
}
