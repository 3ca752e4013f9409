// Connections that have not completed CONNECT (from the port's connect() to a CONNACK that
// accepts them). They are not clients yet, so they take no maxConnections slot: at most
// maxPending of them are kept, and the bytes their decoders hold for a CONNECT or AUTH that
// spans reads are bounded broker-wide by maxPendingBytes. Under pressure the oldest pending
// connection is closed: an honest client sends its CONNECT right after connecting, so it
// is pending for a round trip or two, while sockets left silent on purpose grow old.

import type { Chain } from './chain.js';
import type { Limits } from './options.js';
import type { Stats } from './stats.js';
import type { Connection } from './connection.js';
import { AWAIT_CONNECT } from './connection-state.js';
import { LOG_CLOSED } from './log-events.js';

/** What the pending connections need of the broker. */
export interface PendingHost {
  limits: Limits;
  stats: Stats;
  pending: Chain<Connection>;       // oldest first
  pendingBytes: number;             // held by their decoders
  log(c: Connection | null, line: string, event: number, code?: number): void;
  connectionEnded(c: Connection, publishWill: boolean): void;
}

/**
 * A new connection joins the pending ones; past maxPending the oldest that has not sent a
 * whole CONNECT is closed. One whose CONNECT is being authenticated (a password check may
 * queue behind others when many clients reconnect at once) goes only when none is left.
 */
export function admitPending(b: PendingHost, c: Connection): void {
  b.pending.add(c);
  if (b.pending.size <= b.limits.maxPending) return;
  const oldest = oldestAwaiting(b, c);
  b.stats.pendingClosed++;
  closePending(b, oldest === null ? b.pending.oldest as Connection : oldest, 'maxPending ' + b.limits.maxPending);   // not `c`: maxPending is at least 1
}

/**
 * A port whose sockets are few (a device: a fixed number of lwIP PCBs) has a new socket and
 * no room for it: the oldest pending connection that has not sent a whole CONNECT is closed
 * instead, as for maxPending, and counted with it; `limit` names the port's cap in the log.
 * false: none is (all are clients, or authenticating): the port refuses the new socket.
 */
export function shedPending(b: PendingHost, limit: string): boolean {
  const oldest = oldestAwaiting(b, null);
  if (oldest === null) return false;
  b.stats.pendingClosed++;
  closePending(b, oldest, limit);
  return true;
}

/** The oldest pending connection still waiting for its CONNECT, older than `newest`; null: none. */
function oldestAwaiting(b: PendingHost, newest: Connection | null): Connection | null {
  for (let x: Connection | null = b.pending.oldest; x !== newest && x !== null; x = x.newer) {
    if (x.state === AWAIT_CONNECT) return x;
  }
  return null;
}

/** Accepted or closed: no longer pending, and what its decoder held no longer counts. */
export function leavePending(b: PendingHost, c: Connection): void {
  if (!c.linked) return;
  b.pending.remove(c);
  b.pendingBytes -= c.pendingHeld;
  c.pendingHeld = 0;
}

/**
 * The decoder of `c` is about to hold `bytes` for a packet that spans reads. While `c` is
 * pending this must fit maxPendingBytes, making room by closing older pending connections
 * that hold bytes; false: it cannot fit, and the decoder refuses the packet.
 */
export function reservePending(b: PendingHost, c: Connection, bytes: number): boolean {
  if (!c.linked) return true;
  if (!makeRoom(b, c, bytes)) return false;
  c.pendingHeld += bytes;
  b.pendingBytes += bytes;
  return true;
}

/**
 * After a read: what the decoder of pending `c` holds now (a body reserved above, or input
 * left unread while a hook decides). Over maxPendingBytes, older ones are closed first,
 * then `c` itself.
 */
export function pendingHeldNow(b: PendingHost, c: Connection, held: number): void {
  if (!c.linked) return;
  b.pendingBytes += held - c.pendingHeld;
  c.pendingHeld = held;
  if (b.pendingBytes <= b.limits.maxPendingBytes || makeRoom(b, c, 0)) return;
  b.stats.pendingBytesClosed++;
  closePending(b, c, 'maxPendingBytes ' + b.limits.maxPendingBytes);
}

function makeRoom(b: PendingHost, c: Connection, extra: number): boolean {
  const max = b.limits.maxPendingBytes;
  let x = b.pending.oldest;
  while (x !== null && b.pendingBytes + extra > max) {
    const next: Connection | null = x.newer;
    if (x !== c && x.pendingHeld > 0) {
      b.stats.pendingBytesClosed++;
      closePending(b, x, 'maxPendingBytes ' + max);
    }
    x = next;
  }
  return b.pendingBytes + extra <= max;
}

function closePending(b: PendingHost, c: Connection, limit: string): void {
  // LOG_CLOSED, not LOG_LIMIT: counted in $SYS, and a flood of silent sockets must not flood
  // a port's warnings with a line each.
  b.log(c, 'closed before CONNACK: limit ' + limit, LOG_CLOSED);
  b.connectionEnded(c, false);
}
