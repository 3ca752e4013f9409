// The client's deadlines, all from the times its entry points were given (never a clock):
//
//   deadline        due at                                         while
//   CONNACK         connectAtMs + connackTimeoutMs                 CONNECT sent, no CONNACK yet
//   PINGREQ         min(sentAtMs, receivedAtMs) + Keep Alive       connected, Keep Alive > 0,
//                   [4:MQTT-3.1.2-23] [5:MQTT-3.1.2-20]             no PINGREQ unanswered
//   PINGRESP        pingSentAtMs + pingTimeoutMs (4:§3.1.2.10)     a PINGREQ unanswered
//
// One client has at most one of them armed at a time, so it is computed, not kept in a heap.

import type { MqttClient } from './mqtt-client.js';
import { CONNECTED, CONNECTING } from './mqtt-client.js';

/** When a PINGREQ is due: Keep Alive after the last packet sent, or received, whichever is older. */
export function pingDeadline(c: MqttClient): number {
  const last = c.sentAtMs < c.receivedAtMs ? c.sentAtMs : c.receivedAtMs;
  return last + c.keepAliveMs;
}

export function nextClientDeadline(c: MqttClient): number {
  if (c.state === CONNECTING) return c.connectAtMs + c.limits.connackTimeoutMs;
  if (c.state !== CONNECTED || c.keepAliveMs === 0) return -1;
  if (c.pingSentAtMs >= 0) return c.pingSentAtMs + c.limits.pingTimeoutMs;
  return pingDeadline(c);
}
