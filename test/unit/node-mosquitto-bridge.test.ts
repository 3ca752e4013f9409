// mosquitto.conf's bridge sections (`connection NAME` and what follows it) read as ganglion's
// "bridges" (ports/node/mosquitto-conf.ts); the same directives' meaning as mosquitto 2.0's
// mosquitto.conf(5). The bridge itself runs in test/integration/bridge.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMosquittoConf } from '../../ports/node/mosquitto-conf.js';
import { ConfigError, buildConfig } from '../../ports/node/config.js';

const conf = (lines: string[]): ReturnType<typeof parseMosquittoConf> => parseMosquittoConf(lines.join('\n'), 'm.conf');

test('a connection section becomes a bridge: addresses in order, topics as mosquitto writes them, identity, session, keep-alive', () => {
  const m = conf(['listener 1883 127.0.0.1', 'allow_anonymous true',
    'connection cloud', 'address 10.0.0.1:1884 10.0.0.2', 'bridge_protocol_version mqttv50', 'remote_clientid site-a',
    'remote_username u', 'remote_password p', 'cleansession false', 'keepalive_interval 30', 'try_private false',
    'topic sensors/# out 1 "" site-a/', 'topic cmd/# in 2 "" site-a/', 'restart_timeout 2 30']);
  assert.equal(m.file.bridges, [{ name: 'cloud', topics: ['sensors/# out 1 "" site-a/', 'cmd/# in 2 "" site-a/'],
    addresses: ['mqtt://10.0.0.1:1884', 'mqtt://10.0.0.2:1883'], protocolVersion: 5, clientId: 'site-a', username: 'u', password: 'p',
    cleanStart: false, keepAlive: 30, tryPrivate: false, backoffMinMs: 2000, backoffMaxMs: 30000 }]);
  const c = buildConfig(m.file, {}, '/');
  assert.equal(c.bridges[0].topics[0], { pattern: 'sensors/#', direction: 'out', qos: 1, localPrefix: '', remotePrefix: 'site-a/' });
  assert.equal(c.bridges[0].addresses, ['mqtt://10.0.0.1:1884', 'mqtt://10.0.0.2:1883']);
});

test('bridge_cafile makes the addresses mqtts:// (port 8883 by default); bridge_insecure', () => {
  const m = conf(['connection c', 'address broker.example', 'bridge_cafile ca.crt', 'bridge_insecure true', 'topic # out 0']);
  const b = (m.file.bridges as Array<Record<string, unknown>>)[0];
  assert.equal(b.addresses, ['mqtts://broker.example:8883']);
  assert.equal(b.tls, { ca: 'ca.crt', insecure: true });
});

test('bridge directives ganglion handles otherwise are named: warnings for the harmless, errors for the rest', () => {
  const m = conf(['connection c', 'address h', 'topic # out 0', 'notifications true', 'round_robin false', 'local_clientid x']);
  assert.is(m.warnings.length, 3);
  assert.match(m.warnings[0], '$SYS/broker/bridge/NAME/state');
  for (const [line, re] of [['start_type lazy', /automatic/], ['bridge_capath /etc/ssl', /bridge_cafile/], ['bridge_protocol_version mqttv31', /mqttv311 or mqttv50/]] as const) {
    assert.throws(() => conf(['connection c', 'address h', line]), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), line);
  }
  assert.throws(() => conf(['connection c', 'topic # out 0']), (e: unknown) => e instanceof ConfigError && /needs an address/.test((e as Error).message));
});

test.run();
