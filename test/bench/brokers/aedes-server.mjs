// aedes on a plain node:net server, for the broker benchmark (test/bench/brokers/).
// usage: node test/bench/brokers/aedes-server.mjs PORT
// In-memory persistence (aedes' default), no authentication, loopback only. Small writes
// go out without Nagle's delay, as ganglion and the mosquitto config of the benchmark do.
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2] || 1883);
const aedes = await Aedes.createBroker();
const server = net.createServer({ noDelay: true }, aedes.handle);
server.listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`));
const stop = () => {
  server.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
