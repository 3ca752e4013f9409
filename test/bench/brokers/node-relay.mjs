// The floor of any broker written on Node's `net`, for the broker benchmark: not a broker.
// usage: node test/bench/brokers/node-relay.mjs PORT
// MQTT 3.1.1 only. It answers CONNECT, SUBSCRIBE and PINGREQ, acknowledges a QoS 1 PUBLISH, and forwards
// every PUBLISH frame as it came (its topic, QoS and packet id) to every connection that has
// subscribed to exactly its topic (filters are taken as topic names, no wildcards: the
// scenarios that run it use none): no parsing beyond the fixed header and the topic, no
// sessions, no encoding. What it costs per message is what Node's event loop and streams
// cost; `npm run bench -- --brokers ganglion,mosquitto,relay latency-qos0 latency-qos1 fleet`
// shows how much of a Node broker's latency, and of its CPU per socket event, is that floor.
import net from 'node:net';

const port = Number(process.argv[2] || 1883);
const subscribers = new Map();   // topic -> Set of sockets
const open = new Set();          // every connection, for stop()

function serve(socket) {
  let held = null;   // the start of a frame that has not fully arrived
  const mine = [];   // the topics this connection subscribed to
  open.add(socket);
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
        const topicLength = (b[body] << 8) | b[body + 1];
        const to = subscribers.get(b.latin1Slice(body + 2, body + 2 + topicLength));
        if (to !== undefined) for (const s of to) s.write(frame);
        const qos = (b[i] >> 1) & 3;
        if (qos === 1) {
          const id = body + 2 + topicLength;
          socket.write(Buffer.from([0x40, 2, b[id], b[id + 1]]));
        }
      } else if (type === 1) {
        socket.write(Buffer.from([0x20, 2, 0, 0]));
      } else if (type === 8) {
        // One filter per SUBSCRIBE, as the load generator sends: granted its QoS (the last byte).
        const filterLength = (b[body + 2] << 8) | b[body + 3];
        const filter = b.latin1Slice(body + 4, body + 4 + filterLength);
        let set = subscribers.get(filter);
        if (set === undefined) subscribers.set(filter, (set = new Set()));
        set.add(socket);
        mine.push(filter);
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
  socket.on('close', () => {
    for (const t of mine) subscribers.get(t).delete(socket);
    open.delete(socket);
  });
}

const server = net.createServer({ noDelay: true }, serve);
server.listen(port, '127.0.0.1', () => console.log(`node relay listening on 127.0.0.1:${port}`));
const stop = () => {
  server.close();
  for (const s of open) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
