// $SYS/ topics (a convention, not part of the specification; mosquitto's names where one
// exists): published from the broker's $SYS deadline as retained messages, so a new subscriber sees them at once.

import type { Broker } from './broker.js';

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
}

function put(b: Broker, topic: string, value: string): void {
  // Not counted as traffic: $SYS reports on clients, not on itself.
  const inBefore = b.stats.messagesIn;
  b.publish(topic, value, 0, true, b.nowMs);
  b.stats.messagesIn = inBefore;
}
