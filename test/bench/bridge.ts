// npm run bench:bridge [-- --rounds 3 --messages 20000 --short]: the bridge scenario
// (brokers/bridge-scenario.ts) alone, ganglion's bridge and mosquitto's interleaved, medians.
// BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" passes flags to the ganglion process.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mosquittoPath } from './brokers/broker-process.js';
import type { Run } from './brokers/bridge-scenario.js';
import { throughBridge } from './brokers/bridge-scenario.js';

interface Args { rounds: number; messages: number; short: boolean }

function args(argv: string[]): Args {
  const a: Args = { rounds: 3, messages: 20000, short: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') a.rounds = Number(argv[++i]);
    else if (argv[i] === '--messages') a.messages = Number(argv[++i]);
    else if (argv[i] === '--short') a.short = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (a.short) { a.rounds = 1; a.messages = 2000; }
  if (!(a.rounds >= 1 && a.messages >= 1 && a.messages <= 10000000)) throw new Error('--rounds >= 1, --messages 1..10000000');
  return a;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  const mosquitto = mosquittoPath();
  if (mosquitto === null) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-bridge-'));
  chmodSync(dir, 0o755);   // mosquitto started as root reads its config as user mosquitto
  const runs: Record<string, Run[]> = { ganglion: [], mosquitto: [] };
  try {
    for (let r = 0; r < a.rounds; r++) {
      for (const kind of ['ganglion', 'mosquitto'] as const) {
        const run = await throughBridge(kind, mosquitto, a.messages, dir);
        runs[kind].push(run);
        console.log(`round ${r + 1} ${kind}: ${Math.round(run.rate)} msg/s, lost ${run.lost}, duplicates ${run.dups}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let bad = 0;
  console.log(`\nQoS 1, ${a.messages} messages of 64 bytes, publisher window 100; medians of ${a.rounds}:`);
  for (const kind of ['ganglion', 'mosquitto']) {
    const rs = runs[kind];
    const lost = rs.reduce((s, x) => s + x.lost, 0), dups = rs.reduce((s, x) => s + x.dups, 0);
    bad += lost;
    console.log(`  ${kind.padEnd(9)} bridge -> mosquitto: ${Math.round(median(rs.map((x) => x.rate)))} msg/s delivered, lost ${lost}, duplicates ${dups}`);
  }
  return bad === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(2); });
