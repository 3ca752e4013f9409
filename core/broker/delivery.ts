// Delivery of one message to one session: sent now, queued, or dropped and counted. Owns
// the outgoing QoS 1/2 window [MQTT-4.3.2-1] [MQTT-4.3.3-1], the queue (bounded by
// backlog.ts), resends on resume [MQTT-4.4.0-1], the read check on what leaves the queue or
// is resent, and the per-receiver wire form where 5.0 needs one.

import type { Properties, QoS } from '../codec/index.js';
import { MQTT_5, PUBLISH, PUBREL, PublishFrame, encodePublishFrame, label, quote } from '../codec/index.js';
import type { FrameAllocator, FramePool, InPlacePublish } from '../codec/index.js';
import type { BacklogHost } from './backlog.js';
import type { FaultHost } from './fault.js';
import type { Connection } from './connection.js';
import { ACTIVE } from './connection-state.js';
import type { Message } from './message.js';
import { frameFor, keep } from './message.js';
import { faulted } from './fault.js';
import { DROP_READ_REFUSED, DROP_TOO_LARGE, countDrop } from './drops.js';
import type { Session } from './session.js';
import { backlogBytes, dropFirst, lost, makeRoom, queuedSize } from './backlog.js';
import { AWAIT_PUBCOMP, allocatePacketId } from './session.js';
import { endInflight, queueMessage, startInflight, unqueue } from './state/owner.js';
import { LOG_DETAIL } from './log-events.js';


/** What delivering to a session needs of the broker. */
export interface DeliveryHost extends BacklogHost, FaultHost {
  alloc: FrameAllocator | null;
  framePool: FramePool;             // where a frame no transport holds goes back (codec/frame-pool.ts)
  messageFramesHeld: number;        // counts sends that held a message's shared frame
  publishScratch: InPlacePublish;   // reused to encode each message's frames
  /** May `s` receive a message on `topic` now (the authorizeRead hook)? */
  mayRead(s: Session, topic: string): boolean;
}


/**
 * One message to one session. `subscriptionIds` (5.0) travel with it; `shareKey` names the
 * shared subscription it came through, so it can be re-dispatched if this session ends.
 */
export function deliver(b: DeliveryHost, s: Session, m: Message, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string): void {
  if (s.local !== null) {
    try {
      s.local(keep(m));   // the application may keep it
    } catch (e) {
      faulted(b, null, e);   // the application's subscriber: that message is lost to it, nothing else
    }
    return;
  }
  const c = s.connection;
  const online = c !== null && c.state === ACTIVE;
  if (qos === 0) {
    if (online) sendQoS0(b, s, c as Connection, m, retain, subscriptionIds);
    // [4:MQTT-3.1.2-5] QoS 0 for an offline session is optional.
    else if (b.limits.queueQoS0Offline) enqueue(b, s, m, 0, retain, subscriptionIds, shareKey);
    return;
  }
  if (online && s.queue.length === 0 && windowOpen(b, s, c as Connection)) {
    sendInflight(b, s, c as Connection, m, qos, retain, subscriptionIds, shareKey, false);
  } else {
    enqueue(b, s, m, qos, retain, subscriptionIds, shareKey);
  }
}

/** Resends what the connection has not seen, then moves queued messages into the window. */
export function pump(b: DeliveryHost, s: Session): boolean {
  const c = s.connection;
  if (c === null || c.state !== ACTIVE) return false;
  resend(b, s, c);
  const before = s.queue.length;
  while (s.queue.length > 0 && !c.blocked) {
    const q = s.queue.item(0);
    if (q.qos > 0 && !windowOpen(b, s, c)) break;
    if (q.qos === 0 || !readable(b, s, q.message)) {
      unqueue(b, s, 0);
      if (q.qos === 0 && readable(b, s, q.message)) sendQoS0(b, s, c, q.message, q.retain, q.subscriptionIds);
    } else sendInflight(b, s, c, q.message, q.qos, q.retain, q.subscriptionIds, q.shareKey, true);   // leaves the queue too
  }
  return s.queue.length < before;
}

/**
 * Resends, in their original order [MQTT-4.6.0-1], the in-flight messages this connection
 * has not seen: PUBLISH with DUP=1, or PUBREL past PUBREC [MQTT-4.4.0-1]; no more than the
 * window (the client's Receive Maximum, 5.0 §4.9) unacknowledged at once.
 */
function resend(b: DeliveryHost, s: Session, c: Connection): void {
  if (s.unsent === 0) return;
  let sent = 0;
  for (let i = 0; i < s.inflight.length; i++) if (s.inflight.item(i).sent) sent++;
  const window = windowOf(b, c);
  for (let i = 0; i < s.inflight.length && sent < window && !c.blocked; i++) {
    const o = s.inflight.item(i);
    if (o.sent) continue;
    s.unsent--;
    // A QoS 2 message is sent again until its PUBREC, read check or not [MQTT-4.3.3-1]: the
    // client may hold it, and its packet id, waiting for a PUBREL that dropping it would never
    // send (and a new message given that id would then be taken for a duplicate, never
    // delivered). Past PUBREC only the PUBREL is left.
    if (o.qos === 1 && !readable(b, s, o.message)) {
      endInflight(b, s, i--);   // its slot in the window is free again
      continue;
    }
    o.sent = true;
    sent++;
    if (o.state === AWAIT_PUBCOMP) c.sendPacket({ type: PUBREL, packetId: o.packetId, reasonCode: 0, properties: null });
    else {
      gateFor(b, c, o.message);
      const copy = frameTo(b, c, o.message, o.qos, o.retain, o.subscriptionIds).withPacketId(o.packetId, true);
      if (c.send(copy)) b.framePool.release(copy);   // this receiver's own copy: free once copied
    }
  }
}

/**
 * The read check again as a queued message leaves, or a QoS 1 one is resent (routing asked it
 * when the message was queued): the rules may have changed since (an ACL reload). A refused
 * message is dropped, counted. A QoS 2 message once sent is not asked again (resend()).
 */
function readable(b: DeliveryHost, s: Session, m: Message): boolean {
  if (b.mayRead(s, m.topic)) return true;
  countDrop(b, s, DROP_READ_REFUSED);
  b.log(null, label(s.clientId) + ': read refused: ' + quote(m.topic) + ' dropped', LOG_DETAIL);   // one per message: not a warning each
  return false;
}

function windowOf(b: DeliveryHost, c: Connection): number {
  return c.receiveMaximum < b.limits.maxInflight ? c.receiveMaximum : b.limits.maxInflight;
}

function windowOpen(b: DeliveryHost, s: Session, c: Connection): boolean {
  return s.inflight.length < windowOf(b, c) && !c.blocked;
}

/** [5:MQTT-3.3.2-5] a message whose expiry passed before delivery began is not sent. */
function expired(b: DeliveryHost, m: Message): boolean {
  if (m.expiresAtMs < 0 || b.nowMs < m.expiresAtMs) return false;
  b.stats.expired++;
  return true;
}

function sendQoS0(b: DeliveryHost, s: Session, c: Connection, m: Message, retain: boolean, subscriptionIds: number[] | null): void {
  if (expired(b, m)) return;
  const bytes = frameTo(b, c, m, 0, retain, subscriptionIds).bytes;
  // [5:MQTT-3.1.2-25] too large for this client: dropped as if delivered.
  if (c.maximumPacketSize > 0 && bytes.length > c.maximumPacketSize) {
    forgetPendingAlias(c);
    countDrop(b, s, DROP_TOO_LARGE);
    return;
  }
  // A client not reading loses QoS 0 first: past maxOutboundBytes held unsent, or past its
  // whole backlog (counted for it, as for QoS 1/2; never a reason to disconnect it).
  if (c.blocked && (!c.hasRoom(bytes.length) || backlogBytes(s) + bytes.length > b.limits.maxQueuedBytes)) {
    forgetPendingAlias(c);
    lost(b, s, '');
    return;
  }
  c.aliasPending = '';
  b.stats.messagesOut++;
  // Shared with the other receivers of this form: the publish handler gives it back to the
  // frame pool after routing only if no send held it (handlers/publish.ts).
  gateFor(b, c, m);
  if (!c.send(bytes)) b.messageFramesHeld++;
}

/** Sends a QoS 1/2 message into the window; `queued`: it is the first queued one, and leaves the queue either way. */
function sendInflight(b: DeliveryHost, s: Session, c: Connection, m: Message, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string, queued: boolean): void {
  if (expired(b, m)) {
    if (queued) unqueue(b, s, 0);
    return;
  }
  const f = frameTo(b, c, keep(m), qos, retain, subscriptionIds);
  if (c.maximumPacketSize > 0 && f.bytes.length > c.maximumPacketSize) {
    forgetPendingAlias(c);
    if (queued) unqueue(b, s, 0);
    countDrop(b, s, DROP_TOO_LARGE);   // [5:MQTT-3.1.2-25]
    return;
  }
  c.aliasPending = '';
  // [MQTT-4.3.2-1] [MQTT-4.3.3-1] a fresh packet id, DUP 0; kept until acknowledged.
  const packetId = allocatePacketId(s);
  startInflight(b, s, m, packetId, qos, retain, subscriptionIds, shareKey, queued);
  b.stats.messagesOut++;
  gateFor(b, c, m);
  const copy = f.withPacketId(packetId, false);
  if (c.send(copy)) b.framePool.release(copy);   // this receiver's own copy: free once copied
}

/** `m` waits for its batch (handlers/publish.ts holdForStore): `c` holds it and all after it. */
function gateFor(b: DeliveryHost, c: Connection, m: Message): void {
  if (m.heldFor === 0) return;
  const j = b.journal;
  if (j !== null && j.gate(c, m.heldFor)) return;
  m.heldFor = 0;   // stored already: never asked again
}

function enqueue(b: DeliveryHost, s: Session, m: Message, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string): void {
  const bytes = queuedSize(m);
  if (!makeRoom(b, s, bytes)) return;   // lost to this session only, by its policy
  // An offline session's messages also fit maxOfflineBytes, broker-wide: its own oldest
  // QoS 0 go first, else the new message.
  while (s.linked && b.offlineBytes + bytes > b.limits.maxOfflineBytes) {
    b.stats.offlineDropped++;
    if (!b.limits.dropOldestQoS0 || !dropFirst(b, s, true, 'maxOfflineBytes')) {
      lost(b, s, 'maxOfflineBytes');
      return;
    }
  }
  queueMessage(b, s, m, qos, retain, subscriptionIds, shareKey, bytes);
}

/** A frame that assigned a Topic Alias was not sent: the client never learnt it, so forget it. */
function forgetPendingAlias(c: Connection): void {
  if (c.aliasPending === '' || c.aliasesOut === null) return;
  c.aliasesOut.delete(c.aliasPending);
  c.aliasPending = '';
}

/**
 * The frame for this receiver. Shared by every receiver of the same form unless 5.0 needs
 * this one to differ: its Subscription Identifiers, or a Message Expiry Interval lowered by
 * the time the message waited [5:MQTT-3.3.2-6].
 */
function frameTo(b: DeliveryHost, c: Connection, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null): PublishFrame {
  if (__MQTT5__ && c.version === MQTT_5 && (subscriptionIds !== null || m.expiresAtMs >= 0 || c.aliasOutMaximum > 0)) {
    const own = frameFor5(b, c, m, qos, retain, subscriptionIds);
    if (own !== null) return own;
  }
  return frameFor(m, c.version, qos, retain, b.alloc, b.publishScratch);
}

/** A 5.0 frame made for this receiver alone, or null when the shared one is right. */
function frameFor5(b: DeliveryHost, c: Connection, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null): PublishFrame | null {
  const aliased = c.aliasOutMaximum > 0;
  const original = m.properties as Properties;
  // A message resent after its expiry (a QoS 2 already sent [5:MQTT-4.3.3-7]) says 0 seconds left.
  const remaining = m.expiresAtMs < 0 ? -1 : Math.max(0, Math.ceil((m.expiresAtMs - b.nowMs) / 1000));
  if (subscriptionIds === null && !aliased && remaining === original.messageExpiryInterval) return null;
  const props: Properties = Object.assign({}, original);
  if (remaining >= 0) props.messageExpiryInterval = remaining;
  if (subscriptionIds !== null) props.subscriptionIdentifier = subscriptionIds;
  let topic = m.topic;
  let topicBytes = m.topicBytes;
  if (aliased) {
    // 5.0 §3.3.2.3.4: the first topics a connection gets take the aliases, first come, and
    // keep them; a known one goes out as an empty Topic Name with its alias.
    if (c.aliasesOut === null) c.aliasesOut = new Map();
    const alias = c.aliasesOut.get(topic);
    if (alias !== undefined) {
      props.topicAlias = alias;
      topic = '';
      topicBytes = null;
    } else if (c.aliasesOut.size < c.aliasOutMaximum) {
      props.topicAlias = c.aliasesOut.size + 1;
      c.aliasesOut.set(topic, props.topicAlias);
      c.aliasPending = topic;   // taken back by forgetPendingAlias() if this frame is not sent after all
    }
  }
  return encodePublishFrame({
    type: PUBLISH, dup: false, qos: qos, retain: retain, topic: topic, packetId: 0, properties: props, payload: m.payload,
  }, MQTT_5, b.alloc, topicBytes);
}
