// A fake of the Moddable SDK's `file` module (modules/files/file/file.js) over an in-memory
// file system with power cuts, for running ports/moddable/file-store.js in XS and on Node.
//
// The API as the SDK's ESP32 implementations give it:
//   new File(path)           read only; throws "file not found" if there is none
//   new File(path, true)     read/write ("rb+"), created empty if missing ("wb+")
//   file.read(ArrayBuffer | String, count)   from `position`; throws "read past end of file"
//   file.write(...items)     strings, numbers (one byte each), buffers; at `position`, which
//                            moves on; writing past the end grows the file
//   file.position, file.length, file.close()
//   File.delete(path) -> boolean, File.exists(path), File.rename(path, name)
//   new Iterator(dir).next() -> { name, length } per file, then undefined
//   System.info() -> { used, total }
// Which file system is under it decides what a power cut leaves, and both are modelled:
//   "spiffs"    the SDK's default on ESP32 (modules/files/file/esp32/modFile.c: SPIFFS through
//               the ESP-IDF VFS; every write() is fwrite + fflush): each byte written is on
//               flash as it goes, so a cut leaves the bytes up to the cut (a torn tail);
//   "littlefs"  the SDK's manifest_littlefs.json (modules/files/file/littlefs/): lfs_file_write
//               goes to the open file, and only close() (lfs_file_sync) commits it; a cut
//               leaves every file as it was at its last close (creating a file is committed
//               when it is opened, empty). Rename and delete are atomic.
//   "lin"       the desktop simulator's (modules/files/file/lin/modFile.c: host stdio, fwrite +
//               fflush per write(), so a kill -9 keeps each byte written, as "spiffs" does);
//               its write() takes strings, numbers and ArrayBuffers only: a typed array throws
//               (xsmcToArrayBuffer), where the ESP32's take any buffer.
// A cut: `cutAfter(n)` lets n more bytes be written; the write that crosses it stops there and
// throws PowerCut, and from then on every call throws PowerCut until `reboot()`, which brings
// back what the file system kept and forgets open files.
// ECMAScript built-ins only (it runs in XS). Module state (`disk`) is test-only.

import { PowerCut } from '../../store/fake-flash.js';

interface Entry {
  committed: Uint8Array;   // what survives a cut (littlefs: as of the last close)
  live: Uint8Array;        // what reads see now
  open: number;            // open handles writing it
}

export class Disk {
  mode: string;
  capacity: number;
  files: Map<string, Entry>;
  dead: boolean;
  budget: number;          // bytes before the cut; -1: none planned
  bytesWritten: number;    // every byte handed to write(), for the figures
  writes: number;          // write() calls
  closes: number;
  onCut: (() => void) | null;

  constructor(mode: string, capacity: number) {
    if (mode !== 'spiffs' && mode !== 'littlefs' && mode !== 'lin') throw new Error('fake file: mode spiffs, littlefs or lin');
    this.mode = mode;
    this.capacity = capacity;
    this.files = new Map();
    this.dead = false;
    this.budget = -1;
    this.bytesWritten = 0;
    this.writes = 0;
    this.closes = 0;
    this.onCut = null;
  }

  cutAfter(n: number): void {
    this.budget = n;
  }

  reboot(): void {
    const self = this;
    const keep: Array<[string, Entry]> = [];
    this.files.forEach(function (e, path) {
      keep.push([path, { committed: e.committed, live: e.committed.slice(), open: 0 }]);
    });
    self.files = new Map();
    for (let i = 0; i < keep.length; i++) self.files.set(keep[i][0], keep[i][1]);
    this.dead = false;
    this.budget = -1;
  }

  used(): number {
    let n = 0;
    this.files.forEach(function (e) { n += e.live.length > e.committed.length ? e.live.length : e.committed.length; });
    return n;
  }

  alive(): void {
    if (this.dead) throw new PowerCut();
  }

  /** Writes bytes into e at `at`, byte by byte as far as the power lasts. */
  put(e: Entry, at: number, src: Uint8Array): void {
    this.writes++;
    const end = at + src.length;
    if (end > e.live.length) {
      if (this.used() + (end - e.live.length) > this.capacity) throw new Error('file write failed');
      const grown = new Uint8Array(end);
      grown.set(e.live, 0);
      e.live = grown;
    }
    // How many bytes reach the file system before the power goes.
    let n = src.length;
    if (this.budget >= 0 && this.budget < n) n = this.budget;
    e.live.set(src.subarray(0, n), at);
    this.bytesWritten += n;
    if (this.mode !== 'littlefs' && n > 0) {
      // SPIFFS: each byte is on flash as it is written (fwrite + fflush per write()); lin: in the host's file.
      if (at + n > e.committed.length) {
        const c = new Uint8Array(at + n);
        c.set(e.committed, 0);
        e.committed = c;
      }
      e.committed.set(src.subarray(0, n), at);
    }
    if (this.budget >= 0) {
      this.budget -= n;
      if (n < src.length) {
        this.dead = true;
        this.budget = -1;
        if (this.onCut !== null) this.onCut();
        throw new PowerCut();
      }
    }
  }
}

export let disk = new Disk('spiffs', 1 << 20);

/** A fresh, empty file system: "spiffs" or "littlefs", and its size in bytes. */
export function resetDisk(mode: string, capacity: number): Disk {
  disk = new Disk(mode, capacity);
  return disk;
}

function bytesOf(item: unknown): Uint8Array {
  if (typeof item === 'string') {
    const out = new Uint8Array(item.length);
    for (let i = 0; i < item.length; i++) {
      const c = item.charCodeAt(i);
      if (c > 127) throw new Error('fake file: ASCII strings only');
      out[i] = c;
    }
    return out;
  }
  if (typeof item === 'number') return new Uint8Array([item & 255]);
  if (item instanceof ArrayBuffer) return new Uint8Array(item);
  if (ArrayBuffer.isView(item)) {
    const v = item as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  throw new Error('fake file: cannot write ' + typeof item);
}

export class File {
  private entry: Entry | null;
  private writable: boolean;
  private at: number;

  constructor(path: string, write?: boolean) {
    disk.alive();
    this.writable = write === true;
    this.at = 0;
    let e = disk.files.get(path);
    if (e === undefined) {
      if (!this.writable) throw new Error('file not found');
      e = { committed: new Uint8Array(0), live: new Uint8Array(0), open: 0 };
      disk.files.set(path, e);
    }
    if (this.writable) e.open++;
    this.entry = e;
  }

  private e(): Entry {
    disk.alive();
    if (this.entry === null) throw new Error('closed');
    return this.entry;
  }

  get length(): number {
    return this.e().live.length;
  }

  get position(): number {
    this.e();
    return this.at;
  }

  set position(p: number) {
    this.e();
    this.at = p;
  }

  read(type: unknown, count?: number): ArrayBuffer | string {
    const e = this.e();
    let n = count === undefined ? -1 : count;
    if (n === -1 || e.live.length < this.at + n) {
      if (this.at >= e.live.length) throw new Error('read past end of file');
      n = e.live.length - this.at;
    }
    const b = e.live.slice(this.at, this.at + n);
    this.at += n;
    if (type === String) {
      let s = '';
      for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
      return s;
    }
    return b.buffer as ArrayBuffer;
  }

  write(...items: unknown[]): void {
    const e = this.e();
    if (!this.writable) throw new Error('file write failed');
    for (let i = 0; i < items.length; i++) {
      if (disk.mode === 'lin' && ArrayBuffer.isView(items[i])) throw new TypeError('lin file write: no ArrayBuffer');
      const src = bytesOf(items[i]);
      disk.put(e, this.at, src);
      this.at += src.length;
    }
  }

  close(): void {
    const e = this.e();
    if (this.writable) {
      e.open--;
      disk.closes++;
      if (disk.mode === 'littlefs') e.committed = e.live.slice();   // lfs_file_close syncs
    }
    this.entry = null;
  }

  static delete(path: string): boolean {
    disk.alive();
    return disk.files.delete(path);
  }

  static exists(path: string): boolean {
    disk.alive();
    return disk.files.has(path);
  }

  static rename(path: string, name: string): void {
    disk.alive();
    const e = disk.files.get(path);
    if (e === undefined) throw new Error('file not found');
    const to = name.charAt(0) === '/' ? name : path.slice(0, path.lastIndexOf('/') + 1) + name;
    disk.files.delete(path);
    disk.files.set(to, e);
  }
}

export class Iterator {
  private names: Array<{ name: string; length: number }>;
  constructor(dir: string) {
    disk.alive();
    const prefix = dir.charAt(dir.length - 1) === '/' ? dir : dir + '/';
    const names: Array<{ name: string; length: number }> = [];
    disk.files.forEach(function (e, path) {
      if (path.indexOf(prefix) === 0 && path.indexOf('/', prefix.length) < 0) names.push({ name: path.slice(prefix.length), length: e.live.length });
    });
    this.names = names;
  }
  next(): { name: string; length: number } | undefined {
    disk.alive();
    return this.names.shift();
  }
}

export class System {
  static info(): { used: number; total: number } {
    return { used: disk.used(), total: disk.capacity };
  }
  static config(): { maxPathLength: number } {
    return { maxPathLength: 32 };
  }
}

const fileModule = { File: File, Iterator: Iterator, System: System };
export default fileModule;
