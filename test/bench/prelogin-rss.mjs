// Memory before login, by hand: the RSS of the built `ganglion` command while N sockets each
// send most of a large claimed CONNECT and then nothing more (issue 13 §2). Bounded and
// self-stopping: the sockets are closed and the broker stopped after --hold-ms.
//
//   npm run build && node test/bench/prelogin-rss.mjs [--cli dist/node/ganglion-cli.js]
//        [--sockets 300] [--claimed 1048576] [--send 1047000] [--hold-ms 12000] [--bare]
//
// Prints the broker's RSS before the sockets, its peak while they are held (sampled from
// /proc every 100 ms), at the end, and how many sockets the broker closed on its own.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const args = process.argv.slice(2);
function opt(name, fallback) {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : fallback;
}
const cli = opt('cli', new URL('../../dist/node/ganglion-cli.js', import.meta.url).pathname);
const sockets = +opt('sockets', 300);
const claimed = +opt('claimed', 1048576);     // the whole packet the header announces
const send = +opt('send', 1047000);            // bytes of it actually sent
const holdMs = +opt('hold-ms', 12000);
const port = +opt('port', 18830 + Math.floor(Math.random() * 1000));

function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? +m[1] / 1024 : NaN;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A CONNECT fixed header announcing `total` bytes, then a 3.1.1 variable header and a client id. */
function connectBytes(total, n) {
  let remaining = total - 1;
  // the Remaining Length's own bytes come off the total too
  for (let len = 1; len <= 4; len++) {
    const r = total - 1 - len;
    if (r < 128 ** len) { remaining = r; break; }
  }
  const head = [0x10];
  let x = remaining;
  do { let b = x % 128; x = Math.floor(x / 128); if (x > 0) b |= 0x80; head.push(b); } while (x > 0);
  const buf = Buffer.alloc(n, 0x61);   // the rest: bytes of a long client id
  Buffer.from(head.concat([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0xff, 0xff])).copy(buf);
  return buf;
}

// --bare: instead of the broker, a plain node:net server that reads one chunk of each socket
// and closes it (what Node itself costs for the same sockets).
const BARE = `const s = require('node:net').createServer((c) => { c.on('error', () => {}); c.once('data', () => { c.pause(); c.end();
  setTimeout(() => c.destroy(), 1000).unref(); }); }); s.listen(${port}, '127.0.0.1', () => console.log('listening'));`;
const bare = args.includes('--bare');
const broker = spawn(process.execPath, bare ? ['-e', BARE] : [cli, '-p', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  broker.stdout.on('data', (b) => { if (/listening/.test(String(b))) resolve(); });
  broker.on('exit', (code) => reject(new Error('broker exited ' + code)));
});
await sleep(1000);
const before = rssMB(broker.pid);
let peak = before;
const sampler = setInterval(() => { peak = Math.max(peak, rssMB(broker.pid)); }, 100);

const payload = connectBytes(claimed, send);
let closedByBroker = 0;
const list = [];
const t0 = Date.now();
for (let i = 0; i < sockets; i++) {
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => {});
  s.on('close', () => { if (!s.ourClose) closedByBroker++; });
  s.write(payload);
  list.push(s);
}
await sleep(holdMs);
const end = rssMB(broker.pid);
clearInterval(sampler);
for (const s of list) { s.ourClose = true; s.destroy(); }
broker.kill('SIGTERM');
await new Promise((r) => broker.on('exit', r));
console.log(JSON.stringify({ cli: bare ? 'bare node:net server' : cli, sockets, claimed, send, holdMs, rssBeforeMB: +before.toFixed(1), rssPeakMB: +peak.toFixed(1),
  rssEndMB: +end.toFixed(1), closedByBroker, elapsedMs: Date.now() - t0 }));
