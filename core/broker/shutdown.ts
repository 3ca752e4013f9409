// broker.close(nowMs): the one way a port shuts down (PORT.md, "Shutdown"). The core ends
// every connection itself, as it ends any other: an accepted 5.0 client gets DISCONNECT 0x8B
// Server shutting down first (5.0 §3.14.2.1), a 3.x client or one not accepted yet is just
// closed [4:MQTT-4.8.0-1], and wills go out, as for every close that was not the client's
// own DISCONNECT [MQTT-3.1.2-8]. Each transport's close() is called from inside this call;
// the port then stops listening and lets its sockets drain. After it, a connection the port
// still hands over is closed at once and nextDeadline() is -1: nothing is due any more.

import { RC_SERVER_SHUTTING_DOWN, codecError } from '../codec/index.js';
import type { FaultHost } from './fault.js';
import { faulted } from './fault.js';

export function shutDown(b: FaultHost): void {
  const list = b.connections.slice();
  for (let i = 0; i < list.length; i++) {
    try {
      list[i].fail(codecError(RC_SERVER_SHUTTING_DOWN, '5:§3.14.2.1', 'server shutting down'));
    } catch (e) {
      faulted(b, list[i], e);   // that connection only: the others are still closed
    }
  }
}
