// A board for broker-level store tests (test/store/*.test.ts): the Espruino store
// (ports/espruino/storage-store.ts) over the fake Storage and NOR flash, and a broker on it
// (test/helpers/rig.ts). The flash survives; each boot() is a new Storage, store and broker over
// it. A power cut is the board stopping dead after the store's last flush (cut()).
import type { BrokerOptions } from '../../core/index.js';
import { FakeFlash } from './fake-flash.js';
import { FakeStorage } from '../espruino/fake-storage.js';
import { storageStore } from '../../ports/espruino/storage-store.js';
import type { StorageStoreOptions } from '../../ports/espruino/storage-store.js';
import type { JournalStore } from '../../core/store/journal-store.js';
import { Rig } from '../helpers/rig.js';

export class BrokerBoard {
  flash = new FakeFlash(64 * 4096);
  store!: JournalStore;
  t!: Rig;
  constructor(private storeOptions: StorageStoreOptions, private brokerOptions: BrokerOptions = {}) {}
  boot(): Rig {
    this.flash.reboot();
    this.store = storageStore({ ...this.storeOptions, storage: FakeStorage.boot(this.flash) });
    this.t = new Rig({ ...this.brokerOptions, store: this.store });
    return this.t;
  }
  /** The end of an event-loop turn: the store's timer writes what was appended (and PUBACKs go out). */
  tick(): void {
    this.store.flush();
  }
  /** The power goes after the last write: nothing waits unwritten, nothing more runs. */
  cut(): Rig {
    this.tick();
    return this.boot();
  }
}
