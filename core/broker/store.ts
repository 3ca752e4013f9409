// Where broker state is made durable (issue 15; the contract four helpers build against). The
// state owner (state/) keeps the working state in memory and emits each change as a record
// (state/records.ts), encoded as bytes (state/record-codec.ts); a store keeps those bytes in
// order and gives them back at start-up, and never looks inside one. A durable store may take
// time: the broker then holds PUBACK / PUBREC / PUBCOMP until `done(true)` for the records
// they depend on, so nothing acknowledged is lost in a crash.
//
// The in-memory store is `durable: false`, and the broker then makes no call to it at all:
// no record is built, no callback made; the fast path pays nothing for the interface.

import type { RecordFrames } from './state/record-codec.js';

/** Given each record at start-up: the bytes `bytes[start .. end)`, good only during the call. */
export type RecordVisitor = (bytes: Uint8Array, start: number, end: number) => void;

export interface Store {
  /** false: nothing is persisted and no call below is made (the in-memory store, free). */
  durable: boolean;
  /**
   * false: the QoS 1/2 messages in flight to a client while it is connected are not recorded
   * (a device store's default, to spare the flash: state/owner.ts); they are written when their
   * client goes away, and those that came from the session's queue are recorded as ever. Absent
   * or true: every change is recorded.
   */
  writeInflight?: boolean;
  /**
   * Start-up, once, before any connection: `visit(bytes, start, end)` once for every record
   * kept, oldest first (the snapshot's records, then the log's), the record being
   * `bytes[start .. end)`. Torn tails are already dropped; damage was already reported.
   * `bytes` is the store's (a segment as read, a file's buffer) and is good only during that
   * call: the store may reuse it for the next segment, and the broker copies what it keeps.
   * No object is made per record (no view, no array of them): a start-up of a million records
   * would otherwise make a million views for the garbage collector, and a device would hold a
   * copy of each at once.
   */
  load(visit: RecordVisitor): void;
  /**
   * Keep these records, in this order, after all earlier ones. done(true) once they are
   * durable under the store's policy; done(false) if they could not be kept (write error,
   * full disk, over budget): the broker then acknowledges nothing that depended on them.
   * `done` may be called at once (in memory, on a device) or later (a file store), and the
   * calls of successive appends come in the order of the appends.
   */
  append(records: Uint8Array[], done: (stored: boolean) => void): void;
  /**
   * Optional, both or neither: append() for `count` records the encoder frames() gives framed
   * in one buffer, which the broker writes again after the call (a store copies what it keeps).
   */
  appendFrames?(frames: Uint8Array, count: number, done: (stored: boolean) => void): void;
  frames?(): RecordFrames;
  /**
   * true when the log has grown past its bound and a snapshot would let it shrink. The state
   * owner asks after appends, at a moment of its choosing.
   */
  compactionDue(): boolean;
  /**
   * Replace everything kept so far by these records (a snapshot that rebuilds the current
   * state); records appended after this call come after them.
   */
  compact(records: Uint8Array[], done: (stored: boolean) => void): void;
}

function nothingKept(_visit: RecordVisitor): void {
  // nothing to give back
}

function kept(_records: Uint8Array[], done: (stored: boolean) => void): void {
  done(true);
}

function never(): boolean {
  return false;
}

/** The broker's own memory is the only copy: nothing survives a restart, and nothing is asked. */
export const MEMORY_STORE: Store = Object.freeze({
  durable: false,
  load: nothingKept,
  append: kept,
  compactionDue: never,
  compact: kept,
});
