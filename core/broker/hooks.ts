// The embedding application's hooks: how it authenticates, authorizes and hears of clients.
// Each may answer at once or with a Promise (handlers/common.ts Answer).

import type { Connection } from './connection.js';
import type { Answer } from './handlers/common.js';

/** The embedding application's say. Each hook may answer at once or with a Promise. */
export interface Hooks {
  /** true: accept; false: bad user name or password; a number: that 5.0 CONNACK reason code. */
  authenticate(client: Connection, username: string | null, password: Uint8Array | null): Answer<boolean | number>;
  authorizePublish(client: Connection, topic: string): Answer<boolean>;
  authorizeSubscribe(client: Connection, topicFilter: string): Answer<boolean>;
  /**
   * A log line; `event` says what it is about (log-events.ts: LOG_FAULT ... LOG_DETAIL), so a
   * port picks its level from the number, never from the text; `code` is the CONNACK code of
   * a LOG_REFUSED line, else -1.
   */
  log(client: Connection | null, line: string, event: number, code: number): void;
  /**
   * 5.0 enhanced authentication (optional; without it a CONNECT naming an Authentication
   * Method is refused with 0x8C). Called with the client's data at CONNECT, on each AUTH
   * continuing the exchange, and on re-authentication; answers 0x18 (continue, with data
   * for the client), 0x00 (success) or a failure reason code.
   */
  authenticateEnhanced?(client: Connection, method: string, data: Uint8Array | null, reauthenticating: boolean): Answer<AuthAnswer>;
  /**
   * May this session receive a message on `topic`? Optional, synchronous, asked for every
   * delivery when present (routed, retained, and again when a queued message leaves the
   * queue or an unacknowledged one is resent): for read rules finer than a subscription
   * (an ACL that allows `home/#` but not `home/secret/+`). Local subscribers are not asked.
   */
  authorizeRead?(clientId: string, username: string | null, topic: string): boolean;
  /** A client's CONNECT was accepted (after its CONNACK went out). */
  connected?(client: Connection): void;
  /** An accepted client's connection ended; `clean` when it sent DISCONNECT. */
  disconnected?(client: Connection, clean: boolean): void;
}

export interface AuthAnswer {
  reasonCode: number;
  data?: Uint8Array;
}
