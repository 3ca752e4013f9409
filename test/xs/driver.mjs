// Child process of test/xs/run.mjs: evaluates one script (an esbuild iife bundle) inside a
// real XS engine through @agoric/xsnap and reports the outcome on stdout.
//
//   node test/xs/driver.mjs <script.js> [--steps <steps.json>]
//   node test/xs/driver.mjs --steps <steps.json>
//   --worker <path>: run that xsnap-worker binary instead of the package's own (the UTF-8
//                    build of test/xs/utf8-worker.mjs); the protocol is the same
//
// The script prints its own results with `print()`; xsnap's stdout is inherited, so they
// reach our stdout directly. This process adds, each on its own line:
//   @@XS-METERS@@{"compute":N,"allocate":N,"currentHeapCount":N}   after a good run
//   @@XS-ERROR@@<message>                                          if XS threw or the worker failed
// and exits 0 only after a good run (or when there was no script).
//
// --steps: afterwards, in a FRESH worker, evaluates each `{ label, code }` of the JSON array
// in order (one `worker.evaluate` per step, so each gets its own meters) and prints
//   @@XS-STEPS@@[{"label","compute","currentHeapCount","reply"}, ...]
// where `reply` is the step's completion value when it is an ArrayBuffer, as UTF-8 text
// (test/xs/alloc.ts answers with JSON), or
//   @@XS-STEPS-ERROR@@<message>
// A step with `snapshot: true` also gets `snapshot: { chunkBytes, slotBytes }` after it: the
// sizes of the live chunk heap and the live slot heap in an XS heap snapshot (written after
// a full garbage collection; see parseSnapshot below). test/xs/memory.ts uses them.
// The steps are information (the allocation meter): they never change the exit status.
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

function parseArgs(argv) {
  const out = { script: null, steps: null, worker: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--steps') out.steps = argv[++i] || null;
    else if (argv[i] === '--worker') out.worker = argv[++i] || null;
    else out.script = argv[i];
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.script && !args.steps) return fail('usage: node test/xs/driver.mjs <script.js> [--steps <steps.json>]');

  // xsnap spawns this binary; without it the spawn fails with an unhandled 'error' event,
  // so look first and say how to get it.
  const platform = { Linux: 'lin', Darwin: 'mac' }[os.type()];
  const bin = args.worker || fileURLToPath(new URL(`../xsnap-native/xsnap/build/bin/${platform}/release/xsnap-worker`,
    import.meta.resolve('@agoric/xsnap')));
  workerPath = args.worker;
  if (!platform || !fs.existsSync(bin)) {
    return fail(`the XS worker binary is missing (${bin}): run \`npm rebuild @agoric/xsnap\` (it compiles XS with cc and make)`);
  }

  if (args.script) await runScript(fs.readFileSync(args.script, 'utf8'));
  if (args.steps) await runSteps(JSON.parse(fs.readFileSync(args.steps, 'utf8')));
}

let workerPath = null;

// xsnap() spawns its package's binary; another build is the same program at another path.
function spawnWorker(bin, argv, options) {
  return spawn(workerPath || bin, argv, options);
}

function startWorker(name) {
  return xsnap({
    os: os.type(),
    spawn: spawnWorker,
    fs: { ...fs.promises, createReadStream: fs.createReadStream },
    name,
    stdout: 'inherit',
    stderr: 'inherit',
    meteringLimit: 0,
  });
}

async function runScript(source) {
  const worker = await startWorker('ganglion-xs');
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

/**
 * The live chunk and slot bytes in an xsnap heap snapshot: after a 4-byte size and "XS_M",
 * sections of [4-byte big-endian size including this 8-byte header][4-byte tag][data]:
 * BLOC holds every live chunk (strings, ArrayBuffer bytes, array and Map storage), HEAP every
 * live slot (moddable/xs/sources/xsSnapshot.c, fxWriteSnapshot).
 */
function parseSnapshot(b) {
  const out = { chunkBytes: -1, slotBytes: -1 };
  let i = 8;
  while (i + 8 <= b.length) {
    const size = b.readUInt32BE(i);
    const tag = b.toString('latin1', i + 4, i + 8);
    if (tag === 'BLOC') out.chunkBytes = size - 8;
    if (tag === 'HEAP') out.slotBytes = size - 8;
    if (size < 8) break;
    i += size;
  }
  return out;
}

async function snapshotOf(worker, label) {
  const parts = [];
  for await (const c of worker.makeSnapshotStream(label)) parts.push(c);
  return parseSnapshot(Buffer.concat(parts));
}

async function runSteps(steps) {
  let worker = null;
  const out = [];
  const decoder = new TextDecoder();
  try {
    worker = await startWorker('ganglion-xs-steps');
    for (const step of steps) {
      const { meterUsage, reply } = await worker.evaluate(step.code);
      out.push({
        label: step.label,
        compute: meterUsage.compute,
        currentHeapCount: meterUsage.currentHeapCount,
        reply: reply && reply.length > 0 ? decoder.decode(reply) : '',
        snapshot: step.snapshot ? await snapshotOf(worker, step.label) : undefined,
      });
    }
    process.stdout.write('@@XS-STEPS@@' + JSON.stringify(out) + '\n');
  } catch (e) {
    process.stdout.write('@@XS-STEPS-ERROR@@' + String(e && e.message ? e.message : e).replace(/\n/g, ' | ') +
      ' (after ' + out.length + ' of ' + steps.length + ' steps)\n');
  } finally {
    if (worker) await worker.close().catch(() => {});
  }
}

main().catch((e) => fail(e && e.stack ? e.stack : e));
