// A durable store for the Moddable port (issue 19): the journal (core/store/segment-journal.ts)
// in files of the SDK's `file` module, within a byte budget, written at most once per tick.
//
//   import { fileStore } from "ganglion/store";
//   const server = new BrokerServer({ port: 1883, limits: { store: fileStore({ budgetBytes: 16384 }) } });
//
// Its own module (dist/xs/ganglion-store.js, build.mjs), so an app that keeps nothing links
// none of it. The manifest entries an app adds (README, "Persistence on the devices"):
//   "include": [ "$(MODDABLE)/modules/files/file/manifest.json" ]       (SPIFFS, the ESP32 default)
//           or [ "$(MODDABLE)/modules/files/file/manifest_littlefs.json" ]  (LittleFS)
//   "modules": { "ganglion/store": "<ganglion>/dist/xs/ganglion-store" }
// The file module is the default because it shares the flash partition ("storage") with the
// app's other files and wears it evenly; a raw flash partition is not implemented.
//
// Segments are files "<root>gj1", "<root>gj2", ... (root: the file module's config root,
// "/mod/" on ESP32 with SPIFFS). Each write opens the file, writes at its position and
// closes it: on LittleFS only the close commits (a cut before it leaves the file as it was),
// on SPIFFS every write is flushed as it goes (a cut leaves a torn tail, which load() drops).
// Either way done() runs after the close, so nothing is acknowledged before it is on flash.
//
// Module scope holds only functions and classes: it can be preloaded.

import { File, Iterator } from "file";
import config from "mc/config";
import Timer from "timer";
import { SegmentJournal } from "../../core/store/segment-journal.js";
import { JournalStore } from "../../core/store/journal-store.js";

function isDigits(s) {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// What file.write() is handed: an ArrayBuffer. The ESP32's file modules (SPIFFS, LittleFS)
// take any buffer, the lin simulator's (modules/files/file/lin/modFile.c) only an ArrayBuffer,
// a string or a number. The journal's writes are views of a buffer of their own, passed as is.
function arrayBufferOf(bytes) {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer;
  return bytes.slice().buffer;
}

/** Segments as files in one directory. */
export class FileMedium {
  constructor(root, prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  path(seq) {
    return this.root + this.prefix + seq;
  }

  list() {
    const out = [];
    const it = new Iterator(this.root);
    for (let e = it.next(); e !== undefined; e = it.next()) {
      const name = e.name;
      if (e.length !== undefined && name.indexOf(this.prefix) === 0 && isDigits(name.slice(this.prefix.length))) {
        out.push(parseInt(name.slice(this.prefix.length), 10));
      }
    }
    return out;
  }

  read(seq) {
    const f = new File(this.path(seq));
    try {
      return f.length === 0 ? new Uint8Array(0) : new Uint8Array(f.read(ArrayBuffer));
    } finally {
      f.close();
    }
  }

  create(seq, size, first) {
    const path = this.path(seq);
    if (File.exists(path)) File.delete(path);   // a leftover of a create cut short
    const f = new File(path, true);
    try {
      f.write(arrayBufferOf(first));
    } finally {
      f.close();
    }
    return true;
  }

  write(seq, offset, bytes) {
    const f = new File(this.path(seq), true);
    try {
      f.position = offset;
      f.write(arrayBufferOf(bytes));
    } finally {
      f.close();
    }
    return true;
  }

  remove(seq) {
    File.delete(this.path(seq));
  }
}

function setTimer(fn, ms) {
  return Timer.set(fn, ms);
}

function clearTimer(t) {
  Timer.clear(t);
}

/**
 * The Store the broker is given (limits.store): the journal in files. Options: those of the
 * journal (segmentBytes 4096, budgetBytes 16384, reserveBytes, onDamage), and
 *   root      directory of the segment files: the file module's config root
 *   prefix    file names are this and a number: "gj"
 *   flushMs   how long appends wait to be written together: 0 (the next turn of the run loop)
 *   writeInflight  write the QoS 1/2 messages in flight to connected clients too: false
 */
export function fileStore(options) {
  const o = options || {};
  const root = o.root !== undefined ? o.root : (config.file && config.file.root) || "/";
  const journal = new SegmentJournal(new FileMedium(root, o.prefix === undefined ? "gj" : o.prefix), o);
  const store = new JournalStore(journal, o.flushMs === undefined ? 0 : o.flushMs, setTimer, clearTimer);
  store.writeInflight = o.writeInflight === true;
  return store;
}
