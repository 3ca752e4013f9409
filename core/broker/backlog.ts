// A subscriber's backlog: the messages queued for it (QoS 1/2 over its window or behind a full
// transport, and what waits for an offline persistent session) plus the frames the core holds
// unsent while its transport is full. It is bounded, in messages (maxQueued) and in bytes
// (maxQueuedBytes); what a full one does is slowSubscriberPolicy (options.ts). A subscriber
// that falls behind only ever hurts itself (design.md §1, §2): what it loses is counted for
// it and in $SYS, and logged once per episode, from its first loss until it has drained to
// half its bounds.

import { RC_QUOTA_EXCEEDED, codecError, label, utf8Length } from '../codec/index.js';
import type { DropsHost } from './drops.js';
import type { OwnerHost } from './state/owner.js';
import type { Connection } from './connection.js';
import { ACTIVE } from './connection-state.js';
import type { Message } from './message.js';
import type { Session } from './session.js';
import { unqueue } from './state/owner.js';
import { QUEUED_ENTRY_BYTES } from './session.js';
import { DROP_BACKLOG_FULL, DROP_OFFLINE_BYTES, countDrop } from './drops.js';
import { LOG_LIMIT } from './log-events.js';


/** What bounding a backlog needs of the broker. */
export interface BacklogHost extends OwnerHost, DropsHost {
  slowSessions: Session[];          // sessions that lost messages since the last $SYS report
  log(c: Connection | null, line: string, event: number, code?: number): void;
}


/** What a queued message counts in maxQueuedBytes and maxOfflineBytes (session.ts QUEUED_ENTRY_BYTES). */
export function queuedSize(m: Message): number {
  return m.payload.length + (m.topicBytes !== null ? m.topicBytes.length : utf8Length(m.topic)) + QUEUED_ENTRY_BYTES;
}

/** The connection a session's backlog drains to, or null while it is offline. */
function onlineConnection(s: Session): Connection | null {
  const c = s.connection;
  return c !== null && c.state === ACTIVE ? c : null;
}

/** Queued bytes plus, while online, the frames held unsent in the core. */
export function backlogBytes(s: Session): number {
  const c = onlineConnection(s);
  return c === null ? s.queuedBytes : s.queuedBytes + c.outboundBytes;
}

function fits(b: BacklogHost, s: Session, size: number): boolean {
  return s.queue.length < b.limits.maxQueued && backlogBytes(s) + size <= b.limits.maxQueuedBytes;
}

/**
 * Whether another message can join `s`'s backlog without loss (the 'hold' policy, and a shared
 * subscription choosing a member). An offline session always takes it: its own full queue
 * drops, as a session that may never return cannot hold back everyone else.
 */
export function hasRoom(b: BacklogHost, s: Session): boolean {
  if (s.connection === null || s.local !== null) return true;
  if (s.queue.length < b.limits.maxQueued && backlogBytes(s) < b.limits.maxQueuedBytes) return true;
  if (!b.limits.dropOldestQoS0) return false;
  for (let i = 0; i < s.queue.length; i++) if (s.queue.item(i).qos === 0) return true;
  return false;
}

/**
 * Makes room in `s`'s backlog for a message of `size` bytes, by its policy. true: queue it;
 * false: it is lost to this session (counted; under 'disconnect' the client is gone too).
 * This is the one place a full backlog is decided.
 * TODO(issue 15): a persistent session's overflow may go to the durable store, within a
 * quota, instead of being dropped here; the store would give it back as the queue drains.
 */
export function makeRoom(b: BacklogHost, s: Session, size: number): boolean {
  const l = b.limits;
  if (fits(b, s, size)) return true;
  // Nothing was promised for QoS 0: the oldest queued ones go first.
  if (l.dropOldestQoS0) {
    while (!fits(b, s, size)) if (!dropFirst(b, s, true, '')) break;
    if (fits(b, s, size)) return true;
  }
  const c = onlineConnection(s);
  const unsent = c === null ? 0 : c.outboundBytes;
  if (l.slowSubscriberPolicy === 'dropOldest' && unsent + size <= l.maxQueuedBytes) {
    while (!fits(b, s, size)) if (!dropFirst(b, s, false, '')) break;
    if (fits(b, s, size)) return true;
  }
  lost(b, s, '');
  if (c !== null && l.slowSubscriberPolicy === 'disconnect') {
    // 5.0 §3.14.2.1 0x97 Quota exceeded; 3.x has no DISCONNECT from the server: it is closed.
    c.fail(codecError(RC_QUOTA_EXCEEDED, '5:§3.14.2.1', 'backlog full'));
    s.overflowFrom = -1;   // this episode ends here; the offline queue starts its own
  }
  return false;
}

/** Drops the oldest queued message (of QoS 0 only, if asked), lost for `limit`; false when there is none. */
export function dropFirst(b: BacklogHost, s: Session, qos0Only: boolean, limit: string): boolean {
  let i = 0;
  if (qos0Only) while (i < s.queue.length && s.queue.item(i).qos !== 0) i++;
  if (i >= s.queue.length) return false;
  unqueue(b, s, i);
  lost(b, s, limit);
  return true;
}


/**
 * One message lost to `s` for want of room (its backlog, or `limit`, a broker-wide cap):
 * counted in $SYS/broker/messages/dropped and for the session; the first loss of an episode
 * is logged, with what the backlog holds.
 */
export function lost(b: BacklogHost, s: Session, limit: string): void {
  countDrop(b, s, limit === 'maxOfflineBytes' ? DROP_OFFLINE_BYTES : DROP_BACKLOG_FULL);
  if (s.overflowFrom >= 0) return;
  s.overflowFrom = s.dropped - 1;
  const l = b.limits;
  b.log(null, label(s.clientId) + (limit !== '' ? ': ' + limit + ' reached' : ': backlog full') + (onlineConnection(s) === null ? ' (offline)' : '') + ': ' + s.queue.length +
    ' messages, ' + backlogBytes(s) + ' bytes (maxQueued ' + l.maxQueued + ', maxQueuedBytes ' + l.maxQueuedBytes + '); slowSubscriberPolicy ' +
    l.slowSubscriberPolicy, LOG_LIMIT);
  if (l.sysIntervalMs > 0 && b.slowSessions.indexOf(s) < 0) b.slowSessions.push(s);
}

/** After the backlog shrank: the episode ends once it is down to half its bounds (logged). */
export function drained(b: BacklogHost, s: Session): void {
  const l = b.limits;
  if (s.queue.length * 2 > l.maxQueued || backlogBytes(s) * 2 > l.maxQueuedBytes) return;
  b.log(null, label(s.clientId) + ': backlog drained, ' + (s.dropped - s.overflowFrom) + ' messages lost while full (' + s.dropped + ' in all)', LOG_LIMIT);
  s.overflowFrom = -1;
}
