// An application message on its way through the broker, and its wire forms. A PUBLISH is
// encoded once per distinct form (protocol version x QoS x retain flag) and those bytes are
// shared by every receiver of that form (design.md §2).

import type { FrameAllocator, FramePool, Properties, PublishPacket, QoS } from '../codec/index.js';
import { MQTT_5, PUBLISH, PublishFrame, encodePublishFrame } from '../codec/index.js';


const EMPTY_PAYLOAD = new Uint8Array(0);

/** A PUBLISH packet object for frameFor to fill and encode (one per broker). */
export function publishScratch(): PublishPacket {
  return { type: PUBLISH, dup: false, qos: 0, retain: false, topic: '', packetId: 0, properties: null, payload: EMPTY_PAYLOAD };
}

export interface Message {
  topic: string;
  payload: Uint8Array;            // a view of the received chunk until keep() copies it
  qos: QoS;
  retain: boolean;
  properties: Properties | null;  // as forwarded (5.0); never a Topic Alias or Subscription Identifier
  publisher: string;              // client id of the sender ('' for the broker itself), for No Local
  kept: boolean;                  // payload copied out of the receive buffer
  expiresAtMs: number;            // 5.0 Message Expiry Interval as a deadline; -1: never
  topicBytes: Uint8Array | null;  // the topic as UTF-8, shared per topic by the router
  storeId: number;                // its REC_MESSAGE id in a durable store (state/owner.ts); 0: none
  // Wire forms: most messages need one, kept in `frame`; `frames` holds the others.
  frame: PublishFrame | null;
  frameForm: number;
  frames: Array<PublishFrame | null> | null;
}

export function createMessage(topic: string, payload: Uint8Array, qos: QoS, retain: boolean,
  properties: Properties | null, publisher: string): Message {
  return { topic: topic, payload: payload, qos: qos, retain: retain, properties: properties, publisher: publisher, kept: false, expiresAtMs: -1,
    topicBytes: null, storeId: 0, frame: null, frameForm: -1, frames: null };
}

/**
 * `spare` (a message that was routed and not kept) filled in again as a new message, or a
 * new one when there is none: a message that nothing kept costs no allocation the next time.
 */
export function reuseMessage(spare: Message | null, topic: string, payload: Uint8Array, qos: QoS, retain: boolean,
  properties: Properties | null, publisher: string): Message {
  if (spare === null) return createMessage(topic, payload, qos, retain, properties, publisher);
  spare.topic = topic;
  spare.payload = payload;
  spare.qos = qos;
  spare.retain = retain;
  spare.properties = properties;
  spare.publisher = publisher;
  spare.expiresAtMs = -1;
  spare.topicBytes = null;
  spare.storeId = 0;
  // `frame` stays: with frameForm -1 it is no encoding of this message, only an object
  // frameFor fills again (nothing else holds a PublishFrame: ports are handed its bytes).
  spare.frameForm = -1;
  spare.frames = null;
  return spare;
}

/** Copies the payload out of the receive buffer once, before the message outlives the call. */
export function keep(m: Message): Message {
  if (!m.kept) {
    m.payload = copyOf(m.payload);
    if (m.properties !== null && m.properties.correlationData !== undefined) {
      m.properties.correlationData = copyOf(m.properties.correlationData);
    }
    m.kept = true;
  }
  return m;
}

// A real copy: `slice` would do on a plain Uint8Array, but on a Node Buffer (what a port
// may hand in) it returns a view of the same memory.
export function copyOf(b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b.length);
  c.set(b, 0);
  return c;
}

/** The shared encoding of `m` for one wire form; its packet id is 0 until a receiver's is set. */
export function frameFor(m: Message, version: number, qos: QoS, retain: boolean, alloc: FrameAllocator | null,
  scratch: PublishPacket): PublishFrame {
  // One of 12 forms: MQTT 3.x or 5.0, QoS 0-2, retain flag 0-1.
  const form = ((__MQTT5__ && version === MQTT_5) ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
  if (m.frameForm === form) return m.frame as PublishFrame;
  if (m.frames !== null && m.frames[form] !== null) return m.frames[form] as PublishFrame;
  // `scratch` is the broker's reused packet object: no object is made per message for this.
  scratch.qos = qos;
  scratch.retain = retain;
  scratch.topic = m.topic;
  scratch.properties = (__MQTT5__ && version === MQTT_5) ? m.properties : null;
  scratch.payload = m.payload;
  const f = encodePublishFrame(scratch, version, alloc, m.topicBytes, m.frameForm < 0 ? m.frame : null);
  scratch.payload = EMPTY_PAYLOAD;   // hold no message alive from the scratch object
  scratch.properties = null;
  if (m.frameForm < 0) {
    m.frame = f;
    m.frameForm = form;
  } else {
    if (m.frames === null) m.frames = [null, null, null, null, null, null, null, null, null, null, null, null];
    m.frames[form] = f;
  }
  return f;
}

/**
 * A message nothing kept, whose frames no transport or queue holds (every send of them went to
 * a transport that copies): their buffers go back to the pool for the next message. Its
 * PublishFrame objects stay, to be filled again (reuseMessage).
 */
export function releaseFrames(m: Message, pool: FramePool): void {
  if (m.frameForm >= 0 && m.frame !== null) pool.release(m.frame.bytes);
  const frames = m.frames;
  if (frames === null) return;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (f !== null) pool.release(f.bytes);
  }
}
