// `npm test`: every check ganglion has, in one run, ending with the line "N passed, N failed".
//   1. typecheck   tsc over core/, ports/ and test/ (strict, no emit)
//   2. build       build.mjs: three bundles, size budgets, the Espruino subset check
//   3. unit        uvu suites test/**/*.test.ts, run from the TypeScript sources
//   4. xs          the built core inside the real XS engine (test/xs/run.mjs)
//   5. bench smoke  the broker benchmark's short mode against the built ganglion command:
//                  checks the harness still runs and nothing is lost or duplicated, never a speed
// A step that fails counts as failed; a suite's tests are counted one by one. Each step has a
// time limit, so a suite that never ends (a test left a socket or a child process open, and
// the runner waits for it) fails with what it printed instead of holding CI until it is killed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;

function step(name, cmd, args, count, limitMinutes = 10) {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 64 << 20,
    timeout: limitMinutes * 60_000, killSignal: 'SIGKILL',
  });
  const out = (r.stdout || '') + (r.stderr || '');
  process.stdout.write(out.endsWith('\n') || out === '' ? out : out + '\n');
  if (r.error && r.error.code === 'ETIMEDOUT') console.log(`== ${name}: still running after ${limitMinutes} min: killed`);
  const ok = r.status === 0;
  const counted = count ? count(out) : null;
  if (counted !== null) {
    passed += counted.passed;
    failed += counted.failed;
    if (!ok && counted.failed === 0) failed += 1;   // the step died without a failing test
  } else if (ok) passed += 1;
  else failed += 1;
  console.log(`== ${name}: ${ok ? 'ok' : 'FAILED (exit ' + r.status + ')'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

// uvu prints "Total: N", "Passed: N", "Skipped: N".
function uvuCount(out) {
  const total = /Total:\s+(\d+)/.exec(out);
  const pass = /Passed:\s+(\d+)/.exec(out);
  if (!total || !pass) return null;
  return { passed: +pass[1], failed: +total[1] - +pass[1] };
}

// Our own runners print "<name>: N passed, N failed".
function lineCount(out) {
  const m = /(\d+) passed, (\d+) failed/.exec(out);
  return m ? { passed: +m[1], failed: +m[2] } : null;
}

const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
step('typecheck', process.execPath, [tsc, '-p', 'tsconfig.json']);
step('build', process.execPath, ['build.mjs']);
step('unit', process.execPath, ['--import', './test/ts-loader.mjs', 'node_modules/uvu/bin.js', 'test', '\\.test\\.ts$', '-c', 'false'], uvuCount, 20);
if (existsSync(new URL('./xs/run.mjs', import.meta.url))) step('xs', process.execPath, ['test/xs/run.mjs'], lineCount);
step('bench smoke', process.execPath, ['--import', './test/ts-loader.mjs', 'test/bench/brokers/main.ts', '--short', '--brokers', 'ganglion']);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
