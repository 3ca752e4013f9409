// What a port's outgoing socket drives: the client role's entry points, which the core's
// MqttClient has and the core's Bridge (core/bridge) has too, as it drives one. A port's
// socket adapter feeds either the same way (PORT.md of core/bridge gives the call order).
import type { Transport } from '../broker/connection.js';

export interface ClientEntryPoints {
  connect(transport: Transport, nowMs: number): void;   // the connection is up: CONNECT goes
  receive(chunk: Uint8Array, nowMs: number): void;      // bytes from the server, split anywhere
  writable(nowMs: number): void;                        // the transport has room again
  closed(nowMs: number): void;                          // the server or the network ended it
  nextDeadline(): number;                               // when timeout() is next due; -1: nothing
  timeout(nowMs: number): void;
}
