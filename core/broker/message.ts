// An application message on its way through the broker, and its wire forms. A PUBLISH is
// encoded once per distinct form (protocol version x QoS x retain flag) and those bytes are
// shared by every receiver of that form (design.md §2).

import type { FrameAllocator, FramePool, Properties, PublishPacket, QoS } from '../codec/index.js';
import { InPlacePayload, InPlacePublish, MQTT_5, PublishFrame, encodePublishFrame } from '../codec/index.js';


const EMPTY_PAYLOAD = new Uint8Array(0);

/** A PUBLISH packet object for frameFor to fill and encode (one per broker). */
export function publishScratch(): InPlacePublish {
  return new InPlacePublish();
}

export interface Message {
  topic: string;
  payload: Uint8Array;            // the received bytes (a view, made when read) until keep() copies them
  qos: QoS;
  retain: boolean;
  properties: Properties | null;  // as forwarded (5.0); never a Topic Alias or Subscription Identifier
  publisher: string;              // client id of the sender ('' for the broker itself), for No Local
  kept: boolean;                  // payload copied out of the receive buffer
  expiresAtMs: number;            // 5.0 Message Expiry Interval as a deadline; -1: never
  topicBytes: Uint8Array | null;  // the topic as UTF-8, shared per topic by the router
  storeId: number;                // its REC_MESSAGE id in a durable store (state/owner.ts); 0: none
  heldFor: number;                // sent to no one before this journal batch is stored; 0: none
  // Wire forms: most messages need one, kept in `frame`; `frames` holds the others.
  frame: PublishFrame | null;
  frameForm: number;
  frames: Array<PublishFrame | null> | null;
}

// Every Message is one (createMessage): its payload is a range of the received chunk until
// keep() copies it, and frames are encoded from the range, so routing a message makes no view
// of the chunk (codec/in-place-payload.ts). The range's fields are not part of Message, the
// type an application is handed, so the Espruino build may rename them.
class BrokerMessage extends InPlacePayload implements Message {
  topic: string;
  qos: QoS;
  retain: boolean;
  properties: Properties | null;
  publisher: string;
  kept: boolean;
  expiresAtMs: number;
  topicBytes: Uint8Array | null;
  storeId: number;
  heldFor: number;
  frame: PublishFrame | null;
  frameForm: number;
  frames: Array<PublishFrame | null> | null;

  constructor(topic: string, payload: Uint8Array, qos: QoS, retain: boolean, properties: Properties | null, publisher: string) {
    super();
    this.payload = payload;
    this.topic = topic;
    this.qos = qos;
    this.retain = retain;
    this.properties = properties;
    this.publisher = publisher;
    this.kept = false;
    this.expiresAtMs = -1;
    this.topicBytes = null;
    this.storeId = 0;
    this.heldFor = 0;
    this.frame = null;
    this.frameForm = -1;
    this.frames = null;
  }
}

export function createMessage(topic: string, payload: Uint8Array, qos: QoS, retain: boolean,
  properties: Properties | null, publisher: string): Message {
  return new BrokerMessage(topic, payload, qos, retain, properties, publisher);
}

/**
 * The message of PUBLISH `p`: `spare` (a message that was routed and not kept) filled in
 * again, or a new one when there is none, so a message that nothing kept costs no allocation
 * the next time. A payload still in the received bytes (the decoder's InPlacePublish) stays
 * a range of them.
 */
export function reuseMessage(spare: Message | null, p: PublishPacket, publisher: string): Message {
  const fresh = spare === null;
  const m = (fresh ? new BrokerMessage(p.topic, EMPTY_PAYLOAD, p.qos, p.retain, p.properties, publisher) : spare) as BrokerMessage;
  if (p instanceof InPlacePublish) m.setPayload(p.payloadSource, p.payloadStart, p.payloadEnd);
  else m.payload = p.payload;
  if (fresh) return m;
  m.topic = p.topic;
  m.qos = p.qos;
  m.retain = p.retain;
  m.properties = p.properties;
  m.publisher = publisher;
  m.expiresAtMs = -1;
  m.topicBytes = null;
  m.storeId = 0;
  m.heldFor = 0;
  // `frame` stays: with frameForm -1 it is no encoding of this message, only an object
  // frameFor fills again (nothing else holds a PublishFrame: ports are handed its bytes).
  m.frameForm = -1;
  m.frames = null;
  return m;
}

/** Copies the payload out of the receive buffer once, before the message outlives the call. */
export function keep(m: Message): Message {
  if (!m.kept) {
    // From the range: no view of the received bytes is made for the copy.
    const r = m as BrokerMessage;
    const payload = new Uint8Array(r.payloadEnd - r.payloadStart);
    r.copyPayload(payload, 0);
    m.payload = payload;
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
  scratch: InPlacePublish): PublishFrame {
  // One of 12 forms: MQTT 3.x or 5.0, QoS 0-2, retain flag 0-1.
  const form = ((__MQTT5__ && version === MQTT_5) ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
  if (m.frameForm === form) return m.frame as PublishFrame;
  if (m.frames !== null && m.frames[form] !== null) return m.frames[form] as PublishFrame;
  // `scratch` is the broker's reused packet object: no object is made per message for this.
  scratch.qos = qos;
  scratch.retain = retain;
  scratch.topic = m.topic;
  scratch.properties = (__MQTT5__ && version === MQTT_5) ? m.properties : null;
  scratch.samePayloadAs(m as BrokerMessage);   // copied into the frame from its view or its range
  const f = encodePublishFrame(scratch, version, alloc, m.topicBytes, m.frameForm < 0 ? m.frame : null);
  scratch.setPayload(EMPTY_PAYLOAD, 0, 0);   // hold no message alive from the scratch object
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
