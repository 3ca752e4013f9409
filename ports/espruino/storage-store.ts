// A durable store for the Espruino port (issue 19): the journal (core/store/segment-journal.ts)
// in files of `require("Storage")`, within a byte budget, written at most once per tick.
//
//   var store = require("ganglion-store").storageStore({ budgetBytes: 16384 });
//   var b = require("ganglion").listen({ port: 1883, store: store }, hooks);
//
// It is its own bundle (dist/espruino/ganglion-store.js, build.mjs), so a board that keeps
// nothing pays nothing for it.
//
// Segments are plain Storage files ("gj1", "gj2", ...), each created at its full size with
// write(name, header, 0, segmentBytes), so the rest reads 0xFF, and filled in with
// write(name, frames, offset): Espruino writes within a file only over erased bytes ("File
// already written with different data" otherwise), which is exactly how the journal appends.
// Not StorageFile (Storage.open): a StorageFile ends at its first 0xFF byte, and the frames'
// lengths and CRCs hold any byte. A removed segment is Storage.erase()d: it becomes trash,
// which Espruino reclaims when it compacts its area (when a write finds no room, or at
// Storage.compact()).
//
// Batching: records appended during one turn of the event loop (and up to `flushMs` after
// the first) are written together; their done() (which lets the broker send PUBACK, PUBREC
// or PUBCOMP) runs right after that write returns. Storage writes are synchronous, so once
// write() has returned the bytes are on flash.
import type { SegmentJournalOptions, SegmentMedium } from '../../core/store/segment-journal.js';
import { SegmentJournal } from '../../core/store/segment-journal.js';
import { JournalStore } from '../../core/store/journal-store.js';

/** The parts of `require("Storage")` the store uses. */
export interface EspruinoStorage {
  write(name: string, data: Uint8Array, offset?: number, size?: number): boolean;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  erase(name: string): void;
  list(regex?: RegExp): string[];
}

export interface StorageStoreOptions extends SegmentJournalOptions {
  /** Segment file names are this and a number: "gj". At most 20 characters (Storage names: 28). */
  prefix?: string;
  /** Milliseconds appends wait to be written together: 0 (the next turn of the event loop). */
  flushMs?: number;
  /** The Storage module (default: require("Storage")). */
  storage?: EspruinoStorage;
  /** Write the QoS 1/2 messages in flight to connected clients too (Store.writeInflight): false. */
  writeInflight?: boolean;
}

/** Segments as Storage files. */
export class StorageMedium implements SegmentMedium {
  storage: EspruinoStorage;
  prefix: string;
  private pattern: RegExp;

  constructor(storage: EspruinoStorage, prefix: string) {
    if (prefix.length < 1 || prefix.length > 20 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new Error('storage store: prefix of 1 to 20 letters');
    this.storage = storage;
    this.prefix = prefix;
    this.pattern = new RegExp('^' + prefix + '[0-9]+$');
  }

  list(): number[] {
    const names = this.storage.list(this.pattern);
    const out: number[] = [];
    for (let i = 0; i < names.length; i++) out.push(parseInt(names[i].substring(this.prefix.length), 10));
    return out;
  }

  read(seq: number): Uint8Array {
    const b = this.storage.readArrayBuffer(this.prefix + seq);
    return b === undefined ? new Uint8Array(0) : new Uint8Array(b);
  }

  create(seq: number, size: number, first: Uint8Array): boolean {
    return this.storage.write(this.prefix + seq, first, 0, size);
  }

  write(seq: number, offset: number, bytes: Uint8Array): boolean {
    // Offset 0 would make Storage replace the file: the header is only ever written by create.
    if (offset <= 0) return false;
    return this.storage.write(this.prefix + seq, bytes, offset);
  }

  remove(seq: number): void {
    this.storage.erase(this.prefix + seq);
  }
}

/** The Store the broker is given (options.store): the journal in Storage files. */
export function storageStore(options: StorageStoreOptions): JournalStore {
  const o = options || {};
  const storage = o.storage !== undefined ? o.storage : require('Storage') as EspruinoStorage;
  const journal = new SegmentJournal(new StorageMedium(storage, o.prefix === undefined ? 'gj' : o.prefix), o);
  const store = new JournalStore(journal, o.flushMs === undefined ? 0 : o.flushMs,
    function (fn: () => void, ms: number): unknown { return setTimeout(fn, ms); },
    function (t: unknown): void { clearTimeout(t as ReturnType<typeof setTimeout>); });
  store.writeInflight = o.writeInflight === true;
  return store;
}
