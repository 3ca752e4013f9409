// mosquitto.conf read as a ganglion config (ports/node/mosquitto-conf.ts): listeners, TLS,
// WebSocket, users and ACL, limits; what is an error and what a warning; per-listener
// settings; include_dir; and the result passes buildConfig as a JSON config would.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildConfig } from '../../ports/node/config.js';
import { isMosquittoConf, parseMosquittoConf } from '../../ports/node/mosquitto-conf.js';
import { tempDir } from '../integration/helpers.js';

const conf = (...lines: string[]) => parseMosquittoConf(lines.join('\n') + '\n', 'm.conf');

test('detected by the .conf name, or by text that is not JSON', () => {
  assert.ok(isMosquittoConf('{}', '/etc/mosquitto/mosquitto.conf'));
  assert.ok(isMosquittoConf('# mine\nlistener 1883\n', 'broker.cfg'));
  assert.not.ok(isMosquittoConf('{ "listeners": [] }', 'ganglion.json'));
  assert.not.ok(isMosquittoConf('\n  {\n', 'x'));
});

test('listener, bind address, protocol websockets, TLS files and certificate options become listeners', () => {
  const m = conf(
    'listener 1883 127.0.0.1',
    'listener 8883',
    'certfile s.crt', 'keyfile s.key', 'cafile ca.crt', 'require_certificate true', 'use_identity_as_username true',
    'listener 8080 127.0.0.1', 'protocol websockets',
    'listener 8081 ::1', 'protocol websockets', 'certfile s.crt', 'keyfile s.key',
    'password_file /etc/passwd-m',
  );
  assert.equal(m.file.listeners, [
    { type: 'tcp', host: '127.0.0.1', port: 1883 },
    { type: 'tls', host: '0.0.0.0', port: 8883, cert: 's.crt', key: 's.key', ca: 'ca.crt', requireCertificate: true, useIdentityAsUsername: true },
    { type: 'ws', host: '127.0.0.1', port: 8080 },
    { type: 'wss', host: '::1', port: 8081, cert: 's.crt', key: 's.key' },
  ]);
  assert.equal(m.warnings, []);
  const c = buildConfig(m.file, {}, '/srv');
  assert.equal(c.listeners.map((l) => [l.type, l.host, l.port, l.allowAnonymous]), [
    ['tcp', '127.0.0.1', 1883, false], ['tls', '0.0.0.0', 8883, false], ['ws', '127.0.0.1', 8080, false], ['wss', '::1', 8081, false]]);
  assert.is(c.listeners[1].cert, '/srv/s.crt');
  assert.is(c.passwordFile, '/etc/passwd-m');
});

test('port and bind_address before any listener make the default listener', () => {
  const m = conf('port 1884', 'bind_address 127.0.0.2', 'allow_anonymous true');
  assert.equal(m.file.listeners, [{ type: 'tcp', host: '127.0.0.2', port: 1884 }]);
  assert.is(m.file.allowAnonymous, true);
});

test('allow_anonymous is false unless said, as in mosquitto 2.0; with no listener the defaults stay ganglion\'s (loopback, anonymous)', () => {
  assert.is(conf('listener 1883 127.0.0.1').file.allowAnonymous, false);
  const none = conf('max_queued_messages 10');
  assert.is(none.file.listeners, undefined);
  assert.is(none.file.allowAnonymous, undefined);
  assert.is(buildConfig(none.file, {}, '/').listeners[0].allowAnonymous, true);
});

test('limits: inflight, queues, keep-alive, session expiry, retain, QoS 0 queueing, $SYS interval, connections, packet size', () => {
  const m = conf(
    'listener 1883 127.0.0.1', 'max_connections 500',
    'max_inflight_messages 0', 'max_queued_messages 50', 'max_queued_bytes 0', 'max_keepalive 120',
    'persistent_client_expiration 2d', 'retain_available false', 'queue_qos0_messages true', 'sys_interval 15',
    'max_qos 1', 'max_packet_size 2048', 'log_type error', 'log_type information',
  );
  assert.equal(m.file.limits, {
    maxConnections: 500, maxInflight: 65535, maxQueued: 50, maxQueuedBytes: Number.MAX_SAFE_INTEGER, maxKeepAlive: 120,
    persistentSessionExpirySeconds: 172800, retainAvailable: false, queueQoS0Offline: true, sysIntervalMs: 15000,
    maximumQoS: 1, maxPacketSize: 2048,
  });
  assert.is(m.file.logLevel, 'info');
  const c = buildConfig(m.file, {}, '/');
  assert.is(c.limits.maxInflight, 65535);
  assert.is(c.limits.persistentSessionExpirySeconds, 172800);
});

test('warnings, one line each: autosave_interval, log_dest file, message_size_limit, max_connections over several listeners', () => {
  const m = conf('listener 1 127.0.0.1', 'max_connections 10', 'listener 2 127.0.0.1', 'max_connections 20',
    'autosave_interval 1800', 'persistence_file m.db', 'log_dest file /var/log/m.log', 'message_size_limit 1000', 'pid_file /run/m.pid');
  assert.equal(m.warnings, [
    'm.conf:5: autosave_interval: ignored: ganglion writes every change to its journal as it happens (persistence.fsync)',
    'm.conf:6: persistence_file: ignored: ganglion keeps a journal of files in persistence_location, not one file',
    'm.conf:7: log_dest: ganglion logs to stderr (redirect it to /var/log/m.log)',
    'm.conf:8: message_size_limit: a payload limit in mosquitto; ganglion limits whole packets: maxPacketSize 66552 (the payload plus 64 KiB for topic and properties)',
    'm.conf:9: pid_file: ignored: ganglion writes no pid file',
    'm.conf: max_connections: per listener in mosquitto; ganglion has one limit for all listeners: 30',
  ]);
  assert.is((m.file.limits as Record<string, number>).maxConnections, 30);
});

test('persistence true keeps the journal in persistence_location (relative to the current folder, as mosquitto has it)', () => {
  const m = conf('persistence true', 'persistence_location /var/lib/mosquitto/');
  assert.equal(m.file.persistence, { dir: '/var/lib/mosquitto/' });
  assert.equal(m.warnings, []);
  const c = buildConfig(conf('persistence true', 'persistence_location data').file, {}, '/srv');
  assert.is(c.persistence?.dir, '/srv/data');
  assert.is(c.persistence?.fsync, 'always');
});

test('persistence true without a location: the current folder, as mosquitto writes mosquitto.db there', () => {
  assert.equal(conf('persistence true').file.persistence, { dir: '.' });
  assert.is(buildConfig(conf('persistence true').file, {}, '/srv').persistence?.dir, '/srv');
});

test('persistence off (the default, or false): no journal, and a persistence_location is named as ignored', () => {
  assert.is(conf('persistence false').file.persistence, undefined);
  assert.is(buildConfig(conf('listener 1883 127.0.0.1').file, {}, '/').persistence, null);
  assert.equal(conf('persistence_location /var/lib/m/').warnings, ['m.conf: persistence_location: ignored: persistence is off (no "persistence true")']);
});

test('errors name the line: unknown directives, mount points, bridges, plugins, unix sockets, TLS options without certfile', () => {
  const cases: Array<[string[], RegExp]> = [
    [['listener 1883', 'max_inflight_mesages 10'], /m\.conf:2: max_inflight_mesages: unknown directive/],
    [['mount_point site/'], /m\.conf:1: mount_point: not supported: ganglion has no mount points/],
    [['connection upstream', 'address 10.0.0.1', 'start_type lazy'], /m\.conf:3: start_type: ganglion bridges start at once and stay up/],
    [['plugin /usr/lib/auth.so'], /m\.conf:1: plugin: not supported/],
    [['plugin_opt_db x'], /m\.conf:1: plugin_opt_db: ganglion has no mosquitto plugins/],
    [['listener 0 /run/m.sock'], /m\.conf:1: listener: ganglion listens on TCP ports/],
    [['listener 1883', 'require_certificate true'], /m\.conf:1: cafile \/ require_certificate .* need certfile and keyfile/],
    [['allow_anonymous yes'], /m\.conf:1: allow_anonymous: must be true or false/],
    [['persistent_client_expiration 10'], /m\.conf:1: persistent_client_expiration: must be a number and h, d, w, m or y/],
  ];
  for (const [lines, re] of cases) assert.throws(() => conf(...lines), re, lines.join(' / '));
});

test('per_listener_settings true: allow_anonymous per listener; one password file for all, or an error', () => {
  const m = conf('per_listener_settings true', 'listener 1 127.0.0.1', 'allow_anonymous true', 'password_file p',
    'listener 2 127.0.0.1', 'allow_anonymous false', 'password_file p');
  assert.equal((m.file.listeners as Array<Record<string, unknown>>).map((l) => l.allowAnonymous), [true, false]);
  assert.is(m.file.passwordFile, 'p');
  assert.throws(() => conf('per_listener_settings true', 'listener 1', 'password_file a', 'listener 2', 'password_file b'),
    /password_file: different files for different listeners; ganglion has one password_file for all listeners/);
  // Without per_listener_settings the last allow_anonymous is global, wherever it is.
  assert.is(conf('listener 1', 'allow_anonymous true').file.allowAnonymous, true);
});

test('acl_file is read in mosquitto\'s format (its topic lines before the first user line are for anonymous clients)', () => {
  const m = conf('acl_file /etc/mosquitto/acl');
  assert.is(m.file.aclFile, '/etc/mosquitto/acl');
  assert.is(m.file.aclFormat, 'mosquitto');
  assert.is(buildConfig(m.file, {}, '/').aclFormat, 'mosquitto');
  assert.is(buildConfig({}, {}, '/').aclFormat, 'ganglion');
});

test('include_dir reads every *.conf in the folder, in order of name, with their own line numbers', () => {
  const tmp = tempDir('mosquitto-include');
  try {
    mkdirSync(join(tmp.dir, 'conf.d'));
    writeFileSync(join(tmp.dir, 'conf.d', 'b.conf'), 'listener 1884 127.0.0.1\n');
    writeFileSync(join(tmp.dir, 'conf.d', 'a.conf'), '\nlistener 1883 127.0.0.1\npid_file /run/m.pid\n');
    writeFileSync(join(tmp.dir, 'conf.d', 'notes.txt'), 'not read\n');
    const m = conf(`include_dir ${join(tmp.dir, 'conf.d')}`);
    assert.equal((m.file.listeners as Array<Record<string, unknown>>).map((l) => l.port), [1883, 1884]);
    assert.match(m.warnings[0], /conf\.d\/a\.conf:3: pid_file:/);
  } finally {
    tmp.remove();
  }
});

test.run();
