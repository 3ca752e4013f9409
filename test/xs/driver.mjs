// Child process of test/xs/run.mjs: evaluates one script (an esbuild iife bundle) inside a
// real XS engine through @agoric/xsnap and reports the outcome on stdout.
//
//   node test/xs/driver.mjs <script.js>
//
// The script prints its own results with `print()`; xsnap's stdout is inherited, so they
// reach our stdout directly. This process adds, each on its own line:
//   @@XS-METERS@@{"compute":N,"allocate":N,"currentHeapCount":N}   after a good run
//   @@XS-ERROR@@<message>                                          if XS threw or the worker failed
// and exits 0 only after a good run.
//
// It runs in its own process because `@endo/init` locks down the realm that imports it
// (it freezes Node's built-ins), which must not happen to run.mjs or to a test process.
import '@endo/init';
import { xsnap } from '@agoric/xsnap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

function fail(message) {
  process.stdout.write('@@XS-ERROR@@' + String(message).replace(/\n/g, ' | ') + '\n');
  process.exitCode = 1;
}

async function main() {
  const scriptPath = process.argv[2];
  if (!scriptPath) return fail('usage: node test/xs/driver.mjs <script.js>');
  const source = fs.readFileSync(scriptPath, 'utf8');

  // xsnap spawns this binary; without it the spawn fails with an unhandled 'error' event,
  // so look first and say how to get it.
  const platform = { Linux: 'lin', Darwin: 'mac' }[os.type()];
  const bin = fileURLToPath(new URL(`../xsnap-native/xsnap/build/bin/${platform}/release/xsnap-worker`,
    import.meta.resolve('@agoric/xsnap')));
  if (!platform || !fs.existsSync(bin)) {
    return fail(`the XS worker binary is missing (${bin}): run \`npm rebuild @agoric/xsnap\` (it compiles XS with cc and make)`);
  }

  const worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs.promises, createReadStream: fs.createReadStream },
    name: 'ganglion-xs',
    stdout: 'inherit',
    stderr: 'inherit',
    meteringLimit: 0,
  });
  try {
    const { meterUsage } = await worker.evaluate(source);
    process.stdout.write('@@XS-METERS@@' + JSON.stringify({
      compute: meterUsage.compute,
      allocate: meterUsage.allocate,
      currentHeapCount: meterUsage.currentHeapCount,
    }) + '\n');
  } catch (e) {
    fail(e && e.message ? e.message : e);
  } finally {
    await worker.close().catch(() => {});
  }
}

main().catch((e) => fail(e && e.stack ? e.stack : e));
