// A second xsnap worker, built as the Moddable SDK builds XS for a device: WITHOUT mxCESU8.
//
// @agoric/xsnap compiles XS with `#define mxCESU8 1` (xsnap-native/xsnap/sources/
// xsnapPlatform.h): strings behave as UTF-16, as on V8. No device platform of the Moddable
// SDK defines it: there XS keeps strings as UTF-8 and `charCodeAt` gives whole code points
// (`"a\u00fc\u{1F600}".length` is 3). test/xs/run.mjs runs every case in both workers.
//
// The build uses the package's own XS sources and makefile (xsnap-native/xsnap/makefiles/
// lin/xsnap-worker.mk, the release goal, the same CC and version as its postinstall), with
// a copy of xsnap-native/xsnap/sources whose xsnapPlatform.h lacks that one line. Output
// goes to .cache/xsnap-utf8/ in this checkout (gitignored), never into node_modules (shared
// between checkouts). A stamp of the inputs makes a second run a no-op.
//
//   node test/xs/utf8-worker.mjs     builds if needed, prints the worker's path
//   import { utf8Worker } from ...   the same, returns { path } or { error }
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CESU8_LINE = '#define mxCESU8 1';

function packageDir() {
  const require = createRequire(join(root, 'package.json'));
  return dirname(require.resolve('@agoric/xsnap/package.json'));
}

/** Builds the worker if its stamp is stale; returns { path } or { error }. */
export function utf8Worker() {
  if (os.type() !== 'Linux') return { error: 'the UTF-8 XS worker is built on Linux only (xsnap makefiles/lin)' };
  let pkg;
  try {
    pkg = packageDir();
  } catch (e) {
    return { error: '@agoric/xsnap is not installed: ' + e.message };
  }
  const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
  const native = join(pkg, 'xsnap-native/xsnap');
  const header = readFileSync(join(native, 'sources/xsnapPlatform.h'), 'utf8');
  const lines = header.split('\n');
  const at = lines.findIndex((l) => l.trim() === CESU8_LINE);
  if (at < 0 || lines.findIndex((l, i) => i > at && l.trim() === CESU8_LINE) >= 0) {
    return { error: `xsnapPlatform.h of @agoric/xsnap ${version} does not define mxCESU8 exactly once: this build no longer applies` };
  }
  const cache = join(root, '.cache/xsnap-utf8');
  const sources = join(cache, 'sources');
  const build = join(cache, 'build');
  const bin = join(build, 'bin/lin/release/xsnap-worker');
  const stamp = join(cache, 'stamp');
  const want = createHash('sha256').update(version + '\n' + header + '\n' + readFileSync(fileURLToPath(import.meta.url), 'utf8'))
    .digest('hex');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return { path: bin };

  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  cpSync(join(native, 'sources'), sources, { recursive: true });
  lines.splice(at, 1, '/* mxCESU8 left undefined: strings as UTF-8, as on a device (test/xs/utf8-worker.mjs) */');
  writeFileSync(join(sources, 'xsnapPlatform.h'), lines.join('\n'));
  const started = Date.now();
  const r = spawnSync('make', [
    '-f', 'xsnap-worker.mk',
    `MODDABLE=${join(pkg, 'moddable')}`,
    'GOAL=release',
    `XSNAP_VERSION=${version}`,
    'CC=cc "-D__has_builtin(x)=1"',
    `BUILD_DIR=${build}`,
    `TLS_DIR=${sources}`,
    `-j${Math.max(1, Math.min(4, os.cpus().length))}`,
  ], { cwd: join(native, 'makefiles/lin'), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { error: 'make: ' + r.error.message + ' (install make and a C compiler: build-essential)' };
  if (r.status !== 0 || !existsSync(bin)) {
    return { error: `make exited with status ${r.status}:\n${(r.stdout || '') + (r.stderr || '')}`.slice(0, 4000) };
  }
  writeFileSync(stamp, want);
  console.log(`xs: built the UTF-8 XS worker (no mxCESU8) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${bin}`);
  return { path: bin };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const w = utf8Worker();
  if (w.error) {
    console.error(w.error);
    process.exit(1);
  }
  console.log(w.path);
}
