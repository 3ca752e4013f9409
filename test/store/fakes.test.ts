// The fakes the device stores are proven on (issue 19): they must behave as the real parts do,
// or a store that passes on them can still lose data on a board. Each test pins one rule of
// the real part, cited from its source or documentation:
//   NOR flash (ESP32 SPI flash)          test/store/fake-flash.ts
//   Espruino require("Storage")          test/espruino/fake-storage.ts (src/jsflash.c, jswrap_storage.c)
//   Moddable `file` (SPIFFS, LittleFS)   test/xs/fake-moddable/file.ts (modules/files/file/)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeFlash, isPowerCut } from './fake-flash.js';
import { FakeStorage, HEADER_BYTES, STORAGEFILE_CHUNK } from '../espruino/fake-storage.js';
import { File, Iterator, resetDisk } from '../xs/fake-moddable/file.js';

function throwsCut(fn: () => unknown): void {
  try { fn(); } catch (e) { assert.ok(isPowerCut(e), 'expected a power cut, got ' + String(e)); return; }
  assert.unreachable('no power cut');
}

function bin(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i += 2) out += String.fromCharCode(parseInt(s.slice(i, i + 2), 16));
  return out;
}

// ---- flash ----

test('flash: erased bytes read 0xFF', () => {
  const f = new FakeFlash(8192);
  assert.equal(Array.from(f.read(4090, 4)), [255, 255, 255, 255]);
});

test('flash: a write only clears bits (old AND new); 0xFF over a written byte changes nothing', () => {
  const f = new FakeFlash(4096);
  f.write(10, new Uint8Array([0xf0]));
  f.write(10, new Uint8Array([0x3c]));
  assert.is(f.read(10, 1)[0], 0x30);
  f.write(10, new Uint8Array([0xff]));
  assert.is(f.read(10, 1)[0], 0x30);
});

test('flash: erase sets one whole 4 KiB sector to 0xFF and counts it', () => {
  const f = new FakeFlash(8192);
  f.write(4095, new Uint8Array([1, 2]));     // the last byte of sector 0, the first of sector 1
  f.erase(1);
  assert.is(f.read(4095, 1)[0], 1);
  assert.is(f.read(4096, 1)[0], 255);
  assert.equal(f.erases, [0, 1]);
});

test('flash: a cut after n bytes leaves exactly those n bytes, then every call throws until reboot', () => {
  const f = new FakeFlash(4096);
  f.cutAfter(3);
  throwsCut(() => f.write(0, new Uint8Array([1, 2, 3, 4, 5])));
  throwsCut(() => f.read(0, 1));
  throwsCut(() => f.erase(0));
  f.reboot();
  assert.equal(Array.from(f.read(0, 5)), [1, 2, 3, 255, 255]);
});

test('flash: a cut planned before an erase leaves the sector as it was', () => {
  const f = new FakeFlash(4096);
  f.write(0, new Uint8Array([7]));
  f.cutAfter(0);
  throwsCut(() => f.erase(0));
  f.reboot();
  assert.is(f.read(0, 1)[0], 7);
  assert.is(f.erases[0], 0);
});

// ---- Espruino Storage ----

function storage(sectors = 16): FakeStorage {
  return new FakeStorage(new FakeFlash(sectors * 4096));
}

test('Storage: write then read gives the bytes back, 0x00 and 0xFF included', () => {
  const s = storage();
  assert.ok(s.write('a', bin('00ff7f80')));
  assert.is(s.read('a'), bin('00ff7f80'));
  assert.equal(Array.from(new Uint8Array(s.readArrayBuffer('a') as ArrayBuffer)), [0, 255, 127, 128]);
  assert.is(s.read('nothing'), undefined);
});

test('Storage: write(name, data, 0, size) makes a file of size bytes whose rest reads 0xFF; later writes fill it in', () => {
  const s = storage();
  s.write('a', 'Hello', 0, 14);
  assert.is(s.read('a'), 'Hello' + bin('ff'.repeat(9)));
  s.write('a', ' ', 5);
  s.write('a', 'World!!!', 6);
  assert.is(s.read('a'), 'Hello World!!!');
});

test('Storage: writing at an offset over bytes already written throws "File already written with different data"', () => {
  const s = storage();
  s.write('a', 'Hello', 0, 14);
  assert.throws(() => s.write('a', 'J', 3), /File already written with different data/);
  assert.is(s.read('a', 0, 5), 'Hello');
});

test('Storage: past the end of a file throws "Too much data for file size"; no file at offset > 0 throws', () => {
  const s = storage();
  s.write('a', 'Hi', 0, 4);
  assert.throws(() => s.write('a', 'abc', 2), /Too much data for file size/);
  assert.throws(() => s.write('b', 'x', 1), /Unable to find or create file/);
});

test('Storage: writing at offset 0 again replaces the file (the old one becomes trash)', () => {
  const s = storage();
  s.write('a', 'Hello', 0, 14);
  s.write('a', ' ', 0);
  assert.is(s.read('a'), ' ');
  const st = s.getStats();
  assert.is(st.fileCount, 1);
  assert.is(st.trashCount, 1);
  assert.is(st.trashBytes, 14);
});

test('Storage: erase makes trash; its space comes back at compact(), which erases sectors', () => {
  const s = storage();
  s.write('a', 'x'.repeat(5000));
  s.write('b', 'y'.repeat(100));
  const free = s.getFree();
  s.erase('a');
  assert.is(s.getFree(), free);
  assert.is(s.read('a'), undefined);
  s.compact();
  assert.ok(s.getFree() > free + 5000);
  assert.is(s.read('b'), 'y'.repeat(100));
  assert.ok(s.flash.totalErases() >= 2);
});

test('Storage: a write that finds no room at the end compacts the trash first; with no trash it fails', () => {
  const s = storage(4);                          // 16 KiB
  s.write('a', 'x'.repeat(9000));
  s.erase('a');
  assert.ok(s.write('b', 'y'.repeat(9000)));    // fits only once a's trash is gone
  assert.is(s.compactions, 1);
  assert.throws(() => s.write('c', 'z'.repeat(9000)), /Unable to find or create file/);
  assert.is(s.read('b'), 'y'.repeat(9000));
});

test('Storage: list(regex) lists live files only', () => {
  const s = storage();
  s.write('gj1', 'a');
  s.write('gj2', 'b');
  s.write('other', 'c');
  s.erase('gj1');
  assert.equal(s.list(/^gj/), ['gj2']);
});

test('Storage: a cut inside a new file\'s data leaves the file with a prefix written and 0xFF after it', () => {
  const s = storage();
  s.flash.cutAfter(HEADER_BYTES + 2);
  throwsCut(() => s.write('a', 'abcdef', 0, 8));
  s.flash.reboot();
  const again = new FakeStorage(s.flash);
  assert.is(again.read('a'), 'ab' + bin('ffffffffffff'));
});

test('Storage: a cut inside the header leaves no file of that name', () => {
  const s = storage();
  s.flash.cutAfter(10);
  throwsCut(() => s.write('abcdefgh', 'x', 0, 8));
  s.flash.reboot();
  assert.is(new FakeStorage(s.flash).read('abcdefgh'), undefined);
});

test('Storage at boot: a header cut after its 1st or 2nd byte makes Espruino erase all of Storage (jsfIsStorageValid, jsfResetStorage)', () => {
  for (let cut = 0; cut <= 4; cut++) {
    const flash = new FakeFlash(16 * 4096);
    const s = new FakeStorage(flash);
    s.write('keep', 'precious');
    flash.cutAfter(cut);
    throwsCut(() => s.write('new', 'x', 0, 4096));
    flash.reboot();
    const after = FakeStorage.boot(flash);
    assert.is(after.resetAtBoot, cut === 1 || cut === 2, 'cut ' + cut);
    assert.is(after.read('keep'), cut === 1 || cut === 2 ? undefined : 'precious', 'cut ' + cut);
    assert.equal(after.list(/^new/), [], 'cut ' + cut + ': never a file called "new"');
  }
});

test('StorageFile: appends across chunks, reads back in order, and open("a") goes on where it ended', () => {
  const s = storage();
  const f = s.open('log', 'w');
  f.write('x'.repeat(STORAGEFILE_CHUNK - 2));
  f.write('hello\n');
  const g = s.open('log', 'a');
  g.write('world\n');
  assert.equal(s.list(undefined, { sf: true }), ['log']);
  assert.equal(s.list(/^log/), ['log\u0001']);
  const r = s.open('log', 'r');
  assert.is(r.getLength(), STORAGEFILE_CHUNK - 2 + 12);
  assert.is((r.read(STORAGEFILE_CHUNK - 2) as string).length, STORAGEFILE_CHUNK - 2);
  assert.is(r.readLine(), 'hello\n');
  assert.is(r.readLine(), 'world\n');
  assert.is(r.readLine(), undefined);
});

test('StorageFile: the byte 0xFF cannot be stored (it ends the file)', () => {
  const s = storage();
  assert.throws(() => s.open('log', 'w').write(bin('41ff42')), /0xFF/);
});

// ---- Moddable file ----

test('file (spiffs): a cut in a write leaves the bytes before it on flash', () => {
  const d = resetDisk('spiffs', 65536);
  const f = new File('/mod/a', true);
  f.write(new Uint8Array([1, 2, 3]));
  d.cutAfter(2);
  throwsCut(() => f.write(new Uint8Array([4, 5, 6])));
  d.reboot();
  const g = new File('/mod/a');
  assert.equal(Array.from(new Uint8Array(g.read(ArrayBuffer) as ArrayBuffer)), [1, 2, 3, 4, 5]);
});

test('file (littlefs): what was written since the last close is lost in a cut; a closed file is kept', () => {
  const d = resetDisk('littlefs', 65536);
  const f = new File('/a', true);
  f.write(new Uint8Array([1, 2, 3]));
  f.close();
  const g = new File('/a', true);
  g.position = g.length;
  g.write(new Uint8Array([4, 5]));
  d.cutAfter(0);
  throwsCut(() => g.write(new Uint8Array([6])));
  d.reboot();
  assert.equal(Array.from(new Uint8Array(new File('/a').read(ArrayBuffer) as ArrayBuffer)), [1, 2, 3]);
});

test('file: read past the end throws; position moves with reads and writes; length grows', () => {
  resetDisk('spiffs', 65536);
  const f = new File('/mod/b', true);
  f.write('ab', 67);
  assert.is(f.length, 3);
  f.position = 1;
  assert.is(f.read(String, 5), 'bC');
  assert.throws(() => f.read(ArrayBuffer, 1), /read past end of file/);
  assert.throws(() => new File('/mod/none'), /file not found/);
});

test('file: delete, exists, rename (a bare name stays in the same directory), Iterator lists a directory', () => {
  resetDisk('spiffs', 65536);
  new File('/mod/a', true).close();
  new File('/mod/b', true).write('xyz');
  File.rename('/mod/a', 'c');
  assert.ok(File.exists('/mod/c'));
  assert.not.ok(File.exists('/mod/a'));
  assert.ok(File.delete('/mod/c'));
  assert.not.ok(File.delete('/mod/c'));
  const it = new Iterator('/mod/');
  assert.equal(it.next(), { name: 'b', length: 3 });
  assert.is(it.next(), undefined);
});

test('file: a write past the file system\'s size fails', () => {
  resetDisk('spiffs', 10);
  const f = new File('/mod/a', true);
  assert.throws(() => f.write(new Uint8Array(11)), /file write failed/);
});

test.run();

