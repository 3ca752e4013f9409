// The lock of a persistence directory: one broker writes it at a time. Two brokers appending
// to one log would interleave their records and each would load the other's state.
//
// Node has no flock(), so the lock is a file made with an exclusive create (O_CREAT|O_EXCL)
// holding the owner's pid and host. A lock whose owner is gone (the broker was killed with
// kill -9 and never removed it) is stale and taken over, so a crash never blocks the restart:
// the owner is gone when its pid is not running, is our own pid (a container restarted the
// broker as the same pid 1), or is running something that is not Node (the pid was reused).
// Two brokers starting in the same instant over a stale lock could both take it; that needs
// two restarts racing by hand, and the message below names the pid to check.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as nodeFs from 'node:fs';

/** The calls of `node:fs` the lock makes (tests hand in a layer that fails). */
export type LockFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'readFileSync' | 'unlinkSync'>;

export const LOCK_FILE = 'ganglion.lock';

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
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock file ${path}: ${(e as Error).message}`);
      let held: string;
      try {
        held = fs.readFileSync(path, 'utf8');
      } catch {
        continue;   // removed between our create and our read: try again
      }
      const owner = parseOwner(held);
      if (owner !== null && owner.host !== me.host) {
        throw new LockedError(`${dir} is in use by a broker on host ${owner.host} (pid ${owner.pid}, since ${owner.since}; lock file ${path}); use another directory, or delete the lock file if that broker is gone`);
      }
      if (owner !== null && ownerRunning(fs, owner.pid)) {
        throw new LockedError(`${dir} is in use by another broker (pid ${owner.pid}, since ${owner.since}; lock file ${path}); stop it or use another directory`);
      }
      log(`persistence: ${path}: ${owner === null ? 'an unreadable lock' : `the lock of pid ${owner.pid}, which is not running,`} taken over`);
      try {
        fs.unlinkSync(path);
      } catch {
        // another starter removed it first; the exclusive create decides
      }
      continue;
    }
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
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
  throw new LockedError(`cannot take the lock file ${path}: other processes keep making it`);
}
