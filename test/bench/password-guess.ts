// A bounded password guesser against a running broker on loopback: how many wrong passwords
// an attacker gets answered per second, and how long a real login waits meanwhile. A
// benchmark, not a test: it prints figures and asserts nothing.
//
//   node --import ./test/ts-loader.mjs test/bench/password-guess.ts --port 1883 \
//     --user alice --login bob:builder [--seconds 10] [--parallel 64] [--spread] [--timing 50]
//
//   --parallel N   N guessers at once, each one CONNECT at a time (default 1)
//   --spread       each guesser from its own source address (127.0.0.2, .3, ...), as a
//                  distributed attacker; without it all come from 127.0.0.1
//   --login U:P    meanwhile a real login every 250 ms from 127.0.1.1: its waits are reported
//   --timing N     first, N CONNECTs of an unknown user and N of --user with a wrong password,
//                  one at a time, from 127.0.2.1: median answer time of each
// Every loop stops at its deadline; each CONNECT gives up after 30 s.
import { attemptLogin as attempt } from '../helpers/raw-connect.js';

interface Args {
  port: number;
  user: string;
  login: string | null;
  seconds: number;
  parallel: number;
  spread: boolean;
  timing: number;
}

function parse(argv: string[]): Args {
  const a: Args = { port: 1883, user: 'alice', login: null, seconds: 10, parallel: 1, spread: false, timing: 0 };
  for (let i = 0; i < argv.length; i++) {
    const v = (): string => argv[++i];
    switch (argv[i]) {
      case '--port': a.port = Number(v()); break;
      case '--user': a.user = v(); break;
      case '--login': a.login = v(); break;
      case '--seconds': a.seconds = Math.min(120, Number(v())); break;
      case '--parallel': a.parallel = Math.min(1000, Number(v())); break;
      case '--spread': a.spread = true; break;
      case '--timing': a.timing = Math.min(10000, Number(v())); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function counts(rcs: number[]): string {
  const m = new Map<number, number>();
  for (const rc of rcs) m.set(rc, (m.get(rc) ?? 0) + 1);
  return [...m].map(([rc, n]) => `${rc === -1 ? 'closed' : 'rc ' + rc}: ${n}`).join(', ');
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  if (a.timing > 0) {
    const unknown: number[] = [], known: number[] = [];
    for (let i = 0; i < a.timing; i++) {
      unknown.push((await attempt(a.port, '127.0.2.1', 'timing', `nobody-${i}`, 'wrong')).ms);
      known.push((await attempt(a.port, '127.0.2.1', 'timing', a.user, `wrong-${i}`)).ms);
    }
    console.log(`timing: unknown user median ${median(unknown).toFixed(2)} ms, known user with a wrong password median ${median(known).toFixed(2)} ms (${a.timing} each, alternating)`);
  }
  const deadline = Date.now() + a.seconds * 1000;
  const rcs: number[] = [];
  const workers: Promise<void>[] = [];
  for (let w = 0; w < a.parallel; w++) {
    const from = a.spread ? `127.0.${Math.floor((w + 2) / 256)}.${(w + 2) % 256}` : '127.0.0.1';
    workers.push((async () => {
      for (let i = 0; Date.now() < deadline; i++) rcs.push((await attempt(a.port, from, `guess-${w}`, a.user, `guess-${w}-${i}`)).rc);
    })());
  }
  const waits: number[] = [];
  const loginRcs: number[] = [];
  let prober: Promise<void> = Promise.resolve();
  if (a.login !== null) {
    const colon = a.login.indexOf(':');
    const user = a.login.slice(0, colon), password = a.login.slice(colon + 1);
    prober = (async () => {
      while (Date.now() < deadline) {
        const r = await attempt(a.port, '127.0.1.1', 'real-login', user, password);
        waits.push(r.ms);
        loginRcs.push(r.rc);
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
  }
  const started = Date.now();
  await Promise.all(workers);
  await prober;
  const elapsed = (Date.now() - started) / 1000;
  const answered = rcs.filter((rc) => rc === 4 || rc === 5).length;
  console.log(`guessers: ${a.parallel}${a.spread ? ' (one source address each)' : ' (all from 127.0.0.1)'}, ${elapsed.toFixed(1)} s: ` +
    `${(answered / elapsed).toFixed(1)} wrong passwords answered per second (${counts(rcs)})`);
  if (a.login !== null) {
    console.log(`real login from 127.0.1.1: ${waits.length} logins, median ${median(waits).toFixed(1)} ms, max ${Math.max(...waits).toFixed(1)} ms (${counts(loginRcs)})`);
  }
}

await main();
