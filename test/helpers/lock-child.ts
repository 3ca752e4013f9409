// A broker's start-up as far as the lock of its persistence directory, in a process of its own,
// for the lock tests (test/unit/node-file-journal.test.ts): prints "acquired" or
// "locked: <message>", then holds on (a running broker) until its stdin closes.
//   node --import ./test/ts-loader.mjs test/helpers/lock-child.ts DIR ROLE SIGNALS
// ROLE "slow": after reading the stale lock, it waits until the other ("fast") has the lock,
// so the two interleave the way two brokers started at the same moment can; "fast" starts
// once "slow" has read the lock; "plain" just takes it. SIGNALS is a directory for the files
// that say so.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE, acquireLock } from '../../ports/node/journal-lock.js';
import type { LockFs } from '../../ports/node/journal-lock.js';

const [dir, role, signals] = process.argv.slice(2);
const lockPath = join(dir, LOCK_FILE);

function waitFor(name: string): void {
  const end = Date.now() + 20000;
  while (!fs.existsSync(join(signals, name))) {
    if (Date.now() > end) throw new Error('no ' + name + ' signal');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

let read = false;
const layer: LockFs = {
  ...fs,
  readFileSync: ((path: fs.PathOrFileDescriptor, options?: unknown) => {
    const out = fs.readFileSync(path, options as BufferEncoding);
    if (role === 'slow' && path === lockPath && !read) {
      read = true;
      fs.writeFileSync(join(signals, 'read'), '');
      waitFor('acquired');
    }
    return out;
  }) as typeof fs.readFileSync,
};

if (role === 'fast') waitFor('read');
try {
  acquireLock(layer, dir, () => undefined);
  if (role === 'fast') fs.writeFileSync(join(signals, 'acquired'), '');
  process.stdout.write('acquired\n');
} catch (e) {
  process.stdout.write('locked: ' + (e as Error).message + '\n');
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
