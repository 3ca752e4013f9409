// `npm start` until the broker lands: loads the built Node bundle and round-trips one
// packet of every type through the codec, for each protocol version, printing the bytes.
import * as g from '../../dist/node/ganglion.js';

const hex = (u) => Array.prototype.map.call(u, (b) => b.toString(16).padStart(2, '0')).join(' ');
const samples = [
  { type: g.CONNECT, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 60, properties: null,
    clientId: 'ganglion-self-check', will: null, username: null, password: null },
  { type: g.CONNACK, sessionPresent: false, reasonCode: 0, properties: null },
  { type: g.PUBLISH, dup: false, qos: 1, retain: false, topic: 'ganglion/hello', packetId: 1, properties: null,
    payload: g.encodeUtf8('hello') },
  { type: g.PUBACK, packetId: 1, reasonCode: 0, properties: null },
  { type: g.SUBSCRIBE, packetId: 2, properties: null, subscriptions: [
    { topicFilter: 'ganglion/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] },
  { type: g.SUBACK, packetId: 2, properties: null, reasonCodes: [1] },
  { type: g.PINGREQ },
  { type: g.DISCONNECT, reasonCode: 0, properties: null },
];

let failures = 0;
for (const version of [4, 5]) {
  for (const p of samples) {
    const packet = p.type === g.CONNECT ? { ...p, protocolVersion: version } : p;
    const bytes = g.encode(packet, version);
    const { packets, error } = g.decodeAll(bytes, version);
    const ok = error === null && packets.length === 1 && hex(g.encode(packets[0], version)) === hex(bytes);
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} v${version} ${g.PACKET_NAMES[p.type].padEnd(11)} ${hex(bytes)}`);
  }
}
console.log(failures === 0
  ? 'codec self-check passed. The broker itself is not built yet (issue 4); this command will start it on 127.0.0.1:1883.'
  : `codec self-check: ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
