// The records a store's load() gives (core/broker/store.ts), each copied out of the bytes the
// store lends for the visit: what a test compares with what it appended.
import type { RecordVisitor } from '../../core/index.js';

export function loadedRecords(store: { load(visit: RecordVisitor): void }): Uint8Array[] {
  const out: Uint8Array[] = [];
  store.load((bytes, start, end) => {
    out.push(bytes.slice(start, end));
  });
  return out;
}
