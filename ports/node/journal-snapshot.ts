// Writing a snapshot of the journal (file-journal.ts): the records that rebuild the whole
// state, framed as the log is, into `snapshot-N.snap.tmp`, fsynced, renamed to
// `snapshot-N.snap` and the directory fsynced. Until the rename a crash leaves the old
// snapshot and every segment after it (load removes the .tmp); after it, the new one.
import { join } from 'node:path';
import { FRAME_HEADER_BYTES, writeFrame } from '../../core/index.js';
import type { JournalFs } from './journal-files.js';
import { snapshotName, syncDir, writeAll } from './journal-files.js';

// Framed and written in pieces of about this many bytes: a large state never needs a second
// copy of itself in one buffer.
const CHUNK_BYTES = 1 << 20;

/** What went wrong: the step ("write", "fsync", "rename") and the error; or null and the bytes written. */
export type SnapshotWritten = (failed: { step: string; error: Error } | null, bytes: number) => void;

/** Writes `records` as snapshot `seq` in `dir`; `done` once it is durable under its final name, or failed (no .tmp left). */
export function writeSnapshot(fs: JournalFs, dir: string, seq: number, records: Uint8Array[], done: SnapshotWritten): void {
  const tmp = join(dir, snapshotName(seq) + '.tmp');
  let fd = -1;
  const fail = (step: string, error: Error): void => {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // closed already
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never made
    }
    done({ step, error }, 0);
  };
  let bytes = 0;
  try {
    fd = fs.openSync(tmp, 'w', 0o600);
    let from = 0;
    while (from < records.length) {
      let to = from;
      let n = 0;
      while (to < records.length && n < CHUNK_BYTES) n += FRAME_HEADER_BYTES + records[to++].length;
      const chunk = new Uint8Array(n);
      let at = 0;
      for (let i = from; i < to; i++) at = writeFrame(records[i], chunk, at);
      writeAll(fs, fd, chunk);
      bytes += n;
      from = to;
    }
  } catch (e) {
    return fail('write', e as Error);
  }
  fs.fsync(fd, (err) => {
    if (err !== null) return fail('fsync', err);
    try {
      fs.closeSync(fd);
      fd = -1;
      fs.renameSync(tmp, join(dir, snapshotName(seq)));
      syncDir(fs, dir);
    } catch (e) {
      return fail('rename', e as Error);
    }
    done(null, bytes);
  });
}
