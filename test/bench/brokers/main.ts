// npm run bench                      ganglion vs mosquitto vs aedes, every scenario, 3 rounds
// npm run bench -- --short           smoke mode: 1 round, about a second per scenario; exits 1
//                                    if a run fails or ganglion loses or duplicates anything
// npm run bench -- --rounds 5 qos0-1to1 latency-qos0     (only the scenarios named)
// npm run bench -- --brokers ganglion,mosquitto --json out.json
// npm run bench -- --brokers ganglion,mosquitto,relay latency-qos0   (relay: the floor of a
//                                    Node broker, node-relay.mjs; latency, QoS 0 1->1 and fleet only)
// npm run bench -- --brokers ganglion --profile /tmp/prof qos0-fanout   (node --cpu-prof of the
//                                    Node brokers, one .cpuprofile per run, written at SIGTERM)
// npm run bench -- --node-flags '--max-semi-space-size=2' idle   (more flags for the Node
//                                    brokers, split at spaces)
// npm run bench -- --svg FILE          also the figures as an SVG picture (charts.ts);
//                                    --chart-from out.json --svg FILE redraws one from --json
//                                    output without running anything
// npm run bench -- --fleet 1000 fleet   (only the fleet, of 1,000 clients; `fleet` names every
//                                    fleet size, `fleet-1000` one; default sizes 1,000 and
//                                    5,000, and 50 with --short)
// npm run bench -- --queued 100000 queued-store   (the store of queued messages holds 100,000, not 1 M)
// npm run bench -- qos1-persist qos2-persist kill-loop queued-store   (persistence: the brokers
//                                    that keep state on disk beside ganglion and mosquitto in
//                                    memory; persistence-scenarios.ts)
//
// A benchmark, not a test: it prints figures and asserts nothing about speed. Each broker is
// started fresh for each run, pinned to core 0 with taskset; this process (the load
// generator) pins itself to core 1. Rounds interleave the brokers (the order rotates each
// round) so that all see the same machine conditions; the report gives medians over rounds
// and the ratio of each broker's median to mosquitto's and aedes'. See scenarios.ts for
// what each scenario does and load-generator.ts for how the load is made.

import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { BrokerName } from './broker-process.js';
import { ALL_BROKERS, BROKERS, BrokerProcess, family, freePort, hasTaskset, killAll, mosquittoPath, pinSelf, staleBuild, versionOf } from './broker-process.js';
import type { Row } from './report.js';
import { PERSISTENCE_TARGETS, problems, table, targets } from './report.js';
import type { Scenario } from './scenarios.js';
import { SCENARIOS, fleet, fleetRate, fleetSizes, runOptions } from './scenarios.js';
import { PERSISTENCE_SCENARIOS } from './persistence-scenarios.js';
import { chartsSvg } from './charts.js';
import { BRIDGE_SCENARIOS } from './bridge-scenario.js';
import { withTimeout } from './load-generator.js';

interface Args {
  short: boolean;
  rounds: number;
  only: string[];
  brokers: BrokerName[];
  json: string | null;
  svg: string | null;
  chartFrom: string | null;
  profile: string | null;
  nodeFlags: string[];
  fleet: number[];
  queued: number;
  scenarios: Scenario[];
}

function parse(argv: string[]): Args {
  const a: Args = { short: false, rounds: 0, only: [], brokers: BROKERS.slice(), json: null, svg: null, chartFrom: null, profile: null, nodeFlags: [], fleet: [], queued: 0, scenarios: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--short') a.short = true;
    else if (x === '--rounds') a.rounds = Number(argv[++i]);
    else if (x === '--brokers') a.brokers = argv[++i].split(',') as BrokerName[];
    else if (x === '--json') a.json = argv[++i];
    else if (x === '--svg') a.svg = argv[++i];
    else if (x === '--chart-from') a.chartFrom = argv[++i];
    else if (x === '--profile') a.profile = argv[++i];
    else if (x === '--node-flags') a.nodeFlags = argv[++i].split(' ').filter((f) => f !== '');
    else if (x === '--fleet') a.fleet = argv[++i].split(',').map(Number);
    else if (x === '--queued') a.queued = Number(argv[++i]);
    else if (x.startsWith('-')) throw new Error(`unknown option ${x}`);
    else a.only.push(x);
  }
  if (a.rounds <= 0) a.rounds = a.short ? 1 : 3;
  for (const b of a.brokers) if (!ALL_BROKERS.includes(b)) throw new Error(`unknown broker ${b}`);
  if (a.fleet.length === 0) a.fleet = fleetSizes(a.short);
  for (const n of a.fleet) if (!Number.isInteger(n) || n < 1) throw new Error(`--fleet wants client counts, as in --fleet 1000,5000`);
  const all = [...SCENARIOS, ...PERSISTENCE_SCENARIOS, ...BRIDGE_SCENARIOS, ...a.fleet.map(fleet)];
  const named = (s: Scenario, id: string): boolean => s.id === id || (id === 'fleet' && s.id.startsWith('fleet-'));
  for (const id of a.only) if (!all.some((s) => named(s, id))) throw new Error(`unknown scenario ${id} (one of ${all.map((x) => x.id).join(', ')}, fleet)`);
  a.scenarios = all.filter((s) => a.only.length === 0 || a.only.some((id) => named(s, id)));
  return a;
}

async function runOne(s: Scenario, name: BrokerName, row: Row, short: boolean, profile: string | null, nodeFlags: string[], queued: number): Promise<void> {
  const o = runOptions(short);
  if (queued > 0) o.queuedMessages = queued;
  const flags = profile === null ? nodeFlags : [...nodeFlags, '--cpu-prof', '--cpu-prof-dir', profile, '--cpu-prof-name', `${s.id}-${name}-${Date.now()}.cpuprofile`];
  const broker = new BrokerProcess(name, await freePort(), flags);
  const started = Date.now();
  try {
    if (s.startsBroker !== true) await broker.start(15000);
    // Every scenario stops by itself; this bound catches one that would not.
    const bound = s.boundMs ?? o.warmupMs + o.measureMs + 2 * o.drainMs + 150000;
    const r = await withTimeout(s.run(broker, o), bound, `${s.id} on ${name}`);
    row.runs.push(r);
    const m = r.measures.map((x) => `${x.metric} ${Math.round(x.value)}`).join(', ');
    log(`  ${s.id.padEnd(16)} ${name.padEnd(9)} ${m}; lost ${r.lost}, dup ${r.duplicates}, broker CPU ${r.brokerCpu.toFixed(0)}%, load CPU ${r.loadCpu < 0 ? '-' : r.loadCpu.toFixed(0) + '%'}${r.note ? ' (' + r.note + ')' : ''} [${((Date.now() - started) / 1000).toFixed(1)} s]`);
  } catch (e) {
    const msg = (e as Error).message;
    row.errors.push(msg);
    log(`  ${s.id.padEnd(16)} ${name.padEnd(9)} ERROR ${msg}\n${broker.tail()}`);
  } finally {
    await broker.stop(3000);
  }
}

/**
 * A fleet of N needs N sockets in this process and N in the broker, which inherits this
 * process's limit. Node raises its own soft limit of open files to the hard one at start, so
 * the hard limit (`ulimit -Hn`) is what counts; it must be raised outside (as root) if low.
 */
function checkFileLimit(clients: number): void {
  let limits = '';
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return;   // not Linux: nothing to check
  }
  const m = /Max open files\s+(\d+|unlimited)/.exec(limits);
  if (m === null || m[1] === 'unlimited') return;
  const soft = Number(m[1]);
  if (soft < clients + 200) throw new Error(`a fleet of ${clients} needs at least ${clients + 200} open files, and the limit is ${soft}: raise it (ulimit -n, or the hard limit ulimit -Hn as root)`);
}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** The caption under the pictures: where, when and how the figures were made. */
function captionOf(head: string): string {
  const field = (name: string): string => (new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(head) ?? ['', '?'])[1];
  return `${field('date').slice(0, 10)}, ${field('machine')}, Node ${field('node')}; rounds: ${field('rounds').split(';')[0]}; ${field('command')}`;
}

function writeSvg(path: string, rows: Row[], head: string): void {
  const svg = chartsSvg(rows, captionOf(head));
  if (svg === null) log('no figures to draw: no SVG written');
  else {
    writeFileSync(path, svg);
    log(`pictures written to ${path}`);
  }
}

/** --chart-from: the rows of an earlier run's --json output, drawn again. */
function redraw(args: Args): number {
  if (args.svg === null) throw new Error('--chart-from wants --svg FILE');
  const saved = JSON.parse(readFileSync(args.chartFrom as string, 'utf8')) as { head: string; rows: Array<{ scenario: string; broker: BrokerName; runs: Row['runs']; errors: string[] }> };
  const known = [...SCENARIOS, ...PERSISTENCE_SCENARIOS, ...saved.rows.filter((r) => r.scenario.startsWith('fleet-')).map((r) => fleet(Number(r.scenario.slice(6))))];
  const rows: Row[] = saved.rows.map((r) => ({
    scenario: known.find((s) => s.id === r.scenario) ?? { id: r.scenario, title: r.scenario, brokers: [], run: () => Promise.reject(new Error('not run')) },
    broker: r.broker, runs: r.runs, errors: r.errors,
  }));
  writeSvg(args.svg, rows, saved.head);
  return 0;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args.chartFrom !== null) return redraw(args);
  const taskset = hasTaskset();
  const pinned = taskset && pinSelf();
  const cpus = os.cpus();
  if (mosquittoPath() === null) args.brokers = args.brokers.filter((b) => family(b) !== 'mosquitto');
  const scenarios = args.scenarios;
  const fleets = scenarios.filter((s) => s.id.startsWith('fleet-')).map((s) => Number(s.id.slice(6)));
  const o = runOptions(args.short);

  const head = [
    `# broker benchmark${args.short ? ' (short: smoke mode, figures not meaningful)' : ''}`,
    `date:      ${new Date().toISOString()}`,
    `machine:   ${cpus[0]?.model ?? '?'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, ${os.type()} ${os.release()}`,
    `node:      ${process.version}`,
    `load avg:  ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (at start)`,
    `brokers:   ${args.brokers.map((b) => `${b} ${versionOf(b)}`).join(', ')}`,
    `pinning:   ${pinned ? 'broker on core 0, load generator on core 1 (taskset)' : 'NONE (taskset missing): figures are not comparable'}`,
    `rounds:    ${args.rounds}, brokers interleaved; throughput: ${o.warmupMs} ms warm-up + ${o.measureMs} ms measured; latency at ${o.latencyRate} msg/s for ${o.measureMs} ms`,
    `fleet:     ${fleets.length === 0 ? 'not run' : fleets.map((n) => `${n} clients x ${fleetRate(n)} msg/s`).join(', ') + `, QoS 1, ${o.warmupMs} ms warm-up + ${o.fleetMs} ms measured`}`,
    `command:   npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  ].join('\n');
  log(head);
  if (cpus.length < 2) log('warning: one core: the broker and the load generator share it');
  if (fleets.length > 0) checkFileLimit(Math.max(...fleets));
  const stale = staleBuild();
  if (stale.length > 0) log(`warning: dist/node/ganglion-cli.js is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ' ...' : ''}: run node build.mjs first`);

  const rows: Row[] = [];
  // `--brokers mosquitto` also runs mosquitto-persist where a scenario has it
  const chosen = (b: BrokerName): boolean => args.brokers.includes(b) || args.brokers.some((x) => x === family(b));
  for (const s of scenarios) {
    const brokers = args.short && s.smokeBrokers !== undefined ? s.smokeBrokers : s.brokers;
    for (const b of brokers) if (chosen(b)) rows.push({ scenario: s, broker: b, runs: [], errors: [] });
  }

  const t0 = Date.now();
  for (let round = 0; round < args.rounds; round++) {
    log(`round ${round + 1}/${args.rounds}`);
    for (const s of scenarios) {
      const mine = rows.filter((r) => r.scenario === s);
      for (let k = 0; k < mine.length; k++) {
        const row = mine[(k + round) % mine.length];   // rotate the order each round
        await runOne(s, row.broker, row, args.short, args.profile, args.nodeFlags, args.queued);
      }
    }
  }
  const seconds = (Date.now() - t0) / 1000;

  const out = [
    head,
    '',
    table(rows),
    '',
    'Ratios: this broker\'s median divided by the peer\'s (throughput: higher is better; latency, time and memory: lower is better).',
    'lost/dup: summed over all rounds, counted exactly from sequence numbers in the payloads. CPU: % of one core over the measured window;',
    'load CPU near 100% with broker CPU below 90% would mean the load generator, not the broker, is the limit (noted as LOAD-BOUND).',
    '',
    'Targets (issues 9 and 20):',
    targets(rows),
    '',
    'Targets (issue 15, persistence):',
    targets(rows, PERSISTENCE_TARGETS),
    '',
    `total time: ${seconds.toFixed(0)} s`,
  ].join('\n');
  process.stdout.write(out + '\n');
  if (args.json !== null) {
    writeFileSync(args.json, JSON.stringify({ head, rows: rows.map((r) => ({ scenario: r.scenario.id, broker: r.broker, runs: r.runs, errors: r.errors })) }, null, 1));
  }
  if (args.svg !== null) writeSvg(args.svg, rows, head);

  const p = problems(rows);
  if (p.length > 0) {
    log('\nproblems:\n' + p.map((x) => '  ' + x.text).join('\n'));
  }
  if (args.short) {
    // The smoke check: every run worked and ganglion lost and duplicated nothing.
    const fatal = p.filter((x) => x.kind === 'error' || x.broker === 'ganglion');
    log(fatal.length === 0 ? 'smoke: ok' : `smoke: FAILED (${fatal.length})`);
    return fatal.length === 0 ? 0 : 1;
  }
  return 0;
}

let exiting = false;
function bail(code: number): void {
  if (exiting) return;
  exiting = true;
  killAll();
  process.exit(code);
}
process.on('exit', killAll);
process.on('SIGINT', () => bail(130));
process.on('SIGTERM', () => bail(143));
process.on('uncaughtException', (e) => {
  log('uncaught: ' + (e.stack ?? e.message));
  bail(1);
});

main().then((code) => bail(code), (e) => {
  log((e as Error).stack ?? String(e));
  bail(1);
});
