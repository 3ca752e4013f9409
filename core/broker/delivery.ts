// Delivery of one message to one session: sent now, queued, or dropped and counted. Owns
// the outgoing QoS 1/2 window [MQTT-4.3.2-1] [MQTT-4.3.3-1], the bounded queue, resends on
// resume [MQTT-4.4.0-1], the read check on what leaves the queue or is resent, and the
// per-receiver wire form where 5.0 needs one.

import type { Properties, QoS } from '../codec/index.js';
import { MQTT_5, PUBLISH, PUBREL, label, PublishFrame, encodePublishFrame, utf8Length } from '../codec/index.js';
import type { Broker } from './broker.js';
import type { Connection } from './connection.js';
import { ACTIVE } from './connection.js';
import type { Message } from './message.js';
import { frameFor, keep } from './message.js';
import { faulted } from './fault.js';
import type { Session } from './session.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, InflightList, NONE, NO_INFLIGHT, QUEUED_ENTRY_BYTES, allocatePacketId } from './session.js';


/**
 * One message to one session. `subscriptionIds` (5.0) travel with it; `shareKey` names the
 * shared subscription it came through, so it can be re-dispatched if this session ends.
 */
export function deliver(b: Broker, s: Session, m: Message, qos: QoS, retain: boolean,
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
    if (online) sendQoS0(b, c as Connection, m, retain, subscriptionIds);
    // [4:MQTT-3.1.2-5] QoS 0 for an offline session is optional.
    else if (b.limits.queueQoS0Offline) enqueue(b, s, m, 0, retain, subscriptionIds, shareKey);
    return;
  }
  if (online && s.queue.length === 0 && windowOpen(b, s, c as Connection)) {
    sendInflight(b, s, c as Connection, m, qos, retain, subscriptionIds, shareKey);
  } else {
    enqueue(b, s, m, qos, retain, subscriptionIds, shareKey);
  }
}

/**
 * Whether a QoS 1/2 message can go to `s` without dropping one: an online session whose
 * queue is full of QoS 1/2 has no room, and the publisher is then held. An offline
 * session's full queue drops its oldest QoS 0, or the new message, counted in $SYS (a
 * persistent session cannot hold every publisher back for as long as it is away).
 */
export function hasRoom(b: Broker, s: Session): boolean {
  if (s.connection === null || s.local !== null) return true;
  if (s.queue.length < b.limits.maxQueued) return true;
  if (!b.limits.dropOldestQoS0) return false;
  for (let i = 0; i < s.queue.length; i++) if (s.queue[i].qos === 0) return true;
  return false;
}

/** Resends what the connection has not seen, then moves queued messages into the window. */
export function pump(b: Broker, s: Session): boolean {
  const c = s.connection;
  if (c === null || c.state !== ACTIVE) return false;
  resend(b, s, c);
  const before = s.queue.length;
  while (s.queue.length > 0 && !c.blocked) {
    const q = s.queue[0];
    if (q.qos > 0 && !windowOpen(b, s, c)) break;
    s.queue.shift();
    s.queuedBytes -= q.bytes;
    if (!readable(b, s, q.message)) continue;
    if (q.qos === 0) sendQoS0(b, c, q.message, q.retain, q.subscriptionIds);
    else sendInflight(b, s, c, q.message, q.qos, q.retain, q.subscriptionIds, q.shareKey);
  }
  return s.queue.length < before;
}

/**
 * Resends, in their original order [MQTT-4.6.0-1], the in-flight messages this connection
 * has not seen: PUBLISH with DUP=1, or PUBREL past PUBREC [MQTT-4.4.0-1]; no more than the
 * window (the client's Receive Maximum, 5.0 §4.9) unacknowledged at once.
 */
function resend(b: Broker, s: Session, c: Connection): void {
  if (s.unsent === 0) return;
  let sent = 0;
  for (let i = 0; i < s.inflight.length; i++) if (s.inflight.item(i).sent) sent++;
  const window = windowOf(b, c);
  for (let i = 0; i < s.inflight.length && sent < window && !c.blocked; i++) {
    const o = s.inflight.item(i);
    if (o.sent) continue;
    s.unsent--;
    // Past PUBREC the client has the message: only the PUBREL is left to send, read check or not.
    if (o.state !== AWAIT_PUBCOMP && !readable(b, s, o.message)) {
      s.inflight.removeAt(i--);   // its slot in the window is free again
      b.sessionChanged(s);
      continue;
    }
    o.sent = true;
    sent++;
    if (o.state === AWAIT_PUBCOMP) c.sendPacket({ type: PUBREL, packetId: o.packetId, reasonCode: 0, properties: null });
    else c.send(frameTo(b, c, o.message, o.qos, o.retain, o.subscriptionIds).withPacketId(o.packetId, true));
  }
}

/**
 * The read check again as a queued or in-flight message leaves (routing asked it when the
 * message was queued): the rules may have changed since (an ACL reload). A refused message
 * is dropped, counted. A QoS 2 message refused before its PUBREC may have reached the client
 * on an earlier connection; it is dropped all the same, as the client must not be sent it again.
 */
function readable(b: Broker, s: Session, m: Message): boolean {
  if (b.mayRead(s, m.topic)) return true;
  b.stats.dropped++;
  b.log(null, s.clientId + ': read refused: "' + m.topic + '" dropped');
  return false;
}

function windowOf(b: Broker, c: Connection): number {
  return c.receiveMaximum < b.limits.maxInflight ? c.receiveMaximum : b.limits.maxInflight;
}

function windowOpen(b: Broker, s: Session, c: Connection): boolean {
  return s.inflight.length < windowOf(b, c) && !c.blocked;
}

/** [5:MQTT-3.3.2-5] a message whose expiry passed before delivery began is not sent. */
function expired(b: Broker, m: Message): boolean {
  if (m.expiresAtMs < 0 || b.nowMs < m.expiresAtMs) return false;
  b.stats.expired++;
  return true;
}

function sendQoS0(b: Broker, c: Connection, m: Message, retain: boolean, subscriptionIds: number[] | null): void {
  if (expired(b, m)) return;
  const bytes = frameTo(b, c, m, 0, retain, subscriptionIds).bytes;
  // [5:MQTT-3.1.2-25] too large for this client: dropped as if delivered. A slow client
  // with a full outbound buffer loses QoS 0 first (counted in $SYS).
  if ((c.maximumPacketSize > 0 && bytes.length > c.maximumPacketSize) || !c.hasRoom(bytes.length)) {
    forgetPendingAlias(c);
    b.stats.dropped++;
    return;
  }
  c.aliasPending = '';
  b.stats.messagesOut++;
  c.send(bytes);
}

function sendInflight(b: Broker, s: Session, c: Connection, m: Message, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string): void {
  if (expired(b, m)) return;
  const f = frameTo(b, c, keep(m), qos, retain, subscriptionIds);
  if (c.maximumPacketSize > 0 && f.bytes.length > c.maximumPacketSize) {
    forgetPendingAlias(c);
    b.stats.dropped++;   // [5:MQTT-3.1.2-25]
    return;
  }
  c.aliasPending = '';
  // [MQTT-4.3.2-1] [MQTT-4.3.3-1] a fresh packet id, DUP 0; kept until acknowledged.
  const packetId = allocatePacketId(s);
  if (s.inflight === NO_INFLIGHT) s.inflight = new InflightList([]);
  s.inflight.push({
    packetId: packetId, qos: qos, retain: retain, message: m, state: qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC,
    sent: true, subscriptionIds: subscriptionIds, shareKey: shareKey,
  });
  b.stats.messagesOut++;
  c.send(f.withPacketId(packetId, false));
  b.sessionChanged(s);
}

function enqueue(b: Broker, s: Session, m: Message, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string): void {
  if (s.queue.length >= b.limits.maxQueued) {
    b.stats.dropped++;
    if (!dropOldestQoS0(b, s)) {
      b.log(null, label(s.clientId) + ': queue full, a QoS ' + qos + ' message dropped');
      return;
    }
  }
  const bytes = queuedSize(m);
  // An offline session's messages also fit maxOfflineBytes, broker-wide, by the same rule:
  // its own oldest QoS 0 go first, else the new message.
  while (s.linked && b.offlineBytes + bytes > b.limits.maxOfflineBytes) {
    b.stats.dropped++;
    b.stats.offlineDropped++;
    if (!dropOldestQoS0(b, s)) {
      b.log(null, label(s.clientId) + ': maxOfflineBytes ' + b.limits.maxOfflineBytes + ' reached, a QoS ' + qos + ' message dropped');
      return;
    }
  }
  if (s.queue === NONE) s.queue = [];
  s.queue.push({ message: keep(m), qos: qos, retain: retain, subscriptionIds: subscriptionIds, shareKey: shareKey, bytes: bytes });
  s.queuedBytes += bytes;
  if (s.linked) b.offlineBytes += bytes;
  if (qos > 0) b.sessionChanged(s);
}

/** Drops the session's oldest queued QoS 0 message, if dropOldestQoS0 allows and it has one. */
function dropOldestQoS0(b: Broker, s: Session): boolean {
  if (!b.limits.dropOldestQoS0) return false;
  for (let i = 0; i < s.queue.length; i++) {
    const q = s.queue[i];
    if (q.qos !== 0) continue;
    s.queue.splice(i, 1);
    s.queuedBytes -= q.bytes;
    if (s.linked) b.offlineBytes -= q.bytes;
    return true;
  }
  return false;
}

function queuedSize(m: Message): number {
  return m.payload.length + (m.topicBytes !== null ? m.topicBytes.length : utf8Length(m.topic)) + QUEUED_ENTRY_BYTES;
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
function frameTo(b: Broker, c: Connection, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null): PublishFrame {
  if (__MQTT5__ && c.version === MQTT_5 && (subscriptionIds !== null || m.expiresAtMs >= 0 || c.aliasOutMaximum > 0)) {
    const own = frameFor5(b, c, m, qos, retain, subscriptionIds);
    if (own !== null) return own;
  }
  return frameFor(m, c.version, qos, retain, b.alloc, b.publishScratch);
}

/** A 5.0 frame made for this receiver alone, or null when the shared one is right. */
function frameFor5(b: Broker, c: Connection, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null): PublishFrame | null {
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
