// broker.close(nowMs): the one way a port shuts down (PORT.md, "Shutdown"). The core ends
// every connection itself, as it ends any other: an accepted 5.0 client gets DISCONNECT 0x8B
// Server shutting down first (5.0 §3.14.2.1), a 3.x client or one not accepted yet is just
// closed [4:MQTT-4.8.0-1], and wills go out, as for every close that was not the client's
// own DISCONNECT [MQTT-3.1.2-8]. Each transport's close() is called from inside this call;
// the port then stops listening and lets its sockets drain. After it, a connection the port
// still hands over is closed at once and nextDeadline() is -1: nothing is due any more.
//
// A 5.0 will waiting for its Will Delay Interval goes out when the delay passes or when its
// session ends, whichever is first [5:MQTT-3.1.2-8] (5.0 §3.1.2.5). On a store that is not
// durable every session ends with the broker, so every such will goes out here: first those
// of clients already away, while the connected clients can still get them, then those of
// the connections this call closes. On a durable store the sessions and their delayed wills
// are kept (state/), and the broker started on it publishes each at its time.

import { RC_SERVER_SHUTTING_DOWN, codecError } from '../codec/index.js';
import { faulted } from './fault.js';
import type { Session } from './session.js';
import type { WillHost } from './will.js';
import { releaseWill } from './will.js';

export function shutDown(b: WillHost): void {
  const durable = b.journal !== null;
  if (!durable) releaseDelayedWills(b);
  const list = b.connections.slice();
  for (let i = 0; i < list.length; i++) {
    try {
      list[i].fail(codecError(RC_SERVER_SHUTTING_DOWN, '5:§3.14.2.1', 'server shutting down'));
    } catch (e) {
      faulted(b, list[i], e);   // that connection only: the others are still closed
    }
  }
  if (!durable) releaseDelayedWills(b);
}

/** Every will waiting for its delay goes out now: the sessions they wait with are ending. */
function releaseDelayedWills(b: WillHost): void {
  const waiting: Session[] = [];
  b.sessions.forEach(function (s: Session) {
    if (s.will !== null) waiting.push(s);
  });
  for (let i = 0; i < waiting.length; i++) {
    try {
      releaseWill(b, waiting[i]);
    } catch (e) {
      faulted(b, null, e);   // that will only: the others still go out
    }
  }
}
