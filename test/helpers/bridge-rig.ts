// The core's bridge (core/bridge) with a fake port, a fake clock and a real local broker,
// for tests that speak bytes as the upstream: dials, hang-ups and probes are recorded, the
// upstream connection is a FakeTransport, and advance() calls timeout() exactly at each
// nextDeadline() on the way, as a port's one timer would.
import type { BrokerOptions, Message, Packet, Properties, QoS, RecordVisitor, Store } from '../../core/index.js';
import { createBroker, decodeAll } from '../../core/index.js';
import type { Broker } from '../../core/index.js';
import type { BridgeOptions } from '../../core/bridge/index.js';
import { Bridge, QueueRecords } from '../../core/bridge/index.js';
import { checkRule } from '../../ports/node/bridge-config.js';
import { FakeTransport } from './rig.js';
import { hex } from './hex.js';

export interface LocalMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: Properties | null;
}

/**
 * A durable store in memory for the bridge's queue records: what it was given, as bytes, in
 * order; with `deferred` set, each append waits until the test calls finish() (a slow fsync).
 */
export class RecordStore implements Store {
  durable = true;
  kept: Uint8Array[] = [];
  deferred = false;
  waiting: Array<() => void> = [];
  compactions = 0;
  bound = Infinity;           // compactionDue past this many records
  load(visit: RecordVisitor): void { for (const r of this.kept) { const c = r.slice(); visit(c, 0, c.length); } }
  append(records: Uint8Array[], done: (stored: boolean) => void): void {
    const finish = (): void => { for (const r of records) this.kept.push(r.slice()); done(true); };
    if (this.deferred) this.waiting.push(finish); else finish();
  }
  compactionDue(): boolean { return this.kept.length > this.bound; }
  compact(records: Uint8Array[], done: (stored: boolean) => void): void {
    this.compactions++;
    this.kept = records.map((r) => r.slice());
    done(true);
  }
  /** The appends waiting so far are stored. */
  finish(): void {
    const list = this.waiting;
    this.waiting = [];
    for (const f of list) f();
  }
}

export class BridgeRig {
  now = 0;
  broker: Broker;
  bridge: Bridge;
  dials: number[] = [];
  hangUps = 0;
  probes: number[] = [];
  logs: string[] = [];
  wakes = 0;
  randomValue = 0.5;
  transport: FakeTransport = new FakeTransport();
  read = 0;
  throwOnDial = false;

  /** `brokerOptions`: e.g. a store (a RecordStore: a restart is a new rig on the same one). */
  constructor(options: Partial<Omit<BridgeOptions, 'topics'>> & { topics?: string[] } = {}, brokerOptions: BrokerOptions = {}) {
    this.broker = createBroker({ wallClockMs: 1_764_000_000_000, ...brokerOptions }, {}, 0);
    const topics = (options.topics ?? ['# out 1']).map((t, i) => checkRule(t, 'topics[' + i + ']'));
    const o: BridgeOptions = {
      name: 'up', addresses: ['a0', 'a1'], version: 4, clientId: 'site', username: null, password: null, keepAlive: 60,
      cleanStart: false, sessionExpiryInterval: 0, tryPrivate: false, maxQueued: 1000, maxQueuedBytes: 1 << 20,
      queueQoS0: false, maxInflight: 10, backoffMinMs: 1000, backoffMaxMs: 8000, connectTimeoutMs: 5000, primaryRetryMs: 0,
      sysIntervalMs: 0, ...options, topics,
    };
    const self = this;
    this.bridge = new Bridge(o, this.broker, {
      dial(i) {
        if (self.throwOnDial) throw new Error('port bug');
        self.dials.push(i);
      },
      hangUp() { self.hangUps++; },
      probe(i) { self.probes.push(i); },
      log(level, line) { self.logs.push(level + ' ' + line); },
      wake() { self.wakes++; },
    }, () => self.randomValue, 0, new QueueRecords(this.broker, o.name));
  }

  /** The dial asked for is up: CONNECT goes out on a fresh transport. */
  up(): this {
    this.transport = new FakeTransport();
    this.read = 0;
    this.bridge.connect(this.transport, this.now);
    return this;
  }

  /** up() and CONNACK accepted (Session Present as given); what went out so far is read. */
  connected(sessionPresent = false): this {
    this.up();
    const sp = sessionPresent ? '01' : '00';
    this.feed(this.bridge.options.version === 5 ? '20 03 ' + sp + ' 00 00' : '20 02 ' + sp + ' 00');
    this.packets();
    return this;
  }

  feed(bytes: string | Uint8Array): void {
    this.bridge.receive(typeof bytes === 'string' ? hex(bytes) : bytes, this.now);
  }

  /** The packets written to the upstream since the last call. */
  packets(): Packet[] {
    const first = this.read === 0;   // from CONNECT on: the decoder learns the version from it
    const frames = this.transport.written.slice(this.read);
    this.read = this.transport.written.length;
    let n = 0;
    for (const f of frames) n += f.length;
    const all = new Uint8Array(n);
    let at = 0;
    for (const f of frames) { all.set(f, at); at += f.length; }
    const d = decodeAll(all, first ? 0 : this.bridge.options.version);
    if (d.error !== null) throw new Error('the bridge wrote bytes that do not decode: ' + d.error.message);
    return d.packets;
  }

  /** Moves the clock by `ms`, firing the bridge's deadlines at their exact times on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const at = this.bridge.nextDeadline();
      if (at < 0 || at > end) break;
      this.now = Math.max(this.now, at);
      this.bridge.timeout(this.now);
      if (this.bridge.nextDeadline() === at) break;   // nothing changed: do not spin
    }
    this.now = end;
  }

  /** A local publisher's message, through the broker. */
  publishLocally(topic: string, payload: string, qos: QoS, retain = false, properties: Properties | null = null): void {
    this.broker.publish(topic, payload, qos, retain, this.now, properties);
  }

  /** What local subscribers of `filter` receive from now on. */
  listen(filter: string): LocalMessage[] {
    const got: LocalMessage[] = [];
    this.broker.subscribe(filter, (m: Message) => {
      got.push({ topic: m.topic, payload: new TextDecoder().decode(m.payload), qos: m.qos, retain: m.retain, properties: m.properties });
    }, this.now);
    return got;
  }
}
