// `npm test` step "xs": the core (codec and broker engine) inside the real XS engine gives
// byte-identical results to Node.
//
//   node test/xs/run.mjs            (from anywhere; paths are relative to this file)
//   node test/xs/run.mjs other.ts   (another cases module exporting runCodecCases, run
//                                    instead of the two below; for checking this harness)
//   node test/xs/run.mjs --alloc    (`npm run bench:xs`: only the allocation report)
//   node test/xs/run.mjs --memory   (`npm run bench:moddable`: only the Moddable port's memory
//                                    report, then its allocation rows)
//
// 1. esbuild bundles core/index.ts together with test/xs/codec-cases.ts and
//    test/xs/broker-cases.ts into one self-contained iife script that runs every case of
//    both and print()s the results as JSON between @@XS-BEGIN@@ and @@XS-END@@.
// 2. Node runs that same script in a fresh V8 context (ECMAScript built-ins only, as XS).
// 3. test/xs/driver.mjs, a child process (it imports @endo/init, which locks down its
//    realm), evaluates the script inside an xsnap worker and reports the XS meters; then
//    again in a second worker built without mxCESU8 (utf8-worker.mjs): XS as the Moddable
//    SDK builds it for a device, strings as UTF-8.
// 4. A case passes in an XS build when neither engine reports a problem against the case's
//    own hand-derived expectation and both give the same result string; each build counts.
// 5. Information, never a failure: the allocation meter (test/xs/alloc.ts) routes QoS 0
//    and QoS 1 messages from one client to ten subscribers in a fresh XS worker and
//    prints XS slots and compute per routed message (see allocPlan below), for the core
//    alone and through the Moddable port (alloc-port.ts); then, in the same worker, the
//    Moddable port's memory per client, subscription and retained message from XS heap
//    snapshots (test/xs/memory.ts, see memoryPlan below).
// The Moddable port's cases (moddable-cases.ts), its store's (store-cases.ts: power cuts
// over the fake file module), its outgoing socket's (client-cases.ts) and its bridge's
// (bridge-cases.ts: the device's broker bridged to an upstream broker in the same fake world)
// run in the same script as the others; the bundles map the SDK's modules to the fakes in
// fake-moddable/ (plugin.mjs).
// The last line is `xs: N passed, N failed`; N counts cases once per XS build, plus one
// failure when XS threw, a worker is missing or cannot be built, or the bundle does not build. Exit status 1 on any failure.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { moddableFakes } from './fake-moddable/plugin.mjs';
import { utf8Worker } from './utf8-worker.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const allocOnly = process.argv[2] === '--alloc';
const memoryOnly = process.argv[2] === '--memory';
const customCases = !allocOnly && !memoryOnly && process.argv[2] ? resolve(process.argv[2]) : null;
const casesFile = customCases || join(here, 'codec-cases.ts');
const brokerCasesFile = join(here, 'broker-cases.ts');
const moddableCasesFile = join(here, 'moddable-cases.ts');
const storeCasesFile = join(here, 'store-cases.ts');
const clientCasesFile = join(here, 'client-cases.ts');
const bridgeCasesFile = join(here, 'bridge-cases.ts');
const BEGIN = '@@XS-BEGIN@@';
const END = '@@XS-END@@';

let passed = 0;
let failed = 0;

function finish(extraFailure, why) {
  if (extraFailure) {
    failed += 1;
    console.log('FAIL ' + why);
  }
  console.log(`xs: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

/** The JSON between the markers in `text`, or null. */
function between(text) {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END, a + BEGIN.length);
  if (a < 0 || b < 0) return null;
  return JSON.parse(text.slice(a + BEGIN.length, b));
}

async function bundle(entry) {
  const out = await build({
    stdin: { contents: entry, resolveDir: here, sourcefile: 'xs-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    target: 'es2020',
    define: { __MQTT5__: 'true', __SYS__: 'true', __STORE__: 'true', __COMPACT__: 'false', __AUTH__: 'true', __CLIENT__: 'true' },   // the full build, as dist/xs ships (build.mjs DEFINE)
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
    plugins: [moddableFakes],   // the Moddable port's SDK modules -> test/xs/fake-moddable/
  });
  return out.outputFiles[0].text;
}

// ---- the allocation meter (information only) -------------------------------------------
//
// One fresh XS worker. For each configuration (QoS x protocol version) and each fan-out
// (1 and 10 subscribers): a setup step (new broker, clients, warm-up), then for each size n
// the steps gc / flush / gc+arm (baseline) / step(n) / report / gc, each its own
// `worker.evaluate`, so that each has its own meters. Per routed message, with the two
// sizes n1 < n2 (fixed costs, such as evaluating the step's source text, cancel out):
//   slots     ((after(n2) - base(n2)) - (after(n1) - base(n1))) / (n2 - n1)
//             after: currentHeapCount right after the step; base: right after gc + arm
//   compute   (compute(n2) - compute(n1)) / (n2 - n1)
//   kept      as slots, with the heap count after a gc() that follows the step: slots that
//             stay live per message (0 for a broker that does not leak)
//   per extra subscriber   (slots(10 subscribers) - slots(1)) / 9, likewise compute
// A FinalizationRegistry target armed in the baseline step and collected by report time
// means a GC ran during the step: that size's slot count is then not exact, and the report
// says so. A `grow` step first enlarges the XS slot heap so that the steps fit without one.
// Knobs for experiments (environment): ALLOC_SIZES=1000,2000  ALLOC_GROW=600000 (objects).
// `bench`: the core alone (alloc.ts), or through the Moddable port and the fake ECMA-419
// sockets (alloc-port.ts: adds the port's read buffer, one ArrayBuffer and view per TCP read).
const ALLOC_CONFIGS = [
  { name: 'QoS 0, MQTT 3.1.1', qos: 0, version: 4, bench: 'ganglionAlloc' },
  { name: 'QoS 1, MQTT 3.1.1', qos: 1, version: 4, bench: 'ganglionAlloc' },
  { name: 'QoS 0, MQTT 5.0', qos: 0, version: 5, bench: 'ganglionAlloc' },
  { name: 'QoS 1, MQTT 5.0', qos: 1, version: 5, bench: 'ganglionAlloc' },
  { name: 'QoS 0, 3.1.1, Moddable port', qos: 0, version: 4, bench: 'ganglionAllocPort' },
  { name: 'QoS 1, 3.1.1, Moddable port', qos: 1, version: 4, bench: 'ganglionAllocPort' },
];
const ALLOC_FANOUT = [1, 10];
const ALLOC_SIZES = process.env.ALLOC_SIZES ? process.env.ALLOC_SIZES.split(',').map(Number) : [1000, 2000];
const ALLOC_WARMUP = 100;
const ALLOC_GROW = process.env.ALLOC_GROW ? Number(process.env.ALLOC_GROW) : 600000;

async function allocBundle() {
  return bundle([
    `import * as api from ${JSON.stringify(join(root, 'core/index.ts'))};`,
    `import { installAllocBench } from ${JSON.stringify(join(here, 'alloc.ts'))};`,
    `import { installPortAllocBench } from ${JSON.stringify(join(here, 'alloc-port.ts'))};`,
    `import { installMemoryBench } from ${JSON.stringify(join(here, 'memory.ts'))};`,
    'installAllocBench(api);',
    'installPortAllocBench(api);',
    'installMemoryBench(api);',
  ].join('\n'));
}

function allocPlan(script) {
  const steps = [{ label: 'load', code: script }, { label: 'grow', code: `ganglionAlloc.grow(${ALLOC_GROW})` }];
  ALLOC_CONFIGS.forEach((cfg, k) => {
    const o = cfg.bench;
    for (const subs of ALLOC_FANOUT) {
      const at = `${k}:${subs}`;
      steps.push({ label: `${at}:setup`, code: `${o}.setup(${cfg.qos}, ${cfg.version}, ${ALLOC_WARMUP}, ${subs})` });
      for (const n of ALLOC_SIZES) {
        steps.push({ label: `${at}:${n}:gc`, code: 'gc()' });
        steps.push({ label: `${at}:${n}:flush`, code: `${o}.flush()` });
        steps.push({ label: `${at}:${n}:base`, code: `gc(); ${o}.arm()` });
        steps.push({ label: `${at}:${n}:step`, code: `${o}.step(${n})` });
        steps.push({ label: `${at}:${n}:report`, code: `${o}.report(${n})` });
        steps.push({ label: `${at}:${n}:live`, code: 'gc()' });
      }
    }
  });
  return steps;
}

// ---- the Moddable port's memory (information only) --------------------------------------
//
// Steps on the same worker (memory.ts), each followed by a heap snapshot that gives the live
// slot and chunk bytes after a full collection. Each kind of thing is added twice (MEM_FIRST,
// then MEM_MORE more): per item = (after the second - after the first) / MEM_MORE, so one-time
// costs (the first of a kind growing a table) cancel out.
const MEM_FIRST = 16;
const MEM_MORE = 32;
const MEM_SLOW = [200, 800];
const XSNAP_SLOT = 32;     // bytes per slot in xsnap (64-bit); 16 on the ESP32 (32-bit)
const DEVICE_SLOT = 16;
const MEM_KINDS = [
  ['sockets', 'fake socket (test only)'],
  ['clients', 'idle client'],
  ['subscriptions', 'subscription'],
  ['retained', 'retained message'],
];

function memoryPlan() {
  const snap = (label, code) => ({ label, code, snapshot: true });
  const steps = [snap('mem:empty', 'gc()'), snap('mem:setup', 'ganglionMemory.setup()'), snap('mem:helpers', 'ganglionMemory.helpers()')];
  for (const [kind] of MEM_KINDS) {
    steps.push(snap(`mem:${kind}:1`, `ganglionMemory.${kind}(${MEM_FIRST})`));
    steps.push(snap(`mem:${kind}:2`, `ganglionMemory.${kind}(${MEM_MORE})`));
  }
  steps.push(snap('mem:slow:1', `ganglionMemory.slow(${MEM_SLOW[0]})`));
  steps.push(snap('mem:slow:2', `ganglionMemory.slow(${MEM_SLOW[1]})`));
  return steps;
}

/** Lines of the memory report, or null when the steps hold no memory steps. */
function memoryReport(by) {
  if (!by.has('mem:setup')) return null;
  const problems = [];
  const at = (label) => {
    const s = by.get(label);
    if (s.reply) problems.push(...JSON.parse(s.reply).problems.map((p) => label + ': ' + p));
    if (!s.snapshot || s.snapshot.slotBytes < 0 || s.snapshot.chunkBytes < 0) throw new Error('no snapshot after ' + label);
    return { slots: s.snapshot.slotBytes / XSNAP_SLOT, chunks: s.snapshot.chunkBytes };
  };
  const diff = (a, b, n) => ({ slots: (at(b).slots - at(a).slots) / n, chunks: (at(b).chunks - at(a).chunks) / n });
  const device = (m) => m.slots * DEVICE_SLOT + m.chunks;
  const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const per = {};
  for (const [kind] of MEM_KINDS) per[kind] = diff(`mem:${kind}:1`, `mem:${kind}:2`, MEM_MORE);
  // A client through the port less the fake socket's own share (FakeTCP + FakePeer): on the
  // device the socket is a native host object whose state lives in lwIP, outside the XS heaps.
  const client = { slots: per.clients.slots - per.sockets.slots, chunks: per.clients.chunks - per.sockets.chunks };
  const base = diff('mem:empty', 'mem:setup', 1);
  const slow = diff('mem:slow:1', 'mem:slow:2', 1);
  const lines = [`xs memory, Moddable port (information): live XS heap after a full GC, from heap snapshots; ` +
    `slots x ${DEVICE_SLOT} bytes on ESP32 + chunk bytes as measured on 64-bit xsnap (an upper bound for the 32-bit device):`];
  const row = (name, m) => lines.push(`  ${name.padEnd(34)} ${fmt(m.slots).padStart(6)} slots  ${fmt(m.chunks).padStart(7)} chunk bytes  ` +
    `~${fmt(device(m)).padStart(7)} bytes on ESP32`);
  row('broker + adapter, listening', base);
  row('per idle client (core + adapter)', client);
  row('  (fake socket, subtracted)', per.sockets);
  row('per subscription', per.subscriptions);
  row('per retained message', per.retained);
  row('slow consumer at its limits', diff('mem:retained:2', 'mem:slow:1', 1));
  row(`  then +${MEM_SLOW[1]} x (QoS 0 + QoS 1)`, slow);
  const budget = 150 * 1024;
  const avail = budget - device(base);
  lines.push(`  in ~150 KB for JS (less the broker's ${fmt(device(base))} bytes; the SDK's own modules not counted): ` +
    `${Math.floor(avail / device(client))} idle clients, or ${Math.floor(avail / device(per.subscriptions))} subscriptions, ` +
    `or ${Math.floor(avail / device(per.retained))} retained messages; mosquitto's ESP32 port: about 4096 bytes of heap per client`);
  for (const p of problems) lines.push('  PROBLEM: ' + p);
  return lines;
}

/** Per-message figures of one configuration and fan-out, from the steps' meters. */
function allocFigures(by, at) {
  const problems = [];
  const setup = by.get(`${at}:setup`);
  if (setup && setup.reply) problems.push(...JSON.parse(setup.reply).problems);
  const per = {};
  const gcs = [];
  let detector = true;
  for (const n of ALLOC_SIZES) {
    const base = by.get(`${at}:${n}:base`).currentHeapCount;
    const step = by.get(`${at}:${n}:step`);
    const live = by.get(`${at}:${n}:live`).currentHeapCount;
    const report = JSON.parse(by.get(`${at}:${n}:report`).reply);
    problems.push(...report.problems);
    if (report.gc === null) detector = false;
    if (report.gc === true) gcs.push(n);
    per[n] = { slots: step.currentHeapCount - base, kept: live - base, compute: step.compute };
  }
  const [n1, n2] = ALLOC_SIZES;
  const d = n2 - n1;
  return {
    slots: (per[n2].slots - per[n1].slots) / d,
    compute: (per[n2].compute - per[n1].compute) / d,
    kept: (per[n2].kept - per[n1].kept) / d,
    raw: ALLOC_SIZES.map((n) => `n=${n}: ${per[n].slots} slots, compute ${per[n].compute}`).join('; '),
    gc: gcs.length > 0,
    gcNote: !detector ? 'GC detector unavailable'
      : gcs.length === 0 ? 'no GC during the steps' : `a GC ran during the n=${gcs.join(' and n=')} step: slot counts NOT exact`,
    problems,
  };
}

/** Lines of the allocation report from the driver's @@XS-STEPS@@ answer. */
function allocReport(stepsOut) {
  const by = new Map(stepsOut.map((s) => [s.label, s]));
  const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  const [few, many] = ALLOC_FANOUT;
  const lines = [`xs allocation (information): XS slots and compute per routed message, 1 publisher -> ${many} subscribers ` +
    `(and -> ${few}), two-size method n=${ALLOC_SIZES.join('/')}, warm-up ${ALLOC_WARMUP} messages:`];
  ALLOC_CONFIGS.forEach((cfg, k) => {
    const a = allocFigures(by, `${k}:${many}`);
    const b = allocFigures(by, `${k}:${few}`);
    const extra = (a.slots - b.slots) / (many - few);
    const extraCompute = (a.compute - b.compute) / (many - few);
    lines.push(`  ${cfg.name.padEnd(28)} ${fmt(a.slots)} slots/message, compute ${fmt(a.compute)}/message; ` +
      `with ${few} subscriber ${fmt(b.slots)} slots, compute ${fmt(b.compute)}; ` +
      `each extra subscriber ${fmt(extra)} slots, compute ${fmt(extraCompute)}; kept after gc ${fmt(a.kept)}/${fmt(b.kept)} slots/message` +
      (a.gc || b.gc ? ' [a GC ran during a step: slot figures NOT exact]' : ''));
    lines.push(`  ${''.padEnd(28)} ${many} subscribers: ${a.raw}; ${a.gcNote}`);
    lines.push(`  ${''.padEnd(28)} ${few} subscriber:  ${b.raw}; ${b.gcNote}`);
    for (const p of a.problems.concat(b.problems)) lines.push(`  ${''.padEnd(28)} PROBLEM: ${p}`);
  });
  return lines;
}

function printAlloc(stdout) {
  const err = /@@XS-STEPS-ERROR@@(.*)/.exec(stdout);
  const ok = /@@XS-STEPS@@(.*)/.exec(stdout);
  if (err) {
    console.log('xs allocation (information): not measured: ' + err[1]);
    return false;
  }
  if (!ok) {
    console.log('xs allocation (information): not measured: the driver gave no step results');
    return false;
  }
  let good = true;
  let steps;
  try {
    steps = JSON.parse(ok[1]);
  } catch (e) {
    console.log('xs allocation (information): unreadable step results: ' + (e && e.message ? e.message : e));
    return false;
  }
  const by = new Map(steps.map((s) => [s.label, s]));
  if (by.has('0:1:setup')) {
    try {
      for (const line of allocReport(steps)) console.log(line);
    } catch (e) {
      console.log('xs allocation (information): unreadable step results: ' + (e && e.stack ? e.stack : e));
      good = false;
    }
  }
  try {
    const lines = memoryReport(by);
    if (lines) for (const line of lines) console.log(line);
  } catch (e) {
    console.log('xs memory (information): unreadable step results: ' + (e && e.stack ? e.stack : e));
    good = false;
  }
  return good;
}

function runDriver(args) {
  const child = spawnSync(process.execPath, [join(here, 'driver.mjs'), ...args], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300000,
  });
  if (child.stderr) process.stderr.write(child.stderr);
  return child;
}

const dir = mkdtempSync(join(tmpdir(), 'ganglion-xs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let stepsPath = null;
try {
  stepsPath = join(dir, 'alloc-steps.json');
  const plan = allocPlan(await allocBundle());
  const steps = memoryOnly ? [plan[0]].concat(memoryPlan())
    : allocOnly ? plan : plan.concat(memoryPlan());
  writeFileSync(stepsPath, JSON.stringify(steps));
} catch (e) {
  stepsPath = null;
  console.log('xs allocation (information): the alloc bundle does not build: ' + (e && e.message ? e.message : e));
}

if (allocOnly || memoryOnly) {
  if (!stepsPath) process.exit(1);
  const child = runDriver(['--steps', stepsPath]);
  const stdout = child.stdout || '';
  const errLine = /@@XS-ERROR@@(.*)/.exec(stdout);
  if (errLine) console.log('xs allocation: ' + errLine[1]);
  process.exit(printAlloc(stdout) ? 0 : 1);
}

// 1. The script.
const entry = customCases ? [
  `import * as api from ${JSON.stringify(join(root, 'core/index.ts'))};`,
  `import { runCodecCases } from ${JSON.stringify(casesFile)};`,
  `print(${JSON.stringify(BEGIN)} + JSON.stringify(runCodecCases(api)) + ${JSON.stringify(END)});`,
].join('\n') : [
  `import * as api from ${JSON.stringify(join(root, 'core/index.ts'))};`,
  `import { runCodecCases } from ${JSON.stringify(casesFile)};`,
  `import { runBrokerCases } from ${JSON.stringify(brokerCasesFile)};`,
  `import { runModdableCases } from ${JSON.stringify(moddableCasesFile)};`,
  `import { runStoreCases } from ${JSON.stringify(storeCasesFile)};`,
  `import { runClientCases } from ${JSON.stringify(clientCasesFile)};`,
  `import { runBridgeCases } from ${JSON.stringify(bridgeCasesFile)};`,
  `print(${JSON.stringify(BEGIN)} + JSON.stringify(runCodecCases(api).concat(runBrokerCases(api), runModdableCases(api), runStoreCases(), runClientCases(api), runBridgeCases(api))) + ${JSON.stringify(END)});`,
].join('\n');
let script;
try {
  script = await bundle(entry);
} catch (e) {
  finish(true, `the XS bundle (core/index.ts + ${customCases ? casesFile : casesFile + ' + ' + brokerCasesFile}) does not build:\n` +
    (e && e.message ? e.message : e));
}

// 2. Node.
let nodeCases;
try {
  let printed = '';
  vm.runInNewContext(script, { print: (s) => { printed += String(s) + '\n'; } }, { filename: 'ganglion-xs.js' });
  nodeCases = between(printed);
  if (!nodeCases) throw new Error('the script printed no results');
} catch (e) {
  finish(true, 'the cases threw on Node: ' + (e && e.stack ? e.stack : e));
}

// 3. XS, in two builds: the package's worker (mxCESU8: strings as UTF-16, as on V8; then,
// in a fresh worker, the allocation steps), and the UTF-8 build of utf8-worker.mjs (no
// mxCESU8: strings as UTF-8 and charCodeAt giving code points, as the Moddable SDK builds XS
// for a device). Every case runs in both, and each engine's result is one count.
const scriptPath = join(dir, 'ganglion-xs.js');
writeFileSync(scriptPath, script);

/** One XS engine's run of the script: { cases, error, meters, stdout, seconds }. */
function runXs(extraArgs) {
  const started = Date.now();
  const child = runDriver([scriptPath].concat(extraArgs));
  const stdout = child.stdout || '';
  let error = null;
  const errLine = /@@XS-ERROR@@(.*)/.exec(stdout);
  if (errLine) error = errLine[1];
  else if (child.error) error = 'driver: ' + child.error.message;
  else if (child.status !== 0) error = `driver exited with status ${child.status}${child.signal ? ' (' + child.signal + ')' : ''}`;
  let cases = null;
  try {
    cases = between(stdout);
  } catch (e) {
    error = (error ? error + '; ' : '') + 'unreadable XS results: ' + e.message;
  }
  if (!cases && !error) error = 'XS printed no results';
  const meters = /@@XS-METERS@@(.*)/.exec(stdout);
  return { cases, error, meters: meters ? JSON.parse(meters[1]) : null, stdout, seconds: (Date.now() - started) / 1000 };
}

/** Counts one engine's results against Node's, case by case. */
function compare(label, run) {
  const byName = new Map();
  if (run.cases) for (const c of run.cases) byName.set(c.name, c);
  const seen = new Set();
  for (const n of nodeCases) {
    if (seen.has(n.name)) {
      failed++;
      console.log(`FAIL duplicate case name: ${n.name}`);
      continue;
    }
    seen.add(n.name);
    const x = byName.get(n.name);
    const lines = [];
    if (n.problem) lines.push(`  node problem: ${n.problem}`);
    if (!x) {
      if (run.cases) lines.push(`  no result in ${label} for this case`);
    } else {
      if (x.problem && x.problem !== n.problem) lines.push(`  ${label} problem: ${x.problem}`);
      if (x.result !== n.result) lines.push(`  node and ${label} differ`);
    }
    if (lines.length === 0 && x) {
      passed++;
      continue;
    }
    failed++;
    console.log(`FAIL [${label}] ${n.name}`);
    for (const l of lines) console.log(l);
    console.log(`  node: ${n.result}`);
    if (x) console.log(`  ${label}: ${x.result}`);
  }
  if (run.cases) {
    for (const x of run.cases) {
      if (!seen.has(x.name)) {
        failed++;
        console.log(`FAIL [${label}] ${x.name}: only XS ran this case`);
      }
    }
  }
}

const cesu = runXs(stepsPath ? ['--steps', stepsPath] : []);
compare('XS UTF-16', cesu);
const built = utf8Worker();
const utf8 = built.error ? null : runXs(['--worker', built.path]);
if (utf8) compare('XS UTF-8', utf8);

const broker = nodeCases.filter((c) => c.name.startsWith('broker: ')).length;
const moddable = nodeCases.filter((c) => c.name.startsWith('moddable: ')).length;
const store = nodeCases.filter((c) => c.name.startsWith('store: ')).length;
const client = nodeCases.filter((c) => c.name.startsWith('moddable client: ') || c.name.startsWith('moddable bridge: ')).length;
console.log(`xs cases: ${nodeCases.length} (${nodeCases.length - broker - moddable - store - client} codec, ${broker} broker, ${moddable} Moddable port, ` +
  `${store} Moddable store, ${client} Moddable client and bridge), ` +
  'each run on Node, in XS built with mxCESU8 (strings as UTF-16) and in XS built without it (strings as UTF-8, as on a device)');
for (const [label, run] of [['UTF-16', cesu], ['UTF-8', utf8]]) {
  if (run && run.meters) {
    console.log(`xs meters, ${label} build (information): compute ${run.meters.compute}, currentHeapCount ${run.meters.currentHeapCount} slots, ` +
      `XS run ${run.seconds.toFixed(1)} s`);
  }
}
if (stepsPath) printAlloc(cesu.stdout);
const problems = [];
if (cesu.error) problems.push('XS (UTF-16 build): ' + cesu.error);
if (built.error) problems.push('the UTF-8 XS worker: ' + built.error);
else if (utf8.error) problems.push('XS (UTF-8 build): ' + utf8.error);
if (problems.length > 0) finish(true, problems.join('; '));
finish(false);
