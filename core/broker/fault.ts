// An exception inside the core: a bug of ours, of a hook, or of a port's transport, never
// a peer's bad input (that is a CodecError value, answered with its reason code). Each of
// the core's entry points (Connection.receive/writable/closed, Broker.timeout, the in-process
// API, every hook's Promise callback) catches what is thrown under it and hands it here:
// the connection being served is closed, the fault counted ($SYS/broker/errors) and logged
// once with its stack, and the broker and every other client carry on.
//
// A transport whose write() throws, or a subscriber whose authorizeRead hook throws, is not
// closed at once: that happened in the middle of routing someone else's message, where
// closing (a will, a session ending) would start another routing inside it. It is marked
// (a failed write also holds it as blocked: nothing more is written to it), and closed by
// settle() when the entry point that caused it returns. An in-process subscriber that
// throws loses that message only.

import { MQTT_5, RC_IMPLEMENTATION_SPECIFIC_ERROR, isCodecError } from '../codec/index.js';
import type { Stats } from './stats.js';
import type { Journal } from './state/journal.js';
import type { Connection } from './connection.js';
import { ACTIVE, CLOSED } from './connection-state.js';
import { LOG_FAULT } from './log-events.js';

/** What handling a fault needs of the broker. */
export interface FaultHost {
  stats: Stats;
  connections: Connection[];
  connectionCount: number;
  faulty: Connection[];             // closed by settle()
  journal: Journal | null;
  nowMs: number;                    // the port's clock, as the last entry point gave it
  log(c: Connection | null, line: string, event: number, code?: number): void;
  connectionEnded(c: Connection, publishWill: boolean): void;
}

/** Something was thrown while the core served `c` (null: no one connection, a timer's sweep). */
export function faulted(b: FaultHost, c: Connection | null, e: unknown): void {
  b.stats.errors++;
  b.log(c, 'internal error: ' + describe(e), LOG_FAULT);
  if (c !== null) closeFaulted(b, c, isCodecError(e) ? e.rc : RC_IMPLEMENTATION_SPECIFIC_ERROR);
}

/**
 * A hook's Promise was rejected: the application failed to answer, which is a fault like a
 * throw (counted, logged with the reason's stack); `c` is closed unless the caller answers
 * it otherwise (a CONNECT is refused with its own CONNACK). `c` null: a will's publisher, gone.
 */
export function hookFailed(b: FaultHost, c: Connection | null, hook: string, reason: unknown, close: boolean): void {
  b.stats.errors++;
  b.log(c, 'internal error: the ' + hook + ' hook failed: ' + describe(reason), LOG_FAULT);
  if (c !== null && close) closeFaulted(b, c, RC_IMPLEMENTATION_SPECIFIC_ERROR);
}

/**
 * Something done for `c` while serving another connection threw (its transport's write, the
 * authorizeRead hook for it): counted and logged now, `c` closed by settle().
 */
export function failLater(b: FaultHost, c: Connection, what: string, e: unknown): void {
  if (c.faulty) return;
  c.faulty = true;
  b.stats.errors++;
  b.log(c, 'internal error in ' + what + ': ' + describe(e), LOG_FAULT);
  b.faulty.push(c);
}

/**
 * Every entry point calls it on its way out: closes the connections whose writes failed, and
 * on a durable store hands the records of this turn to the store (state/journal.ts), whose
 * answer may send acknowledgements that fail more writes, or read more packets.
 */
export function settle(b: FaultHost): void {
  const list = b.faulty;
  const j = b.journal;
  do {
    while (list.length > 0) {
      const c = list.shift() as Connection;
      closeFaulted(b, c, RC_IMPLEMENTATION_SPECIFIC_ERROR);
    }
    if (j !== null) {
      try {
        j.flush(b.nowMs);
      } catch (e) {
        faulted(b, null, e);   // a store that throws: its records are lost to it, nothing else
      }
    }
  } while (list.length > 0 || (j !== null && j.pending() && !j.busy()));
}

/**
 * Ends `c` as a server-side failure (5.0 after CONNACK: DISCONNECT 0x83, or 0x81 for a
 * malformed packet, first). If ending it throws too, the connection is cut without ceremony:
 * taken out of the broker's lists and its session left, so that nothing of it remains.
 */
function closeFaulted(b: FaultHost, c: Connection, rc: number): void {
  if (c.state === CLOSED) {
    forget(b, c);
    return;
  }
  try {
    // After a failed write the connection is blocked: the DISCONNECT is queued, never written.
    if ((__MQTT5__ && c.version === MQTT_5) && c.state === ACTIVE) c.disconnect(rc, 'internal error');
    b.connectionEnded(c, true);
  } catch (e2) {
    b.stats.errors++;
    b.log(c, 'internal error while closing: ' + describe(e2), LOG_FAULT);
    c.state = CLOSED;
    forget(b, c);
    try {
      c.transport.close();
    } catch (e3) {
      // the port's close is broken too: nothing more the core can do for this connection
    }
  }
}

/** Takes a closed connection out of every list that could still hold it. */
function forget(b: FaultHost, c: Connection): void {
  const i = b.connections.indexOf(c);
  if (i >= 0) {
    b.connections.splice(i, 1);
    b.connectionCount--;
  }
  const s = c.session;
  if (s !== null && s.connection === c) s.connection = null;
}

/** The message and stack of whatever was thrown (engines differ: the stack may lack the message). */
export function describe(e: unknown): string {
  try {
    const text = isCodecError(e) ? e.message + ' [' + e.rule + ']' : String(e);
    const stack = e !== null && typeof e === 'object' ? (e as { stack?: unknown }).stack : undefined;
    if (typeof stack !== 'string' || stack === '') return text;
    return stack.indexOf(text) >= 0 ? stack : text + '\n' + stack;
  } catch (e2) {
    return 'a value that cannot be shown';   // a thrown object whose toString throws
  }
}
