// Start-up on a durable store: the records store.load() gives back, replayed in order as it
// gives them, rebuild the sessions, their subscriptions (in the topic tree), queued and
// in-flight messages (resent with DUP when the client is back [MQTT-4.4.0-1]), incoming QoS 2
// ids awaiting PUBREL, wills and retained messages. Deadlines come back from wall-clock time
// (Journal.fromWall), so a session expiry, will delay or message expiry that fell due while
// the broker was down falls due at once, and one still ahead keeps its time.
//
// A record that does not decode, or does not fit the state before it (a client id with no
// session, an index past the queue), is skipped, counted and logged once: a damaged store
// loads what it can, and never throws.

import type { QoS } from '../../codec/index.js';
import type { OwnerHost } from './owner.js';
import type { Message } from '../message.js';
import { createMessage } from '../message.js';
import type { Outgoing } from '../session.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, NO_INFLIGHT, NO_QUEUE, QUEUED_ENTRY_BYTES, Session, newInflight, newQueue } from '../session.js';
import { utf8Length } from '../../codec/index.js';
import type { ConnectionWill, StateRecord, StoredMessage } from './records.js';
import {
  REC_ACKED, REC_EXPIRY_SET, REC_INFLIGHT, REC_MESSAGE, REC_PUBREC_RECEIVED, REC_QOS2_RECEIVED, REC_QOS2_RELEASED, REC_QUEUED,
  REC_RETAINED_DELETED, REC_RETAINED_SET, REC_SENT, REC_SESSION_CREATED, REC_SESSION_ENDED, REC_SESSION_OFFLINE,
  REC_SESSION_RESUMED, REC_SUBSCRIBED, REC_UNQUEUED, REC_UNSUBSCRIBED, REC_WILL_CLEARED, REC_WILL_SET, REC_CONNECTION_WILL,
  REC_BRIDGE_DONE, REC_BRIDGE_PUBREC, REC_BRIDGE_QUEUED, REC_BRIDGE_SENT,
} from './records.js';
import { RecordReader } from './record-codec.js';
import type { Journal } from './journal.js';
import type { Store } from '../store.js';
import { addSubscription, endSession, removeSubscription } from './owner.js';

/** A session's will as the records left it. */
interface LoadedWill {
  message: StoredMessage;
  delayMs: number;
  atMs: number;      // wall clock; -1: its connection was alive when the broker stopped
}

/** What loading found, for the broker to act on and to log. */
export interface Loaded {
  records: number;
  skipped: number;           // records that did not decode or did not fit
  firstProblem: string;
  online: Session[];         // sessions whose connection was alive when the broker stopped
  delayed: Session[];        // sessions with a will waiting for its delay (the broker gives each its willFrom)
  wills: Map<string, LoadedWill>;
  connectionWills: Map<string, ConnectionWill>;   // of connections alive when the broker stopped, their sessions not kept
  bridges: StateRecord[];    // the bridges' queue records, in order, for each bridge to take (core/bridge/queue-records.ts)
}

/**
 * The messages of REC_MESSAGE records by id, for the queue and in-flight records that name
 * them. A log's ids only grow (Journal.nextMessageId): those go in two arrays in id order,
 * found by halving, newest first (a queue record follows its message); with a Map, its set()
 * was most of apply()'s own time in a CPU profile of a start-up of a million queued messages
 * (745 of about 1,000 samples). Ids out of order (a snapshot names messages in
 * the order its sessions hold them) go in a Map, always with number keys.
 */
class LoadedMessages {
  ids: number[];
  list: Message[];
  others: Map<number, Message>;

  constructor() {
    this.ids = [];
    this.list = [];
    this.others = new Map();
  }

  add(id: number, m: Message): void {
    const n = this.ids.length;
    if (n === 0 || id > this.ids[n - 1]) {
      this.ids.push(id);
      this.list.push(m);
      return;
    }
    const i = this.find(id);
    if (i >= 0) this.list[i] = m;   // an id given again (a damaged store): the later message, as a Map would
    else this.others.set(id, m);
  }

  get(id: number): Message | null {
    const i = this.find(id);
    if (i >= 0) return this.list[i];
    const m = this.others.get(id);
    return m === undefined ? null : m;
  }

  /** Where `id` is in `ids`, or -1. */
  private find(id: number): number {
    const ids = this.ids;
    let hi = ids.length - 1;
    if (hi < 0 || id > ids[hi]) return -1;
    if (ids[hi] === id) return hi;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return ids[lo] === id ? lo : -1;
  }
}

interface Replay {
  b: OwnerHost;
  j: Journal;
  messages: LoadedMessages;         // REC_MESSAGE by id
  reader: RecordReader;
  last: Session | null;             // the session found last (sessionOf)
  topic: string;                    // the last queued message's topic, and its UTF-8 length
  topicBytes: number;
  online: Map<string, boolean>;
  loaded: Loaded;
  maxMessageId: number;
}

/**
 * Replays the records `store.load()` gives into the broker's (empty) state, each as it comes
 * (its bytes are the store's only during that call). The journal records nothing meanwhile.
 */
export function loadState(b: OwnerHost, store: Store): Loaded {
  const j = b.journal as Journal;
  const loaded: Loaded = { records: 0, skipped: 0, firstProblem: '', online: [], delayed: [], wills: new Map(), connectionWills: new Map(), bridges: [] };
  const r: Replay = {
    b: b, j: j, messages: new LoadedMessages(), reader: new RecordReader(), last: null, topic: '', topicBytes: 0, online: new Map(), loaded: loaded, maxMessageId: 0,
  };
  b.journal = null;   // replaying is not changing: nothing is recorded again
  try {
    store.load(function (bytes: Uint8Array, start: number, end: number): void {
      replayOne(r, bytes, start, end);
    });
  } finally {
    b.journal = j;
  }
  j.nextMessageId = r.maxMessageId + 1;
  b.sessions.forEach(function (s: Session) {
    if (!s.stored) return;
    settleLoaded(s);
    if (r.online.get(s.clientId) === true) loaded.online.push(s);
    else {
      b.offline.add(s);
      b.offlineBytes += s.queuedBytes;
      const w = loaded.wills.get(s.clientId);
      if (w !== undefined && w.atMs >= 0) {
        // A Will Delay Interval that was running when the broker stopped runs on.
        s.will = messageOf(j, w.message);
        s.willAtMs = j.fromWall(w.atMs);
        loaded.wills.delete(s.clientId);
        loaded.delayed.push(s);
      }
      b.sessionDeadlineChanged(s);
    }
  });
  return loaded;
}

/** Applies the record `bytes[start .. end)`; one that does not decode or fit is counted, never thrown. */
function replayOne(r: Replay, bytes: Uint8Array, start: number, end: number): void {
  const loaded = r.loaded;
  const i = loaded.records++;
  const rec = r.reader.decode(bytes, start, end);
  let problem = '';
  try {
    problem = rec.kind === 0 ? rec.error : apply(r, rec);
  } catch (e) {
    problem = 'a record of kind ' + rec.kind + ' failed: ' + String(e);   // a bug of ours: that record only
  }
  if (problem !== '') {
    if (loaded.skipped === 0) loaded.firstProblem = 'record ' + i + ': ' + problem;
    loaded.skipped++;
  }
}

/** A loaded session's in-flight messages wait to be resent; its next packet id is past them. */
function settleLoaded(s: Session): void {
  let top = 0;
  for (let i = 0; i < s.inflight.length; i++) {
    const o = s.inflight.item(i);
    o.sent = false;
    if (o.packetId > top) top = o.packetId;
  }
  s.unsent = s.inflight.length;
  s.nextPacketId = top >= 0xffff ? 1 : top + 1;
  // Ids still in flight may lie ahead of it: allocatePacketId checks each from now on.
  s.idsWrapped = s.inflight.length > 0;
}

function messageOf(j: Journal, m: StoredMessage): Message {
  const out = createMessage(m.topic, m.payload, m.qos, m.retain, m.properties, m.publisher);
  out.kept = true;   // its own copy (the record reader copies)
  out.expiresAtMs = j.fromWall(m.expiresAtMs);
  return out;
}

function sessionOf(r: Replay, clientId: string): Session | null {
  // Records of one session come in runs (its queue, record after record): the last one found
  // again without a lookup. Creating and ending sessions forgets it.
  if (r.last !== null && r.last.clientId === clientId) return r.last;
  const s = r.b.sessions.get(clientId);
  r.last = s !== undefined && s.stored ? s : null;
  return r.last;
}

function endLoaded(r: Replay, s: Session): void {
  r.last = null;
  endSession(r.b, s);
  s.queue = NO_QUEUE;
  s.queuedBytes = 0;
  s.inflight = NO_INFLIGHT;
  r.online.delete(s.clientId);
  r.loaded.wills.delete(s.clientId);
}

function findInflight(s: Session, packetId: number): number {
  for (let i = 0; i < s.inflight.length; i++) if (s.inflight.item(i).packetId === packetId) return i;
  return -1;
}

function pushInflight(s: Session, o: Outgoing): void {
  if (s.inflight === NO_INFLIGHT) s.inflight = newInflight();
  s.inflight.push(o);
}

/** Applies one record; '' when it fit, else why it was skipped. */
function apply(r: Replay, rec: StateRecord): string {
  const b = r.b;
  if (rec.kind === REC_MESSAGE) {
    const m = messageOf(r.j, rec.message);
    m.storeId = rec.messageId;
    r.messages.add(rec.messageId, m);
    if (rec.messageId > r.maxMessageId) r.maxMessageId = rec.messageId;
    return '';
  }
  if (rec.kind === REC_RETAINED_SET) {
    b.retained.set(rec.message.topic, messageOf(r.j, rec.message));
    return '';
  }
  if (rec.kind === REC_RETAINED_DELETED) {
    b.retained.set(rec.topic, createMessage(rec.topic, new Uint8Array(0), 0, true, null, ''));
    return '';
  }
  if (rec.kind === REC_SESSION_CREATED) {
    const old = sessionOf(r, rec.clientId);
    if (old !== null) endLoaded(r, old);
    const s = new Session(rec.clientId);
    s.stored = true;
    s.username = rec.username;
    s.version = rec.version;
    s.expiryMs = rec.expiryMs;
    b.sessions.set(rec.clientId, s);
    r.last = null;
    b.sessionCount++;
    r.online.set(rec.clientId, true);
    return '';
  }
  if (rec.kind === REC_BRIDGE_QUEUED || rec.kind === REC_BRIDGE_SENT || rec.kind === REC_BRIDGE_PUBREC || rec.kind === REC_BRIDGE_DONE) {
    r.loaded.bridges.push(rec);   // a bridge is not made yet: it takes them when it is
    return '';
  }
  if (rec.kind === REC_CONNECTION_WILL) {
    r.loaded.connectionWills.set(rec.clientId, rec);
    return '';
  }
  if (rec.kind === REC_WILL_CLEARED) {
    r.loaded.connectionWills.delete(rec.clientId);
    if (sessionOf(r, rec.clientId) === null) return '';   // a connection will's end: no session kept
  }
  const s = sessionOf(r, rec.clientId);
  if (s === null) return 'no session ' + rec.clientId + ' for a record of kind ' + rec.kind;
  switch (rec.kind) {
    case REC_SESSION_RESUMED:
      s.username = rec.username;
      s.version = rec.version;
      s.expiresAtMs = -1;
      r.online.set(s.clientId, true);
      return '';
    case REC_SESSION_OFFLINE:
      s.expiresAtMs = r.j.fromWall(rec.expiresAtMs);
      r.online.set(s.clientId, false);
      return '';
    case REC_SESSION_ENDED:
      endLoaded(r, s);
      return '';
    case REC_EXPIRY_SET:
      s.expiryMs = rec.expiryMs;
      return '';
    case REC_SUBSCRIBED:
      return addSubscription(b, s, {
        topicFilter: rec.topicFilter, qos: rec.qos, noLocal: rec.noLocal, retainAsPublished: rec.retainAsPublished, retainHandling: rec.retainHandling,
      }, rec.subscriptionId === 0 ? null : rec.subscriptionId) < 0 ? 'subscription ' + rec.topicFilter + ' over a limit' : '';
    case REC_UNSUBSCRIBED:
      removeSubscription(b, s, rec.topicFilter);
      return '';
    case REC_QUEUED: {
      const m = r.messages.get(rec.messageId);
      if (m === null) return 'no message ' + rec.messageId;
      if (m.topic !== r.topic) {
        r.topic = m.topic;
        r.topicBytes = utf8Length(m.topic);
      }
      const bytes = m.payload.length + r.topicBytes + QUEUED_ENTRY_BYTES;   // as backlog.ts queuedSize
      if (s.queue === NO_QUEUE) s.queue = newQueue();
      s.queue.push({ message: m, qos: rec.qos, retain: rec.retain, subscriptionIds: rec.subscriptionIds, shareKey: rec.shareKey, bytes: bytes });
      s.queuedBytes += bytes;
      return '';
    }
    case REC_UNQUEUED: {
      if (rec.index >= s.queue.length) return 'no queued entry ' + rec.index;
      const q = s.queue.item(rec.index);
      s.queue.removeAt(rec.index);
      s.queuedBytes -= q.bytes;
      return '';
    }
    case REC_SENT: {
      if (s.queue.length === 0) return 'nothing queued to send';
      const q = s.queue.item(0);
      s.queue.removeAt(0);
      s.queuedBytes -= q.bytes;
      pushInflight(s, outgoing(rec.packetId, q.message, q.qos, q.retain, q.subscriptionIds, q.shareKey));
      return '';
    }
    case REC_INFLIGHT: {
      const m = r.messages.get(rec.messageId);
      if (m === null) return 'no message ' + rec.messageId;
      pushInflight(s, outgoing(rec.packetId, m, rec.qos, rec.retain, rec.subscriptionIds, rec.shareKey));
      return '';
    }
    case REC_PUBREC_RECEIVED: {
      const i = findInflight(s, rec.packetId);
      if (i < 0) return 'no packet id ' + rec.packetId + ' in flight';
      s.inflight.item(i).state = AWAIT_PUBCOMP;
      return '';
    }
    case REC_ACKED: {
      const i = findInflight(s, rec.packetId);
      if (i < 0) return 'no packet id ' + rec.packetId + ' in flight';
      s.inflight.removeAt(i);
      return '';
    }
    case REC_QOS2_RECEIVED:
      if (s.awaitingRelease === null) s.awaitingRelease = new Map();
      s.awaitingRelease.set('' + rec.packetId, true);
      return '';
    case REC_QOS2_RELEASED:
      if (s.awaitingRelease !== null) s.awaitingRelease.delete('' + rec.packetId);
      return '';
    case REC_WILL_SET:
      r.loaded.wills.set(s.clientId, { message: rec.message, delayMs: rec.delayMs, atMs: rec.atMs });
      return '';
    case REC_WILL_CLEARED:
      r.loaded.wills.delete(s.clientId);
      return '';
  }
  return 'a record out of place';
}

function outgoing(packetId: number, m: Message, qos: QoS, retain: boolean, subscriptionIds: number[] | null, shareKey: string): Outgoing {
  return {
    packetId: packetId, qos: qos, retain: retain, message: m, state: qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, sent: false,
    subscriptionIds: subscriptionIds, shareKey: shareKey, recorded: true,
  };
}

/** A loaded will as a message to publish (its Will Delay Interval is the broker's, not forwarded). */
export function loadedWill(j: Journal, w: { message: StoredMessage }): Message {
  return messageOf(j, w.message);
}
