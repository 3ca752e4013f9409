// `node --import ./test/ts-loader.mjs test/bench/device-store-recovery.ts`: how long a device
// store full to its byte budget takes to come back (issue 19, "recovery time for a full
// store"), on the fakes (test/store/fake-flash.ts, test/espruino/fake-storage.ts) in Node.
// A persistent 3.1.1 session subscribes to q/# and leaves; a 5.0 publisher sends QoS 1
// messages (16-byte payloads) for it until the store refuses one (PUBACK 0x97: the log has its
// share of the budget, the rest kept for a compaction). Then, ROUNDS times (11), a power-on
// over the same chip: the journal's load() alone, and a broker made on a fresh store (its
// load() and the rebuild of the session and its queue from the records). Medians, and the range.
// BUDGETS=16384,65536 to choose the budgets.
import { FakeFlash } from '../store/fake-flash.js';
import { FakeStorage } from '../espruino/fake-storage.js';
import { storageStore } from '../../ports/espruino/storage-store.js';
import type { Packet } from '../../core/index.js';
import { Rig } from '../helpers/rig.js';

const ROUNDS = Number(process.env.ROUNDS || 11);
const BUDGETS = (process.env.BUDGETS || '16384,65536').split(',').map(Number);
// Room for the whole queue: what fills up first must be the store.
const ROOMY = { maxQueued: 1 << 20, maxQueuedBytes: 1 << 28, maxOfflineBytes: 1 << 28, maxInflight: 16 };

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function fill(flash: FakeFlash, budgetBytes: number): number {
  const store = storageStore({ storage: new FakeStorage(flash), budgetBytes });
  const t = new Rig({ store, ...ROOMY });
  t.connected('s', { clean: false });
  t.subscribe('s', 'q/#', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  store.flush();
  for (let i = 0; ; i++) {
    t.publish('p', 'q/x', 'message-' + String(100000 + i).slice(1) + '---', 1, (i % 65535) + 1);
    store.flush();
    const ack = t.packets('p').filter((p: Packet) => p.type === 4)[0] as { reasonCode: number } | undefined;
    if (ack === undefined) throw new Error('no PUBACK');
    if (ack.reasonCode >= 0x80) return i;
  }
}

for (const budgetBytes of BUDGETS) {
  const flash = new FakeFlash(224 * 4096);
  const accepted = fill(flash, budgetBytes);
  const loadMs: number[] = [];
  const brokerMs: number[] = [];
  let records = 0;
  let segments = 0;
  let bytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    flash.reboot();
    const store = storageStore({ storage: FakeStorage.boot(flash), budgetBytes });
    const t0 = performance.now();
    records = 0;
    bytes = 0;
    store.load((_b, start, end) => { records++; bytes += end - start; });   // each record as its segment's bytes and bounds
    loadMs.push(performance.now() - t0);
    segments = store.journal.segments.length;
    flash.reboot();
    const fresh = storageStore({ storage: FakeStorage.boot(flash), budgetBytes });
    const t1 = performance.now();
    const t = new Rig({ store: fresh, ...ROOMY });
    brokerMs.push(performance.now() - t1);
    if (r === 0) {
      // The check that the rebuild is the whole store: the session gets every accepted message.
      t.connect('s', { clean: false });
      const n = t.packets('s').filter((p: Packet) => p.type === 3).length;
      if (n < Math.min(accepted, 16)) throw new Error('the session came back with ' + n + ' messages');
    }
  }
  console.log(`budget ${budgetBytes} bytes: ${accepted} QoS 1 messages queued until the store refused one; ${records} records ` +
    `(${bytes} bytes) in ${segments} segments. load(): median ${median(loadMs).toFixed(1)} ms ` +
    `(${Math.min(...loadMs).toFixed(1)}-${Math.max(...loadMs).toFixed(1)}); createBroker from it (load and rebuild): median ` +
    `${median(brokerMs).toFixed(1)} ms (${Math.min(...brokerMs).toFixed(1)}-${Math.max(...brokerMs).toFixed(1)}), ${ROUNDS} rounds`);
}
