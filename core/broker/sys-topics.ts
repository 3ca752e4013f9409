// $SYS/ topics (a convention, not part of the specification; mosquitto's names where one
// exists): published from the broker's $SYS deadline as retained messages, so a new subscriber
// sees them at once (the per-client reports of slowClients() excepted: they are events, not state).

import type { Broker } from './broker.js';
import type { Session } from './session.js';

export function publishSys(b: Broker): void {
  const s = b.stats;
  let subscriptions = 0;
  b.sessions.forEach(function (session) { if (session.local === null) subscriptions += session.subscriptionCount; });
  put(b, '$SYS/broker/uptime', Math.floor((b.nowMs - s.startedAtMs) / 1000) + ' seconds');
  put(b, '$SYS/broker/clients/connected', '' + b.clientCount);
  put(b, '$SYS/broker/clients/pending', '' + b.pending.size);
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
  put(b, '$SYS/broker/limits/maxSessions', '' + s.sessionsCapped);
  put(b, '$SYS/broker/limits/maxOfflineBytes', '' + s.offlineDropped);
  // mosquitto's name; here every session ended by its expiry (3.x: persistentSessionExpirySeconds).
  put(b, '$SYS/broker/clients/expired', '' + s.sessionsExpired);
  put(b, '$SYS/broker/sessions/count', '' + b.sessionCount);
  put(b, '$SYS/broker/sessions/offline bytes', '' + b.offlineBytes);
  slowClients(b);
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
function slowClients(b: Broker): void {
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

function put(b: Broker, topic: string, value: string): void {
  send(b, topic, value, true);
}

function send(b: Broker, topic: string, value: string, retain: boolean): void {
  // Not counted as traffic: $SYS reports on clients, not on itself.
  const inBefore = b.stats.messagesIn;
  b.publish(topic, value, 0, retain, b.nowMs);
  b.stats.messagesIn = inBefore;
}
