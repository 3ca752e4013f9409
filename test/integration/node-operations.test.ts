// The operations listener ({ "type": "http" }): /metrics in Prometheus text format following
// real traffic, /health 200 then 503 while shutting down, the token rule, /status.json;
// and the port's $SYS additions (version, heap/current).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from 'node:http';
import { connect } from 'node:net';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { buildConfig } from '../../ports/node/config.js';
import { createServer } from '../../ports/node/index.js';
import type { TestServer } from './helpers.js';
import { startTestServer, within } from './helpers.js';

const TOKEN = 'a-token-of-sixteen-or-more';
const clients: MqttClient[] = [];
let s: TestServer;

test.before(async () => {
  s = await startTestServer({
    limits: { sysIntervalMs: 500 },
    listeners: [{ type: 'tcp', port: 0 }, { type: 'ws', port: 0, path: '/mqtt' }, { type: 'http', port: 0, token: TOKEN }],
  }, undefined, 'warn');
});

test.after(async () => {
  for (const c of clients) c.end(true);
  await s.close();
});

interface Reply { status: number; type: string; body: string }

function fetchText(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return within(5000, `GET ${path}`, new Promise<Reply>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  }));
}

const auth = { Authorization: `Bearer ${TOKEN}` };

/** The value of one sample line of the exposition text. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (line === undefined) throw new Error(`no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

test('a token is needed for everything but /health; a wrong one is refused', async () => {
  const port = s.port('http');
  assert.is((await fetchText(port, '/health')).status, 200);
  assert.is((await fetchText(port, '/metrics')).status, 401);
  assert.is((await fetchText(port, '/metrics', { Authorization: 'Bearer not-the-token-at-all' })).status, 401);
  assert.is((await fetchText(port, '/metrics', auth)).status, 200);
  assert.is((await fetchText(port, `/status.json?token=${TOKEN}`)).status, 200);
  assert.is((await fetchText(port, '/nothing', auth)).status, 404);
  assert.ok(s.lines.some((l) => /warn http 127\.0\.0\.1:\d+: GET \/metrics from 127\.0\.0\.1: refused, no valid token/.test(l)), s.lines.join('\n'));
});

test('a non-loopback http listener without a token refuses to start; a short token is refused', () => {
  assert.throws(() => buildConfig({ listeners: [{ type: 'http', host: '0.0.0.0' }] }, {}, '/'), /refusing to serve metrics and the status page on 0\.0\.0\.0 without a token/);
  assert.throws(() => buildConfig({ listeners: [{ type: 'http', token: 'short' }] }, {}, '/'), /token: must be at least 16 characters/);
  assert.throws(() => buildConfig({ listeners: [{ type: 'http', allowAnonymous: true }] }, {}, '/'), /allowAnonymous: only for MQTT listeners/);
  assert.throws(() => buildConfig({ listeners: [{ type: 'tcp', token: TOKEN }] }, {}, '/'), /token: only for http listeners/);
  assert.is(buildConfig({ listeners: [{ type: 'http', host: '0.0.0.0', token: TOKEN }] }, {}, '/').listeners[0].port, 9090);
});

test('/metrics: Prometheus text that follows real traffic, drops by cause, per-listener counts, the latency histogram', async () => {
  const port = s.port('http');
  const before = (await fetchText(port, '/metrics', auth)).body;
  const sub = await within(5000, 'sub', mqtt.connectAsync(`ws://127.0.0.1:${s.port('ws')}/mqtt`, { reconnectPeriod: 0 }));
  const pub = await within(5000, 'pub', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
  clients.push(sub, pub);
  await sub.subscribeAsync('ops/#', { qos: 1 });
  let got = 0;
  sub.on('message', () => got++);
  for (let i = 0; i < 20; i++) await pub.publishAsync('ops/x', 'payload', { qos: 1 });
  await within(4000, '20 messages', (async () => { while (got < 20) await new Promise((r) => setTimeout(r, 10)); })());
  await pub.publishAsync('ops/kept', 'r', { qos: 0, retain: true });
  const r = await fetchText(port, '/metrics', auth);
  assert.is(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  const m = r.body;
  assert.ok(sample(m, 'ganglion_messages_received_total') - sample(before, 'ganglion_messages_received_total') >= 21);
  assert.ok(sample(m, 'ganglion_messages_sent_total') - sample(before, 'ganglion_messages_sent_total') >= 20);
  assert.is(sample(m, 'ganglion_connections'), 2);
  assert.ok(sample(m, 'ganglion_subscriptions') >= 1);
  assert.ok(sample(m, 'ganglion_retained_messages') >= 1);
  assert.ok(sample(m, 'ganglion_bytes_received_total') > sample(before, 'ganglion_bytes_received_total'));
  assert.is(sample(m, 'ganglion_messages_dropped_total{cause="backlog_full"}'), 0);
  assert.ok(sample(m, 'ganglion_delivery_latency_seconds_count') >= 20);
  assert.is(sample(m, 'ganglion_delivery_latency_seconds_bucket{le="+Inf"}'), sample(m, 'ganglion_delivery_latency_seconds_count'));
  // Cumulative buckets never decrease.
  const buckets = m.split('\n').filter((l) => l.startsWith('ganglion_delivery_latency_seconds_bucket')).map((l) => Number(l.split(' ')[1]));
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1]);
  const tcp = `{listener="tcp 127.0.0.1:${s.port()}",type="tcp"}`;
  const ws = `{listener="ws 127.0.0.1:${s.port('ws')}",type="ws"}`;
  assert.is(sample(m, `ganglion_listener_connections${tcp}`), 1);
  assert.is(sample(m, `ganglion_listener_connections${ws}`), 1);
  assert.ok(sample(m, `ganglion_listener_accepted_total${tcp}`) >= 1);
  // Every sample line belongs to a declared metric.
  const declared = new Set(m.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  for (const l of m.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const name = /^[a-z_]+/.exec(l)![0].replace(/_(bucket|sum|count)$/, '');
    assert.ok(declared.has(name) || declared.has(/^[a-z_]+/.exec(l)![0]), l);
  }
});

test('/status.json lists the connected clients with their protocol, address, subscriptions, queue and drops', async () => {
  const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { clientId: 'listed', reconnectPeriod: 0, protocolVersion: 5 }));
  clients.push(c);
  await c.subscribeAsync(['a/#', 'b/#']);
  const st = JSON.parse((await fetchText(s.port('http'), '/status.json', auth)).body) as { state: string; clients: Array<Record<string, unknown>>; listeners: Array<Record<string, unknown>> };
  assert.is(st.state, 'serving');
  const row = st.clients.find((x) => x.id === 'listed')!;
  assert.equal([row.protocol, row.subscriptions, row.queuedBytes, row.drops], ['5.0', 2, 0, 0]);
  assert.match(String(row.address), /^127\.0\.0\.1:\d+$/);
  assert.equal(st.listeners.map((l) => l.type), ['tcp', 'ws', 'http']);
});

test('$SYS/broker/version and $SYS/broker/heap/current from the Node port', async () => {
  const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${s.port()}`, { reconnectPeriod: 0 }));
  clients.push(c);
  const values = new Map<string, string>();
  c.on('message', (t, p) => values.set(t, p.toString()));
  await c.subscribeAsync(['$SYS/broker/version', '$SYS/broker/heap/current', '$SYS/broker/load/messages/received/1min']);
  await within(4000, 'three $SYS values', (async () => { while (values.size < 3) await new Promise((r) => setTimeout(r, 20)); })());
  assert.match(values.get('$SYS/broker/version')!, /^ganglion \d+\.\d+\.\d+/);
  assert.ok(Number(values.get('$SYS/broker/heap/current')) > 1e6);
  assert.match(values.get('$SYS/broker/load/messages/received/1min')!, /^\d+\.\d\d$/);
});

test('/health answers 503 while the server shuts down, until its connections are gone', async () => {
  const server = createServer({ listeners: [{ type: 'tcp', port: 0 }, { type: 'http', port: 0 }], shutdownTimeoutMs: 3000 }, { log: () => {} });
  const [tcp, http] = await server.listen();
  assert.is((await fetchText(http.port, '/health')).status, 200);
  // A peer that never closes its side keeps the shutdown waiting until shutdownTimeoutMs.
  const stuck = connect({ host: '127.0.0.1', port: tcp.port, allowHalfOpen: true });
  stuck.on('error', () => {});
  await within(3000, 'stuck socket', new Promise<void>((resolve) => stuck.once('connect', () => resolve())));
  const closing = server.close();
  const during = await fetchText(http.port, '/health');
  assert.equal([during.status, during.body], [503, 'shutting down\n']);
  await within(5000, 'close', closing);
  stuck.destroy();
});

test.run();
