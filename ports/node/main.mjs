// `npm start` / `node ports/node/main.mjs [-p port] [--host addr] [-v]`: the broker on
// Node, MQTT over TCP, 127.0.0.1:1883 by default. Runs the built bundle (dist/node), so
// what is tested is what runs. TLS, WebSocket, users and ACLs come with the Node port issue.
import { createBroker } from '../../dist/node/ganglion.js';
import { listenTcp } from './tcp-listener.mjs';

const args = process.argv.slice(2);
let host = '127.0.0.1';
let port = 1883;
let verbose = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-p' || a === '--port') port = Number(args[++i]);
  else if (a === '--host') host = args[++i];
  else if (a === '-v' || a === '--verbose') verbose = true;
  else if (a === '-h' || a === '--help') {
    console.log('usage: node ports/node/main.mjs [-p|--port 1883] [--host 127.0.0.1] [-v|--verbose]');
    process.exit(0);
  } else {
    console.error(`ganglion: unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`ganglion: --port must be 0..65535, got ${args[args.indexOf('-p') + 1] ?? port}`);
  process.exit(2);
}
// Safe default: anonymous clients only on loopback. Users and ACLs are not built yet, so
// another address is refused rather than opened to anyone.
const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
if (!loopback) {
  console.error(`ganglion: refusing to listen on ${host} without users configured (only loopback is open to anonymous clients)`);
  process.exit(2);
}

const broker = createBroker({
  // Server-sized limits; the core's defaults are for microcontrollers.
  maxConnections: 10000, maxPacketSize: 1 << 20, maxSubscriptionsPerClient: 1000, maxInflight: 100,
  maxInflightIn: 100, maxQueued: 1000, maxOutboundBytes: 1 << 20, maxRetainedCount: 100000,
  maxRetainedBytes: 64 << 20, maxTopicLevels: 64, sysIntervalMs: 10000, matchCacheSize: 4096, slabSize: 65536,
}, {
  log: verbose ? (_client, line) => console.log(new Date().toISOString(), line) : () => {},
}, Date.now());

const timer = setInterval(() => broker.tick(Date.now()), 1000);
const server = await listenTcp(broker, host, port);
const address = server.address();
console.log(`ganglion: MQTT on ${address.address}:${address.port}`);

function stop() {
  clearInterval(timer);
  server.close();
  for (const c of broker.connections.slice()) c.fail({ rc: 0x8b, rule: '5:§3.14.2.1', message: 'server shutting down' });
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
