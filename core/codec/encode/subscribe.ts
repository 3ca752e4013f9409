// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK encoders (5.0 §3.8-3.11, 3.1.1 §3.8-3.11).

import type { SubackPacket, SubscribePacket, UnsubackPacket, UnsubscribePacket } from '../packets.js';
import { MQTT_5 } from '../packets.js';
import { propertiesLength, writeProperties } from '../properties.js';
import { stringFieldLength, varintLength } from '../writer.js';
import { frame } from './frame.js';
import type { FrameAllocator } from '../slab-allocator.js';


function propertySectionLength(propsLength: number, v5: boolean): number {
  return v5 ? varintLength(propsLength) + propsLength : 0;
}

export function encodeSubscribe(p: SubscribePacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  let n = 2 + propertySectionLength(propsLength, v5);
  for (let i = 0; i < p.subscriptions.length; i++) n += stringFieldLength(p.subscriptions[i].topicFilter) + 1;
  const w = frame(0x82, n, alloc);
  w.u16(p.packetId);
  if (v5) writeProperties(w, p.properties, propsLength);
  for (let i = 0; i < p.subscriptions.length; i++) {
    const s = p.subscriptions[i];
    w.utf8(s.topicFilter);
    // 5.0 §3.8.3.1 Subscription Options; 3.1.1 carries the requested QoS alone.
    w.u8(v5 ? s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | (s.retainHandling << 4) : s.qos);
  }
  return w.buf;
}

export function encodeSuback(p: SubackPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  const w = frame(0x90, 2 + propertySectionLength(propsLength, v5) + p.reasonCodes.length, alloc);
  w.u16(p.packetId);
  if (v5) writeProperties(w, p.properties, propsLength);
  for (let i = 0; i < p.reasonCodes.length; i++) w.u8(p.reasonCodes[i]);
  return w.buf;
}

export function encodeUnsubscribe(p: UnsubscribePacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  let n = 2 + propertySectionLength(propsLength, v5);
  for (let i = 0; i < p.topicFilters.length; i++) n += stringFieldLength(p.topicFilters[i]);
  const w = frame(0xa2, n, alloc);
  w.u16(p.packetId);
  if (v5) writeProperties(w, p.properties, propsLength);
  for (let i = 0; i < p.topicFilters.length; i++) w.utf8(p.topicFilters[i]);
  return w.buf;
}

export function encodeUnsuback(p: UnsubackPacket, version: number, alloc: FrameAllocator | null): Uint8Array {
  const v5 = (__MQTT5__ && version === MQTT_5);
  const propsLength = v5 ? propertiesLength(p.properties) : 0;
  // 3.1.1 §3.11: an UNSUBACK is only the packet id.
  const codes = v5 ? p.reasonCodes.length : 0;
  const w = frame(0xb0, 2 + propertySectionLength(propsLength, v5) + codes, alloc);
  w.u16(p.packetId);
  if (v5) writeProperties(w, p.properties, propsLength);
  for (let i = 0; i < codes; i++) w.u8(p.reasonCodes[i]);
  return w.buf;
}
