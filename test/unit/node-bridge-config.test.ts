// A bridge's topic rules (core/bridge/rules.ts) and its config section
// (ports/node/bridge-config.ts); the bridge itself runs against real upstreams in
// test/integration/bridge.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filterMatches, toLocal, toRemote } from '../../core/bridge/index.js';
import { checkBridges, checkRule } from '../../ports/node/bridge-config.js';
import { ConfigError, buildConfig } from '../../ports/node/config.js';

test('4:MQTT-4.7.2-1 filterMatches: + one level, # the rest, $ topics not by a leading wildcard', () => {
  assert.ok(filterMatches('a/+/c', 'a/b/c'));
  assert.ok(filterMatches('a/#', 'a'));
  assert.ok(filterMatches('a/#', 'a/b/c'));
  assert.not.ok(filterMatches('a/+', 'a/b/c'));
  assert.not.ok(filterMatches('#', '$SYS/x'));
  assert.ok(filterMatches('$SYS/#', '$SYS/x'));
});

test('mosquitto\'s topic line: pattern direction qos local-prefix remote-prefix, "" for an empty prefix', () => {
  assert.equal(checkRule('sensors/# out 1 site/ cloud/site-a/', 'r'), { pattern: 'sensors/#', direction: 'out', qos: 1, localPrefix: 'site/', remotePrefix: 'cloud/site-a/' });
  assert.equal(checkRule('cmd/# in 2 "" a/', 'r'), { pattern: 'cmd/#', direction: 'in', qos: 2, localPrefix: '', remotePrefix: 'a/' });
  assert.equal(checkRule('x', 'r'), { pattern: 'x', direction: 'out', qos: 0, localPrefix: '', remotePrefix: '' });
});

test('a rule maps topics both ways with its prefixes, and only in its direction', () => {
  const r = checkRule('sensors/# both 1 site/ cloud/a/', 'r');
  assert.is(toRemote(r, 'site/sensors/t'), 'cloud/a/sensors/t');
  assert.is(toLocal(r, 'cloud/a/sensors/t'), 'site/sensors/t');
  assert.is(toRemote(r, 'other/sensors/t'), null);
  const out = checkRule('s/# out 1', 'r');
  assert.is(toLocal(out, 's/x'), null);
  const inn = checkRule('s/# in 1', 'r');
  assert.is(toRemote(inn, 's/x'), null);
});

test('bad rules and bridges are refused, naming the key', () => {
  const bad: Array<[unknown, RegExp]> = [
    [[{ name: 'b', addresses: ['http://x'], topics: ['#'] }], /addresses\[0\]: not an MQTT server address/],
    [[{ name: 'b', addresses: [], topics: ['#'] }], /addresses: must be a non-empty array/],
    [[{ name: 'b/c', addresses: ['mqtt://h:1'], topics: ['#'] }], /name: letters/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['# sideways'] }], /direction: must be out, in or both/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['# out 3'] }], /qos: must be an integer from 0 to 2/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['a out 1 x/+/ y/'] }], /localPrefix: a prefix has no wildcards/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['a/#/b'] }], /local filter "a\/#\/b" is not a topic filter/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['#'], protocolVersion: 3 }], /protocolVersion: must be an integer from 4 to 5/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['#'], colour: 'red' }], /unknown key "colour"/],
    [[{ name: 'b', addresses: ['mqtt://h:1'], topics: ['#'] }, { name: 'b', addresses: ['mqtt://h:1'], topics: ['#'] }], /names another bridge/],
  ];
  for (const [v, re] of bad) assert.throws(() => checkBridges(v, '/'), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), JSON.stringify(v));
});

test('defaults: a persistent session, the bridge flag, a queue of 100,000 messages / 64 MiB; "bridges" is a config key', () => {
  const c = buildConfig({ bridges: [{ name: 'cloud', addresses: ['mqtt://127.0.0.1:1884'], topics: ['# out 1'] }] }, {}, '/');
  const b = c.bridges[0];
  assert.equal([b.clientId, b.protocolVersion, b.cleanStart, b.tryPrivate, b.maxQueued, b.maxQueuedBytes, b.keepAlive],
    ['ganglion-bridge-cloud', 4, false, true, 100000, 64 << 20, 60]);
});

test.run();
