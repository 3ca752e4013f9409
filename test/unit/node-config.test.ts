// `ganglion` configuration (ports/node/config.ts) and flags (ports/node/cli.ts): defaults,
// safe anonymous access, every core limit settable, unknown keys and bad values named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, NODE_LIMITS, buildConfig, isLoopback } from '../../ports/node/config.js';
import { parseArgs } from '../../ports/node/cli.js';
import { createBroker } from '../../core/index.js';
import { LatencyHistogram, _internals } from '../../ports/node/latency.js';
import { levelOfEvent } from '../../ports/node/logger.js';
import { LOG_CLOSED, LOG_CONNECTED, LOG_DENIED, LOG_DETAIL, LOG_FAULT, LOG_LIMIT, LOG_REFUSED } from '../../core/index.js';
import { JOURNAL_DEFAULTS } from '../../ports/node/file-journal.js';
import { resolve } from 'node:path';

const build = (file: unknown, flags = {}) => buildConfig(file, flags, '/etc/ganglion');

test('defaults: one TCP listener on 127.0.0.1:1883, anonymous allowed on loopback, quiet', () => {
  const c = build({});
  assert.is(c.listeners.length, 1);
  const l = c.listeners[0];
  assert.equal([l.type, l.host, l.port, l.allowAnonymous, l.name], ['tcp', '127.0.0.1', 1883, true, 'tcp 127.0.0.1:1883']);
  assert.is(c.logLevel, 'warn');
  assert.is(c.passwordFile, null);
  assert.is(c.aclFile, null);
});

test('every core option can be set; Node raises the microcontroller defaults', () => {
  const core = createBroker({}, {}, 0).limits as unknown as Record<string, unknown>;
  const c = build({});
  for (const k of Object.keys(core)) assert.ok(k in c.limits, `limit ${k} is not configurable`);
  assert.ok((c.limits.maxConnections as number) > (core.maxConnections as number));
  assert.is(c.limits.maxPacketSize, NODE_LIMITS.maxPacketSize);
  const set = build({ limits: { maxConnections: 5, queueQoS0Offline: true, sysIntervalMs: 0, responseInformation: 'here' } });
  assert.is(set.limits.maxConnections, 5);
  assert.is(set.limits.queueQoS0Offline, true);
  assert.is(set.limits.sysIntervalMs, 0);
  assert.is(set.limits.responseInformation, 'here');
  // A value of the wrong type for any core option is named.
  for (const k of Object.keys(core)) {
    const wrong = typeof core[k] === 'boolean' ? 1 : typeof core[k] === 'number' ? 'many' : 7;
    assert.throws(() => build({ limits: { [k]: wrong } }), new RegExp(`limits\\.${k}: must be`), k);
  }
});

test('unknown keys and bad values are refused with a message naming them', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ port: 1883 }, /config: unknown key "port"/],
    [{ limits: { maxQueue: 1 } }, /limits: unknown key "maxQueue"/],
    [{ limits: { maxInflight: 0 } }, /limits\.maxInflight: must be an integer from 1 to 65535, got 0/],
    [{ limits: { maxPacketSize: 1.5 } }, /limits\.maxPacketSize: must be an integer/],
    [{ limits: { dropOldestQoS0: 'yes' } }, /limits\.dropOldestQoS0: must be true or false, got "yes"/],
    [{ limits: { slowSubscriberPolicy: 'wait' } }, /limits\.slowSubscriberPolicy: must be "dropNew" or "dropOldest" or "disconnect" or "hold", got "wait"/],
    [{ logLevel: 'loud' }, /logLevel: must be one of error, warn, info, debug, got "loud"/],
    [{ listeners: [] }, /listeners: must be a non-empty array/],
    [{ listeners: [{ type: 'udp' }] }, /listeners\[0\]\.type: must be one of tcp, tls, ws, wss, http, got "udp"/],
    [{ listeners: [{ type: 'tcp', port: 70000 }] }, /listeners\[0\]\.port: must be an integer from 0 to 65535, got 70000/],
    [{ listeners: [{ type: 'tcp', cert: 'a.pem' }] }, /listeners\[0\]\.cert: only for tls and wss listeners, not tcp/],
    [{ listeners: [{ type: 'tls' }] }, /listeners\[0\]\.cert: must be a non-empty string, got nothing/],
    [{ listeners: [{ type: 'tcp', path: '/mqtt' }] }, /listeners\[0\]\.path: only for ws and wss listeners/],
    [{ listeners: [{ type: 'ws', path: 'mqtt' }] }, /listeners\[0\]\.path: must start with "\/"/],
    [{ listeners: [{ type: 'tls', cert: 'c', key: 'k', requireCertificate: true }] }, /listeners\[0\]\.ca: needed to check client certificates/],
    [{ listeners: [{ type: 'tcp', colour: 'red' }] }, /listeners\[0\]: unknown key "colour"/],
    [[], /config: must be a JSON object/],
  ];
  for (const [file, re] of cases) {
    assert.throws(() => build(file), (e: Error) => e instanceof ConfigError && re.test(e.message), `${JSON.stringify(file)} -> ${re}`);
  }
});

test('safe default: a non-loopback listener without users refuses to start, naming the fix', () => {
  assert.throws(() => build({ listeners: [{ host: '0.0.0.0' }] }), /listener tcp 0\.0\.0\.0:1883: refusing to listen on 0\.0\.0\.0 with no users configured.*allowAnonymous/);
  assert.throws(() => build({}, { host: '::' }), /refusing to listen on ::/);
  // Explicitly anonymous, or with users: allowed.
  assert.is(build({ listeners: [{ host: '0.0.0.0', allowAnonymous: true }] }).listeners[0].allowAnonymous, true);
  assert.is(build({ allowAnonymous: true }, { host: '0.0.0.0' }).listeners[0].allowAnonymous, true);
  const users = build({ passwordFile: 'passwd', listeners: [{ host: '0.0.0.0' }, { host: '127.0.0.1', port: 1884 }] });
  assert.equal(users.listeners.map((l) => l.allowAnonymous), [false, false]);   // users configured: nobody anonymous by default
  assert.is(users.passwordFile, '/etc/ganglion/passwd');                        // relative to the config file
  // Client certificates as identities are users too.
  const certs = build({ listeners: [{ type: 'tls', host: '0.0.0.0', cert: 'c', key: 'k', ca: 'ca', requireCertificate: true, useIdentityAsUsername: true }] });
  assert.is(certs.listeners[0].useIdentityAsUsername, true);
});

test('loopback addresses', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com']) assert.not.ok(isLoopback(h), h);
});

test('-p and --host set the first TCP listener; others keep their settings', () => {
  const c = build({ listeners: [{ type: 'ws', port: 9001 }, { type: 'tcp', port: 1883 }] }, { port: 0, host: 'localhost' });
  assert.equal(c.listeners.map((l) => [l.type, l.host, l.port]), [['ws', '127.0.0.1', 9001], ['tcp', 'localhost', 0]]);
  const added = build({ listeners: [{ type: 'ws', port: 9001 }] }, { port: 1999 });
  assert.equal(added.listeners.map((l) => [l.type, l.port]), [['tcp', 1999], ['ws', 9001]]);
});

test('loginThrottle: defaults, keys checked, and every wait under connectTimeoutMs', () => {
  const b = (file: Record<string, unknown>) => buildConfig(file, {}, '/');
  assert.equal(b({}).loginThrottle.maxWaitMs, 8000);
  assert.is(b({ loginThrottle: { baseDelayMs: 0 } }).loginThrottle.baseDelayMs, 0);
  assert.throws(() => b({ loginThrottle: { baseDelay: 1 } }), /loginThrottle: unknown key "baseDelay"/);
  assert.throws(() => b({ loginThrottle: { maxDelayMs: 9000 } }), /loginThrottle\.maxWaitMs: must be at least maxDelayMs \(9000\)/);
  assert.throws(() => b({ loginThrottle: { maxDelayMs: 9000, maxWaitMs: 9500 }, limits: { connectTimeoutMs: 9000 } }), /must be less than limits\.connectTimeoutMs \(9000\)/);
  assert.throws(() => b({ loginThrottle: { maxWaitMs: 10000 } }), /loginThrottle\.maxWaitMs: must be less than limits\.connectTimeoutMs \(10000\)/);
  assert.is(b({ limits: { connectTimeoutMs: 30000 }, loginThrottle: { maxWaitMs: 20000 } }).loginThrottle.maxWaitMs, 20000);
  // Unless set, the waits shrink to fit a short connect timeout.
  const short = b({ limits: { connectTimeoutMs: 300 } }).loginThrottle;
  assert.equal([short.maxWaitMs, short.maxDelayMs], [240, 240]);
});

test('flags: mosquitto spellings, values checked', () => {
  assert.equal(parseArgs(['-p', '1884', '--host', '::1', '-c', 'g.json', '-v']), { port: 1884, host: '::1', config: 'g.json', logLevel: 'info' });
  assert.equal(parseArgs(['--port=0', '-v', '-v']), { port: 0, logLevel: 'debug' });
  assert.equal(parseArgs(['--log-level', 'error', '-v']), { logLevel: 'error' });
  assert.equal(parseArgs(['--allow-anonymous', '--password-file', 'p', '--acl-file', 'a']), { allowAnonymous: true, passwordFile: 'p', aclFile: 'a' });
  assert.throws(() => parseArgs(['-p', '65536']), /-p: must be a port number from 0 to 65535, got "65536"/);
  assert.throws(() => parseArgs(['-p']), /-p needs a value/);
  assert.throws(() => parseArgs(['--log-level', 'chatty']), /--log-level: must be one of/);
  assert.throws(() => parseArgs(['-x']), /unknown option "-x"/);
  assert.equal(parseArgs(['--log-format', 'json', '--log-file', 'g.log']), { logFormat: 'json', logFile: 'g.log' });
  assert.throws(() => parseArgs(['--log-format', 'xml']), /--log-format: must be one of text, json, got "xml"/);
  assert.is(build({}, { logFile: 'g.log', logFormat: 'json' }).logFormat, 'json');
  assert.throws(() => build({ logFormat: 'xml' }), /logFormat: must be one of text, json, got "xml"/);
  assert.is(build({ logFile: 'logs/g.log' }).logFile, '/etc/ganglion/logs/g.log');   // relative to the config file
});

test('latency histogram: exact below 32 us, within 1/16 above, p50/p99/max', () => {
  const { bucketOf, upperOf } = _internals;
  for (let v = 0; v < 100000; v += v < 64 ? 1 : 997) {
    const b = bucketOf(v);
    assert.ok(upperOf(b) >= v && (v < 32 ? upperOf(b) === v : upperOf(b) - v <= v / 16), `${v} -> ${upperOf(b)}`);
    if (v > 0) assert.ok(b >= bucketOf(v - 1), 'buckets are monotonic');
  }
  const h = new LatencyHistogram();
  for (let i = 1; i <= 100; i++) h.record(i);
  const s = h.summary();
  assert.is(s.count, 100);
  assert.is(s.max, 100);
  assert.ok(s.p50 >= 50 && s.p50 <= 53, `p50 ${s.p50}`);
  assert.ok(s.p99 >= 99 && s.p99 <= 100, `p99 ${s.p99}`);
  h.reset();
  assert.equal(h.summary(), { count: 0, p50: 0, p99: 0, max: 0 });
  h.record(5e12);   // capped, not lost
  assert.is(h.summary().max, 0x7fffffff);
});

test('log levels of core lines, from the event the core gives (not the text): faults are errors, limits, denials and refusals warn, connects and closes are info', () => {
  assert.equal([LOG_FAULT, LOG_LIMIT, LOG_DENIED, LOG_REFUSED, LOG_CONNECTED, LOG_CLOSED, LOG_DETAIL].map(levelOfEvent),
    ['error', 'warn', 'warn', 'warn', 'info', 'info', 'debug']);
});

test('persistence: off unless a directory is named (no "persistence", no --persist)', () => {
  assert.is(build({}).persistence, null);
});

test('persistence: "dir" relative to the config file, every other option defaulted', () => {
  const p = build({ persistence: { dir: 'state' } }).persistence;
  assert.equal(p, { ...JOURNAL_DEFAULTS, dir: '/etc/ganglion/state' });
  assert.is(p?.fsync, 'always');
});

test('persistence: --persist DIR (relative to the current folder) and --fsync win over the file', () => {
  const p = build({ persistence: { dir: 'state', fsync: 'never', maxLogBytes: 1 << 20 } }, parseArgs(['--persist', 'here', '--fsync', 'interval'])).persistence;
  assert.is(p?.dir, resolve('here'));
  assert.is(p?.fsync, 'interval');
  assert.is(p?.maxLogBytes, 1 << 20);
});

test('persistence: bad values and keys are refused, naming them', () => {
  const cases: Array<[unknown, object, RegExp]> = [
    [{ persistence: { dir: 'd', fsync: 'sometimes' } }, {}, /persistence\.fsync: must be "always", "interval" or "never", got "sometimes"/],
    [{ persistence: { dir: 'd', fsyncIntervalMs: 0 } }, {}, /persistence\.fsyncIntervalMs: must be an integer from 1 to 3600000, got 0/],
    [{ persistence: { dir: 'd', autosave: 1 } }, {}, /persistence: unknown key "autosave"/],
    [{ persistence: { fsync: 'never' } }, {}, /persistence: needs "dir" \(or --persist DIR\)/],
    [{}, { fsync: 'never' }, /persistence: needs "dir"/],
    [{ persistence: 'd' }, {}, /persistence: must be an object/],
    [{ persistence: { dir: '' } }, {}, /persistence\.dir: must be a non-empty string/],
  ];
  for (const [file, flags, message] of cases) assert.throws(() => build(file, flags), (e: Error) => e instanceof ConfigError && message.test(e.message), message.source);
  assert.throws(() => parseArgs(['--fsync', 'often']), /--fsync: must be one of always, interval, never, got "often"/);
  assert.throws(() => parseArgs(['--persist']), /--persist needs a value/);
});

test.run();
