// Where broker state is made durable. The broker keeps its working state in memory (sessions,
// subscriptions, in-flight and queued messages, retained messages) and tells the store of
// every change that must survive a restart. A durable store (a later crash-safe file store on
// Node) may take time: the broker then waits for `done` before it acknowledges a QoS 1/2
// message (PUBACK / PUBREC), so nothing acknowledged can be lost in a crash.
//
// The in-memory store is `durable: false`, and the broker then skips these calls entirely:
// the fast path creates no callbacks and pays nothing for the interface.

import type { Message } from './message.js';
import type { Session } from './session.js';

export interface Store {
  /** false: nothing is persisted and no call below is made (the in-memory store). */
  durable: boolean;
  /**
   * An incoming QoS 1/2 message was accepted from `clientId` with `packetId`, and `m.retain`
   * tells if it also replaced a retained message. Call `done(true)` once it is durable,
   * `done(false)` if it could not be stored (the client then gets no success acknowledgement).
   */
  messageAccepted(clientId: string, packetId: number, m: Message, done: (stored: boolean) => void): void;
  /** Subscriptions, expiry or queued/in-flight messages of a persistent session changed. */
  sessionChanged(s: Session): void;
  /** The session ended (expired, or replaced by a clean start). */
  sessionRemoved(clientId: string): void;
  /** A retained message was set (m) or deleted (null). */
  retainedChanged(topic: string, m: Message | null): void;
}

function nothing(): void {
  // the in-memory store keeps nothing beyond the broker's own state
}

export const MEMORY_STORE: Store = Object.freeze({
  durable: false,
  messageAccepted: function (_clientId: string, _packetId: number, _m: Message, done: (stored: boolean) => void): void { done(true); },
  sessionChanged: nothing,
  sessionRemoved: nothing,
  retainedChanged: nothing,
});
