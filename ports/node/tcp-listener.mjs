// MQTT over TCP for the core: one node:net socket per Connection. The port only moves
// bytes and signals; every rule lives in the core.
import { createServer } from 'node:net';

/** Serves `broker` on host:port; resolves to the net.Server once it is listening. */
export function listenTcp(broker, host, port) {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    const connection = broker.connect({
      // false: the socket's buffer is past its high-water mark; the core waits for 'drain'.
      write: (frame) => socket.write(frame),
      close: () => socket.destroy(),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    });
    socket.on('data', (chunk) => connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('drain', () => connection.writable());
    socket.on('close', () => connection.closed());
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
