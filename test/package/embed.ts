// The README's "Embedding on Node" program, as the package test compiles and runs it from a
// fresh project that installed the packed tarball (test/integration/package.test.ts).
import { createServer } from 'ganglion/node';

const server = createServer(
  { listeners: [{ type: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT ?? 1883) }] },
  {
    // Decides every CONNECT in place of a password file: true lets the client in.
    authenticate(client, username, password) {
      const ok = username === 'alice' && password !== null && Buffer.from(password).toString() === 'secret';
      if (!ok) console.log(`refused ${username ?? '(anonymous)'} from ${client.remoteAddress}`);
      return ok;
    },
  },
);
server.subscribe('sensors/#', (m) => console.log(`${m.topic}: ${Buffer.from(m.payload).toString()}`));
const [tcp] = await server.listen();
console.log(`listening on port ${tcp.port}`);
server.publish('status', 'up', { qos: 1, retain: true });
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
