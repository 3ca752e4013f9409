// What the small Espruino bundles (dist/espruino/ganglion.js and ganglion-mqtt3.js, built with
// __STORE__ false) have in place of the broker's journal, start-up from records and snapshots
// (core/broker/state/journal.ts, load.ts and snapshot.ts, and through them the record codec):
// build.mjs resolves broker.ts's imports of those three modules to this file. The broker
// refuses a durable store before it would call any of them (broker.ts constructor), so each
// only throws; the memory store makes no call at all (core/broker/store.ts).

function absent(): never {
  throw new Error('store: this build keeps no state records (__STORE__ false)');
}

export class Journal {
  constructor() {
    absent();
  }
}

export function loadState(): never {
  return absent();
}

export function loadedWill(): never {
  return absent();
}

export function snapshot(): never {
  return absent();
}

export function encodeRecord(): never {
  return absent();
}
