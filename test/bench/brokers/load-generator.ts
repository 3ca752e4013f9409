// The load generator: MQTT clients on raw node:net sockets, built so that the generator is
// not what limits a broker. Node only.
//
// - frames are pre-encoded (mqtt-frames.ts): a batch of PUBLISHes is one copy of a block of
//   ready frames plus a patch of the sequence number (and packet id, time) of each, then one
//   socket.write for the whole batch; a write that reports a full socket stops the publisher
//   until 'drain' (backpressure);
// - the receive side walks fixed headers only: it reads the type, the remaining length, and
//   for a PUBLISH the publisher index and sequence number in the payload; acknowledgements
//   owed for one read are written back as one write;
// - every PUBLISH received is checked against the sequence numbers each publisher sent
//   (SeqTrack): exact counts of losses and duplicates, in or out of order.
//
// A throughput flow (Flow) keeps each publisher at most `credit` messages ahead of its
// slowest subscriber, end to end, on top of the QoS 1/2 window of unacknowledged
// PUBLISHes: a QoS 0 broker is allowed to drop what it cannot deliver, and a benchmark that
// floods it would measure its drop rate. With the credit every broker sees the same offered
// load, and a loss is a loss.

import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PublishTemplate, Version } from './mqtt-frames.js';
import { CONNACK, DISCONNECT, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, connectFrame, publishTemplate, subscribeFrame, writeAck } from './mqtt-frames.js';

export type PublishHandler = (c: Client, b: Buffer, payloadAt: number, qos: number, packetId: number) => void;
export type AckHandler = (c: Client, type: number, packetId: number) => void;

const OUT_SIZE = 1 << 16;

/** One MQTT client on a raw socket. */
export class Client {
  readonly socket: Socket;
  readonly version: Version;
  onPublish: PublishHandler | null = null;
  onAck: AckHandler | null = null;
  afterRead: (() => void) | null = null;
  /** Set while a write reported a full socket, until 'drain'. */
  blocked = false;
  onDrain: (() => void) | null = null;
  closed = false;
  error: string | null = null;
  private rest: Buffer | null = null;
  // Made at the first acknowledgement owed: a fleet has thousands of clients, most of them
  // never owing more than a few bytes at once, and 64 KB each would be the generator's RSS.
  private out: Buffer | null = null;
  private outLen = 0;
  private waiting: { type: number; resolve: (code: number) => void } | null = null;

  constructor(socket: Socket, version: Version) {
    this.socket = socket;
    this.version = version;
    socket.setNoDelay(true);
    socket.on('drain', () => {
      this.blocked = false;
      if (this.onDrain !== null) this.onDrain();
    });
    socket.on('error', (e) => {
      this.error = e.message;
    });
    socket.on('close', () => {
      this.closed = true;
      if (this.waiting !== null) {
        const w = this.waiting;
        this.waiting = null;
        w.resolve(-1);
      }
    });
  }

  /**
   * Opens a socket, sends CONNECT and waits for a CONNACK that accepts. A clean session,
   * unless `sessionExpiryS` (> 0) asks for a persistent one; `onPublish` is set before the
   * CONNACK is read (a resumed session's messages may come in the same read).
   */
  static connect(port: number, clientId: string, version: Version, keepAliveS: number, timeoutMs: number, sessionExpiryS?: number, onPublish?: PublishHandler): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: '127.0.0.1' });
      // (node:net's onread with one shared buffer makes this side cheaper still, but then
      // mosquitto, answered faster, falls to about 60% of its QoS 1 rate: we keep 'data',
      // under which it measured its best.)
      const c = new Client(socket, version);
      if (onPublish !== undefined) c.onPublish = onPublish;
      socket.on('data', (chunk: Buffer) => c.read(chunk));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${clientId}: no CONNACK within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${clientId}: ${e.message}`));
      });
      socket.once('connect', () => {
        c.expect(CONNACK).then((code) => {
          clearTimeout(timer);
          if (code === 0) resolve(c);
          else {
            socket.destroy();
            reject(new Error(`${clientId}: CONNACK refused (${code})`));
          }
        });
        socket.write(connectFrame(clientId, version, keepAliveS, sessionExpiryS ?? 0));
      });
    });
  }

  /** SUBSCRIBE to one filter; resolves with the granted QoS. */
  async subscribe(filter: string, qos: number, timeoutMs: number): Promise<number> {
    const got = this.expect(SUBACK);
    this.socket.write(subscribeFrame(1, filter, qos, this.version));
    const code = await withTimeout(got, timeoutMs, `SUBACK for ${filter}`);
    if (code < 0 || code >= 0x80) throw new Error(`SUBSCRIBE ${filter} refused (${code})`);
    return code;
  }

  expect(type: number): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = { type, resolve };
    });
  }

  write(b: Buffer): void {
    if (!this.socket.write(b)) this.blocked = true;
  }

  queueAck(type: number, packetId: number): void {
    if (this.out === null) this.out = Buffer.allocUnsafe(OUT_SIZE);
    if (this.outLen + 4 > OUT_SIZE) this.flushAcks();
    this.outLen = writeAck(this.out, this.outLen, type, packetId);
  }

  private flushAcks(): void {
    if (this.outLen === 0 || this.out === null) return;
    const b = Buffer.allocUnsafe(this.outLen);
    this.out.copy(b, 0, 0, this.outLen);
    this.outLen = 0;
    this.write(b);
  }

  /** DISCONNECT, then the socket is ended and destroyed. */
  close(): void {
    if (this.closed) return;
    if (!this.socket.destroyed) this.socket.end(DISCONNECT);
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The receive side: fixed headers only. */
  read(chunk: Buffer): void {
    let b = chunk;
    if (this.rest !== null) {
      b = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const n = b.length;
    let i = 0;
    while (n - i >= 2) {
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let byte = 0;
      let whole = true;
      do {
        if (j >= n) {
          whole = false;
          break;
        }
        byte = b[j++];
        len += (byte & 127) * mul;
        mul *= 128;
      } while ((byte & 128) !== 0);
      if (!whole || j + len > n) break;
      const first = b[i];
      const type = first >> 4;
      if (type === PUBLISH) {
        const qos = (first >> 1) & 3;
        let p = j + 2 + ((b[j] << 8) | b[j + 1]);
        let id = 0;
        if (qos > 0) {
          id = (b[p] << 8) | b[p + 1];
          p += 2;
        }
        if (this.version === 5) {
          let plen = 0;
          let m = 1;
          let x = 0;
          do {
            x = b[p++];
            plen += (x & 127) * m;
            m *= 128;
          } while ((x & 128) !== 0);
          p += plen;
        }
        if (this.onPublish !== null) this.onPublish(this, b, p, qos, id);
      } else if (type >= PUBACK && type <= PUBCOMP) {
        if (this.onAck !== null) this.onAck(this, type, (b[j] << 8) | b[j + 1]);
      } else if (this.waiting !== null && type === this.waiting.type) {
        const w = this.waiting;
        this.waiting = null;
        // CONNACK: return/reason code in the second byte; SUBACK: first granted QoS.
        w.resolve(type === CONNACK ? b[j + 1] : b[j + 2 + (this.version === 5 ? 1 + b[j + 2] : 0)]);
      }
      i = j + len;
    }
    if (i < n) this.rest = Buffer.from(b.subarray(i));
    this.flushAcks();
    if (this.afterRead !== null) this.afterRead();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Runs `make(i)` for i in [0, n) with at most `concurrency` at once. */
export async function many<T>(n: number, concurrency: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  const workers: Promise<void>[] = [];
  for (let k = 0; k < Math.min(concurrency, n); k++) workers.push(worker());
  await Promise.all(workers);
  return out;
}

/** What one subscriber received from one publisher: exact, in or out of order. */
export class SeqTrack {
  next = 0;                        // every sequence number below this was received
  ahead: Set<number> | null = null; // received above `next`, out of order
  dups = 0;

  add(seq: number): void {
    if (seq === this.next) {
      this.next++;
      const a = this.ahead;
      if (a !== null && a.size > 0) {
        while (a.delete(this.next)) this.next++;
      }
    } else if (seq < this.next) {
      this.dups++;
    } else {
      if (this.ahead === null) this.ahead = new Set();
      if (this.ahead.has(seq)) this.dups++;
      else this.ahead.add(seq);
    }
  }

  get unique(): number {
    return this.next + (this.ahead === null ? 0 : this.ahead.size);
  }
}

export interface FlowSpec {
  version: Version;
  qos: number;                 // of the PUBLISHes and of the subscriptions
  publishers: number;
  subscribers: number;
  topicOf: (publisher: number) => string;
  filter: string;              // every subscriber subscribes to this one filter
  payloadSize: number;
  window: number;              // QoS 1/2: unacknowledged PUBLISHes per publisher
  credit: number;              // messages a publisher may be ahead of its slowest subscriber
  batch: number;               // most PUBLISH frames in one write
  connectTimeoutMs: number;
  idPrefix: string;
  /** > 0: every client has a persistent session (what a persistent broker writes down). */
  sessionExpiryS?: number;
}

interface Pub {
  index: number;
  client: Client;
  tpl: PublishTemplate;
  block: Buffer;               // `batch` ready frames back to back
  sent: number;
  outstanding: number;         // QoS 1/2: sent, final acknowledgement not yet received
  nextId: number;
  lowWater: number;            // QoS 0: write only when at least this much credit is free
}

interface Sub {
  client: Client;
  tracks: SeqTrack[];          // by publisher index
  received: number;            // PUBLISH packets, duplicates included
}

export interface FlowCounts {
  sent: number;
  delivered: number;           // unique (publisher, sequence) per subscriber
  received: number;            // PUBLISH packets received, duplicates included
  expected: number;            // sent x subscribers of each publisher
  lost: number;
  duplicates: number;
  unacked: number;             // QoS 1/2 PUBLISHes still unacknowledged at the end
}

/**
 * A throughput flow: `publishers` clients publish to their topics, `subscribers` clients
 * each subscribe to `filter` (every subscriber receives every publisher). start() sets it
 * going; stop() ends publishing; drain() waits until everything sent was delivered (or the
 * timeout); counts() gives the exact tally.
 */
export class Flow {
  readonly spec: FlowSpec;
  private pubs: Pub[] = [];
  private subs: Sub[] = [];
  private running = false;
  /** Latency samples (ms) when `sampleLatency` is set: one per delivery. */
  latencies: number[] = [];
  sampleLatency = false;

  constructor(spec: FlowSpec) {
    this.spec = spec;
  }

  async open(port: number): Promise<void> {
    const s = this.spec;
    const t = s.connectTimeoutMs;
    const subClients = await many(s.subscribers, 50, (i) => Client.connect(port, `${s.idPrefix}-sub-${i}`, s.version, 60, t, s.sessionExpiryS));
    for (const c of subClients) {
      await c.subscribe(s.filter, s.qos, t);
      const sub: Sub = { client: c, tracks: [], received: 0 };
      for (let p = 0; p < s.publishers; p++) sub.tracks.push(new SeqTrack());
      this.subs.push(sub);
      c.onPublish = (cl, b, at, qos, id) => this.delivered(sub, cl, b, at, qos, id);
      c.onAck = (cl, type, id) => {
        // QoS 2 towards the subscriber: PUBREL from the broker, answered with PUBCOMP.
        if (type === PUBREL) cl.queueAck(PUBCOMP, id);
      };
      c.afterRead = this.schedulePump;
    }
    const pubClients = await many(s.publishers, 50, (i) => Client.connect(port, `${s.idPrefix}-pub-${i}`, s.version, 60, t, s.sessionExpiryS));
    for (let i = 0; i < pubClients.length; i++) {
      const tpl = publishTemplate(s.topicOf(i), s.qos, false, s.version, i, s.payloadSize);
      const block = Buffer.allocUnsafe(tpl.frame.length * s.batch);
      for (let k = 0; k < s.batch; k++) tpl.frame.copy(block, k * tpl.frame.length);
      const pub: Pub = {
        index: i, client: pubClients[i], tpl, block, sent: 0, outstanding: 0, nextId: 1,
        lowWater: Math.max(1, Math.min(s.batch, Math.floor(s.credit / 4))),
      };
      this.pubs.push(pub);
      const c = pubClients[i];
      c.onAck = (cl, type, id) => {
        if (type === PUBACK || type === PUBCOMP) pub.outstanding--;
        else if (type === PUBREC) cl.queueAck(PUBREL, id);
      };
      c.afterRead = () => this.pump(pub);
      c.onDrain = () => this.pump(pub);
    }
  }

  private delivered(sub: Sub, c: Client, b: Buffer, at: number, qos: number, id: number): void {
    sub.received++;
    const p = b.readUInt32BE(at);
    const track = sub.tracks[p];
    if (track !== undefined) track.add(b.readUInt32BE(at + 4));
    if (this.sampleLatency) this.latencies.push(performance.now() - b.readDoubleBE(at + 8));
    if (qos === 1) c.queueAck(PUBACK, id);
    else if (qos === 2) c.queueAck(PUBREC, id);
  }

  /** Unique messages of publisher p delivered to its slowest subscriber. */
  private slowest(p: number): number {
    let min = Infinity;
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) {
      const u = subs[i].tracks[p].unique;
      if (u < min) min = u;
    }
    return min === Infinity ? 0 : min;
  }

  start(): void {
    this.running = true;
    this.pumpAll();
  }

  stop(): void {
    this.running = false;
  }

  // Subscriber reads free credit; one pump per event-loop turn however many reads there were.
  private pumpScheduled = false;
  private readonly schedulePump = (): void => {
    if (this.pumpScheduled || !this.running) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pumpAll();
    });
  };

  private pumpAll(): void {
    if (!this.running) return;
    for (let i = 0; i < this.pubs.length; i++) this.pump(this.pubs[i]);
  }

  /** Writes as many PUBLISHes as the window, the credit and the socket allow. */
  private pump(pub: Pub): void {
    const s = this.spec;
    const c = pub.client;
    let rounds = 0;
    while (this.running && !c.blocked && !c.closed && rounds++ < 8) {
      let can = s.credit - (pub.sent - this.slowest(pub.index));
      if (s.qos > 0) can = Math.min(can, s.window - pub.outstanding);
      else if (can < pub.lowWater) return;
      if (can <= 0) return;
      if (can > s.batch) can = s.batch;
      this.write(pub, can);
    }
  }

  /** Sends `n` PUBLISHes in one write. */
  writeOne(pubIndex: number): void {
    this.write(this.pubs[pubIndex], 1);
  }

  private write(pub: Pub, n: number): void {
    const tpl = pub.tpl;
    const len = tpl.frame.length;
    const out = Buffer.allocUnsafe(n * len);
    pub.block.copy(out, 0, 0, n * len);
    const now = performance.now();
    let seq = pub.sent;
    for (let k = 0, o = 0; k < n; k++, o += len) {
      out.writeUInt32BE(seq++, o + tpl.seqAt);
      out.writeDoubleBE(now, o + tpl.timeAt);
      if (tpl.idAt >= 0) {
        const id = pub.nextId;
        pub.nextId = id === 65535 ? 1 : id + 1;
        out[o + tpl.idAt] = id >> 8;
        out[o + tpl.idAt + 1] = id & 0xff;
      }
    }
    pub.sent = seq;
    if (this.spec.qos > 0) pub.outstanding += n;
    pub.client.write(out);
  }

  /** True when every subscriber has every message and no QoS 1/2 exchange is open. */
  done(): boolean {
    for (const p of this.pubs) {
      if (p.outstanding > 0) return false;
      if (this.slowest(p.index) < p.sent) return false;
    }
    return true;
  }

  drain(timeoutMs: number): Promise<boolean> {
    return drained(this, timeoutMs);
  }

  /** A client whose socket closed under us, if any. */
  broken(): string | null {
    for (const p of this.pubs) if (p.client.closed) return `publisher ${p.index} closed${p.client.error ? ': ' + p.client.error : ''}`;
    for (let i = 0; i < this.subs.length; i++) if (this.subs[i].client.closed) return `subscriber ${i} closed`;
    return null;
  }

  /** Unique deliveries so far, over all subscribers. */
  deliveredSoFar(): number {
    let n = 0;
    for (const s of this.subs) for (const t of s.tracks) n += t.unique;
    return n;
  }

  sentSoFar(): number {
    let n = 0;
    for (const p of this.pubs) n += p.sent;
    return n;
  }

  counts(): FlowCounts {
    let sent = 0;
    let unacked = 0;
    for (const p of this.pubs) {
      sent += p.sent;
      unacked += p.outstanding;
    }
    let delivered = 0;
    let received = 0;
    let duplicates = 0;
    let expected = 0;
    for (const s of this.subs) {
      received += s.received;
      for (let p = 0; p < s.tracks.length; p++) {
        const t = s.tracks[p];
        delivered += t.unique;
        duplicates += t.dups;
        expected += this.pubs[p].sent;
      }
    }
    return { sent, delivered, received, expected, lost: expected - delivered, duplicates, unacked };
  }

  close(): void {
    this.running = false;
    for (const p of this.pubs) p.client.close();
    for (const s of this.subs) s.client.close();
  }

  destroy(): void {
    for (const p of this.pubs) p.client.destroy();
    for (const s of this.subs) s.client.destroy();
  }
}

/** Waits until `load.done()`: false at the timeout or when a client's socket closed. */
async function drained(load: { done(): boolean; broken(): string | null }, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!load.done()) {
    if (performance.now() > end) return false;
    if (load.broken() !== null) return false;
    await sleep(5);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface FleetSpec {
  clients: number;
  rate: number;                // PUBLISHes per second, per client
  payloadSize: number;
  connectTimeoutMs: number;
}

/** One client of a fleet: it publishes to its own topic and hears its neighbour's. */
interface Device {
  index: number;
  client: Client;
  tpl: PublishTemplate;
  sent: number;
  outstanding: number;         // PUBLISHes not yet acknowledged by the broker
  nextId: number;
  heard: SeqTrack;             // what it received from client index + 1
  stray: number;               // PUBLISHes from any other publisher (none should come)
}

/** How often the fleet's pacing timer runs: often enough that no client is late by much. */
const FLEET_TICK_MS = 2;

/**
 * A fleet of devices, the peer-to-peer shape of IoT benchmarks: `clients` connections, client
 * i publishing QoS 1 to `fleet/<i>/state` at a fixed rate and subscribed at QoS 1 to
 * `fleet/<i+1>/state` (the last to the first's). The load is open-loop: message m of the
 * whole fleet is due at m / (clients x rate) s after start(), sent by client m mod clients,
 * so the clients take turns evenly and a slow broker does not slow the offered load (its
 * queues show in the latency). Each message carries its publisher, sequence number and send
 * time (mqtt-frames.ts); every delivery is checked against the one publisher it may come from.
 */
export class Fleet {
  readonly spec: FleetSpec;
  private devices: Device[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private due = 0;             // messages of the whole fleet sent since start()
  /** Latency samples (ms) while `sampleLatency` is set: one per delivery. */
  latencies: number[] = [];
  sampleLatency = false;

  constructor(spec: FleetSpec) {
    this.spec = spec;
  }

  /** Connects every client, then subscribes each to its neighbour's topic (all SUBACKed before any publish). */
  async open(port: number): Promise<void> {
    const s = this.spec;
    const n = s.clients;
    const clients = await many(n, 100, (i) => Client.connect(port, `fleet-${i}`, 4, 60, s.connectTimeoutMs));
    for (let i = 0; i < n; i++) {
      const d: Device = {
        index: i, client: clients[i], tpl: publishTemplate(`fleet/${i}/state`, 1, false, 4, i, s.payloadSize),
        sent: 0, outstanding: 0, nextId: 1, heard: new SeqTrack(), stray: 0,
      };
      this.devices.push(d);
      const from = (i + 1) % n;
      d.client.onPublish = (c, b, at, qos, id) => {
        if (b.readUInt32BE(at) === from) d.heard.add(b.readUInt32BE(at + 4));
        else d.stray++;
        if (this.sampleLatency) this.latencies.push(performance.now() - b.readDoubleBE(at + 8));
        if (qos === 1) c.queueAck(PUBACK, id);
      };
      d.client.onAck = (_c, type) => {
        if (type === PUBACK) d.outstanding--;
      };
    }
    await many(n, 100, (i) => clients[i].subscribe(`fleet/${(i + 1) % n}/state`, 1, s.connectTimeoutMs));
  }

  start(): void {
    this.running = true;
    this.t0 = performance.now();
    this.due = 0;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (!this.running) return;
    const perMs = (this.spec.clients * this.spec.rate) / 1000;
    const upTo = Math.floor((performance.now() - this.t0) * perMs) + 1;
    const devices = this.devices;
    while (this.due < upTo) {
      this.send(devices[this.due % devices.length]);
      this.due++;
    }
    this.timer = setTimeout(this.tick, FLEET_TICK_MS);
  };

  /** One PUBLISH in its own write, as a device sends it. */
  private send(d: Device): void {
    if (d.client.closed) return;
    const tpl = d.tpl;
    const out = Buffer.allocUnsafe(tpl.frame.length);
    tpl.frame.copy(out);
    out.writeUInt32BE(d.sent++, tpl.seqAt);
    out.writeDoubleBE(performance.now(), tpl.timeAt);
    const id = d.nextId;
    d.nextId = id === 65535 ? 1 : id + 1;
    out[tpl.idAt] = id >> 8;
    out[tpl.idAt + 1] = id & 0xff;
    d.outstanding++;
    d.client.write(out);
  }

  /** True when every message was delivered to its subscriber and acknowledged to its publisher. */
  done(): boolean {
    const devices = this.devices;
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i];
      if (d.outstanding > 0) return false;
      if (d.heard.unique < devices[(i + 1) % devices.length].sent) return false;
    }
    return true;
  }

  drain(timeoutMs: number): Promise<boolean> {
    return drained(this, timeoutMs);
  }

  broken(): string | null {
    for (const d of this.devices) if (d.client.closed) return `fleet client ${d.index} closed${d.client.error ? ': ' + d.client.error : ''}`;
    return null;
  }

  deliveredSoFar(): number {
    let n = 0;
    for (const d of this.devices) n += d.heard.unique;
    return n;
  }

  counts(): FlowCounts {
    const devices = this.devices;
    const c: FlowCounts = { sent: 0, delivered: 0, received: 0, expected: 0, lost: 0, duplicates: 0, unacked: 0 };
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i];
      const expected = devices[(i + 1) % devices.length].sent;
      c.sent += d.sent;
      c.unacked += d.outstanding;
      c.expected += expected;
      c.delivered += d.heard.unique;
      c.received += d.heard.unique + d.heard.dups + d.stray;
      c.duplicates += d.heard.dups + d.stray;
    }
    c.lost = c.expected - c.delivered;
    return c;
  }

  close(): void {
    this.stop();
    for (const d of this.devices) d.client.close();
  }
}
