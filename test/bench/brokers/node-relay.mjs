// The floor of any broker written on Node's `net`, for the broker benchmark: not a broker.
// usage: node test/bench/brokers/node-relay.mjs PORT
// MQTT 3.1.1 only. It answers CONNECT, SUBSCRIBE and PINGREQ, acknowledges a QoS 1 PUBLISH, and forwards
// every PUBLISH frame as it came (its topic, QoS and packet id) to every connection that has
// subscribed, whatever the filter: no parsing beyond the fixed header, no sessions, no
// routing, no encoding. What it costs per message is what Node's event loop and streams
// cost; `npm run bench -- --brokers ganglion,mosquitto,relay latency-qos0 latency-qos1`
// shows how much of a Node broker's latency is that floor.
import net from 'node:net';

const port = Number(process.argv[2] || 1883);
const subscribers = new Set();

function serve(socket) {
  let held = null;   // the start of a frame that has not fully arrived
  socket.on('data', (chunk) => {
    let b = held === null ? chunk : Buffer.concat([held, chunk]);
    held = null;
    let i = 0;
    while (i < b.length) {
      // Fixed header: type and flags, then the Remaining Length (1 to 4 bytes).
      let len = 0;
      let mul = 1;
      let j = i + 1;
      for (; j < b.length; j++) {
        len += (b[j] & 0x7f) * mul;
        mul *= 128;
        if ((b[j] & 0x80) === 0) break;
      }
      if (j >= b.length || j + 1 + len > b.length) break;
      const body = j + 1;
      const type = b[i] >> 4;
      if (type === 3) {
        const frame = b.subarray(i, body + len);
        for (const s of subscribers) s.write(frame);
        const qos = (b[i] >> 1) & 3;
        if (qos === 1) {
          const topicLength = (b[body] << 8) | b[body + 1];
          const id = body + 2 + topicLength;
          socket.write(Buffer.from([0x40, 2, b[id], b[id + 1]]));
        }
      } else if (type === 1) {
        socket.write(Buffer.from([0x20, 2, 0, 0]));
      } else if (type === 8) {
        // One filter per SUBSCRIBE, as the load generator sends: granted its QoS (the last byte).
        subscribers.add(socket);
        socket.write(Buffer.from([0x90, 3, b[body], b[body + 1], b[body + len - 1] & 3]));
      } else if (type === 12) {
        socket.write(Buffer.from([0xd0, 0]));
      } else if (type === 14) {
        socket.end();
      }
      i = body + len;
    }
    if (i < b.length) held = Buffer.from(b.subarray(i));
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => subscribers.delete(socket));
}

const server = net.createServer({ noDelay: true }, serve);
server.listen(port, '127.0.0.1', () => console.log(`node relay listening on 127.0.0.1:${port}`));
const stop = () => {
  server.close();
  for (const s of subscribers) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
