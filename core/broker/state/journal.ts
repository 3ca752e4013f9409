// The broker's side of a durable store: the records of one event-loop turn, appended together
// when the entry point that made them returns (settle(), fault.ts), and the acknowledgements
// that wait for them. PUBACK, PUBREC, PUBCOMP and PUBREL of a durable broker go out only once every
// record appended before them is stored (done(true)), in the order their packets came
// [MQTT-4.6.0-2] [MQTT-4.6.0-3]; when a store says done(false), those are not acknowledged
// as a success (the handler's release function decides what goes out instead), the failure is
// counted and logged, and the next batch is a snapshot (compact): a log missing records would
// rebuild the wrong state, a snapshot rebuilds the one in memory. While the store fails, a
// snapshot (costly) is tried at most every SNAPSHOT_RETRY_MS; batches between are refused.
//
// A broker on the in-memory store has no journal (Broker.journal null): nothing here runs.

import type { Connection } from '../connection.js';
import type { Store } from '../store.js';
import type { StateRecord } from './records.js';
import type { RecordFrames } from './record-codec.js';
import { encodeRecord } from './record-codec.js';

/** An acknowledgement waiting for the records before it. */
export interface HeldAck {
  connection: Connection;
  type: number;        // PUBACK, PUBREC, PUBCOMP or PUBREL
  packetId: number;
  reasonCode: number;  // what goes out once stored
}

/** What the journal asks of the broker that owns it. */
export interface JournalHost {
  /** Sends one held acknowledgement; `stored` false: its records were not kept. */
  releaseAck(a: HeldAck, stored: boolean): void;
  /** The records that rebuild the current state (snapshot.ts). */
  snapshot(): Uint8Array[];
  storeLog(line: string): void;
  /** After a store's late answer: what an entry point does on its way out (fault.ts settle). */
  settleLater(): void;
  /** The batch `c` held its frames for is stored (Connection.ungate). */
  openGate(c: Connection): void;
}

/** While a store fails: the least time (port's clock) between two snapshots tried. */
export const SNAPSHOT_RETRY_MS = 1000;

interface Batch {
  seq: number;
  acks: HeldAck[];
  waiters: Array<(stored: boolean) => void>;   // afterStored(), called after its acknowledgements
  done: boolean;
  stored: boolean;
}

export class Journal {
  store: Store;
  records: Uint8Array[];          // of this turn, not yet handed to the store
  frames: RecordFrames | null;    // instead, for a store with appendFrames
  acks: HeldAck[];                // of this turn
  waiters: Array<(stored: boolean) => void>;   // of this turn (afterStored)
  private batches: Batch[];       // handed to the store, oldest first, not yet released
  private broken: boolean;        // a batch was not stored: the next one is a snapshot
  private retryAtMs: number;      // while broken: no snapshot before this (port's clock)
  private flushing: boolean;
  turn: number;                   // the number of this turn's batch, from 1
  private answered: number;       // batches up to this one are answered
  private gated: Connection[];    // holding frames for a batch not answered (gate())
  nextMessageId: number;          // REC_MESSAGE ids, from 1
  wallOffsetMs: number;           // wall-clock time minus the port's nowMs
  failures: number;               // batches the store could not keep ($SYS/broker/store/failures)
  host: JournalHost;

  constructor(store: Store, wallOffsetMs: number, host: JournalHost) {
    this.store = store;
    this.records = [];
    this.frames = store.frames !== undefined ? store.frames() : null;
    this.acks = [];
    this.waiters = [];
    this.batches = [];
    this.broken = false;
    this.retryAtMs = -1;
    this.flushing = false;
    this.turn = 1;
    this.answered = 0;
    this.gated = [];
    this.nextMessageId = 1;
    this.wallOffsetMs = wallOffsetMs;
    this.failures = 0;
    this.host = host;
  }

  add(r: StateRecord): void {
    if (this.frames !== null) this.frames.add(r);
    else this.records.push(encodeRecord(r));
  }

  /** The wall-clock time of a deadline on the port's clock (-1 stays -1). */
  toWall(ms: number): number {
    return ms < 0 ? -1 : Math.ceil(ms + this.wallOffsetMs);
  }

  /**
   * A record's wall-clock time on the port's clock (-1 stays -1). One that passed before the
   * port's clock began is 0: past all the same, and never taken for -1, "none".
   */
  fromWall(ms: number): number {
    if (ms < 0) return -1;
    const at = ms - this.wallOffsetMs;
    return at > 0 ? at : 0;
  }

  /** `fn` once this turn's records and every earlier one are stored (a bridge's held frames, core/bridge/gate.ts). */
  afterStored(fn: (stored: boolean) => void): void {
    this.waiters.push(fn);
  }

  /** Inside flush(): records made now go in the next batch. */
  busy(): boolean {
    return this.flushing;
  }

  /** Whether anything waits to be handed to the store. */
  pending(): boolean {
    return this.records.length > 0 || this.acks.length > 0 || this.waiters.length > 0 || (this.frames !== null && this.frames.count > 0);
  }

  /**
   * Hands this turn's records to the store (one append: the store may group several into one
   * fsync) and then, if the store asks, a snapshot. Acknowledgements go out as their batches
   * are stored, at once when the store answers at once. `nowMs` paces snapshots while it fails.
   */
  flush(nowMs: number): void {
    if (this.flushing || !this.pending()) return;
    this.flushing = true;
    try {
      const batch: Batch = { seq: this.turn++, acks: this.acks, waiters: this.waiters, done: false, stored: true };
      const records = this.records;
      const count = this.frames === null ? 0 : this.frames.count;
      const frames = count === 0 ? null : (this.frames as RecordFrames).take();
      this.acks = [];
      this.waiters = [];
      this.records = [];
      this.batches.push(batch);
      const j = this;
      const done = function (stored: boolean): void {
        batch.done = true;
        batch.stored = stored;
        if (!stored) j.failed(batch);
        if (j.flushing) return;   // answered at once: released below
        j.releaseDone();
        j.host.settleLater();
      };
      try {
        if (this.broken) {
          if (nowMs < this.retryAtMs) {
            done(false);   // after a gap, and a snapshot was tried just now
          } else {
            this.broken = false;
            this.retryAtMs = nowMs + SNAPSHOT_RETRY_MS;
            this.store.compact(this.host.snapshot(), done);
          }
        } else if (frames !== null || records.length > 0) {
          if (frames !== null) this.store.appendFrames!(frames, count, done);
          else this.store.append(records, done);
          if (!this.broken && this.store.compactionDue()) this.compactNow();
        } else {
          batch.done = true;   // acknowledgements that wait only for earlier batches
        }
      } catch (e) {
        // A store that throws has not kept them: as done(false), once.
        this.host.storeLog('store: threw: ' + String(e));
        if (!batch.done) done(false);
      }
    } finally {
      this.flushing = false;
    }
    this.releaseDone();
  }

  private compactNow(): void {
    const j = this;
    this.store.compact(this.host.snapshot(), function (stored: boolean) {
      if (stored) return;
      j.failures++;
      j.broken = true;
      j.host.storeLog('store: the snapshot was not kept; the next change writes one again');
    });
  }

  private failed(batch: Batch): void {
    this.failures++;
    // Logged as the store begins to fail and at each snapshot tried: not for every batch.
    if (!this.broken) this.host.storeLog('store: ' + batch.acks.length + ' acknowledgements withheld: their records were not kept');
    this.broken = true;
  }

  /** `c` holds its frames until batch `seq` is answered (delivery.ts gateFor); false: it is. */
  gate(c: Connection, seq: number): boolean {
    if (seq <= this.answered) return false;
    if (c.gatedUntil === 0) this.gated.push(c);
    if (c.gatedUntil < seq) c.gatedUntil = seq;
    return true;
  }

  /**
   * Sends the acknowledgements of the answered batches at the head, in order, then the frames
   * held for them (also when not stored: the broker serves from memory while its store fails).
   */
  private releaseDone(): void {
    const list = this.batches;
    const before = this.answered;
    while (list.length > 0 && list[0].done) {
      const batch = list.shift() as Batch;
      this.answered = batch.seq;
      for (let i = 0; i < batch.acks.length; i++) this.host.releaseAck(batch.acks[i], batch.stored);
      for (let i = 0; i < batch.waiters.length; i++) {
        try {
          batch.waiters[i](batch.stored);
        } catch (e) {
          this.host.storeLog('store: a caller of afterStored threw: ' + String(e));   // its bug; the others are told all the same
        }
      }
    }
    if (this.answered === before || this.gated.length === 0) return;
    const gated = this.gated;
    this.gated = [];
    for (let i = 0; i < gated.length; i++) {
      const c = gated[i];
      if (c.gatedUntil > this.answered) this.gated.push(c);
      else if (c.gatedUntil !== 0) this.host.openGate(c);
    }
  }
}
