// The broker's side of a durable store: the records of one event-loop turn, appended together
// when the entry point that made them returns (settle(), fault.ts), and the acknowledgements
// that wait for them. PUBACK, PUBREC, PUBCOMP and PUBREL of a durable broker go out only once every
// record appended before them is stored (done(true)), in the order their packets came
// [MQTT-4.6.0-2] [MQTT-4.6.0-3]; when a store says done(false), those are not acknowledged
// as a success (the handler's release function decides what goes out instead), the failure is
// counted and logged, and the next batch is a snapshot (compact): a log missing records would
// rebuild the wrong state, a snapshot rebuilds the one in memory.
//
// A broker on the in-memory store has no journal (Broker.journal null): nothing here runs.

import type { Connection } from '../connection.js';
import type { Store } from '../store.js';
import type { StateRecord } from './records.js';
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
}

interface Batch {
  acks: HeldAck[];
  done: boolean;
  stored: boolean;
}

export class Journal {
  store: Store;
  records: Uint8Array[];          // of this turn, not yet handed to the store
  acks: HeldAck[];                // of this turn
  private batches: Batch[];       // handed to the store, oldest first, not yet released
  private broken: boolean;        // a batch was not stored: the next one is a snapshot
  private flushing: boolean;
  nextMessageId: number;          // REC_MESSAGE ids, from 1
  wallOffsetMs: number;           // wall-clock time minus the port's nowMs
  failures: number;               // batches the store could not keep ($SYS/broker/store/failures)
  host: JournalHost;

  constructor(store: Store, wallOffsetMs: number, host: JournalHost) {
    this.store = store;
    this.records = [];
    this.acks = [];
    this.batches = [];
    this.broken = false;
    this.flushing = false;
    this.nextMessageId = 1;
    this.wallOffsetMs = wallOffsetMs;
    this.failures = 0;
    this.host = host;
  }

  add(r: StateRecord): void {
    this.records.push(encodeRecord(r));
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

  /** Inside flush(): records made now go in the next batch. */
  busy(): boolean {
    return this.flushing;
  }

  /** Whether anything waits to be handed to the store. */
  pending(): boolean {
    return this.records.length > 0 || this.acks.length > 0;
  }

  /**
   * Hands this turn's records to the store (one append: the store may group several into one
   * fsync) and then, if the store asks, a snapshot. Acknowledgements go out as their batches
   * are stored, at once when the store answers at once.
   */
  flush(): void {
    if (this.flushing || !this.pending()) return;
    this.flushing = true;
    try {
      const batch: Batch = { acks: this.acks, done: false, stored: true };
      const records = this.records;
      this.acks = [];
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
          this.broken = false;
          this.store.compact(this.host.snapshot(), done);
        } else if (records.length === 0) {
          batch.done = true;   // acknowledgements that wait only for earlier batches
        } else {
          this.store.append(records, done);
          if (!this.broken && this.store.compactionDue()) this.compactNow();
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
    this.broken = true;
    this.host.storeLog('store: ' + batch.acks.length + ' acknowledgements withheld: their records were not kept');
  }

  /** Sends the acknowledgements of the stored batches at the head, in order. */
  private releaseDone(): void {
    const list = this.batches;
    while (list.length > 0 && list[0].done) {
      const batch = list.shift() as Batch;
      for (let i = 0; i < batch.acks.length; i++) this.host.releaseAck(batch.acks[i], batch.stored);
    }
  }
}
