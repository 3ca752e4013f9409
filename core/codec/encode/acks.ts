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
    const w = frame(first, 2 + reasonSectionLength(p.properties, false), alloc);
    w.u16(p.packetId);
    writeReasonSection(w, p.reasonCode, p.properties, false);
    return w.buf;
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
    const w = frame(0xe0, reasonSectionLength(p.properties, false), alloc);
    writeReasonSection(w, p.reasonCode, p.properties, false);
    return w.buf;
  }
  return frame(0xe0, 0, alloc).buf;
}

export function encodeAuth(p: AuthPacket, alloc: FrameAllocator | null): Uint8Array {
  if (p.reasonCode === 0 && p.properties === null) return frame(0xf0, 0, alloc).buf;
  // 5.0 §3.15.2.2: only "Success with no properties" may drop the Property Length.
  const w = frame(0xf0, reasonSectionLength(p.properties, true), alloc);
  writeReasonSection(w, p.reasonCode, p.properties, true);
  return w.buf;
}

// A reason code, then the properties (or nothing, when there are none and that is allowed).
function reasonSectionLength(props: Properties | null, alwaysProperties: boolean): number {
  if (props === null && !alwaysProperties) return 1;
  const n = propertiesLength(props);
  return 1 + varintLength(n) + n;
}

function writeReasonSection(w: ReturnType<typeof frame>, reasonCode: number, props: Properties | null, alwaysProperties: boolean): void {
  w.u8(reasonCode);
  if (props === null && !alwaysProperties) return;
  writeProperties(w, props, propertiesLength(props));
}
