// The "persistence" section of the config (README "Persistence"), and --persist / --fsync
// over it. Off unless a directory is named: without one the broker keeps its state in memory.
import type { FsyncPolicy, JournalOptions } from './file-journal.js';
import { FSYNC_POLICIES, JOURNAL_DEFAULTS } from './file-journal.js';

export interface PersistenceOptions {
  dir?: string;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  maxLogBytes?: number;
  segmentBytes?: number;
  maxRecordBytes?: number;
  maxPendingBytes?: number;
}

// [min, max] of each number.
const RANGES: Record<string, [number, number]> = {
  fsyncIntervalMs: [1, 3600000],
  maxLogBytes: [4096, Number.MAX_SAFE_INTEGER],
  segmentBytes: [4096, 1 << 30],
  maxRecordBytes: [1024, (256 << 20) + (1 << 16)],
  maxPendingBytes: [1 << 16, Number.MAX_SAFE_INTEGER],
};
const KEYS = ['dir', 'fsync', ...Object.keys(RANGES)];

/**
 * The journal's options from the file's "persistence" value and the flags (which win), or
 * null when no directory is named. `path` makes a file name absolute (relative to the config
 * file); `fail` throws the config's error naming the key.
 */
export function checkPersistence(v: unknown, dirFlag: string | undefined, fsyncFlag: FsyncPolicy | undefined,
  path: (v: unknown, where: string) => string, fail: (message: string) => never): JournalOptions | null {
  const o = (v ?? {}) as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) fail(`persistence: must be an object, got ${JSON.stringify(v)}`);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`persistence: unknown key "${k}" (known keys: ${KEYS.join(', ')})`);
  const dir = dirFlag !== undefined ? path(dirFlag, '--persist') : o.dir !== undefined ? path(o.dir, 'persistence.dir') : null;
  if (dir === null) {
    if (Object.keys(o).length > 0 || fsyncFlag !== undefined) fail('persistence: needs "dir" (or --persist DIR): the directory the broker keeps its state in');
    return null;
  }
  const out: JournalOptions = { ...JOURNAL_DEFAULTS, dir };
  const fsync = fsyncFlag ?? o.fsync;
  if (fsync !== undefined) {
    if (typeof fsync !== 'string' || !(FSYNC_POLICIES as readonly string[]).includes(fsync)) {
      fail(`persistence.fsync: must be "always", "interval" or "never", got ${JSON.stringify(fsync)}`);
    }
    out.fsync = fsync as FsyncPolicy;
  }
  for (const k of Object.keys(RANGES)) {
    const x = o[k];
    if (x === undefined) continue;
    const [min, max] = RANGES[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) fail(`persistence.${k}: must be an integer from ${min} to ${max}, got ${JSON.stringify(x)}`);
    (out as unknown as Record<string, number>)[k] = x;
  }
  return out;
}
