// A snapshot: the records that rebuild the current state, for Store.compact (the log has grown
// past the store's bound, or a batch could not be kept and the log may miss records). Replayed
// by load.ts like any records: retained messages, then each stored session as if it had just
// been made, its subscriptions, in-flight messages (with their PUBREC state), queued messages,
// incoming QoS 2 ids and will. Each message is recorded once, however many sessions hold it.

import type { RetainedStore } from '../retained-store.js';
import type { Message } from '../message.js';
import type { Session, Subscriber } from '../session.js';
import { AWAIT_PUBCOMP } from '../session.js';
import type { StateRecord } from './records.js';
import {
  REC_INFLIGHT, REC_MESSAGE, REC_PUBREC_RECEIVED, REC_QOS2_RECEIVED, REC_QUEUED, REC_RETAINED_SET, REC_SESSION_CREATED,
  REC_SESSION_OFFLINE, REC_SUBSCRIBED, REC_WILL_SET,
} from './records.js';
import { encodeRecord } from './record-codec.js';
import type { Journal } from './journal.js';
import { armedWill, connectionWill, storedMessage } from './owner.js';

/** What a snapshot reads of the broker. */
export interface SnapshotHost {
  journal: Journal | null;
  sessions: Map<string, Session>;
  retained: RetainedStore;
}

export function snapshot(b: SnapshotHost): Uint8Array[] {
  const j = b.journal as Journal;
  const out: Uint8Array[] = [];
  const put = function (r: StateRecord): void { out.push(encodeRecord(r)); };
  const retained: Message[] = [];
  b.retained.all(retained);
  for (let i = 0; i < retained.length; i++) put({ kind: REC_RETAINED_SET, message: storedMessage(j, retained[i]) });
  const written = new Map<string, boolean>();
  const idOf = function (m: Message): number {
    if (m.storeId === 0) m.storeId = j.nextMessageId++;
    const key = '' + m.storeId;
    if (!written.has(key)) {
      written.set(key, true);
      put({ kind: REC_MESSAGE, messageId: m.storeId, message: storedMessage(j, m) });
    }
    return m.storeId;
  };
  b.sessions.forEach(function (s: Session) {
    if (!s.stored) {
      // A live connection's will is kept even where its session is not (willArmed).
      const w = s.connection === null ? null : connectionWill(s.connection);
      if (w !== null) put(w);
      return;
    }
    const id = s.clientId;
    put({ kind: REC_SESSION_CREATED, clientId: id, username: s.username, version: s.version, expiryMs: s.expiryMs });
    if (s.connection === null) put({ kind: REC_SESSION_OFFLINE, clientId: id, expiresAtMs: j.toWall(s.expiresAtMs) });
    if (s.subscriptions !== null) {
      s.subscriptions.forEach(function (sub: Subscriber, topicFilter: string) {
        put({
          kind: REC_SUBSCRIBED, clientId: id, topicFilter: topicFilter, qos: sub.qos, noLocal: sub.noLocal, retainAsPublished: sub.retainAsPublished,
          retainHandling: sub.retainHandling, subscriptionId: sub.subscriptionIds === null ? 0 : sub.subscriptionIds[0],
        });
      });
    }
    for (let i = 0; i < s.inflight.length; i++) {
      const o = s.inflight.item(i);
      if (!o.recorded) continue;   // left out while its client is connected (Store.writeInflight)
      put({
        kind: REC_INFLIGHT, clientId: id, messageId: idOf(o.message), packetId: o.packetId, qos: o.qos, retain: o.retain,
        subscriptionIds: o.subscriptionIds, shareKey: o.shareKey,
      });
      if (o.state === AWAIT_PUBCOMP) put({ kind: REC_PUBREC_RECEIVED, clientId: id, packetId: o.packetId });
    }
    for (let i = 0; i < s.queue.length; i++) {
      const q = s.queue.item(i);
      put({ kind: REC_QUEUED, clientId: id, messageId: idOf(q.message), qos: q.qos, retain: q.retain, subscriptionIds: q.subscriptionIds, shareKey: q.shareKey });
    }
    if (s.awaitingRelease !== null) {
      s.awaitingRelease.forEach(function (_v: boolean, key: string) {
        put({ kind: REC_QOS2_RECEIVED, clientId: id, packetId: +key });
      });
    }
    if (s.will !== null) put({ kind: REC_WILL_SET, clientId: id, message: storedMessage(j, s.will), delayMs: 0, atMs: j.toWall(s.willAtMs) });
    else if (s.connection !== null) {
      const armed = armedWill(s.connection);
      if (armed !== null) put(armed);
    }
  });
  return out;
}
