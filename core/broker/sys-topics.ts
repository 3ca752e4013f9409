// $SYS/ topics (a convention, not part of the specification; mosquitto's names where one
// exists): published from the broker's $SYS deadline as retained messages, so a new subscriber
// sees them at once (the per-client reports of slowClients() excepted: they are events, not state).
// The tree is in the README ("$SYS topics"). A port may publish more beside these (the Node
// port adds $SYS/broker/version, heap/current and latency/...).

import type { QoS } from '../codec/index.js';
import type { Chain } from './chain.js';
import type { Connection } from './connection.js';
import type { RetainedStore } from './retained-store.js';
import type { Stats } from './stats.js';
import type { Journal } from './state/journal.js';
import type { Session } from './session.js';


/** What $SYS reads of the broker, and how it publishes. */
export interface SysHost {
  nowMs: number;
  stats: Stats;
  clientCount: number;
  pending: Chain<Connection>;
  sessions: Map<string, Session>;
  sessionCount: number;
  offlineBytes: number;
  slowSessions: Session[];
  retained: RetainedStore;
  journal: Journal | null;
  sysLoad: SysLoad | null;          // made by the first publishSys
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean, nowMs: number): number;
}

// load/...: exponentially weighted averages, per minute, over 1, 5 and 15 minutes, as
// mosquitto computes them (sys_tree.c calc_load): each update moves the average towards the
// rate since the last one by 1 - e^(-dt / window).
const LOAD_WINDOWS_S = Object.freeze([60, 300, 900]);
const LOAD_NAMES = Object.freeze(['1min', '5min', '15min']);
const LOAD_TOPICS = Object.freeze(['messages/received', 'messages/sent', 'bytes/received', 'bytes/sent']);

/** The state the load averages carry from one publication to the next (Broker.sysLoad). */
export interface SysLoad {
  atMs: number;
  last: number[];      // the four counters of LOAD_TOPICS at atMs
  average: number[];   // LOAD_TOPICS x LOAD_WINDOWS_S, per minute
}

function counters(b: SysHost): number[] {
  const s = b.stats;
  return [s.messagesIn, s.messagesOut, s.bytesIn, s.bytesOut];
}


export function publishSys(b: SysHost): void {
  const s = b.stats;
  let subscriptions = 0;
  let sessions = 0;
  let stored = b.retained.count;
  let storedBytes = b.retained.bytes;
  b.sessions.forEach(function (session: Session) {
    if (session.local !== null) return;
    sessions++;
    subscriptions += session.subscriptionCount;
    // Each queued or in-flight copy counts: a message queued for two sessions counts twice.
    for (let i = 0; i < session.queue.length; i++) storedBytes += sizeOf(session.queue.item(i).message.payload.length, session.queue.item(i).message.topicBytes);
    for (let i = 0; i < session.inflight.length; i++) storedBytes += sizeOf(session.inflight.item(i).message.payload.length, session.inflight.item(i).message.topicBytes);
    stored += session.queue.length + session.inflight.length;
  });
  put(b, '$SYS/broker/uptime', Math.floor((b.nowMs - s.startedAtMs) / 1000) + ' seconds');
  put(b, '$SYS/broker/clients/connected', '' + b.clientCount);
  put(b, '$SYS/broker/clients/pending', '' + b.pending.size);
  put(b, '$SYS/broker/clients/total', '' + sessions);
  put(b, '$SYS/broker/clients/maximum', '' + s.peakClients);
  put(b, '$SYS/broker/clients/auth-failures', '' + s.authFailures);
  put(b, '$SYS/broker/messages/received', '' + s.messagesIn);
  put(b, '$SYS/broker/messages/sent', '' + s.messagesOut);
  put(b, '$SYS/broker/messages/dropped', '' + s.dropped);
  put(b, '$SYS/broker/errors', '' + s.errors);   // faults caught inside the core (fault.ts)
  put(b, '$SYS/broker/bytes/received', '' + s.bytesIn);
  put(b, '$SYS/broker/bytes/sent', '' + s.bytesOut);
  put(b, '$SYS/broker/subscriptions/count', '' + subscriptions);
  put(b, '$SYS/broker/retained messages/count', '' + b.retained.count);
  // How often each limit acted, under the option's own name.
  put(b, '$SYS/broker/limits/maxConnectSize', '' + s.connectTooLarge);
  put(b, '$SYS/broker/limits/maxPending', '' + s.pendingClosed);
  put(b, '$SYS/broker/limits/maxPendingBytes', '' + s.pendingBytesClosed);
  put(b, '$SYS/broker/limits/maxPendingPerAddress', '' + s.pendingPerAddressClosed);   // counted by the port
  put(b, '$SYS/broker/limits/maxSessions', '' + s.sessionsCapped);
  put(b, '$SYS/broker/limits/maxOfflineBytes', '' + s.offlineDropped);
  // mosquitto's name; here every session ended by its expiry (3.x: persistentSessionExpirySeconds).
  put(b, '$SYS/broker/clients/expired', '' + s.sessionsExpired);
  put(b, '$SYS/broker/sessions/count', '' + b.sessionCount);
  put(b, '$SYS/broker/sessions/offline bytes', '' + b.offlineBytes);
  put(b, '$SYS/broker/store/messages/count', '' + stored);
  put(b, '$SYS/broker/store/messages/bytes', '' + storedBytes);
  // Batches of records a durable store could not keep (their acknowledgements withheld, state/journal.ts).
  if (b.journal !== null) put(b, '$SYS/broker/store/failures', '' + b.journal.failures);
  publishLoad(b);
  slowClients(b);
}

function sizeOf(payloadBytes: number, topicBytes: Uint8Array | null): number {
  return payloadBytes + (topicBytes === null ? 0 : topicBytes.length);
}

function publishLoad(b: SysHost): void {
  const now = counters(b);
  let load = b.sysLoad;
  if (load === null) {
    // The first publication has no interval to measure: the averages start at 0.
    load = { atMs: b.nowMs, last: now, average: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] };
    b.sysLoad = load;
  } else if (b.nowMs > load.atMs) {
    const dtS = (b.nowMs - load.atMs) / 1000;
    for (let k = 0; k < LOAD_TOPICS.length; k++) {
      const perMinute = (now[k] - load.last[k]) * 60 / dtS;
      for (let w = 0; w < LOAD_WINDOWS_S.length; w++) {
        const i = k * LOAD_WINDOWS_S.length + w;
        const e = Math.exp(-dtS / LOAD_WINDOWS_S[w]);
        load.average[i] = perMinute + e * (load.average[i] - perMinute);
      }
    }
    load.atMs = b.nowMs;
    load.last = now;
  }
  for (let k = 0; k < LOAD_TOPICS.length; k++) {
    for (let w = 0; w < LOAD_WINDOWS_S.length; w++) {
      put(b, '$SYS/broker/load/' + LOAD_TOPICS[k] + '/' + LOAD_NAMES[w], load.average[k * LOAD_WINDOWS_S.length + w].toFixed(2));
    }
  }
}


// Per-client reports cost one message each: at most this many per interval.
const SLOW_REPORTS_MAX = 32;

/**
 * Who is losing messages to a full backlog (backlog.ts): `$SYS/broker/clients/slow`, how
 * many sessions are full now, and for each session that lost messages since the last report
 * `$SYS/broker/clients/{client id}/dropped`, its count since the session began (not retained;
 * a client may be let read its own with an ACL rule `allow read $SYS/broker/clients/%c/dropped`).
 * A client id that is not one topic level (with `/`, `+` or `#`) is in the log line only.
 */
function slowClients(b: SysHost): void {
  const list = b.slowSessions;
  let full = 0;
  let reports = 0;
  const still: Session[] = [];
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (s.overflowFrom >= 0) {
      full++;
      still.push(s);   // reported again next time while it stays full
    }
    const id = s.clientId;
    if (reports >= SLOW_REPORTS_MAX || id.indexOf('/') >= 0 || id.indexOf('+') >= 0 || id.indexOf('#') >= 0) continue;
    reports++;
    send(b, '$SYS/broker/clients/' + id + '/dropped', '' + s.dropped, false);
  }
  b.slowSessions = still;
  put(b, '$SYS/broker/clients/slow', '' + full);
}

function put(b: SysHost, topic: string, value: string): void {
  send(b, topic, value, true);
}

function send(b: SysHost, topic: string, value: string, retain: boolean): void {
  // Not counted as traffic: $SYS reports on clients, not on itself.
  const inBefore = b.stats.messagesIn;
  b.publish(topic, value, 0, retain, b.nowMs);
  b.stats.messagesIn = inBefore;
}
