// `node test/xs/store-memory.mjs`: the Moddable store's memory in real XS (xsnap), from heap
// snapshots after a full GC (test/xs/driver.mjs --steps): the store made over an empty file
// system, then after filling its 16 KiB budget, then a fresh store that has loaded that full
// journal (each record visited as its segment's bytes and bounds, none kept: the Store
// contract, core/broker/store.ts). The fake file system
// (fake-moddable/file.ts) keeps the files' bytes in the XS heap too: their size is printed
// beside, to subtract. Slots are 32 bytes in xsnap (64-bit), 16 on an ESP32. Then the time
// load() of that full journal takes in xsnap, three times.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moddableFakes } from './fake-moddable/plugin.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const entry = `
import { fileStore } from 'ganglion/store';
import { resetDisk, disk } from './fake-moddable/file.ts';
let store = null, records = null;
function rec(i) { const r = new Uint8Array(36); for (let k = 0; k < 36; k++) r[k] = (i + k) & 255; return r; }
globalThis.storeMem = {
  make() { resetDisk('littlefs', 1 << 20); store = fileStore({}); store.load(function () {}); },
  fill() { let ok = true, i = 0; while (ok) { store.append([rec(i++)], function (s) { ok = s; }); store.flush(); } return i; },
  reload() { store = fileStore({}); records = 0; store.load(function () { records++; }); return records; },
  drop() { records = null; },
  disk() { return disk.used(); },
};
`;
const out = await build({ stdin: { contents: entry, resolveDir: here, loader: 'js' }, bundle: true, format: 'iife', target: 'es2020', platform: 'neutral', write: false, plugins: [moddableFakes], define: { __MQTT5__: 'true' } });
const dir = mkdtempSync(join(tmpdir(), 'ganglion-store-mem-'));
const snap = (label, code) => ({ label, code, snapshot: true });
const steps = [{ label: 'load', code: out.outputFiles[0].text }, snap('empty', 'gc()'), snap('made', 'storeMem.make()'),
  snap('full', 'storeMem.fill()'), snap('reloaded', 'storeMem.reload()'),
  { label: 'disk', code: 'const b = new TextEncoder().encode(String(storeMem.disk())); b.buffer' }];
// Recovery time of the full journal, three times (wall clock of xsnap on this machine).
for (let k = 0; k < 3; k++) {
  steps.push({ label: 'time' + k, code: 'const t0 = performance.now(); storeMem.reload(); const e = performance.now() - t0; storeMem.drop(); new TextEncoder().encode(e.toFixed(1)).buffer' });
}
writeFileSync(join(dir, 'steps.json'), JSON.stringify(steps));
const r = spawnSync(process.execPath, [join(here, 'driver.mjs'), '--steps', join(dir, 'steps.json')], { encoding: 'utf8', maxBuffer: 64 << 20 });
const m = /@@XS-STEPS@@(.*)/.exec(r.stdout || '');
if (!m) { console.log(r.stdout, r.stderr); process.exit(1); }
const by = new Map(JSON.parse(m[1]).map((s) => [s.label, s]));
const at = (l) => by.get(l).snapshot;
const row = (name, a, b) => {
  const slots = (at(b).slotBytes - at(a).slotBytes) / 32;
  const chunks = at(b).chunkBytes - at(a).chunkBytes;
  console.log(`${name.padEnd(44)} ${String(slots).padStart(6)} slots ${String(chunks).padStart(8)} chunk bytes  ~${slots * 16 + chunks} bytes on ESP32`);
};
console.log('file system bytes held by the fake (in the chunk heap, subtract): ' + by.get('disk').reply);
row('store made, empty journal loaded', 'empty', 'made');
row('after filling the 16 KiB budget', 'made', 'full');
row('a new store that loaded it (no record held)', 'full', 'reloaded');
console.log('load() of the full 16 KiB journal (276 records), ms: ' + [0, 1, 2].map((k) => by.get('time' + k).reply).join(', '));
