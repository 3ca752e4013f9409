// `node test/xs/bridge-memory.mjs`: what the Moddable bridge (ports/moddable/bridge.js) costs in
// real XS (xsnap), from heap snapshots after a full GC (test/xs/driver.mjs --steps), over the
// fake ECMA-419 sockets (fake-moddable/): the device's BrokerServer made first, then
//   1. bridge() dialing an upstream that never answers: the Bridge, its MqttClient, options,
//      rules, the local subscriptions, the client socket and its transport, and one fake TCP
//      (the fake's own object; on the device the socket's state is in lwIP);
//   2. then connected instead, to an upstream BrokerServer in the same heap made before step 1
//      (so step 2 also holds that upstream's session for the bridge, which on a real site is
//      on the cloud, not on the device);
//   3. then 16 QoS 1 messages queued while the upstream is away (topic sensors/t, 8-byte payload).
// Slots are 32 bytes in xsnap (64-bit), 16 on an ESP32; chunk bytes as measured on 64-bit (an
// upper bound for the device). Information only: no figure here is a test.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moddableFakes } from './fake-moddable/plugin.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = `
import { BrokerServer } from ${JSON.stringify(join(root, 'ports/moddable/broker-server.js'))};
import { bridge } from ${JSON.stringify(join(root, 'ports/moddable/bridge.js'))};
import { resetWorld, world } from './fake-moddable/world.ts';
let site = null, upstream = null, b = null;
const OPTIONS = { clientId: 'site-1', topics: ['sensors/# out 1 "" site-1/', 'cmd/# in 1 "" site-1/'] };
function options(port) { return Object.assign({ addresses: ['127.0.0.1:' + port] }, OPTIONS); }
globalThis.bridgeMem = {
  site() { resetWorld(8192, 16, 0); site = new BrokerServer({ port: 1883 }); upstream = new BrokerServer({ port: 1884 }); world.unreachable.push(1885); world.run(); },
  dialing() { b = bridge(site, options(1885)); world.run(); return b.stats().state; },
  stop() { b.stop(); b = null; world.run(); },
  connected() { b = bridge(site, options(1884)); world.run(); return b.stats().state; },
  away() { upstream.close(); world.run(); return b.stats().state; },
  queued() { for (let i = 0; i < 16; i++) site.publish('sensors/t', '21.5 \\u00b0C', 1, false); world.run(); return b.stats().queuedMessages + ' queued'; },
};
`;
const out = await build({ stdin: { contents: entry, resolveDir: here, loader: 'ts' }, bundle: true, format: 'iife', target: 'es2020', platform: 'neutral', write: false, plugins: [moddableFakes], define: { __MQTT5__: 'true', __SYS__: 'true' } });
const dir = mkdtempSync(join(tmpdir(), 'ganglion-bridge-mem-'));
const snap = (label, code) => ({ label, code, snapshot: true });
const answer = (code) => `const r = ${code}; new TextEncoder().encode(String(r)).buffer`;
const steps = [{ label: 'load', code: out.outputFiles[0].text }, snap('site', 'bridgeMem.site()'),
  snap('dialing', answer('bridgeMem.dialing()')), snap('stopped', 'bridgeMem.stop()'),
  snap('connected', answer('bridgeMem.connected()')), snap('away', answer('bridgeMem.away()')), snap('queued', answer('bridgeMem.queued()'))];
writeFileSync(join(dir, 'steps.json'), JSON.stringify(steps));
const r = spawnSync(process.execPath, [join(here, 'driver.mjs'), '--steps', join(dir, 'steps.json')], { encoding: 'utf8', maxBuffer: 64 << 20 });
const m = /@@XS-STEPS@@(.*)/.exec(r.stdout || '');
if (!m) { console.log(r.stdout, r.stderr); process.exit(1); }
const by = new Map(JSON.parse(m[1]).map((s) => [s.label, s]));
const at = (l) => by.get(l).snapshot;
const row = (name, a, b) => {
  const slots = (at(b).slotBytes - at(a).slotBytes) / 32;
  const chunks = at(b).chunkBytes - at(a).chunkBytes;
  console.log(`${name.padEnd(60)} ${String(slots).padStart(6)} slots ${String(chunks).padStart(8)} chunk bytes  ~${slots * 16 + chunks} bytes on ESP32`);
};
console.log('xs memory, Moddable bridge (information): live XS heap after a full GC, from heap snapshots');
row('1. bridge() dialing (' + by.get('dialing').reply + '; one fake TCP included)', 'site', 'dialing');
row('   stop(): what is left', 'site', 'stopped');
row('2. bridge() connected (' + by.get('connected').reply + '; the upstream\'s session included)', 'stopped', 'connected');
row('3. + ' + by.get('queued').reply + ' QoS 1 messages while the upstream is away (' + by.get('away').reply + ')', 'away', 'queued');
