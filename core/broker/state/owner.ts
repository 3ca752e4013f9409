// The one owner of session and retained state (issue 15 §1, design.md §1): every change of a
// session, its subscriptions, its queued and in-flight messages, its incoming QoS 2 ids and its
// will, and of the retained messages, is made here and nowhere else; the rest of the core asks
// for it. Each change of state a durable store keeps is also emitted as a record (records.ts)
// into the broker's journal; on the in-memory store (no journal) nothing is built.
//
// A session's records are kept from its creation while it outlives its connection (an expiry
// other than 0): `Session.stored`. A clean session ends with its connection, and a restart
// ends every connection, so nothing of it would be loaded.

import type { QoS, Subscription } from '../../codec/index.js';
import type { Chain } from '../chain.js';
import type { Limits } from '../options.js';
import type { RetainedStore } from '../retained-store.js';
import type { TopicTree } from '../topic-tree.js';
import type { Connection } from '../connection.js';
import type { Message } from '../message.js';
import { keep } from '../message.js';
import type { Outgoing, Queued, Subscriber } from '../session.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, NO_INFLIGHT, NO_QUEUE, Session, newInflight, newQueue } from '../session.js';
import type { ConnectionWill, StoredMessage, WillSet } from './records.js';
import {
  REC_ACKED, REC_EXPIRY_SET, REC_INFLIGHT, REC_MESSAGE, REC_PUBREC_RECEIVED, REC_QOS2_RECEIVED, REC_QOS2_RELEASED, REC_QUEUED,
  REC_RETAINED_DELETED, REC_RETAINED_SET, REC_SENT, REC_SESSION_CREATED, REC_SESSION_ENDED, REC_SESSION_OFFLINE,
  REC_SESSION_RESUMED, REC_SUBSCRIBED, REC_UNQUEUED, REC_UNSUBSCRIBED, REC_WILL_CLEARED, REC_WILL_SET, REC_CONNECTION_WILL,
} from './records.js';
import type { Journal } from './journal.js';

/** The broker's state the owner changes, and what it tells the broker of a change. */
export interface OwnerHost {
  limits: Limits;
  nowMs: number;
  journal: Journal | null;          // null: the in-memory store, nothing recorded
  sessions: Map<string, Session>;
  sessionCount: number;
  offline: Chain<Session>;
  offlineBytes: number;
  tree: TopicTree<Subscriber>;
  retained: RetainedStore;
  /** Takes `s` out of the offline chain and its bytes out of offlineBytes. */
  backOnline(s: Session): void;
  /** The subscriptions changed: cached match lists are stale. */
  invalidateMatches(): void;
  /** `s`'s expiry moved: its place among the deadlines follows. */
  sessionDeadlineChanged(s: Session): void;
}

const FOREVER = -1;
const MAX_EXPIRY = 0xffffffff;   // 5.0 §3.1.2.11.2: the session does not expire

/** The journal, when this change of `s` is one the store keeps; else null. */
function journalOf(b: OwnerHost, s: Session): Journal | null {
  return s.stored ? b.journal : null;
}

/** A message as a record holds it: deadlines on the wall clock. */
export function storedMessage(j: Journal, m: Message): StoredMessage {
  return {
    topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, properties: m.properties, publisher: m.publisher,
    expiresAtMs: j.toWall(m.expiresAtMs),
  };
}

/** The record id of `m`, recording the message first if no record refers to it yet. */
function messageId(j: Journal, m: Message): number {
  if (m.storeId === 0) {
    m.storeId = j.nextMessageId++;
    j.add({ kind: REC_MESSAGE, messageId: m.storeId, message: storedMessage(j, m) });
  }
  return m.storeId;
}

// ---- sessions ----

/** The expiry, in ms, that `seconds` of Session Expiry Interval give under the broker's cap. */
export function expiryMsOf(b: OwnerHost, seconds: number): number {
  const capped = Math.min(seconds, b.limits.maxSessionExpirySeconds);
  return capped === MAX_EXPIRY ? FOREVER : capped * 1000;
}

/** A new session for `c`, replacing none (the caller ended any before). */
export function createSession(b: OwnerHost, c: Connection, clientId: string, expiryMs: number): Session {
  const s = new Session(clientId);
  b.sessions.set(clientId, s);
  b.sessionCount++;
  s.expiryMs = expiryMs;
  s.version = c.version;
  s.username = c.username;
  s.connection = c;
  if (b.journal !== null && expiryMs !== 0) {
    s.stored = true;
    b.journal.add({ kind: REC_SESSION_CREATED, clientId: clientId, username: s.username, version: s.version, expiryMs: expiryMs });
  }
  return s;
}

/** `c` takes up its session again [MQTT-3.2.2-2]; a will waiting for its delay is not sent [5:MQTT-3.1.3-9]. */
export function sessionResumed(b: OwnerHost, s: Session, c: Connection, expiryMs: number): void {
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_SESSION_RESUMED, clientId: s.clientId, username: c.username, version: c.version });
  if (s.will !== null) {
    s.will = null;
    s.willFrom = null;
    if (j !== null) j.add({ kind: REC_WILL_CLEARED, clientId: s.clientId });
  }
  b.backOnline(s);
  s.connection = c;
  s.expiresAtMs = -1;
  s.version = c.version;
  s.username = c.username;   // unchanged: mayOpenSession compared them
  setExpiryMs(b, s, expiryMs);
}

/** A new Session Expiry Interval (5.0 DISCONNECT, 5.0 §3.14.2.2.2). */
export function setSessionExpiry(b: OwnerHost, s: Session, seconds: number): void {
  setExpiryMs(b, s, expiryMsOf(b, seconds));
}

function setExpiryMs(b: OwnerHost, s: Session, expiryMs: number): void {
  if (s.expiryMs === expiryMs) return;
  s.expiryMs = expiryMs;
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_EXPIRY_SET, clientId: s.clientId, expiryMs: expiryMs });
}

/** Its connection ended and the session outlives it: it waits for its client, or its expiry. */
export function sessionOffline(b: OwnerHost, s: Session): void {
  s.connection = null;
  if (s.expiryMs !== FOREVER) s.expiresAtMs = b.nowMs + s.expiryMs;
  b.offline.add(s);
  b.offlineBytes += s.queuedBytes;
  const j = journalOf(b, s);
  if (j !== null) {
    recordLeftOut(j, s);
    j.add({ kind: REC_SESSION_OFFLINE, clientId: s.clientId, expiresAtMs: j.toWall(s.expiresAtMs) });
  }
  if (s.expiresAtMs >= 0) b.sessionDeadlineChanged(s);
}

/**
 * The session ends: its subscriptions leave the tree, its queue and in-flight messages are let
 * go (a shared subscription's go to another member first, 5.0 §4.8.2). The caller publishes a
 * will that was waiting for it.
 */
export function endSession(b: OwnerHost, s: Session): void {
  s.connection = null;   // a clean session ends with its connection [5:MQTT-3.1.2-23]
  const subs: Subscriber[] = [];
  if (s.subscriptions !== null) s.subscriptions.forEach(function (sub: Subscriber) { subs.push(sub); });
  for (let i = 0; i < subs.length; i++) b.tree.remove(subs[i].topicFilter, treeKey(s, subs[i].shareName));
  s.subscriptions = null;
  s.subscriptionCount = 0;
  if (b.sessions.get(s.clientId) === s) {
    b.sessions.delete(s.clientId);
    if (s.local === null) b.sessionCount--;
  }
  b.invalidateMatches();
  const j = journalOf(b, s);
  s.stored = false;
  if (j !== null) j.add({ kind: REC_SESSION_ENDED, clientId: s.clientId });
}

/** A session whose expiry failed (fault.ts): out of the broker's map, never expired twice. */
export function forgetSession(b: OwnerHost, s: Session): void {
  b.sessions.delete(s.clientId);
  b.sessionCount--;
  b.backOnline(s);
  const j = journalOf(b, s);
  s.stored = false;
  if (j !== null) j.add({ kind: REC_SESSION_ENDED, clientId: s.clientId });
}

/** After redispatch: what the ended session held is let go. */
export function clearSession(b: OwnerHost, s: Session): void {
  b.backOnline(s);   // out of the offline chain and its bytes, as it ends
  s.queue = NO_QUEUE;
  s.queuedBytes = 0;
  s.inflight = NO_INFLIGHT;
  s.unsent = 0;
  s.awaitingRelease = null;
}

/** The application's own session (Broker.subscribe): never stored, never expires. */
export function createLocalSession(b: OwnerHost, clientId: string, onMessage: (m: Message) => void): Session {
  const s = new Session(clientId);
  s.local = onMessage;
  s.expiryMs = FOREVER;
  b.sessions.set(clientId, s);
  return s;
}

export function endLocalSession(b: OwnerHost, s: Session, topicFilter: string): void {
  removeSubscription(b, s, topicFilter);
  b.sessions.delete(s.clientId);
}

// ---- wills ----

/**
 * The will of `c`'s CONNECT, kept while the connection lives, for a restart [MQTT-3.1.2-8]:
 * with its session when the session is stored, else on its own (REC_CONNECTION_WILL).
 */
export function willArmed(b: OwnerHost, s: Session, c: Connection): void {
  const j = b.journal;
  if (j === null) return;
  const r = s.stored ? armedWill(c) : connectionWill(c);
  if (r !== null) j.add(r);
}

/** The record of the will of a live connection whose session is not stored, or null. */
export function connectionWill(c: Connection): ConnectionWill | null {
  const armed = armedWill(c);
  if (armed === null) return null;
  return { kind: REC_CONNECTION_WILL, clientId: c.clientId, username: c.username, version: c.version, message: armed.message };
}

/** The record of a live connection's will (published should the connection be lost), or null. */
export function armedWill(c: Connection): WillSet | null {
  const w = c.will;
  if (w === null) return null;
  // The Will Delay Interval is the broker's: it is kept apart, not forwarded with the message.
  let props = w.properties;
  let delay = 0;
  if (props !== null && props.willDelayInterval !== undefined) {
    delay = props.willDelayInterval * 1000;
    props = Object.assign({}, props);
    delete props.willDelayInterval;
  }
  const m: StoredMessage = { topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain, properties: props, publisher: c.clientId, expiresAtMs: -1 };
  return { kind: REC_WILL_SET, clientId: c.clientId, message: m, delayMs: delay, atMs: -1 };
}

/**
 * The connection's will is not published (a normal DISCONNECT) or went out at once. Recorded
 * for a session that is not stored too: its will was recorded on its own (willArmed).
 */
export function willDropped(b: OwnerHost, s: Session): void {
  willCleared(b, s.clientId);
}

/** The will recorded for `clientId` (with its session, or on its own) is no more. */
export function willCleared(b: OwnerHost, clientId: string): void {
  const j = b.journal;
  if (j !== null) j.add({ kind: REC_WILL_CLEARED, clientId: clientId });
}

/** A will waits with its session for its Will Delay Interval [5:MQTT-3.1.2-8]. */
export function delayWill(b: OwnerHost, s: Session, from: Connection, m: Message, atMs: number): void {
  s.will = keep(m);
  s.willFrom = from;
  s.willAtMs = atMs;
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_WILL_SET, clientId: s.clientId, message: storedMessage(j, m), delayMs: 0, atMs: j.toWall(atMs) });
  b.sessionDeadlineChanged(s);
}

/** Takes a delayed will off its session, to be published; null when there was none. */
export function takeWill(b: OwnerHost, s: Session): Message | null {
  const m = s.will;
  s.will = null;
  if (m !== null) {
    const j = journalOf(b, s);
    if (j !== null) j.add({ kind: REC_WILL_CLEARED, clientId: s.clientId });
  }
  return m;
}

// ---- subscriptions ----

/**
 * 1: a new subscription; 0: replaced an existing one [MQTT-3.8.4-3]; -1: over a limit.
 * A `$share/{name}/{filter}` subscription joins that shared subscription (5.0 §4.8.2).
 */
export function addSubscription(b: OwnerHost, s: Session, sub: Subscription, subscriptionId: number | null): number {
  if (s.subscriptions === null) s.subscriptions = new Map();
  const existing = s.subscriptions.get(sub.topicFilter);
  if (existing === undefined && s.subscriptionCount >= b.limits.maxSubscriptionsPerClient) return -1;
  const shared = parseShared(sub.topicFilter);
  const shareName = shared === null ? '' : shared[0];
  const filter = shared === null ? sub.topicFilter : shared[1];
  const entry: Subscriber = {
    session: s, topicFilter: filter, qos: sub.qos, noLocal: sub.noLocal, retainAsPublished: sub.retainAsPublished,
    retainHandling: sub.retainHandling, subscriptionIds: subscriptionId === null ? null : [subscriptionId], shareName: shareName,
  };
  if (b.tree.add(filter, treeKey(s, shareName), entry) < 0) return -1;
  s.subscriptions.set(sub.topicFilter, entry);
  if (existing === undefined) s.subscriptionCount++;
  b.invalidateMatches();
  const j = journalOf(b, s);
  if (j !== null) {
    j.add({
      kind: REC_SUBSCRIBED, clientId: s.clientId, topicFilter: sub.topicFilter, qos: sub.qos, noLocal: sub.noLocal,
      retainAsPublished: sub.retainAsPublished, retainHandling: sub.retainHandling, subscriptionId: subscriptionId === null ? 0 : subscriptionId,
    });
  }
  return existing === undefined ? 1 : 0;
}

export function removeSubscription(b: OwnerHost, s: Session, topicFilter: string): boolean {
  const sub = s.subscriptions === null ? undefined : s.subscriptions.get(topicFilter);
  if (sub === undefined) return false;
  (s.subscriptions as Map<string, Subscriber>).delete(topicFilter);
  s.subscriptionCount--;
  b.tree.remove(sub.topicFilter, treeKey(s, sub.shareName));
  b.invalidateMatches();
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_UNSUBSCRIBED, clientId: s.clientId, topicFilter: topicFilter });
  return true;
}

/** The tree key of a subscription: the client id, or per shared group for $share ones. */
export function treeKey(s: Session, shareName: string): string {
  return shareName === '' ? s.clientId : '$share/' + shareName + '\u0000' + s.clientId;
}

/**
 * `$share/{ShareName}/{filter}` as [ShareName, filter], or null for an ordinary filter. The
 * caller has checked it with isValidSharedFilter (5.0 §4.8.2).
 */
function parseShared(filter: string): [string, string] | null {
  if (filter.slice(0, 7) !== '$share/') return null;
  const slash = filter.indexOf('/', 7);
  return [filter.slice(7, slash), filter.slice(slash + 1)];
}

// ---- the outgoing queue and in-flight window ----

/** A message joins the end of `s`'s queue; `bytes` as backlog.ts counts it. */
export function queueMessage(b: OwnerHost, s: Session, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null,
  shareKey: string, bytes: number): void {
  if (s.queue === NO_QUEUE) s.queue = newQueue();
  s.queue.push({ message: keep(m), qos: qos, retain: retain, subscriptionIds: subscriptionIds, shareKey: shareKey, bytes: bytes });
  s.queuedBytes += bytes;
  if (s.linked) b.offlineBytes += bytes;
  const j = journalOf(b, s);
  if (j !== null) {
    j.add({ kind: REC_QUEUED, clientId: s.clientId, messageId: messageId(j, m), qos: qos, retain: retain, subscriptionIds: subscriptionIds, shareKey: shareKey });
  }
}

/** Takes the i-th queued message out of `s`'s backlog, undelivered, and out of the bytes it counts in. */
export function unqueue(b: OwnerHost, s: Session, i: number): Queued {
  const q = takeQueued(b, s, i);
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_UNQUEUED, clientId: s.clientId, index: i });
  return q;
}

function takeQueued(b: OwnerHost, s: Session, i: number): Queued {
  const q = s.queue.item(i);
  s.queue.removeAt(i);
  s.queuedBytes -= q.bytes;
  if (s.linked) b.offlineBytes -= q.bytes;
  return q;
}

/**
 * A message goes out with `packetId` and stays in flight until acknowledged [MQTT-4.3.2-1]
 * [MQTT-4.3.3-1]; `queued`: it is the first queued entry, which leaves the queue.
 */
export function startInflight(b: OwnerHost, s: Session, m: Message, packetId: number, qos: QoS, retain: boolean,
  subscriptionIds: number[] | null, shareKey: string, queued: boolean): void {
  if (queued) takeQueued(b, s, 0);
  const j = journalOf(b, s);
  // A queued entry was recorded (its publisher may have had its PUBACK for it): it stays
  // recorded until acknowledged. One sent straight to a connected client is recorded only when
  // the store asks for it (Store.writeInflight), else when the client goes (sessionOffline).
  const stored = j !== null && (queued || j.store.writeInflight !== false || s.connection === null);
  if (s.inflight === NO_INFLIGHT) s.inflight = newInflight();
  const o: Outgoing = {
    packetId: packetId, qos: qos, retain: retain, message: keep(m), state: qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC,
    sent: true, subscriptionIds: subscriptionIds, shareKey: shareKey, recorded: stored,
  };
  s.inflight.push(o);
  if (j === null || !stored) return;
  if (queued) j.add({ kind: REC_SENT, clientId: s.clientId, packetId: packetId });
  else recordInflight(j, s, o, messageId(j, m));
}

function recordInflight(j: Journal, s: Session, o: Outgoing, id: number): void {
  j.add({
    kind: REC_INFLIGHT, clientId: s.clientId, messageId: id, packetId: o.packetId, qos: o.qos, retain: o.retain,
    subscriptionIds: o.subscriptionIds, shareKey: o.shareKey,
  });
  if (o.state === AWAIT_PUBCOMP) j.add({ kind: REC_PUBREC_RECEIVED, clientId: s.clientId, packetId: o.packetId });
}

/**
 * The client of `s` went away, and the store left out the messages sent straight to it
 * (Store.writeInflight false): now they are what an offline session holds, so the whole
 * window is recorded, in the order sent [MQTT-4.6.0-1]. Each entry already recorded is taken
 * out and recorded again in its turn (else it would load before the others); each left-out
 * message is recorded anew, as a snapshot since its first record may have dropped that.
 */
function recordLeftOut(j: Journal, s: Session): void {
  if (j.store.writeInflight !== false) return;
  for (let i = 0; i < s.inflight.length; i++) {
    const o = s.inflight.item(i);
    const m = o.message;
    if (o.recorded) j.add({ kind: REC_ACKED, clientId: s.clientId, packetId: o.packetId });
    else {
      m.storeId = j.nextMessageId++;
      j.add({ kind: REC_MESSAGE, messageId: m.storeId, message: storedMessage(j, m) });
      o.recorded = true;
    }
    recordInflight(j, s, o, m.storeId);
  }
}

/** The i-th in-flight message got its PUBREC: only the PUBREL is left [MQTT-4.3.3-1]. */
export function pubrecReceived(b: OwnerHost, s: Session, i: number): void {
  const o = s.inflight.item(i);
  o.state = AWAIT_PUBCOMP;
  const j = journalOf(b, s);
  if (j !== null && o.recorded) j.add({ kind: REC_PUBREC_RECEIVED, clientId: s.clientId, packetId: o.packetId });
}

/** The i-th in-flight message is acknowledged, or let go: its slot in the window is free. */
export function endInflight(b: OwnerHost, s: Session, i: number): Outgoing {
  const o = s.inflight.item(i);
  if (!o.sent) s.unsent--;
  s.inflight.removeAt(i);
  const j = journalOf(b, s);
  if (j !== null && o.recorded) j.add({ kind: REC_ACKED, clientId: s.clientId, packetId: o.packetId });
  return o;
}

// ---- incoming QoS 2 ----

/** An incoming QoS 2 packet id is held until its PUBREL [MQTT-4.3.3-2]. */
export function qos2Received(b: OwnerHost, s: Session, packetId: number): void {
  if (s.awaitingRelease === null) s.awaitingRelease = new Map();
  s.awaitingRelease.set('' + packetId, true);
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_QOS2_RECEIVED, clientId: s.clientId, packetId: packetId });
}

/** Its PUBREL came (or its PUBREC could not be given): the id is free again. false: it was not held. */
export function qos2Released(b: OwnerHost, s: Session, packetId: number): boolean {
  const key = '' + packetId;
  const awaiting = s.awaitingRelease;
  if (awaiting === null || !awaiting.has(key)) return false;
  awaiting.delete(key);
  const j = journalOf(b, s);
  if (j !== null) j.add({ kind: REC_QOS2_RELEASED, clientId: s.clientId, packetId: packetId });
  return true;
}

// ---- retained messages ----

/**
 * Retains `m` for its topic (an empty payload deletes it) [MQTT-3.3.1-5]; the RetainedStore's
 * answer: RC_SUCCESS, or RC_QUOTA_EXCEEDED when it did not fit (nothing changed, nothing recorded).
 */
export function setRetained(b: OwnerHost, m: Message): number {
  const rc = b.retained.set(m.topic, m);   // the store copies what it keeps
  const j = b.journal;
  if (rc !== 0 || j === null) return rc;
  if (m.payload.length === 0) j.add({ kind: REC_RETAINED_DELETED, topic: m.topic });
  else j.add({ kind: REC_RETAINED_SET, message: storedMessage(j, m) });
  return rc;
}
