// CONNECT and CONNACK encoders (5.0 §3.1-3.2, 3.1.1 §3.1-3.2).

import type { ConnackPacket, ConnectPacket } from '../packets.js';
import { MQTT_3_1, MQTT_5 } from '../packets.js';
import { propertiesLength, writeProperties } from '../properties.js';
import { binaryFieldLength, stringFieldLength, varintLength } from '../writer.js';
import { frame } from './frame.js';
import type { FrameAllocator } from '../slab-allocator.js';


export function encodeConnect(p: ConnectPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  const will = p.will;
  const willPropsLength = v5 && will !== null ? propertiesLength(will.properties) : 0;
  let n = stringFieldLength(p.protocolName) + 1 + 1 + 2;
  if (v5) n += varintLength(propsLength) + propsLength;
  n += stringFieldLength(p.clientId);
  if (will !== null) {
    if (v5) n += varintLength(willPropsLength) + willPropsLength;
    n += stringFieldLength(will.topic) + binaryFieldLength(will.payload);
  }
  if (p.username !== null) n += stringFieldLength(p.username);
  if (p.password !== null) n += binaryFieldLength(p.password);

  let flags = p.cleanStart ? 0x02 : 0;
  if (will !== null) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== null) flags |= 0x40;
  if (p.username !== null) flags |= 0x80;

  const w = frame(0x10, n, alloc);
  w.utf8(p.protocolName);
  w.u8(p.protocolVersion);
  w.u8(flags);
  w.u16(p.keepAlive);
  if (v5) writeProperties(w, p.properties, propsLength);
  w.utf8(p.clientId);
  if (will !== null) {
    if (v5) writeProperties(w, will.properties, willPropsLength);
    w.utf8(will.topic);
    w.binary(will.payload);
  }
  if (p.username !== null) w.utf8(p.username);
  if (p.password !== null) w.binary(p.password);
  return w.buf;
}

export function encodeConnack(p: ConnackPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  const w = frame(0x20, 2 + (v5 ? varintLength(propsLength) + propsLength : 0), alloc);
  // 3.1 has no Session Present flag: its first byte is reserved and always 0.
  w.u8(p.sessionPresent && version !== MQTT_3_1 ? 1 : 0);
  w.u8(p.reasonCode);
  if (v5) writeProperties(w, p.properties, propsLength);
  return w.buf;
}
