// `npm test` step "xs": the core codec inside the real XS engine gives byte-identical
// results to Node.
//
//   node test/xs/run.mjs            (from anywhere; paths are relative to this file)
//   node test/xs/run.mjs other.ts   (another cases module with the same export; for
//                                    checking this harness itself)
//
// 1. esbuild bundles core/index.ts together with test/xs/codec-cases.ts into one
//    self-contained iife script that runs every case and print()s the results as JSON
//    between @@XS-BEGIN@@ and @@XS-END@@.
// 2. Node runs that same script in a fresh V8 context (ECMAScript built-ins only, as XS).
// 3. test/xs/driver.mjs, a child process (it imports @endo/init, which locks down its
//    realm), evaluates the script inside an xsnap worker and reports the XS meters.
// 4. A case passes when neither engine reports a problem against the case's own
//    hand-derived expectation and both give the same result string.
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
const casesFile = process.argv[2] ? resolve(process.argv[2]) : join(here, 'codec-cases.ts');
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

// 1. The script.
const entry = [
  `import * as api from ${JSON.stringify(join(root, 'core/index.ts'))};`,
  `import { runCodecCases } from ${JSON.stringify(casesFile)};`,
  `print(${JSON.stringify(BEGIN)} + JSON.stringify(runCodecCases(api)) + ${JSON.stringify(END)});`,
].join('\n');
let script;
try {
  const out = await build({
    stdin: { contents: entry, resolveDir: here, sourcefile: 'xs-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  script = out.outputFiles[0].text;
} catch (e) {
  finish(true, `the XS bundle (core/index.ts + ${casesFile}) does not build:\n` + (e && e.message ? e.message : e));
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

// 3. XS.
const dir = mkdtempSync(join(tmpdir(), 'ganglion-xs-'));
const scriptPath = join(dir, 'ganglion-xs.js');
writeFileSync(scriptPath, script);
const started = Date.now();
const child = spawnSync(process.execPath, [join(here, 'driver.mjs'), scriptPath], {
  cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120000,
});
rmSync(dir, { recursive: true, force: true });
const stdout = child.stdout || '';
if (child.stderr) process.stderr.write(child.stderr);

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
  console.log(`xs meters (information): compute ${m.compute}, currentHeapCount ${m.currentHeapCount} slots; ` +
    `${nodeCases.length} cases, XS run ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (xsError) finish(true, 'XS: ' + xsError);
finish(false);
