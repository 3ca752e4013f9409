// `node --import ./test/ts-loader.mjs test/bench/espruino-flash-records.ts espruino.flash`:
// reads the Storage image the Espruino Linux build writes in its working folder
// (espruino.flash) with the fake Storage, loads the device store's journal from it (prefix
// "gj") and prints what it holds: the newest retained value per topic and the record counts
// by kind. For the by-hand power-cut run of issue 19 (README, "Persistence on the devices").
import { readFileSync } from 'node:fs';
import { FakeFlash } from '../store/fake-flash.js';
import { FakeStorage } from '../espruino/fake-storage.js';
import { SegmentJournal } from '../../core/store/segment-journal.js';
import { StorageMedium } from '../../ports/espruino/storage-store.js';
import { decodeRecord, REC_RETAINED_SET } from '../../core/index.js';
import type { StoredMessage } from '../../core/index.js';
import { loadedRecords } from '../helpers/loaded-records.js';

const image = readFileSync(process.argv[2] || 'espruino.flash');
const flash = new FakeFlash(image.length);
flash.bytes.set(image, 0);
const storage = FakeStorage.boot(flash);
if (storage.resetAtBoot) console.log('Storage is corrupt: Espruino would erase it at boot');
const journal = new SegmentJournal(new StorageMedium(storage, process.argv[3] || 'gj'), {
  budgetBytes: Number(process.env.BUDGET || 65536),
  onDamage: (seq, at) => { console.log('damage in segment ' + seq + ' at ' + at); },
});
const records = loadedRecords(journal);
const kinds: Record<string, number> = {};
const newest = new Map<string, string>();
for (const r of records) {
  const d = decodeRecord(r) as { kind: number; message?: StoredMessage };
  kinds[d.kind] = (kinds[d.kind] || 0) + 1;
  if (d.kind === REC_RETAINED_SET && d.message) newest.set(d.message.topic, Buffer.from(d.message.payload).toString('latin1'));
}
console.log('segments ' + journal.segments.join(',') + '; records ' + records.length + ' by kind ' + JSON.stringify(kinds) +
  '; torn ' + journal.stats.torn + ', damaged ' + journal.stats.damaged);
newest.forEach((v, t) => { console.log('retained ' + t + ' = ' + v); });
