// `npm test` step "xs": the core (codec and broker engine) inside the real XS engine gives
// byte-identical results to Node.
//
//   node test/xs/run.mjs            (from anywhere; paths are relative to this file)
//   node test/xs/run.mjs other.ts   (another cases module exporting runCodecCases, run
//                                    instead of the two below; for checking this harness)
//   node test/xs/run.mjs --alloc    (`npm run bench:xs`: only the allocation report)
//
// 1. esbuild bundles core/index.ts together with test/xs/codec-cases.ts and
//    test/xs/broker-cases.ts into one self-contained iife script that runs every case of
//    both and print()s the results as JSON between @@XS-BEGIN@@ and @@XS-END@@.
// 2. Node runs that same script in a fresh V8 context (ECMAScript built-ins only, as XS).
// 3. test/xs/driver.mjs, a child process (it imports @endo/init, which locks down its
//    realm), evaluates the script inside an xsnap worker and reports the XS meters.
// 4. A case passes when neither engine reports a problem against the case's own
//    hand-derived expectation and both give the same result string.
// 5. Information, never a failure: the allocation meter (test/xs/alloc.ts) routes QoS 0
//    and QoS 1 messages from one client to ten subscribers in a fresh XS worker and
//    prints XS slots and compute per routed message (see allocPlan below).
// The last line is `xs: N passed, N failed`; N counts cases, plus one failure when XS
// threw, the worker is missing or the bundle does not build. Exit status 1 on any failure.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const allocOnly = process.argv[2] === '--alloc';
const customCases = !allocOnly && process.argv[2] ? resolve(process.argv[2]) : null;
const casesFile = customCases || join(here, 'codec-cases.ts');
const brokerCasesFile = join(here, 'broker-cases.ts');
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
    define: { __MQTT5__: 'true' },   // the full build, as dist/xs ships (build.mjs DEFINE)
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
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
const ALLOC_CONFIGS = [
  { name: 'QoS 0, MQTT 3.1.1', qos: 0, version: 4 },
  { name: 'QoS 1, MQTT 3.1.1', qos: 1, version: 4 },
  { name: 'QoS 0, MQTT 5.0', qos: 0, version: 5 },
  { name: 'QoS 1, MQTT 5.0', qos: 1, version: 5 },
];
const ALLOC_FANOUT = [1, 10];
const ALLOC_SIZES = process.env.ALLOC_SIZES ? process.env.ALLOC_SIZES.split(',').map(Number) : [1000, 2000];
const ALLOC_WARMUP = 100;
const ALLOC_GROW = process.env.ALLOC_GROW ? Number(process.env.ALLOC_GROW) : 600000;

async function allocBundle() {
  return bundle([
    `import * as api from ${JSON.stringify(join(root, 'core/index.ts'))};`,
    `import { installAllocBench } from ${JSON.stringify(join(here, 'alloc.ts'))};`,
    'installAllocBench(api);',
  ].join('\n'));
}

function allocPlan(script) {
  const steps = [{ label: 'load', code: script }, { label: 'grow', code: `ganglionAlloc.grow(${ALLOC_GROW})` }];
  ALLOC_CONFIGS.forEach((cfg, k) => {
    for (const subs of ALLOC_FANOUT) {
      const at = `${k}:${subs}`;
      steps.push({ label: `${at}:setup`, code: `ganglionAlloc.setup(${cfg.qos}, ${cfg.version}, ${ALLOC_WARMUP}, ${subs})` });
      for (const n of ALLOC_SIZES) {
        steps.push({ label: `${at}:${n}:gc`, code: 'gc()' });
        steps.push({ label: `${at}:${n}:flush`, code: 'ganglionAlloc.flush()' });
        steps.push({ label: `${at}:${n}:base`, code: 'gc(); ganglionAlloc.arm()' });
        steps.push({ label: `${at}:${n}:step`, code: `ganglionAlloc.step(${n})` });
        steps.push({ label: `${at}:${n}:report`, code: `ganglionAlloc.report(${n})` });
        steps.push({ label: `${at}:${n}:live`, code: 'gc()' });
      }
    }
  });
  return steps;
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
    lines.push(`  ${cfg.name.padEnd(18)} ${fmt(a.slots)} slots/message, compute ${fmt(a.compute)}/message; ` +
      `with ${few} subscriber ${fmt(b.slots)} slots, compute ${fmt(b.compute)}; ` +
      `each extra subscriber ${fmt(extra)} slots, compute ${fmt(extraCompute)}; kept after gc ${fmt(a.kept)}/${fmt(b.kept)} slots/message` +
      (a.gc || b.gc ? ' [a GC ran during a step: slot figures NOT exact]' : ''));
    lines.push(`  ${''.padEnd(18)} ${many} subscribers: ${a.raw}; ${a.gcNote}`);
    lines.push(`  ${''.padEnd(18)} ${few} subscriber:  ${b.raw}; ${b.gcNote}`);
    for (const p of a.problems.concat(b.problems)) lines.push(`  ${''.padEnd(18)} PROBLEM: ${p}`);
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
  try {
    for (const line of allocReport(JSON.parse(ok[1]))) console.log(line);
    return true;
  } catch (e) {
    console.log('xs allocation (information): unreadable step results: ' + (e && e.stack ? e.stack : e));
    return false;
  }
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
  writeFileSync(stepsPath, JSON.stringify(allocPlan(await allocBundle())));
} catch (e) {
  stepsPath = null;
  console.log('xs allocation (information): the alloc bundle does not build: ' + (e && e.message ? e.message : e));
}

if (allocOnly) {
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
  `print(${JSON.stringify(BEGIN)} + JSON.stringify(runCodecCases(api).concat(runBrokerCases(api))) + ${JSON.stringify(END)});`,
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

// 3. XS (and then, in a fresh worker, the allocation steps).
const scriptPath = join(dir, 'ganglion-xs.js');
writeFileSync(scriptPath, script);
const started = Date.now();
const child = runDriver(stepsPath ? [scriptPath, '--steps', stepsPath] : [scriptPath]);
const stdout = child.stdout || '';

let xsError = null;
const errLine = /@@XS-ERROR@@(.*)/.exec(stdout);
if (errLine) xsError = errLine[1];
else if (child.error) xsError = 'driver: ' + child.error.message;
else if (child.status !== 0) xsError = `driver exited with status ${child.status}${child.signal ? ' (' + child.signal + ')' : ''}`;

let xsCases = null;
try {
  xsCases = between(stdout);
} catch (e) {
  xsError = (xsError ? xsError + '; ' : '') + 'unreadable XS results: ' + e.message;
}
if (!xsCases && !xsError) xsError = 'XS printed no results';
const meters = /@@XS-METERS@@(.*)/.exec(stdout);

// 4. Compare.
const xsByName = new Map();
if (xsCases) for (const c of xsCases) xsByName.set(c.name, c);
const seen = new Set();
for (const n of nodeCases) {
  if (seen.has(n.name)) {
    failed++;
    console.log(`FAIL duplicate case name: ${n.name}`);
    continue;
  }
  seen.add(n.name);
  const x = xsByName.get(n.name);
  const lines = [];
  if (n.problem) lines.push(`  node problem: ${n.problem}`);
  if (!x) {
    if (xsCases) lines.push('  no XS result for this case');
  } else {
    if (x.problem && x.problem !== n.problem) lines.push(`  xs problem:   ${x.problem}`);
    if (x.result !== n.result) lines.push('  node and XS differ');
  }
  if (lines.length === 0 && x) {
    passed++;
    continue;
  }
  failed++;
  console.log(`FAIL ${n.name}`);
  for (const l of lines) console.log(l);
  console.log(`  node: ${n.result}`);
  if (x) console.log(`  xs:   ${x.result}`);
}
if (xsCases) {
  for (const x of xsCases) {
    if (!seen.has(x.name)) {
      failed++;
      console.log(`FAIL ${x.name}: only XS ran this case`);
    }
  }
}

if (meters) {
  const m = JSON.parse(meters[1]);
  const broker = nodeCases.filter((c) => c.name.startsWith('broker: ')).length;
  console.log(`xs meters (information): compute ${m.compute}, currentHeapCount ${m.currentHeapCount} slots; ` +
    `${nodeCases.length} cases (${nodeCases.length - broker} codec, ${broker} broker), XS run ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (stepsPath) printAlloc(stdout);
if (xsError) finish(true, 'XS: ' + xsError);
finish(false);
