// The Espruino store bundle (dist/espruino/ganglion-store.js): require("ganglion-store"),
// loaded only by a program that keeps state across resets (README, "Persistence on the
// devices"). It carries its own copy of the journal code, which the broker bundle does not.
export { StorageMedium, storageStore } from './storage-store.js';
export type { EspruinoStorage, StorageStoreOptions } from './storage-store.js';
