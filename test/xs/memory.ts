// Memory held by the Moddable port, measured inside XS (`npm run bench:moddable`, and as
// information at the end of `node test/xs/run.mjs`): the broker on the Moddable adapter and
// the fake ECMA-419 sockets, grown one kind of thing at a time. test/xs/run.mjs evaluates each
// call below as its own step and takes an XS heap snapshot after it (the snapshot collects
// garbage first and records the live slots and the live chunk bytes), then divides:
//
//   ganglionMemory.setup()            broker + adapter listening, nothing connected
//   ganglionMemory.helpers()          two clients: one to hold subscriptions, one to publish
//   ganglionMemory.sockets(n)         n more bare fake sockets (no broker): the fake's own
//                                     share of a connection, subtracted from `clients`
//   ganglionMemory.clients(n)         n more idle MQTT clients (CONNECT, client id of 12
//                                     bytes, keep alive 60, clean session), through the adapter
//   ganglionMemory.subscriptions(n)   one client holds n more subscriptions
//                                     ("site/room-NNN/temperature", 25 bytes, QoS 1)
//   ganglionMemory.retained(n)        n more retained messages
//                                     ("state/room-NNN/light", 20 bytes; 16-byte payload)
//   ganglionMemory.slow(n)            a subscriber that never acknowledges; n more QoS 0 and
//                                     n QoS 1 messages published to it: what it holds must
//                                     not grow with n
// Each answers with JSON (an ArrayBuffer) of its problems, if any.

import { BrokerServer, DEVICE_LIMITS } from '../../ports/moddable/broker-server.js';
import type { FakePeer, World } from './fake-moddable/world.js';
import { FakeListener, FakeTCP, resetWorld } from './fake-moddable/world.js';

type Api = typeof import('../../core/index.js');

function pad3(i: number): string {
  return i < 10 ? '00' + i : i < 100 ? '0' + i : String(i);
}

function ignore(): void {
  // a callback that does nothing
}

export class MemoryBench {
  api: Api;
  world: World | null;
  server: BrokerServer | null;
  bare: FakeTCP[];
  peers: FakePeer[];
  holder: FakePeer | null;
  publisher: FakePeer | null;
  slowPeer: FakePeer | null;
  nextClient: number;
  nextSub: number;
  nextRetained: number;
  problems: string[];

  constructor(api: Api) {
    this.api = api;
    this.world = null;
    this.server = null;
    this.bare = [];
    this.peers = [];
    this.holder = null;
    this.publisher = null;
    this.slowPeer = null;
    this.nextClient = 0;
    this.nextSub = 0;
    this.nextRetained = 0;
    this.problems = [];
  }

  private connectFrame(clientId: string): Uint8Array {
    return this.api.encode({
      type: this.api.CONNECT, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 60,
      properties: null, clientId: clientId, will: null, username: null, password: null,
    }, 4);
  }

  private client(clientId: string): FakePeer {
    const w = this.world as World;
    const p = w.connect(1883, 0);
    if (p === null) throw new Error('no PCB for ' + clientId);
    w.run();
    p.send(this.connectFrame(clientId));
    w.run();
    if (p.bytesIn !== 4 || p.closedByServer) this.problems.push(clientId + ': no CONNACK');
    return p;
  }

  setup(): ArrayBuffer {
    this.world = resetWorld(8192, 1000, 0);
    // Limits raised for the measurement only: it grows each kind of thing far past the device's.
    const limits = Object.assign({}, DEVICE_LIMITS, {
      maxConnections: 500, maxSubscriptionsPerClient: 1000, maxRetainedCount: 1000, maxRetainedBytes: 1 << 20,
      matchCacheSize: 0,
    });
    this.server = new BrokerServer({ port: 1883, limits: limits });
    // A bare listener for the fake's own sockets (port 1884), and what it accepts.
    const bare = this.bare;
    new FakeListener({
      port: 1884,
      onReadable: function (this: FakeListener, count: number) {
        while (count-- > 0) {
          const raw = this.read();
          if (raw === undefined) return;
          bare.push(new FakeTCP({ from: raw, onReadable: ignore, onWritable: ignore, onError: ignore, target: bare }));
        }
      },
    });
    return this.reply();
  }

  /** The client that holds the subscriptions and the one that publishes. */
  helpers(): ArrayBuffer {
    this.holder = this.client('holder');
    this.publisher = this.client('publisher');
    return this.reply();
  }

  sockets(n: number): ArrayBuffer {
    const w = this.world as World;
    for (let i = 0; i < n; i++) {
      this.peers.push(w.connect(1884, 0) as FakePeer);
      w.run();
    }
    return this.reply();
  }

  clients(n: number): ArrayBuffer {
    for (let i = 0; i < n; i++) {
      this.peers.push(this.client('client-' + pad3(this.nextClient++) + '__'));   // 12 bytes
    }
    return this.reply();
  }

  subscriptions(n: number): ArrayBuffer {
    const w = this.world as World;
    const h = this.holder as FakePeer;
    const api = this.api;
    for (let i = 0; i < n; i++) {
      const k = this.nextSub++;
      const before = h.bytesIn;
      h.send(api.encode({
        type: api.SUBSCRIBE, packetId: 1 + (k % 60000), properties: null,
        subscriptions: [{ topicFilter: 'site/room-' + pad3(k) + '/temperature', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      }, 4));
      w.run();
      if (h.bytesIn - before !== 5) this.problems.push('subscription ' + k + ': no SUBACK');
    }
    return this.reply();
  }

  retained(n: number): ArrayBuffer {
    const w = this.world as World;
    const p = this.publisher as FakePeer;
    const api = this.api;
    for (let i = 0; i < n; i++) {
      const k = this.nextRetained++;
      p.send(api.encode({
        type: api.PUBLISH, dup: false, qos: 0, retain: true, topic: 'state/room-' + pad3(k) + '/light', packetId: 0,
        properties: null, payload: api.encodeUtf8('{"on":true,"l":7}'.slice(0, 16)),
      }, 4));
      w.run();
    }
    return this.reply();
  }

  /**
   * The first call adds the slow subscriber (its client, its subscription, and all it can pin
   * with the device's queue limits: in-flight and queued messages, frames held for its full
   * send buffer); later calls show that more traffic does not grow it.
   */
  slow(n: number): ArrayBuffer {
    const w = this.world as World;
    const api = this.api;
    if (this.slowPeer === null) {
      const s = this.client('slow');
      s.send(api.encode({
        type: api.SUBSCRIBE, packetId: 1, properties: null,
        subscriptions: [{ topicFilter: 'slow/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      }, 4));
      w.run();
      s.autoAck = false;
      this.slowPeer = s;
    }
    // Published in-process (the port's publish: broker.publish at its clock), so no
    // publisher's unread input is in the figure.
    const server = this.server as BrokerServer;
    const payload = api.encodeUtf8('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    for (let i = 0; i < n; i++) {
      server.publish('slow/a', payload, 0, false);
      server.publish('slow/b', payload, 1, false);
      w.run();
    }
    if (this.slowPeer.closedByServer) this.problems.push('slow: the slow client was closed');
    return this.reply();
  }

  private reply(): ArrayBuffer {
    const v = (this.world as World).violations.list;
    const out = this.problems.concat(v.length > 0 ? ['socket API: ' + v.join(', ')] : []);
    this.problems = [];
    const b = this.api.encodeUtf8(JSON.stringify({ problems: out }));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  }
}

export function installMemoryBench(api: Api): void {
  (globalThis as unknown as { ganglionMemory: MemoryBench }).ganglionMemory = new MemoryBench(api);
}
