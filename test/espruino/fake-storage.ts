// A fake of Espruino's `require("Storage")` laid out on a fake flash chip (test/store/
// fake-flash.ts) the way Espruino 2v2x lays it out (src/jsflash.c, src/jswrap_storage.c):
//   - files one after another from the start of the area: a 32-byte header (size u32 little
//     endian, flags in its top 8 bits; the name, 28 bytes, zero padded), then the data, the
//     next header at the next 4-byte boundary; free space reads 0xFF;
//   - write(name, data, offset, size): offset 0 (or none) creates the file (size bytes, the
//     rest 0xFF), replacing an existing one unless that one has the same size and its data
//     area is still erased; offset > 0 writes inside an existing file, and throws "File
//     already written with different data" unless those bytes are still 0xFF, "Too much data
//     for file size" past its end, "Unable to find or create file" when there is no file (or
//     no room even after a compaction). Strings are one byte per char;
//   - erase(name) clears the first 4 bytes of the name (a flash write, so it can be cut):
//     the file becomes trash, whose space comes back only when the area is compacted: by
//     compact(), or by a write that finds no room at the end but would fit with the trash;
//   - compact() moves the live files after the first trash down over it, sector by sector
//     (erases counted on the chip). It is taken as atomic: the fake never cuts power inside
//     it (what a real board does if the power goes during a compaction is out of a store's
//     hands);
//   - read / readArrayBuffer copy the bytes (on a board read() maps flash; either way the
//     caller must not keep them past a compaction), list(regex) lists the live files,
//     getFree / getStats count the area;
//   - open(name, mode) gives a StorageFile: chunks named name + "\1", "\2", ... of 4064 bytes
//     (a 4 KiB page less the header), appended with raw flash writes, whose end is the first
//     0xFF byte, so 0xFF cannot be stored in one (the fake throws where Espruino would store
//     it and lose the rest of the file).
// Power cuts come from the chip: any byte of any write (header, data, erase mark) may be the
// last one. After FakeFlash.reboot(), a new FakeStorage over the same chip sees what survived,
// and `FakeStorage.boot(flash)` does what Espruino does at its first boot after power-up
// (src/jsinteractive.c: jsfIsStorageValid, then jsfResetStorage): walk the headers, and if one
// is neither valid nor all 0xFF ("Storage is corrupt."), erase the whole area. A header cut
// after its first or second byte has a size past the end of the area, so one power cut there
// wipes every file on the board; a header cut later is a file Espruino skips (bad flags) or
// one with a name cut short, which stays until erased by that name.

import type { FakeFlash } from '../store/fake-flash.js';

export const HEADER_BYTES = 32;
const NAME_BYTES = 28;
const ALIGN = 4;
export const STORAGEFILE_CHUNK = 4096 - HEADER_BYTES;
const FLAG_STORAGEFILE = 64;

interface FileEntry {
  addr: number;          // header address
  size: number;
  flags: number;
  name: string;          // '' for trash
  trash: boolean;
}

function align(n: number): number {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

/** Bytes of what Storage.write accepts: a string (one byte per char), bytes, or an array. */
export function dataBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 255;
    return out;
  }
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array(data as ArrayBuffer).slice();
  if (ArrayBuffer.isView(data)) {
    const v = data as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  }
  if (Array.isArray(data)) {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]) & 255;
    return out;
  }
  if (data !== null && typeof data === 'object') return dataBytes(JSON.stringify(data));
  return dataBytes(String(data));
}

function binaryString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export class FakeStorage {
  flash: FakeFlash;
  readonly start: number;
  readonly end: number;
  /** compact() calls, explicit or forced by a write that found no room. */
  compactions = 0;

  /** Storage reset at boot because it was corrupt (see the top of the file). */
  resetAtBoot = false;

  constructor(flash: FakeFlash, start = 0, end = flash.size) {
    this.flash = flash;
    this.start = start;
    this.end = end;
  }

  /** Storage as Espruino finds it at its first boot after power-up: reset if corrupt. */
  static boot(flash: FakeFlash, start = 0, end = flash.size): FakeStorage {
    const s = new FakeStorage(flash, start, end);
    let addr = start;
    while (addr + HEADER_BYTES <= end) {
      const h = flash.read(addr, HEADER_BYTES);
      const word = u32le(h, 0);
      const size = word & 0xffffff;
      if (word === 0xffffffff || size === 0 || addr + HEADER_BYTES + size > end) {
        let allFF = true;
        for (let i = 0; i < HEADER_BYTES; i++) if (h[i] !== 0xff) allFF = false;
        if (!allFF) {
          s.eraseAll();   // "Storage is corrupt." -> jsfResetStorage()
          s.resetAtBoot = true;
        }
        break;
      }
      addr += HEADER_BYTES + align(size);
    }
    return s;
  }

  // ---- the layout ----

  /** Every header from the start, and where the free space begins. */
  private scan(): { files: FileEntry[]; freeAt: number } {
    const files: FileEntry[] = [];
    let addr = this.start;
    while (addr + HEADER_BYTES <= this.end) {
      const h = this.flash.read(addr, HEADER_BYTES);
      const word = u32le(h, 0);
      const size = word & 0xffffff;
      if (word === 0xffffffff || size === 0 || addr + HEADER_BYTES + size > this.end) break;
      const flags = word >>> 24;
      // A deleted file, or one whose flags are none Espruino knows (a header cut short):
      // neither is a real file (jsfIsRealFile), and compaction drops both.
      const trash = (h[4] === 0 && h[5] === 0 && h[6] === 0 && h[7] === 0) ||
        (flags !== 0 && flags !== FLAG_STORAGEFILE && flags !== 128);
      let name = '';
      for (let i = 4; i < 4 + NAME_BYTES && h[i] !== 0; i++) name += String.fromCharCode(h[i]);
      files.push({ addr, size, flags, name: trash ? '' : name, trash });
      addr = addr + HEADER_BYTES + align(size);
    }
    return { files, freeAt: addr };
  }

  private find(name: string): FileEntry | null {
    const files = this.scan().files;
    for (let i = 0; i < files.length; i++) if (!files[i].trash && files[i].name === name) return files[i];
    return null;
  }

  private header(name: string, size: number, flags: number): Uint8Array {
    const h = new Uint8Array(HEADER_BYTES);
    const word = (size | (flags << 24)) >>> 0;
    h[0] = word & 255; h[1] = (word >>> 8) & 255; h[2] = (word >>> 16) & 255; h[3] = word >>> 24;
    for (let i = 0; i < name.length; i++) h[4 + i] = name.charCodeAt(i) & 255;
    return h;
  }

  /** A new file's header at the end (compacting first if only the trash has room); its data address, or -1. */
  private create(name: string, size: number, flags: number): number {
    const need = HEADER_BYTES + align(size);
    let s = this.scan();
    if (s.freeAt + need > this.end) {
      let trash = 0;
      for (let i = 0; i < s.files.length; i++) if (s.files[i].trash) trash += HEADER_BYTES + align(s.files[i].size);
      if (need >= this.end - s.freeAt + trash) return -1;   // fail fast, as jsfCreateFile does
      this.compact();
      s = this.scan();
      if (s.freeAt + need > this.end) return -1;
    }
    this.flash.write(s.freeAt, this.header(name, size, flags));
    return s.freeAt + HEADER_BYTES;
  }

  private markTrash(f: FileEntry): void {
    this.flash.write(f.addr + 4, new Uint8Array(4));   // the name's first 4 bytes to 0
  }

  private checkName(name: string, max: number): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > max) throw new Error('Invalid filename ' + JSON.stringify(name));
  }

  // ---- require("Storage") ----

  write(name: string, data: unknown, offset?: number, size?: number): boolean {
    this.checkName(name, NAME_BYTES);
    return this.writeFile(name, dataBytes(data), 0, offset || 0, size || 0);
  }

  private writeFile(name: string, d: Uint8Array, flags: number, offset: number, sizeIn: number): boolean {
    if (offset < 0 || sizeIn < 0) return false;
    const size = sizeIn === 0 ? d.length : sizeIn;
    if (size === 0) throw new Error("Can't create zero length file");
    let f = this.find(name);
    let dataAt = f === null ? -1 : f.addr + HEADER_BYTES;
    if (offset === 0 && (f === null || f.flags !== flags || f.size !== size || !this.flash.isErased(dataAt, size))) {
      if (f !== null && f.size === size && f.flags === flags && d.length === size && this.equal(dataAt, d)) return true;
      if (f !== null) this.markTrash(f);
      dataAt = this.create(name, size, flags);
      f = dataAt < 0 ? null : { addr: dataAt - HEADER_BYTES, size, flags, name, trash: false };
    }
    if (f === null) throw new Error('Unable to find or create file');
    if (offset + d.length > f.size) throw new Error('Too much data for file size');
    if (!this.flash.isErased(dataAt + offset, d.length)) throw new Error('File already written with different data');
    this.flash.write(dataAt + offset, d);
    return true;
  }

  private equal(at: number, d: Uint8Array): boolean {
    const have = this.flash.read(at, d.length);
    for (let i = 0; i < d.length; i++) if (have[i] !== d[i]) return false;
    return true;
  }

  read(name: string, offset?: number, length?: number): string | undefined {
    const b = this.readBytes(name, offset, length);
    return b === undefined ? undefined : binaryString(b);
  }

  readArrayBuffer(name: string): ArrayBuffer | undefined {
    const b = this.readBytes(name, 0, 0);
    return b === undefined ? undefined : (b.buffer as ArrayBuffer);
  }

  private readBytes(name: string, offset?: number, length?: number): Uint8Array | undefined {
    const f = this.find(name);
    if (f === null) return undefined;
    const from = offset && offset > 0 ? Math.min(offset, f.size) : 0;
    const n = length && length > 0 ? Math.min(length, f.size - from) : f.size - from;
    return this.flash.read(f.addr + HEADER_BYTES + from, n);
  }

  erase(name: string): void {
    const f = this.find(name);
    if (f !== null) this.markTrash(f);
  }

  list(regex?: RegExp, filter?: { sf: boolean }): string[] {
    const out: string[] = [];
    const files = this.scan().files;
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      if (f.trash) continue;
      const sf = (f.flags & FLAG_STORAGEFILE) !== 0;
      if (filter && filter.sf === false && sf) continue;
      if (filter && filter.sf === true && !sf) continue;
      let name = f.name;
      if (sf) {
        if (name.charCodeAt(name.length - 1) !== 1) continue;   // one entry per StorageFile
        if (filter && filter.sf === true) name = name.slice(0, -1);
      }
      if (regex && !regex.test(name)) continue;
      out.push(name);
    }
    return out;
  }

  compact(): void {
    this.compactions++;
    const s = this.scan();
    let first = -1;
    for (let i = 0; i < s.files.length; i++) if (s.files[i].trash) { first = i; break; }
    if (first < 0) return;
    const from = s.files[first].addr;
    // The new image of [from, freeAt): the live files after the first trash, packed.
    const parts: Uint8Array[] = [];
    for (let i = first; i < s.files.length; i++) {
      const f = s.files[i];
      if (f.trash) continue;
      const b = this.flash.read(f.addr, HEADER_BYTES + align(f.size));
      parts.push(b);
    }
    const sector = this.flash.sectorBytes;
    const lo = Math.floor(from / sector) * sector;
    const hi = Math.ceil(s.freeAt / sector) * sector;
    const image = new Uint8Array(hi - lo).fill(0xff);
    image.set(this.flash.read(lo, from - lo), 0);
    let at = from - lo;
    for (let i = 0; i < parts.length; i++) { image.set(parts[i], at); at += parts[i].length; }
    // Atomic as far as the tests go: no cut inside (see the top of the file).
    const flash = this.flash;
    flash.atomically(() => {
      for (let a = lo; a < hi; a += sector) {
        flash.erase(a / sector);
        const chunk = image.subarray(a - lo, a - lo + sector);
        let last = chunk.length;
        while (last > 0 && chunk[last - 1] === 0xff) last--;
        if (last > 0) flash.write(a, chunk.subarray(0, last));
      }
    });
  }

  getFree(): number {
    const s = this.scan();
    return this.end - s.freeAt;
  }

  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const s = this.scan();
    let fileBytes = 0, fileCount = 0, trashBytes = 0, trashCount = 0;
    for (let i = 0; i < s.files.length; i++) {
      const f = s.files[i];
      if (f.trash) { trashBytes += f.size; trashCount++; } else { fileBytes += f.size; fileCount++; }
    }
    return { totalBytes: this.end - this.start, freeBytes: this.end - s.freeAt, fileBytes, fileCount, trashBytes, trashCount };
  }

  eraseAll(): void {
    const sector = this.flash.sectorBytes;
    for (let a = this.start; a < this.end; a += sector) this.flash.erase(a / sector);
  }

  open(name: string, mode: string): FakeStorageFile {
    this.checkName(name, NAME_BYTES - 1);
    if (mode !== 'r' && mode !== 'w' && mode !== 'a') throw new Error('Invalid mode ' + JSON.stringify(mode));
    return new FakeStorageFile(this, name, mode);
  }

  // ---- for FakeStorageFile ----

  /** The data of chunk `name`, or null. */
  chunk(name: string): { at: number; size: number } | null {
    const f = this.find(name);
    return f === null ? null : { at: f.addr + HEADER_BYTES, size: f.size };
  }

  createChunk(name: string, d: Uint8Array): void {
    this.writeFile(name, d, FLAG_STORAGEFILE, 0, STORAGEFILE_CHUNK);
  }

  eraseChunk(name: string): void {
    const f = this.find(name);
    if (f !== null) this.markTrash(f);
  }
}

/** Storage.open(): append-only, in chunks, ended by the first 0xFF. */
export class FakeStorageFile {
  private storage: FakeStorage;
  name: string;
  mode: string;
  private chunkNo = 1;
  private offset = 0;

  constructor(storage: FakeStorage, name: string, mode: string) {
    this.storage = storage;
    this.name = name;
    this.mode = mode;
    if (mode === 'w') this.erase();
    this.mode = mode;
    if (mode === 'a') {
      // The last chunk whose last byte is still 0xFF, and the first 0xFF in it.
      for (;;) {
        const c = storage.chunk(this.chunkName());
        if (c === null) { this.offset = 0; break; }
        const last = storage.flash.read(c.at + c.size - 1, 1)[0];
        if (last !== 0xff && this.chunkNo < 255) { this.chunkNo++; continue; }
        this.offset = this.endOf(c);
        break;
      }
    }
  }

  private chunkName(): string {
    return this.name + String.fromCharCode(this.chunkNo);
  }

  private endOf(c: { at: number; size: number }): number {
    const b = this.storage.flash.read(c.at, c.size);
    const i = b.indexOf(0xff);
    return i < 0 ? c.size : i;
  }

  write(data: unknown): void {
    if (this.mode !== 'w' && this.mode !== 'a') throw new Error("Can't write in this mode");
    let d = dataBytes(data);
    if (d.indexOf(0xff) >= 0) throw new Error('fake Storage: a StorageFile cannot hold the byte 0xFF (it marks the end of the file)');
    while (d.length > 0) {
      const c = this.storage.chunk(this.chunkName());
      if (c === null) {
        const part = d.subarray(0, STORAGEFILE_CHUNK);
        this.storage.createChunk(this.chunkName(), part);
        this.offset = part.length;
        d = d.subarray(part.length);
        continue;
      }
      const room = c.size - this.offset;
      if (room > 0) {
        const part = d.subarray(0, room);
        this.storage.flash.write(c.at + this.offset, part);   // a raw flash write, as jswrap_flash_write
        this.offset += part.length;
        d = d.subarray(part.length);
      }
      if (d.length > 0) {
        if (this.chunkNo === 255) throw new Error('File too big!');
        this.chunkNo++;
        this.offset = 0;
      }
    }
  }

  /** Reads up to `len` bytes from where the last read stopped (reads start at chunk 1). */
  read(len: number): string | undefined {
    if (this.mode !== 'r') throw new Error("Can't read in this mode");
    let out = '';
    while (out.length < len) {
      const c = this.storage.chunk(this.chunkName());
      if (c === null) break;
      const end = this.endOf(c);
      if (this.offset >= end) {
        if (end < c.size) break;    // the end of the file
        this.chunkNo++;
        this.offset = 0;
        continue;
      }
      const n = Math.min(len - out.length, end - this.offset);
      out += binaryString(this.storage.flash.read(c.at + this.offset, n));
      this.offset += n;
    }
    return out.length === 0 ? undefined : out;
  }

  readLine(): string | undefined {
    let line = '';
    for (;;) {
      const ch = this.read(1);
      if (ch === undefined) return line.length === 0 ? undefined : line;
      line += ch;
      if (ch === '\n') return line;
    }
  }

  getLength(): number {
    let n = 0;
    for (let k = 1; k < 256; k++) {
      const c = this.storage.chunk(this.name + String.fromCharCode(k));
      if (c === null) break;
      n += this.endOf(c);
    }
    return n;
  }

  erase(): void {
    for (let k = 1; k < 256; k++) {
      const nm = this.name + String.fromCharCode(k);
      if (this.storage.chunk(nm) === null) break;
      this.storage.eraseChunk(nm);
    }
    this.mode = '';
  }
}
