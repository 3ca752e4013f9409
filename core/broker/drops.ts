// Messages the broker let go of undelivered, by cause: counted broker-wide (stats.dropped,
// stats.drops[cause]) and per session (session.dropped), for $SYS and the ports' metrics.
// Every limit that drops a message counts here (README "Limits and what happens at them").

import type { Stats } from './stats.js';
import type { Session } from './session.js';

/** What counting a drop needs of the broker. */
export interface DropsHost {
  stats: Stats;
}

export const DROP_BACKLOG_FULL = 0;     // the subscriber's backlog was full (backlog.ts: maxQueued, maxQueuedBytes, maxOutboundBytes)
export const DROP_TOO_LARGE = 1;        // over the client's Maximum Packet Size [5:MQTT-3.1.2-25]
export const DROP_OFFLINE_BYTES = 2;    // offline sessions together at maxOfflineBytes
export const DROP_RETAINED_FULL = 3;    // the retained store was at its count or byte limit (not retained)
export const DROP_READ_REFUSED = 4;     // a waiting message the read check refuses now (an ACL reload)
export const DROP_NO_SHARE_MEMBER = 5;  // a shared subscription's message with no member left

/** The causes' names, by DROP_* index (metric labels). */
export const DROP_CAUSES: ReadonlyArray<string> = Object.freeze([
  'backlog_full', 'too_large', 'offline_bytes_full', 'retained_full', 'read_refused', 'no_share_member',
]);

export function noDrops(): number[] {
  return [0, 0, 0, 0, 0, 0];
}

export function countDrop(b: DropsHost, s: Session | null, cause: number): void {
  b.stats.dropped++;
  b.stats.drops[cause]++;
  if (s !== null) s.dropped++;
}
