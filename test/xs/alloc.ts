// XS allocation meter: the routing workload that test/xs/run.mjs measures inside real XS
// (`npm run bench:xs`, and as information at the end of `node test/xs/run.mjs`).
//
// This file runs in XS (bundled with the core by run.mjs): ECMAScript built-ins only. It
// installs `globalThis.ganglionAlloc`, which the driver calls through separate
// `worker.evaluate` steps, because xsnap reports meters per evaluate (moddable.md §9):
//
//   ganglionAlloc.setup(qos, version, warmup, subscribers)
//                                              a broker, one publisher, `subscribers` (ten)
//                                              subscribers to "bench/t" (granted `qos`), warmed up
//   gc()                                       collect; a previous FinalizationRegistry
//   ganglionAlloc.flush()                      target is gone and its callback has run
//   gc(); ganglionAlloc.arm()                  collect, then arm a fresh target: the
//                                              currentHeapCount after this is the baseline
//   ganglionAlloc.step(n)                      n messages routed: currentHeapCount and
//                                              compute after this are the step's
//   ganglionAlloc.report()                     was the target collected during the step
//                                              (a GC ran, so the slot count is not exact)?
//                                              and how many frames went where
//
// A QoS 1 step includes each subscriber's PUBACK for each message (fed back with the
// packet id the broker chose), so the in-flight windows stay open and the step measures a
// steady state. The publisher's input frame and the PUBACK buffer are built once in setup
// and reused: a port's own receive buffers are not the core's allocations. The transports
// copy what they are given (Transport.writeCopies), as the device ports' sockets do.
// Results come back as the evaluate's completion value, an ArrayBuffer of JSON.

import type { Broker, Connection, Transport } from '../../core/index.js';
import { concat } from './xs-bytes.js';

type Api = typeof import('../../core/index.js');

const TOPIC = 'bench/t';
const PAYLOAD = '{"t":21.5,"rh":40}';

// A port whose socket copies what it is given (as Espruino's and Moddable's do): it keeps no
// frame, only counts and the packet id of the last one, so the core may reuse its buffers.
class CountingTransport implements Transport {
  writes: number;
  bytes: number;
  lastPacketId: number;
  closed: boolean;
  readonly writeCopies: boolean;

  constructor() {
    this.writes = 0;
    this.bytes = 0;
    this.lastPacketId = -1;
    this.closed = false;
    this.writeCopies = true;
  }

  write(frame: Uint8Array): boolean {
    this.writes++;
    this.bytes += frame.length;
    this.lastPacketId = packetIdOf(frame);
    return true;
  }

  close(): void {
    this.closed = true;
  }
}

interface Registry {
  register(target: object, held: number): void;
}

/** The Packet Identifier of a QoS 1/2 PUBLISH frame, or -1. */
function packetIdOf(f: Uint8Array): number {
  if (f.length < 2 || (f[0] >> 4) !== 3 || (f[0] & 6) === 0) return -1;
  let i = 1;
  while (i < f.length && (f[i] & 0x80) !== 0) i++;
  i++;
  const topicLength = (f[i] << 8) | f[i + 1];
  i += 2 + topicLength;
  return (f[i] << 8) | f[i + 1];
}

export class AllocBench {
  api: Api;
  broker: Broker | null;
  qos: number;
  version: number;
  count: number;      // subscribers
  publisher: Connection | null;
  publisherTransport: CountingTransport;
  subscribers: Connection[];
  subscriberTransports: CountingTransport[];
  frame: Uint8Array;
  ack: Uint8Array;
  token: number;
  fired: number[];
  registry: Registry | null;
  problems: string[];
  before: number[];   // counters at the start of the last step

  constructor(api: Api) {
    this.api = api;
    this.broker = null;
    this.qos = 0;
    this.version = 4;
    this.count = 0;
    this.publisher = null;
    this.publisherTransport = new CountingTransport();
    this.subscribers = [];
    this.subscriberTransports = [];
    this.frame = new Uint8Array(0);
    this.ack = new Uint8Array([0x40, 0x02, 0x00, 0x00]);   // PUBACK, id filled in per message
    this.token = 0;
    this.fired = [];
    this.problems = [];
    this.before = [0, 0, 0];
    const FR = (globalThis as unknown as { FinalizationRegistry?: new (cb: (held: number) => void) => Registry }).FinalizationRegistry;
    const fired = this.fired;
    this.registry = FR ? new FR(function (held: number) { fired.push(held); }) : null;
  }

  /** A fresh broker with one publisher and `subscribers` subscribers, then `warmup` messages. */
  setup(qos: number, version: number, warmup: number, subscribers: number): ArrayBuffer {
    const api = this.api;
    this.count = subscribers;
    this.qos = qos;
    this.version = version;
    this.problems = [];
    const broker = api.createBroker({ sysIntervalMs: 0, maxConnections: 64 }, {}, 0);
    this.broker = broker;
    this.subscribers = [];
    this.subscriberTransports = [];
    for (let i = 0; i < subscribers; i++) {
      const t = new CountingTransport();
      const c = broker.connect(t, 0);
      c.receive(this.encode({
        type: api.CONNECT, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0,
        properties: null, clientId: 'sub' + i, will: null, username: null, password: null,
      }), 0);
      c.receive(this.encode({
        type: api.SUBSCRIBE, packetId: 1, properties: null,
        subscriptions: [{ topicFilter: TOPIC, qos: qos as 0 | 1 | 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      }), 0);
      if (t.writes !== 2) this.problems.push('sub' + i + ': expected CONNACK and SUBACK, got ' + t.writes + ' frames');
      this.subscribers.push(c);
      this.subscriberTransports.push(t);
    }
    this.publisherTransport = new CountingTransport();
    const p = broker.connect(this.publisherTransport, 0);
    p.receive(this.encode({
      type: api.CONNECT, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0,
      properties: null, clientId: 'pub', will: null, username: null, password: null,
    }), 0);
    this.publisher = p;
    this.frame = concat([this.encode({
      type: api.PUBLISH, dup: false, qos: qos as 0 | 1 | 2, retain: false, topic: TOPIC, packetId: qos > 0 ? 1 : 0,
      properties: null, payload: api.encodeUtf8(PAYLOAD),
    })]);
    this.step(warmup);
    this.check(warmup);
    return this.reply({ problems: this.problems });
  }

  protected encode(p: Parameters<Api['encode']>[0]): Uint8Array {
    return this.api.encode(p, this.version);
  }

  /**
   * Grows the XS slot heap by about `objects` small objects, then drops them: the next gc()
   * leaves that many free slots, so a long step runs without a collection (XS keeps the
   * slots it has grown to).
   */
  grow(objects: number): void {
    let hold: Array<{ i: number }> | null = [];
    for (let i = 0; i < objects; i++) hold.push({ i: i });
    hold = null;
    void hold;
  }

  /** Does nothing: gives pending FinalizationRegistry callbacks an evaluate to run in. */
  flush(): void {
    // intentionally empty
  }

  /** Arms a fresh target: if a GC runs before report(), its callback says so. */
  arm(): void {
    this.token++;
    if (this.registry !== null) this.registry.register({}, this.token);
  }

  /** Routes `n` messages from the publisher to the ten subscribers (and, QoS 1, their PUBACKs). */
  step(n: number): void {
    const p = this.publisher as Connection;
    const subs = this.subscribers;
    const ts = this.subscriberTransports;
    const frame = this.frame;
    const ack = this.ack;
    let delivered = 0;
    for (let j = 0; j < ts.length; j++) delivered += ts[j].writes;
    this.before[0] = delivered;
    this.before[1] = this.publisherTransport.writes;
    if (this.qos === 0) {
      for (let i = 0; i < n; i++) p.receive(frame, 0);
      return;
    }
    for (let i = 0; i < n; i++) {
      p.receive(frame, 0);
      for (let j = 0; j < subs.length; j++) {
        const id = ts[j].lastPacketId;
        ack[2] = id >> 8;
        ack[3] = id & 0xff;
        subs[j].receive(ack, 0);
      }
    }
  }

  /** After a step of `n`: every subscriber got n frames; QoS 1: the publisher n PUBACKs. */
  protected check(n: number): { delivered: number; pubacks: number } {
    let delivered = 0;
    for (let j = 0; j < this.subscriberTransports.length; j++) delivered += this.subscriberTransports[j].writes;
    delivered -= this.before[0];
    const pubacks = this.publisherTransport.writes - this.before[1];
    if (delivered !== n * this.count) this.problems.push(n + ' messages: ' + delivered + ' frames to subscribers, expected ' + n * this.count);
    if (this.qos > 0 && pubacks !== n) this.problems.push(n + ' messages: ' + pubacks + ' PUBACKs to the publisher, expected ' + n);
    const b = this.broker as Broker;
    if (b.connectionCount !== this.count + 1) this.problems.push('connections: ' + b.connectionCount);
    return { delivered: delivered, pubacks: pubacks };
  }

  /** What happened in the last step (call right after it). */
  report(n: number): ArrayBuffer {
    this.problems = [];
    const counts = this.check(n);
    return this.reply({
      gc: this.registry === null ? null : this.fired.indexOf(this.token) >= 0,
      delivered: counts.delivered,
      pubacks: counts.pubacks,
      problems: this.problems,
    });
  }

  protected reply(v: unknown): ArrayBuffer {
    const b = this.api.encodeUtf8(JSON.stringify(v));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  }
}

export function installAllocBench(api: Api): void {
  (globalThis as unknown as { ganglionAlloc: AllocBench }).ganglionAlloc = new AllocBench(api);
}
