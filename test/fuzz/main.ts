// `npm run fuzz -- [--inputs N] [--seed S] [--from W --to I]`: the whole-core fuzzer
// (harness.ts) for a long run. Prints inputs/s and the states reached every 5 s and at the
// end; exits 1 on the first failures (at most 5), each with the command that replays it
// (--from/--to: the sessions of the failing broker again, the last one traced).
import { run } from './harness.js';
import type { Report } from './harness.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const inputs = Number(arg('inputs') ?? 1000000);
const seed = Number(arg('seed') ?? 1);
const from = arg('from');
const to = arg('to');

function line(r: Report): string {
  const s = r.elapsedMs / 1000;
  return `${r.inputs} inputs in ${s.toFixed(1)} s (${Math.round(r.inputs / s)} inputs/s), ${r.sessions} sessions, ` +
    `${r.states} states reached, ${r.injected} faults injected, ${r.faultsCaught} caught, ` +
    `most bytes held for one connection ${r.maxOutboundBytes}, ${r.failures.length} failures`;
}

const report = await run({
  seed, inputs, from: from === undefined ? undefined : Number(from), to: to === undefined ? undefined : Number(to),
  trace: (l) => console.log('  ' + l),
  progress: (r) => console.log(line(r)),
});
console.log(`fuzz: seed ${seed}: ` + line(report));
for (const f of report.failures) {
  console.log(`FAILED session ${f.session} step ${f.step}: ${f.what}\n  replay: npm run fuzz -- --seed ${f.runSeed} --from ${f.worldStart} --to ${f.session}`);
}
process.exit(report.failures.length === 0 ? 0 : 1);
