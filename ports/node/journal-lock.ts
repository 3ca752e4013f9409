// The lock of a persistence directory: one broker writes it at a time. Two brokers appending
// to one log would interleave their records and each would load the other's state.
//
// Node has no flock(), so the lock is a file holding the owner's pid and host, made whole
// before it takes its name: written to a file of its own, then hard-linked as the lock
// (link() fails if the name exists), so no starter ever reads a lock half written. A lock
// whose owner is gone (the broker was killed with kill -9 and never removed it) is stale and
// taken over, so a crash never blocks the restart: the owner is gone when its pid is not
// running, is our own pid (a container restarted the broker as the same pid 1), or is running
// something that is not Node (the pid was reused).
//
// Taking over is one process's act, even when several start at the same moment over the same
// stale lock: only the one that makes the takeover file named for that lock's content (an
// exclusive create) removes the lock, and only while the lock still holds that content; the
// others wait for it and then find its new lock, held by a running broker. A takeover file
// whose maker died in between is stale in turn, and the next one (its name with that pid
// appended) decides among those that find it so.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as nodeFs from 'node:fs';

/** The calls of `node:fs` the lock makes (tests hand in a layer that fails). */
export type LockFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'readFileSync' | 'unlinkSync' | 'linkSync'>;

export const LOCK_FILE = 'ganglion.lock';

const ATTEMPTS = 100;          // tries of the lock; each past a takeover under way waits WAIT_MS
const WAIT_MS = 10;
const TAKEOVER_LEVELS = 4;     // takeover files of makers that died, one after another

/** Thrown when another running broker holds the directory. */
export class LockedError extends Error {}

export interface Lock {
  path: string;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Owner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;   // half written by a broker that died making it: nobody holds it
  }
}

/** Whether `pid` is a live process that could be a broker (Node): see the file comment. */
export function ownerRunning(fs: LockFs, pid: number): boolean {
  if (pid === process.pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;   // ESRCH: no such process
  }
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return true;   // no /proc (not Linux), or not ours to read: assume it is the broker
  }
  return /node|ganglion/.test(cmdline);
}

/**
 * Takes the lock of `dir`, or throws LockedError naming who holds it. `log` hears of a stale
 * lock taken over.
 */
export function acquireLock(fs: LockFs, dir: string, log: (line: string) => void): Lock {
  const path = join(dir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  const mine = path + '.' + me.pid + '.' + Math.random().toString(36).slice(2);
  writeWhole(fs, mine, text);
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        fs.linkSync(mine, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock file ${path}: ${(e as Error).message}`);
        let held: string;
        try {
          held = fs.readFileSync(path, 'utf8');
        } catch {
          continue;   // removed between our link and our read: try again
        }
        const owner = parseOwner(held);
        if (owner !== null && owner.host !== me.host) {
          throw new LockedError(`${dir} is in use by a broker on host ${owner.host} (pid ${owner.pid}, since ${owner.since}; lock file ${path}); use another directory, or delete the lock file if that broker is gone`);
        }
        if (owner !== null && ownerRunning(fs, owner.pid)) {
          throw new LockedError(`${dir} is in use by another broker (pid ${owner.pid}, since ${owner.since}; lock file ${path}); stop it or use another directory`);
        }
        const why = `${owner === null ? 'an unreadable lock' : `the lock of pid ${owner.pid}, which is not running,`} taken over`;
        if (!takeOver(fs, path, held, text, () => log(`persistence: ${path}: ${why}`))) pause(WAIT_MS);
        continue;
      }
      return {
        path,
        release(): void {
          try {
            if (fs.readFileSync(path, 'utf8') === text) fs.unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    }
  } finally {
    try {
      fs.unlinkSync(mine);   // the lock, if taken, is the other name of it
    } catch {
      // nothing to remove
    }
  }
  throw new LockedError(`cannot take the lock file ${path}: other processes keep making it`);
}

/** Writes `text` to a new file `path`, synced. */
function writeWhole(fs: LockFs, path: string, text: string): void {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx', 0o600);
  } catch (e) {
    throw new Error(`cannot create the lock file ${path}: ${(e as Error).message}`);
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes the stale lock that said `held`, if this process is the one to (see the file
 * comment); `said` is what our own lock will say, `taken` logs the takeover. False: another
 * running process is taking it over now, wait for it.
 */
function takeOver(fs: LockFs, path: string, held: string, said: string, taken: () => void): boolean {
  let name = path + '.takeover-' + createHash('sha256').update(held).digest('hex').slice(0, 16);
  const passed: string[] = [];
  for (let level = 0; level < TAKEOVER_LEVELS; level++) {
    let fd: number;
    try {
      fd = fs.openSync(name, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return true;   // cannot make one: try the lock again
      let maker: Owner | null;
      try {
        maker = parseOwner(fs.readFileSync(name, 'utf8'));
      } catch {
        return true;   // its maker has just finished: try the lock again
      }
      if (maker !== null && ownerRunning(fs, maker.pid)) return false;
      passed.push(name);
      name = name + '.' + (maker === null ? 'x' : maker.pid);
      continue;
    }
    try {
      try {
        fs.writeSync(fd, said);
      } finally {
        fs.closeSync(fd);
      }
      let now: string | null;
      try {
        now = fs.readFileSync(path, 'utf8');
      } catch {
        now = null;   // gone already
      }
      if (now === held) {
        taken();
        fs.unlinkSync(path);
      }
    } finally {
      passed.push(name);
      for (const n of passed) {
        try {
          fs.unlinkSync(n);
        } catch {
          // removed by another that passed it too
        }
      }
    }
    return true;
  }
  return true;   // every level's maker died: try the lock again (and at last give up)
}

/** Waits `ms` without the event loop: this runs once, at start-up, before anything is served. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
