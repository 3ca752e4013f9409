// The allocation meter of alloc.ts, through the Moddable port: the same workload (one
// publisher, `subscribers` subscribers to "bench/t", QoS 0 or 1 with every PUBACK fed back)
// but every byte goes through ports/moddable/broker-server.js and the fake ECMA-419 sockets
// (test/xs/fake-moddable/): onReadable -> read() (a new ArrayBuffer per read, as on the
// device) -> connection.receive; transport.write -> TCP write() within the free send buffer;
// acknowledgements -> onWritable. The fake's own path allocates nothing per message (it copies
// into a fixed buffer and counts), so the figure is the core's plus the port's.
// Installed as `globalThis.ganglionAllocPort`; run.mjs drives it with the same steps.

import { BrokerServer, DEVICE_LIMITS } from '../../ports/moddable/broker-server.js';
import type { FakePeer, World } from './fake-moddable/world.js';
import { resetWorld } from './fake-moddable/world.js';
import { AllocBench } from './alloc.js';

type Api = typeof import('../../core/index.js');

const TOPIC = 'bench/t';
const PAYLOAD = '{"t":21.5,"rh":40}';

/** The Packet Identifier of the QoS 1/2 PUBLISH a peer received last, or -1. */
function lastPacketId(p: FakePeer): number {
  const f = p.last;
  const n = p.lastLength;
  if (n < 2 || (f[0] >> 4) !== 3 || (f[0] & 6) === 0) return -1;
  let i = 1;
  while (i < n && (f[i] & 0x80) !== 0) i++;
  i++;
  const topicLength = (f[i] << 8) | f[i + 1];
  i += 2 + topicLength;
  return (f[i] << 8) | f[i + 1];
}

export class PortAllocBench extends AllocBench {
  world: World | null;
  server: BrokerServer | null;
  pub: FakePeer | null;
  subs: FakePeer[];
  acks: Uint8Array[];
  frameLength: number;

  constructor(api: Api) {
    super(api);
    this.world = null;
    this.server = null;
    this.pub = null;
    this.subs = [];
    this.acks = [];
    this.frameLength = 0;
  }

  setup(qos: number, version: number, warmup: number, subscribers: number): ArrayBuffer {
    const api = this.api;
    this.count = subscribers;
    this.qos = qos;
    this.version = version;
    this.problems = [];
    const world = resetWorld(8192, subscribers + 4, 0);
    this.world = world;
    const limits = Object.assign({}, DEVICE_LIMITS, { maxConnections: subscribers + 2 });
    const server = new BrokerServer({ port: 1883, limits: limits });
    this.server = server;
    this.subs = [];
    this.acks = [];
    for (let i = 0; i < subscribers; i++) {
      const p = world.connect(1883, 1) as FakePeer;
      world.run();
      p.send(this.encode({
        type: api.CONNECT, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0,
        properties: null, clientId: 'sub' + i, will: null, username: null, password: null,
      }));
      p.send(this.encode({
        type: api.SUBSCRIBE, packetId: 1, properties: null,
        subscriptions: [{ topicFilter: TOPIC, qos: qos as 0 | 1 | 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      }));
      world.run();
      if (p.bytesIn === 0 || p.closedByServer) this.problems.push('sub' + i + ': no CONNACK/SUBACK');
      this.subs.push(p);
      this.acks.push(new Uint8Array([0x40, 0x02, 0x00, 0x00]));
    }
    const pub = world.connect(1883, 1) as FakePeer;
    world.run();
    pub.send(this.encode({
      type: api.CONNECT, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0,
      properties: null, clientId: 'pub', will: null, username: null, password: null,
    }));
    world.run();
    this.pub = pub;
    this.frame = this.encode({
      type: api.PUBLISH, dup: false, qos: qos as 0 | 1 | 2, retain: false, topic: TOPIC, packetId: qos > 0 ? 1 : 0,
      properties: null, payload: api.encodeUtf8(PAYLOAD),
    }).slice(0);
    this.frameLength = this.frame.length;
    this.step(warmup);
    this.check(warmup);
    return this.reply({ problems: this.problems });
  }

  step(n: number): void {
    const world = this.world as World;
    const pub = this.pub as FakePeer;
    const subs = this.subs;
    const acks = this.acks;
    const frame = this.frame;
    let delivered = 0;
    for (let j = 0; j < subs.length; j++) delivered += subs[j].bytesIn;
    this.before[0] = delivered;
    this.before[1] = pub.bytesIn;
    if (this.qos === 0) {
      for (let i = 0; i < n; i++) {
        pub.send(frame);
        world.run();
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      pub.send(frame);
      world.run();
      for (let j = 0; j < subs.length; j++) {
        const id = lastPacketId(subs[j]);
        const a = acks[j];
        a[2] = id >> 8;
        a[3] = id & 0xff;
        subs[j].send(a);
      }
      world.run();
    }
  }

  protected check(n: number): { delivered: number; pubacks: number } {
    let bytes = 0;
    for (let j = 0; j < this.subs.length; j++) bytes += this.subs[j].bytesIn;
    bytes -= this.before[0];
    const delivered = bytes / this.frameLength;
    const pubacks = ((this.pub as FakePeer).bytesIn - this.before[1]) / 4;
    if (delivered !== n * this.count) this.problems.push(n + ' messages: ' + delivered + ' frames to subscribers, expected ' + n * this.count);
    if (this.qos > 0 && pubacks !== n) this.problems.push(n + ' messages: ' + pubacks + ' PUBACKs to the publisher, expected ' + n);
    const v = (this.world as World).violations.list;
    if (v.length > 0) this.problems.push('socket API: ' + v.join(', '));
    const b = (this.server as BrokerServer).broker;
    if (b.connectionCount !== this.count + 1) this.problems.push('connections: ' + b.connectionCount);
    return { delivered: delivered, pubacks: pubacks };
  }
}

export function installPortAllocBench(api: Api): void {
  (globalThis as unknown as { ganglionAllocPort: PortAllocBench }).ganglionAllocPort = new PortAllocBench(api);
}
