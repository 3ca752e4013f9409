// The Espruino bundle renames the core's internal property names (build.mjs, mangleProps
// over ports/espruino/internal-props.mjs). What a board program is given must keep its
// names: here the objects a program reaches (the listener, its broker, stats, limits, the
// retained store, a Connection handed to the hooks, a Message from broker.subscribe, a
// decoded packet) are built from the TypeScript sources and from dist/espruino/ganglion.js,
// and each public name the sources' object has must be on the bundle's under the same name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as port from '../../ports/espruino/index.js';
import { hex } from '../helpers/hex.js';
import type { Env, PortModule } from './harness.js';
import { bundleEnv, sourceEnv, World } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// A plain JS module, imported through a computed specifier (as espruino-subset.test.ts does)
// so the typechecker takes the type declared here.
const props: { internalProps(root: string): string[]; PUBLIC_TYPES: string[] } =
  await import(new URL('ports/espruino/internal-props.mjs', 'file://' + root).href);
const { internalProps, PUBLIC_TYPES } = props;
const bundle = join(root, 'dist/espruino/ganglion.js');
if (!existsSync(bundle)) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
const internal = new Set(internalProps(root));

// Names the README and the example program use; none may ever be renamed.
const DOCUMENTED = [
  'listen', 'createBroker', 'broker', 'publish', 'close', 'subscribe', 'unsubscribe', 'stats', 'sessions',
  'connections', 'connectionCount', 'clientCount', 'limits', 'retained', 'nextDeadline', 'connect', 'tick',
  'timeout', 'receive', 'closed', 'writable', 'clientId', 'username', 'version', 'connected', 'disconnected',
  'authenticate', 'authorizePublish', 'authorizeSubscribe', 'authorizeRead', 'log', 'port', 'maxConnections',
  'maxPacketSize', 'maxSubscriptionsPerClient', 'maxInflight', 'maxQueued', 'maxQueuedBytes', 'sendBudget',
  'receiveBudget', 'topic', 'payload', 'qos', 'retain', 'properties', 'messagesIn', 'dropped', 'errors',
];

interface Seen {
  [what: string]: string[];
}

/** Own and prototype property names of `o`, sorted. */
function names(o: object): string[] {
  const out = new Set<string>();
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') out.add(k);
  }
  return [...out].sort();
}

function reach(env: Env): Seen {
  const seen: Seen = {};
  let connection: object | null = null;
  const w = new World(env, {}, { connected: (c: object) => { connection = c; } });
  const l = w.listener as unknown as { broker: { stats: object; limits: object; retained: object; subscribe: Function } };
  const c = w.connected('pub');
  let message: object | null = null;
  w.in(() => l.broker.subscribe('t/#', (m: object) => { message = m; }, 1000000));
  c.raw(hex('30 05 00 03 74 2F 61 78'));   // PUBLISH QoS 0 "t/a" payload "x"
  w.run();
  seen.listener = names(l);
  seen.broker = names(l.broker);
  seen.stats = names(l.broker.stats);
  seen.limits = names(l.broker.limits);
  seen.retained = names(l.broker.retained);
  assert.ok(connection, env.name + ': the connected hook called');
  seen.connection = names(connection!);
  assert.ok(message, env.name + ': the local subscriber got the message');
  seen.message = names(message!);
  return seen;
}

test('no documented name is in the mangled list', () => {
  assert.equal(DOCUMENTED.filter((n) => internal.has(n)), []);
});

test('the public types it keeps exist, and the list renames something', () => {
  assert.ok(PUBLIC_TYPES.length > 10);
  assert.ok(internal.size > 50, 'internal names found: ' + internal.size);
});

test('what a program reaches has the same public names in the bundle as in the sources', () => {
  const src = reach(sourceEnv(port as unknown as PortModule));
  const got = reach(bundleEnv(bundle));
  for (const what of Object.keys(src)) {
    const missing = src[what].filter((n) => !internal.has(n) && got[what].indexOf(n) < 0);
    assert.equal(missing, [], what + ': public names missing from the bundle');
  }
  // And the renaming did act on them (a mangled name in the sources is gone from the bundle).
  assert.ok(src.broker.some((n) => internal.has(n) && got.broker.indexOf(n) < 0), 'broker internals renamed');
});

test('the bundle exports what the README says', () => {
  const env = bundleEnv(bundle);
  const w = new World(env, {});
  const exported = w.in((m) => Object.keys(m).sort());
  assert.equal(exported, ['Decoder', 'Listener', 'MQTT_3_1', 'MQTT_3_1_1', 'MQTT_5', 'SocketTransport', 'boardLimits',
    'createBroker', 'encode', 'listen', 'nowMs']);
});

test('the bundle has no $SYS topics, and says so when asked for them', () => {
  const env = bundleEnv(bundle);
  assert.throws(() => new World(env, { sysIntervalMs: 1000 }), /no \$SYS topics/);
  assert.is(readFileSync(bundle, 'latin1').indexOf('$SYS/broker'), -1);
});

test.run();
