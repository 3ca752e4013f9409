// `node test/bench/cli-startup.mjs ROOT DIR [RUNS]`: start-up of the `ganglion` command
// (ROOT/dist/node/ganglion-cli.js, fsync always) on a copy of the persistence directory DIR,
// RUNS times (3): milliseconds from spawn to accepting a TCP connection, as the queued-store
// scenario times it, and the CPU time the process had used by then (utime + stime from
// /proc/PID/stat, in 10 ms ticks: on a loaded machine the wall clock is mostly waiting for a
// core). Then it is killed (SIGKILL). A store of a million queued messages for DIR:
//   node --import ./test/ts-loader.mjs test/bench/queued-load.ts --rounds 1 --dir DIR
// Nothing here asserts a time.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const [root, src, runs] = process.argv.slice(2);
if (src === undefined) { console.error('usage: node test/bench/cli-startup.mjs ROOT DIR [RUNS]'); process.exit(2); }
function freePort() { return new Promise((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); }); }
function tryConnect(port) { return new Promise((r) => { const c = createConnection({ port, host: '127.0.0.1' }); c.on('connect', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); }); }
const out = [];
for (let i = 0; i < Number(runs || 3); i++) {
  const tmp = mkdtempSync(join(tmpdir(), 'spawn-'));
  const data = join(tmp, 'data');
  cpSync(src, data, { recursive: true });
  const port = await freePort();
  const conf = join(tmp, 'ganglion.json');
  writeFileSync(conf, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port }], limits: { maxQueued: 2000000, maxQueuedBytes: 2 ** 30, maxOfflineBytes: 2 ** 30 } }));
  const t0 = Date.now();
  const p = spawn(process.execPath, [join(root, 'dist/node/ganglion-cli.js'), '-c', conf, '--persist', data, '--fsync', 'always'], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr.resume();
  // Bounded: a command that exits, or has not listened within 10 minutes, ends the run.
  while (!(await tryConnect(port))) {
    if (p.exitCode !== null || Date.now() - t0 > 600000) throw new Error('the command did not start (exit ' + p.exitCode + ')');
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Date.now() - t0;
  let cpu;
  try { const f = readFileSync('/proc/' + p.pid + '/stat', 'utf8').split(') ')[1].split(' '); cpu = (Number(f[11]) + Number(f[12])) * 10 + ' ms'; } catch { cpu = '?'; }
  p.kill('SIGKILL');
  await new Promise((r) => p.on('exit', r));
  rmSync(tmp, { recursive: true, force: true });
  out.push(ms);
  console.log(`run ${i + 1}: ${ms} ms spawn to accepting (cpu ${cpu}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}
out.sort((a, b) => a - b);
console.log('median', out[Math.floor(out.length / 2)]);
