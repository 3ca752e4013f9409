// The Store a device port gives the broker (issue 19): the device journal (segment-journal.ts)
// behind the Store interface (core/broker/store.ts), its appends written together by a timer
// the port supplies. Both device stores are this with their own medium and timer:
// ports/espruino/storage-store.ts (Storage files, setTimeout) and ports/moddable/file-store.js
// (files, Timer.set).
import type { RecordVisitor, Store } from '../broker/store.js';
import type { SegmentJournal } from './segment-journal.js';

/**
 * The Store a device port gives the broker (options.store): the journal, its appends written
 * together by the port's one-shot timer `flushMs` after the first (0: the next turn of the
 * event loop). `setTimer` / `clearTimer` are the port's (setTimeout on Espruino, Timer.set on
 * Moddable): the core starts no timer of its own.
 */
export class JournalStore implements Store {
  durable: boolean;
  /**
   * Store.writeInflight: false (the default), the QoS 1/2 messages in flight to a connected
   * client are not written (a power cut loses them; README "What it guarantees"), sparing the
   * flash their records; true: written as every other change.
   */
  writeInflight: boolean;
  journal: SegmentJournal;
  flushMs: number;
  private timer: unknown;
  private flushNow: () => void;
  private setTimer: (fn: () => void, ms: number) => unknown;
  private clearTimer: (t: unknown) => void;

  constructor(journal: SegmentJournal, flushMs: number, setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (t: unknown) => void) {
    this.durable = true;
    this.writeInflight = false;
    this.journal = journal;
    this.flushMs = flushMs;
    this.timer = null;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    const self = this;
    this.flushNow = function () {
      self.timer = null;
      self.journal.flush();
    };
  }

  load(visit: RecordVisitor): void {
    this.journal.load(visit);
  }

  append(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.journal.append(records, done);
    if (this.timer === null && this.journal.hasPending()) this.timer = this.setTimer(this.flushNow, this.flushMs);
  }

  compactionDue(): boolean {
    return this.journal.compactionDue();
  }

  compact(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.cancel();
    this.journal.compact(records, done);
  }

  /** Writes what waits now (before a planned reset, say). */
  flush(): void {
    this.cancel();
    this.flushNow();
  }

  private cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}
