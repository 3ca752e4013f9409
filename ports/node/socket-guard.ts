// The port's half of issue 13 §1: a throw in one socket's callback (the port's own code, or
// anything under it the core did not catch) never reaches the process's top level, where
// Node would end the process and every client with it. That socket is destroyed, its
// connection told it is gone, the fault counted in the core's stats.errors
// ($SYS/broker/errors) and logged once with its stack.
import type { Socket } from 'node:net';
import type { Broker, Connection } from '../../core/index.js';
import { CLOSED, LOG_FAULT } from '../../core/index.js';
import { portNow } from './deadline-timer.js';


/** A throw in a callback of `socket` (whose connection is `c`, if it has one yet). */
export function socketFault(broker: Broker, socket: Socket, c: Connection | null, where: string, e: unknown): void {
  broker.stats.errors++;
  const stack = e instanceof Error && e.stack !== undefined ? e.stack : String(e);
  broker.log(c, `internal error in the port (${where}), closing the socket: ${stack}`, LOG_FAULT);
  try {
    socket.destroy();
  } catch {
    // a socket that cannot even be destroyed: nothing more to do for it
  }
  if (c === null || c.state === CLOSED) return;
  try {
    c.closed(portNow());
  } catch {
    // the core guards closed() itself; this is the last line
  }
}

/** A throw in a callback that belongs to no one socket (the timer, the flush of a tick). */
export function portFault(broker: Broker, where: string, e: unknown): void {
  broker.stats.errors++;
  const stack = e instanceof Error && e.stack !== undefined ? e.stack : String(e);
  broker.log(null, `internal error in the port (${where}): ${stack}`, LOG_FAULT);
}
