// Bounded before login, over real loopback sockets (issue 13 §2): a real client (the
// mosquitto clients and MQTT.js) connects and works while thousands of sockets that never
// send a CONNECT are open, from many addresses (127.0.0.x) and from one; a large CONNECT
// sent in part is refused on its fixed header, long before the connect timeout.
// Bounded and self-cleaning: every socket is destroyed in test.after.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import type { PortTransport } from '../../ports/node/transport.js';
import { portNow } from '../../ports/node/deadline-timer.js';
import type { TestServer } from './helpers.js';
import { background, mosquittoCheck, run, startTestServer, within } from './helpers.js';

const ADDRESSES = 40;   // 127.0.0.2 .. 127.0.0.41, each under maxPendingPerAddress
const GRACE_MS = 2000;  // this server's pendingGraceMs
let s: TestServer;
const silent: Socket[] = [];
let perAddress = 60;

/** File descriptors this process may open (sockets of both ends live here). */
function fdLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m === null ? 1024 : Number(m[1]);
}

test.before(async () => {
  mosquittoCheck();
  const limit = fdLimit();
  // Two descriptors per silent socket (both ends), and room for the rest of the suite.
  perAddress = Math.max(5, Math.min(60, Math.floor((limit - 600) / 2 / ADDRESSES)));
  if (perAddress < 60) console.warn(`node-prelogin: open files limited to ${limit}: ${perAddress * ADDRESSES} silent sockets instead of 2,400`);
  s = await startTestServer({
    limits: { maxConnections: 20, maxPending: 1000, maxPendingPerAddress: 64, pendingGraceMs: GRACE_MS, connectTimeoutMs: 60000, maxConnectSize: 65536 },
  }, undefined, 'warn');
});

test.after(async () => {
  for (const sock of silent) sock.destroy();
  await s.close();
});

/** Opens `n` sockets from `from` that never send anything. */
async function openSilent(n: number, from: string): Promise<Socket[]> {
  const out: Socket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const sock = netConnect({ host: '127.0.0.1', port: s.port(), localAddress: from });
    sock.on('error', () => {});
    silent.push(sock);
    out.push(sock);
    opened.push(new Promise((resolve) => { sock.once('connect', () => resolve()); sock.once('close', () => resolve()); }));
  }
  await within(20000, `${n} sockets from ${from}`, Promise.all(opened));
  return out;
}

async function until(what: string, cond: () => boolean, ms = 10000): Promise<void> {
  await within(ms, what, (async () => { while (!cond()) await new Promise((r) => setTimeout(r, 20)); })());
}

test('a real client connects and works while thousands of silent sockets are open (maxConnections 20, maxPending 1000)', async () => {
  const b = s.server.broker;
  for (let a = 0; a < ADDRESSES; a++) await openSilent(perAddress, '127.0.0.' + (a + 2));
  const total = perAddress * ADDRESSES;
  // Every socket reached the core; past maxPending the oldest silent ones were closed.
  await until('the broker to see every socket', () => b.pending.size + b.stats.pendingClosed === total);
  assert.is(b.pending.size, Math.min(total, 1000));
  assert.is(b.stats.pendingClosed, Math.max(0, total - 1000));
  assert.is(b.clientCount, 0);

  const sub = background('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(s.port()), '-V', 'mqttv311', '-t', 'real/#', '-C', '1', '-v']);
  try {
    await until('mosquitto_sub to be accepted', () => b.clientCount === 1);
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(s.port()), '-V', 'mqttv311', '-t', 'real/a', '-m', 'through', '-q', '1']);
    assert.is(pub.code, 0, pub.stderr);
    assert.equal(await sub.lines(1, 10000), ['real/a through']);
  } finally {
    sub.kill();
  }

  const c = mqtt.connect({ host: '127.0.0.1', port: s.port(), protocolVersion: 5, reconnectPeriod: 0 });
  try {
    await within(10000, 'MQTT.js CONNACK', new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); }));
    await c.subscribeAsync('js/#', { qos: 1 });
    const got = within(10000, 'MQTT.js message', new Promise<string>((resolve) => c.once('message', (_t, m) => resolve(m.toString()))));
    await c.publishAsync('js/x', 'hello', { qos: 1 });
    assert.is(await got, 'hello');
  } finally {
    await c.endAsync();
  }
  assert.is(b.pending.size <= 1000, true);
});

test('one address may open a burst of sockets at once (younger than pendingGraceMs, none closed); past the grace one more closes its oldest beyond maxPendingPerAddress', async () => {
  const b = s.server.broker;
  // A burst is younger than the grace only if the port accepted all of it within GRACE_MS:
  // on a loaded machine it may not have, and then closing its oldest is right. So each burst
  // is timed on the port's clock, from before its first socket to when the broker has taken
  // every one of them (or the socket is closed): one that took less than the grace must have
  // lost nothing; one that took longer proves nothing, and a new burst from the next address
  // is tried. Sockets are closed for their address only when one more of it arrives, so a
  // burst the broker has taken whole closes nothing more while the next one is counted.
  const closed = (x: Socket): boolean => x.destroyed || x.readyState === 'closed';
  let from = '';
  let mine: Socket[] = [];
  let before = 0;
  for (let attempt = 0; attempt < 5 && from === ''; attempt++) {
    const address = '127.0.0.' + (50 + attempt);
    before = b.stats.pendingPerAddressClosed;
    const startedMs = portNow();
    const sockets = await openSilent(100, address);
    const taken = (): Map<string, boolean> => new Map(b.connections.map((c) => [(c.transport as PortTransport).remoteAddress, true]));
    const there = (): number => sockets.filter((x) => taken().has(address + ':' + x.localPort)).length;
    await until('the broker to take the 100 from ' + address, () => {
      const t = taken();
      return sockets.every((x) => closed(x) || t.has(address + ':' + x.localPort));
    });
    const tookMs = portNow() - startedMs;
    if (tookMs >= GRACE_MS) {
      console.warn(`node-prelogin: the burst from ${address} took ${Math.round(tookMs)} ms, past the ${GRACE_MS} ms grace: the next address is tried`);
      continue;
    }
    assert.is(b.stats.pendingPerAddressClosed - before, 0, 'a burst younger than the grace lost none');
    assert.is(there(), 100);
    from = address;
    mine = sockets;
  }
  assert.ok(from !== '', 'five bursts of 100 sockets each took longer than ' + GRACE_MS + ' ms to be accepted');
  await new Promise((r) => setTimeout(r, GRACE_MS + 100));   // past the grace: every socket of the burst is older
  const last = await openSilent(1, from);
  await until('37 sockets of ' + from + ' closed by the server', () => mine.filter(closed).length === 37);
  assert.is(b.stats.pendingPerAddressClosed - before, 37);
  // The oldest went: the first 37 opened; 63 of the burst and the new one stay.
  for (let i = 0; i < 37; i++) assert.ok(closed(mine[i]), `socket ${i} closed`);
  for (let i = 37; i < 100; i++) assert.is(mine[i].readyState, 'open', `socket ${i} open`);
  assert.is(last[0].readyState, 'open');
});

test('a large half-sent CONNECT is refused on its fixed header, long before the connect timeout (60 s here)', async () => {
  const b = s.server.broker;
  const before = b.stats.connectTooLarge;
  const sock = netConnect({ host: '127.0.0.1', port: s.port(), localAddress: '127.0.0.60' });
  silent.push(sock);
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  // CONNECT, Remaining Length 1,048,572 (a 1 MiB packet), then 60,000 bytes of it, and no more.
  const head = Buffer.from([0x10, 0xfc, 0xff, 0x3f, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c]);
  sock.write(Buffer.concat([head, Buffer.alloc(60000, 0x61)]));
  await within(5000, 'the server to close the socket', closed);
  assert.is(b.stats.connectTooLarge - before, 1);
  assert.is(b.pendingBytes, 0);
});

test.run();
