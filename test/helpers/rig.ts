// A broker with fake transports and a fake clock, for tests that speak bytes: feed a
// client's bytes in, read back exactly what the broker wrote to it. No sockets, no timers:
// every call carries the fake clock's `now`, and advance() moves it as a port's one timer
// would, calling broker.timeout() exactly at each broker.nextDeadline() on the way.
import type { BrokerOptions, Hooks, Packet } from '../../core/index.js';
import { Broker, Connection, Decoder, createBroker, encode, CONNECT, SUBSCRIBE, PUBLISH } from '../../core/index.js';
import type { QoS, Properties } from '../../core/index.js';

export class FakeTransport {
  written: Uint8Array[] = [];
  originals: Uint8Array[] = [];      // the frames exactly as handed over (not copied): for identity checks
  closed = false;
  paused = false;
  full = false;                      // make write() answer false (a slow client)
  writeCopies = false;               // true: declare that write() keeps no frame (PORT.md); `written` holds copies either way
  write(frame: Uint8Array): boolean {
    if (this.closed) throw new Error('write after close');
    this.written.push(frame.slice());
    this.originals.push(frame);
    return !this.full;
  }
  close(): void { this.closed = true; }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
}

export interface Client {
  id: string;
  version: number;
  transport: FakeTransport;
  connection: Connection;
  decoder: Decoder;
  pending: Packet[];               // read by a helper (subscribe) but not yet by the test
}

export interface ConnectOptions {
  version?: number;                  // 3, 4 (default) or 5
  clean?: boolean;                   // default true
  keepAlive?: number;                // seconds, default 0
  properties?: Properties | null;
  will?: { topic: string; payload: string; qos: QoS; retain: boolean; properties?: Properties | null } | null;
  username?: string | null;
  password?: string | null;
  clientId?: string;                 // the CONNECT's client id when not the rig name (takeover, empty ids)
}

export class Rig {
  broker: Broker;
  now = 0;
  timeouts = 0;
  clients = new Map<string, Client>();
  logs: string[] = [];

  constructor(options: BrokerOptions = {}, hooks: Partial<Hooks> = {}) {
    const logs = this.logs;
    // $SYS is off unless a test turns it on: it is a deadline every 10 s, and a test that
    // moves the clock by days would otherwise publish it a million times.
    this.broker = createBroker({ sysIntervalMs: 0, ...options }, { log: (_c, line) => { logs.push(line); }, ...hooks }, 0);
    // As a port does: a hook's late answer is handled at the fake clock's time.
    this.broker.wake = () => this.broker.timeout(this.now);
  }

  /** Opens a connection named `name` without sending anything. */
  open(name: string, version = 4): Client {
    const transport = new FakeTransport();
    const connection = this.broker.connect(transport, this.now);
    const c: Client = { id: name, version, transport, connection, decoder: new Decoder({ version }), pending: [] };
    this.clients.set(name, c);
    return c;
  }

  /** Opens and sends a CONNECT; returns the client (its CONNACK is left to read). */
  connect(name: string, o: ConnectOptions = {}): Client {
    const version = o.version ?? 4;
    const c = this.open(name, version);
    const te = new TextEncoder();
    this.feed(name, encode({
      type: CONNECT, protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version,
      cleanStart: o.clean ?? true, keepAlive: o.keepAlive ?? 0, properties: o.properties ?? null, clientId: o.clientId ?? name,
      will: o.will ? { topic: o.will.topic, payload: te.encode(o.will.payload), qos: o.will.qos, retain: o.will.retain, properties: o.will.properties ?? null } : null,
      username: o.username ?? null, password: o.password == null ? null : te.encode(o.password),
    }, version));
    return c;
  }

  /** connect() and read the CONNACK away, failing if it is not a success. */
  connected(name: string, o: ConnectOptions = {}): Client {
    const c = this.connect(name, o);
    const p = this.packets(name);
    if (p.length < 1 || p[0].type !== 2 || (p[0] as { reasonCode: number }).reasonCode !== 0) {
      throw new Error('CONNECT of ' + name + ' was not accepted: ' + JSON.stringify(p));
    }
    return c;
  }

  feed(name: string, bytes: Uint8Array): void {
    this.client(name).connection.receive(bytes, this.now);
  }

  send(name: string, p: Packet): void {
    this.feed(name, encode(p, this.client(name).version));
  }

  /** Subscribes and returns the SUBACK's codes; what follows it (retained messages) stays to be read. */
  subscribe(name: string, filter: string, qos: QoS, packetId = 1): number[] {
    this.send(name, { type: SUBSCRIBE, packetId, properties: null, subscriptions: [{ topicFilter: filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    const all = this.packets(name);
    const i = all.findIndex((p) => p.type === 9);
    if (i < 0) throw new Error('no SUBACK for ' + name + ': ' + JSON.stringify(all));
    const suback = all.splice(i, 1)[0] as { reasonCodes: number[] };
    this.client(name).pending = all;
    return suback.reasonCodes;
  }

  /**
   * 5.0 SUBSCRIBE with subscription options and an optional Subscription Identifier; returns
   * the SUBACK's codes; what follows it stays to be read, as bytes (frames/sent) or packets.
   */
  subscribe5(name: string, filter: string, qos: QoS, o: { nl?: boolean; rap?: boolean; rh?: number; id?: number; packetId?: number } = {}): number[] {
    this.send(name, {
      type: SUBSCRIBE, packetId: o.packetId ?? 1, properties: o.id === undefined ? null : { subscriptionIdentifier: [o.id] },
      subscriptions: [{ topicFilter: filter, qos, noLocal: o.nl ?? false, retainAsPublished: o.rap ?? false, retainHandling: o.rh ?? 0 }],
    });
    // Take the SUBACK out and leave what else was written (retained replays) to be read as bytes.
    const all = this.frames(name);
    const i = all.findIndex((f) => f.startsWith('90 '));
    if (i < 0) throw new Error('no SUBACK for ' + name + ': ' + JSON.stringify(all));
    const suback = all.splice(i, 1)[0];
    const t = this.client(name).transport;
    for (const f of all) {
      const bytes = Uint8Array.from(f.split(' ').map((x) => parseInt(x, 16)));
      t.written.push(bytes);
      t.originals.push(bytes);
    }
    const b = suback.split(' ').map((x) => parseInt(x, 16));
    const props = b[4];   // 5.0 SUBACK: 90 RL id id proplen props... codes (RL < 128 here)
    return b.slice(5 + props);
  }

  /** What the broker wrote to `name` since the last read, one hex string per packet (split on Remaining Length). */
  frames(name: string): string[] {
    const bytes = this.sent(name);
    const out: string[] = [];
    let i = 0;
    while (i < bytes.length) {
      let len = 0, mul = 1, j = i + 1;
      for (;;) { const b = bytes[j++]; len += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break; }
      const end = j + len;
      const parts: string[] = [];
      for (let k = i; k < end; k++) parts.push((bytes[k] < 16 ? '0' : '') + bytes[k].toString(16).toUpperCase());
      out.push(parts.join(' '));
      i = end;
    }
    return out;
  }

  publish(name: string, topic: string, payload: string, qos: QoS = 0, packetId = 0, retain = false): void {
    this.send(name, { type: PUBLISH, dup: false, qos, retain, topic, packetId, properties: null, payload: new TextEncoder().encode(payload) });
  }

  /** Everything the broker wrote to `name` since the last read, as one byte string. */
  sent(name: string): Uint8Array {
    const t = this.client(name).transport;
    let n = 0;
    for (const f of t.written) n += f.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const f of t.written) { out.set(f, o); o += f.length; }
    t.written = [];
    t.originals = [];
    return out;
  }

  /** What the broker wrote to `name` since the last read, decoded. */
  packets(name: string): Packet[] {
    const c = this.client(name);
    c.decoder.push(this.sent(name));
    const out: Packet[] = c.pending;
    c.pending = [];
    for (let p = c.decoder.next(); p !== null; p = c.decoder.next()) out.push(p);
    if (c.decoder.error) throw new Error('broker sent bytes that do not decode: ' + JSON.stringify(c.decoder.error));
    return out;
  }

  /** Payloads (as text) of the PUBLISH packets `name` received since the last read. */
  received(name: string): string[] {
    const td = new TextDecoder();
    return this.packets(name).filter((p) => p.type === PUBLISH).map((p) => td.decode((p as { payload: Uint8Array }).payload));
  }

  isOpen(name: string): boolean {
    return !this.client(name).transport.closed;
  }

  /** The peer drops the connection (no DISCONNECT). */
  drop(name: string): void {
    this.client(name).connection.closed(this.now);
  }

  /** The transport of `name` has room again. */
  writable(name: string): void {
    this.client(name).connection.writable(this.now);
  }

  /**
   * Moves the clock `ms` forward as a port's timer would: broker.timeout() at each time
   * broker.nextDeadline() names on the way, and never in between, so a deadline the core
   * did not announce does not happen, and one it announced early shows as early.
   * `timeouts` counts the calls (a test can check that an idle broker sleeps).
   */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; ; guard++) {
      if (guard > 100000) throw new Error('broker.nextDeadline() does not move past ' + this.now);
      const at = this.broker.nextDeadline();
      if (at < 0 || at > end) break;
      if (at > this.now) this.now = at;
      this.timeouts++;
      this.broker.timeout(this.now);
    }
    this.now = end;
  }

  client(name: string): Client {
    const c = this.clients.get(name);
    if (!c) throw new Error('no client ' + name);
    return c;
  }
}

export function rig(options: BrokerOptions = {}, hooks: Partial<Hooks> = {}): Rig {
  return new Rig(options, hooks);
}
