// `node --import ./test/ts-loader.mjs test/bench/device-store.ts`: what the Espruino store
// writes (issue 19), measured on the fakes (test/store/fake-flash.ts, test/espruino/
// fake-storage.ts): Espruino's Storage on an ESP32's 896 KB area (224 sectors of 4 KiB, as
// boards/ESP32.py gives it), the store with its defaults (16 KiB budget, 4 KiB segments). The
// broker publishes retained QoS 1 messages (topic "sensors/tN", 4 topics, a 4-byte payload)
// into it; when the journal is due, the newest record per topic is the snapshot (as the state
// owner does). Prints, per message: bytes handed to Storage (frames, segment headers, commit
// bytes), bytes programmed on the chip (Storage's file headers and its compactions too), and
// sector erases, for 1 and for 10 messages per flush (10 publishers); then what that means per
// day at one message a second. MESSAGES=n to change the count (200000). Then the same flood
// (one message per flush) with a persistent QoS 1 subscriber to sensors/# connected, answering
// each PUBLISH with its PUBACK, with the store's writeInflight off (its default) and on: the
// bytes the in-flight records add per message.
import { FakeFlash } from '../store/fake-flash.js';
import { FakeStorage } from '../espruino/fake-storage.js';
import { storageStore } from '../../ports/espruino/storage-store.js';
import { decodeRecord, REC_RETAINED_SET } from '../../core/index.js';
import type { StoredMessage } from '../../core/index.js';
import { Rig } from '../helpers/rig.js';
import { loadedRecords } from '../helpers/loaded-records.js';

const MESSAGES = Number(process.env.MESSAGES || 200000);

/** Bytes handed to Storage per message with a connected persistent subscriber, writeInflight on or off. */
function withSubscriber(writeInflight: boolean): { store: number; chip: number } {
  const flash = new FakeFlash(224 * 4096);
  const store = storageStore({ storage: new FakeStorage(flash), writeInflight });
  store.load(() => {});
  const t = new Rig({ store, maxRetainedCount: 32 });
  t.connected('s', { version: 4, clean: false });
  t.subscribe('s', 'sensors/#', 1);
  t.connect('p', { version: 4 });
  store.flush();
  t.sent('p');
  t.sent('s');
  const bytes0 = store.journal.stats.bytes;
  const chip0 = flash.bytesWritten;
  for (let i = 0; i < MESSAGES; i++) {
    t.publish('p', 'sensors/t' + (i % 4), String(1000 + (i % 9000)), 1, (i % 65535) + 1, true);
    store.flush();
    if (t.sent('p').length !== 4) throw new Error('no PUBACK');
    const got = t.packets('s');
    if (got.length !== 1 || got[0].type !== 3) throw new Error('no PUBLISH to the subscriber');
    t.send('s', { type: 4, packetId: (got[0] as { packetId: number }).packetId, reasonCode: 0, properties: null });
    store.flush();
  }
  return { store: (store.journal.stats.bytes - bytes0) / MESSAGES, chip: (flash.bytesWritten - chip0) / MESSAGES };
}

function run(perFlush: number): { store: number; chip: number; writes: number; erases: number; maxErases: number; compactions: number } {
  const flash = new FakeFlash(224 * 4096);
  const storage = new FakeStorage(flash);
  const store = storageStore({ storage });
  store.load(() => {});
  const t = new Rig({ store, maxRetainedCount: 32 });
  // One publisher per message of a flush: a publisher waits for its PUBACK before the broker
  // reads its next PUBLISH, so batching groups messages of different clients.
  for (let c = 0; c < perFlush; c++) { t.connect('p' + c, { version: 4 }); t.sent('p' + c); }
  const newest = new Map<string, Uint8Array>();
  for (let i = 0; i < MESSAGES; i++) {
    const topic = 'sensors/t' + (i % 4);
    t.publish('p' + (i % perFlush), topic, String(1000 + (i % 9000)), 1, (i % 65535) + 1, true);
    if ((i + 1) % perFlush === 0) {
      store.flush();
      for (let c = 0; c < perFlush; c++) if (t.sent('p' + c).length !== 4) throw new Error('no PUBACK');
      if (store.compactionDue()) {
        // The state owner's snapshot: the newest retained record per topic, from what is kept.
        for (const r of loadedRecords(store.journal)) {
          const d = decodeRecord(r) as { kind: number; message?: StoredMessage };
          if (d.kind === REC_RETAINED_SET && d.message) newest.set(d.message.topic, r);
        }
        const keep: Uint8Array[] = [];
        newest.forEach((r) => { keep.push(r); });
        store.compact(keep, (ok) => { if (!ok) throw new Error('compaction failed'); });
      }
    }
  }
  return {
    store: store.journal.stats.bytes / MESSAGES,
    chip: flash.bytesWritten / MESSAGES,
    writes: flash.writes / MESSAGES,
    erases: flash.totalErases() / MESSAGES,
    maxErases: flash.maxErases(),
    compactions: store.journal.stats.compactions,
  };
}

for (const perFlush of [1, 10]) {
  const r = run(perFlush);
  const perDayAt1 = 86400;
  const sectorsCycled = r.erases * perDayAt1;                      // sector erases per day at 1 msg/s
  console.log(`${perFlush} message(s) per flush, ${MESSAGES} messages: ${r.store.toFixed(1)} bytes/message to Storage, ` +
    `${r.chip.toFixed(1)} bytes/message programmed on the chip in ${r.writes.toFixed(2)} writes/message, ${r.erases.toFixed(5)} sector erases/message ` +
    `(most-erased sector: ${r.maxErases} erases), ${r.compactions} journal compactions`);
  console.log(`  at 1 message/s: ${(r.chip * perDayAt1 / 1024).toFixed(0)} KiB/day programmed, ${sectorsCycled.toFixed(1)} sector erases/day over 224 sectors ` +
    `= ${(sectorsCycled / 224).toFixed(2)} cycles per sector per day -> 100,000 cycles in ${(100000 / (sectorsCycled / 224) / 365).toFixed(0)} years (if Storage spreads them evenly; the most-erased sector here: ${r.maxErases} for ${r.erases * MESSAGES} erases in all)`);
}

const off = withSubscriber(false);
const on = withSubscriber(true);
console.log(`with a connected persistent QoS 1 subscriber, ${MESSAGES} messages, one per flush: writeInflight off ${off.store.toFixed(1)} bytes/message to Storage ` +
  `(${off.chip.toFixed(1)} programmed), on ${on.store.toFixed(1)} (${on.chip.toFixed(1)} programmed): the in-flight records add ${(on.store - off.store).toFixed(1)} bytes/message`);
