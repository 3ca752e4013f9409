// An application message on its way through the broker, and its wire forms. A PUBLISH is
// encoded once per distinct form (protocol version x QoS x retain flag) and those bytes are
// shared by every receiver of that form (design.md §2).

import type { FrameAllocator, Properties, QoS } from '../codec/index.js';
import { MQTT_5, PUBLISH, PublishFrame, encodePublishFrame } from '../codec/index.js';

export interface Message {
  topic: string;
  payload: Uint8Array;            // a view of the received chunk until keep() copies it
  qos: QoS;
  retain: boolean;
  properties: Properties | null;  // as forwarded (5.0); never a Topic Alias or Subscription Identifier
  publisher: string;              // client id of the sender ('' for the broker itself), for No Local
  kept: boolean;                  // payload copied out of the receive buffer
  expiresAtMs: number;            // 5.0 Message Expiry Interval as a deadline; -1: never
  frames: Array<PublishFrame | null> | null;
}

export function createMessage(topic: string, payload: Uint8Array, qos: QoS, retain: boolean,
  properties: Properties | null, publisher: string): Message {
  return { topic: topic, payload: payload, qos: qos, retain: retain, properties: properties, publisher: publisher, kept: false, expiresAtMs: -1, frames: null };
}

/** Copies the payload out of the receive buffer once, before the message outlives the call. */
export function keep(m: Message): Message {
  if (!m.kept) {
    m.payload = m.payload.slice(0);
    if (m.properties !== null && m.properties.correlationData !== undefined) {
      m.properties.correlationData = m.properties.correlationData.slice(0);
    }
    m.kept = true;
  }
  return m;
}

/** The shared encoding of `m` for one wire form; its packet id is 0 until a receiver's is set. */
export function frameFor(m: Message, version: number, qos: QoS, retain: boolean, alloc: FrameAllocator | null): PublishFrame {
  const index = (version === MQTT_5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
  if (m.frames === null) m.frames = [null, null, null, null, null, null, null, null, null, null, null, null];
  let f = m.frames[index];
  if (f === null) {
    f = encodePublishFrame({
      type: PUBLISH, dup: false, qos: qos, retain: retain, topic: m.topic, packetId: 0,
      properties: version === MQTT_5 ? m.properties : null, payload: m.payload,
    }, version, alloc);
    m.frames[index] = f;
  }
  return f;
}
