// npm run bench:core            (all scenarios)
// npm run bench:core -- qos0 qos0-fanout      (only the scenarios named, e.g. under --cpu-prof)
//
// The broker core on its own: no sockets, no timers. A benchmark, not a test: it prints
// figures and asserts nothing about time. It does count every PUBLISH each subscriber was
// handed and prints how many were lost, because a fast broker that loses messages has
// measured nothing.
//
// How a scenario is driven, top to bottom:
//   1. a broker with big limits and a fake clock (broker.tick once per round)
//   2. every client gets a null transport (write() counts bytes and frames, returns true)
//      and is connected by feeding real CONNECT bytes to connection.receive, then
//      subscribed by feeding real SUBSCRIBE bytes; the input bytes are mqtt-packet's
//      encoding, so our own encoder is not what we feed ourselves
//   3. publishes are pre-encoded: 1000 PUBLISH frames concatenated in one chunk, fed with
//      one receive() call, as a socket read would hand them over
//   4. QoS 1/2: the null transports read the fixed header and packet id of what the
//      broker wrote and queue the client's answer (PUBACK; PUBREC, then PUBCOMP after
//      the broker's PUBREL; a publisher's PUBREL after the broker's PUBREC); the answers
//      are fed back in one chunk per client until nothing is outstanding
//   5. msgs/s: median of 5 rounds of at least 0.5 s wall time each, after a warm-up;
//      msgs/s counts PUBLISH packets in, deliveries/s PUBLISH packets out
//   6. bytes alloc/msg: growth of the JS heap and of ArrayBuffer backing stores over a
//      batch of routed messages after gc(), with a batch small enough that no GC runs
//      inside it (watched by a PerformanceObserver on 'gc' entries; halved and retried
//      when one does; "n/a" when no clean reading), per published message
//   7. the check: PUBLISH frames each subscriber's transport received against the number
//      the scenario must deliver; for QoS 1/2 also every publish acknowledged

import * as mqttPacket from 'mqtt-packet';
import { execFileSync } from 'node:child_process';
import { createBroker } from '../../core/index.js';
import type { Broker, BrokerOptions, Connection, Transport } from '../../core/index.js';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { canMeasureAllocation, formatRate, machineFacts, median, printTable } from './measure.js';

const ROUNDS = 5;
const ROUND_MS = 500;            // each round runs whole calls until at least this much wall time
const WARMUP_MS = 300;
const MSGS_PER_CHUNK = 1000;     // PUBLISH frames per receive() call
const PAYLOAD = payloadOf(64);

const OPTIONS: BrokerOptions = {
  maxInflight: 100,
  maxQueued: 10000,
  maxQueuedBytes: 64 << 20,      // the backlog bound, as large as maxOutboundBytes: nothing is dropped here
  maxOutboundBytes: 64 << 20,
  maxConnections: 200000,
  maxSubscriptionsPerClient: 100000,   // one subscriber on every topic (topics100k-1sub)
  sysIntervalMs: 0,
  matchCacheSize: 4096,
  slabSize: 65536,   // frames from shared slabs, as the Node port runs the core
  // A QoS 2 publisher here has a whole chunk (1000 PUBLISHes) awaiting PUBREL at once;
  // the default window (16) would rightly disconnect it.
  maxInflightIn: MSGS_PER_CHUNK,
};

function payloadOf(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

// ---- the null transport -------------------------------------------------------------

// What a client does with what the broker sends it.
const NO_ACKS = 0;          // QoS 0 subscriber, or a QoS 1 publisher (PUBACKs are only counted)
const SUBSCRIBER_QOS1 = 1;  // PUBLISH -> PUBACK
const SUBSCRIBER_QOS2 = 2;  // PUBLISH -> PUBREC, PUBREL -> PUBCOMP
const PUBLISHER_QOS2 = 3;   // PUBREC -> PUBREL

const T_PUBLISH = 3, T_PUBACK = 4, T_PUBREC = 5, T_PUBREL = 6, T_PUBCOMP = 7;

// Counts what the broker writes, frame by frame, reading only fixed headers (and packet
// ids where an answer is due). The core hands over whole frames today; a frame handed
// over in pieces (design.md §1 allows it) is joined here, slowly, and counted.
class NullTransport implements Transport {
  bytes = 0;
  writes = 0;
  types = new Uint32Array(16);     // frames seen, by packet type
  control: Uint8Array[] = [];      // copies of CONNACK, SUBACK, DISCONNECT ... (setup checks)
  closed = false;
  piecewise = 0;                   // writes that did not end on a frame boundary
  private carry: Uint8Array | null = null;
  private mode: number;
  private acks: Uint8Array;        // answers to feed back, 4 bytes each
  private spare: Uint8Array;
  private ackLen = 0;

  constructor(mode: number) {
    this.mode = mode;
    const size = mode === NO_ACKS ? 0 : 4 * MSGS_PER_CHUNK + 64;
    this.acks = new Uint8Array(size);
    this.spare = new Uint8Array(size);
  }

  write(frame: Uint8Array): boolean {
    this.bytes += frame.length;
    this.writes++;
    // The usual case: one whole frame with a one-byte Remaining Length.
    if (this.carry === null && frame.length >= 2 && frame[1] < 0x80 && frame[1] + 2 === frame.length) {
      this.frame(frame, 0, 2, frame.length);
      return true;
    }
    if (this.carry === null) {
      const used = this.scan(frame);
      if (used < frame.length) {
        this.piecewise++;
        this.carry = frame.slice(used);
      }
    } else {
      const joined = new Uint8Array(this.carry.length + frame.length);
      joined.set(this.carry, 0);
      joined.set(frame, this.carry.length);
      const used = this.scan(joined);
      this.carry = used < joined.length ? joined.slice(used) : null;
    }
    return true;
  }

  close(): void {
    this.closed = true;
  }

  // Handles the whole frames in `b`; returns how many bytes they took.
  private scan(b: Uint8Array): number {
    let off = 0;
    while (off < b.length) {
      let p = off + 1;
      let len = 0;
      let mul = 1;
      for (;;) {
        if (p >= b.length) return off;
        const d = b[p++];
        len += (d & 0x7f) * mul;
        mul *= 128;
        if (d < 0x80) break;
      }
      if (p + len > b.length) return off;
      this.frame(b, off, p, p + len);
      off = p + len;
    }
    return off;
  }

  // One frame: b[at] is its first byte, its variable header starts at `body`.
  private frame(b: Uint8Array, at: number, body: number, end: number): void {
    const type = b[at] >> 4;
    this.types[type]++;
    if (type === T_PUBLISH) {
      if (this.mode === SUBSCRIBER_QOS1 || this.mode === SUBSCRIBER_QOS2) {
        const qos = (b[at] >> 1) & 3;
        if (qos === 0) return;
        const id = body + 2 + ((b[body] << 8) | b[body + 1]);
        this.answer(qos === 1 ? 0x40 : 0x50, b[id], b[id + 1]);
      }
    } else if (type === T_PUBREL) {
      if (this.mode === SUBSCRIBER_QOS2) this.answer(0x70, b[body], b[body + 1]);
    } else if (type === T_PUBREC) {
      if (this.mode === PUBLISHER_QOS2) this.answer(0x62, b[body], b[body + 1]);
    } else if (type !== T_PUBACK && type !== T_PUBCOMP) {
      this.control.push(b.slice(at, end));
    }
  }

  private answer(first: number, idHigh: number, idLow: number): void {
    if (this.ackLen + 4 > this.acks.length) {
      const bigger = new Uint8Array(this.acks.length * 2);
      bigger.set(this.acks.subarray(0, this.ackLen), 0);
      this.acks = bigger;
    }
    const a = this.acks;
    const n = this.ackLen;
    a[n] = first;
    a[n + 1] = 2;
    a[n + 2] = idHigh;
    a[n + 3] = idLow;
    this.ackLen = n + 4;
  }

  // Feeds the queued answers to the broker in one chunk (answers that this provokes are
  // collected in the other buffer and fed next). Returns whether anything was fed.
  flush(c: Connection): boolean {
    if (this.ackLen === 0) return false;
    while (this.ackLen > 0) {
      const chunk = this.acks;
      const n = this.ackLen;
      this.acks = this.spare.length >= chunk.length ? this.spare : new Uint8Array(chunk.length);
      this.spare = chunk;
      this.ackLen = 0;
      c.receive(chunk.subarray(0, n), 0);
    }
    return true;
  }
}

// ---- clients --------------------------------------------------------------------------

interface Client {
  id: string;
  transport: NullTransport;
  connection: Connection;
}

function connectClient(broker: Broker, id: string, version: 4 | 5, mode: number): Client {
  const transport = new NullTransport(mode);
  const connection = broker.connect(transport, 0);
  connection.receive(mqttPacket.generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId: id, keepalive: 0,
  }, { protocolVersion: version }), 0);
  const connack = transport.control.shift();
  // CONNACK: 0x20, remaining length, flags, return/reason code (3.1.1 §3.2, 5.0 §3.2).
  if (connack === undefined || connack[0] !== 0x20 || connack[3] !== 0) {
    throw new Error(`${id}: CONNECT not accepted: ${connack === undefined ? 'no answer' : Buffer.from(connack).toString('hex')}`);
  }
  return { id, transport, connection };
}

function subscribe(c: Client, filter: string, qos: 0 | 1 | 2, version: 4 | 5): void {
  c.connection.receive(mqttPacket.generate({
    cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }],
  } as mqttPacket.ISubscribePacket, { protocolVersion: version }), 0);
  const suback = c.transport.control.shift();
  // SUBACK: 0x90, remaining length, packet id, (5.0: property length 0), one code.
  const code = suback === undefined ? -1 : suback[suback.length - 1];
  if (suback === undefined || suback[0] !== 0x90 || code !== qos) {
    throw new Error(`${c.id}: SUBSCRIBE ${filter} not granted QoS ${qos}: ${suback === undefined ? 'no answer' : Buffer.from(suback).toString('hex')}`);
  }
}

// 1000 PUBLISH frames back to back; topics[i % topics.length] for the i-th.
function publishChunk(topics: string[], qos: 0 | 1 | 2, version: 4 | 5): Uint8Array {
  const frames: Buffer[] = [];
  for (let i = 0; i < MSGS_PER_CHUNK; i++) {
    frames.push(mqttPacket.generate({
      cmd: 'publish', topic: topics[i % topics.length], payload: PAYLOAD, qos, retain: false, dup: false,
      messageId: qos > 0 ? i + 1 : undefined,
    }, { protocolVersion: version }));
  }
  return new Uint8Array(Buffer.concat(frames));
}

// ---- scenarios --------------------------------------------------------------------------

interface Feed {
  publisher: number;      // index into the publishers
  topics: string[];       // the chunk's topics, used in turn
  matches: number;        // subscribers each of these messages must reach
}

interface Spec {
  id: string;             // for the command line
  title: string;
  version: 4 | 5;
  qos: 0 | 1 | 2;         // of every PUBLISH and every subscription
  filters: Array<string | string[]>;   // one subscriber per entry, with that filter or those filters
  publishers: number;
  feeds: Feed[];          // one receive() call each, in turn
  allocCalls: number;     // calls in the first allocation batch tried
}

interface World {
  broker: Broker;
  run: () => number;      // one chunk in and every acknowledgement settled; returns messages
  published: number;      // PUBLISH packets fed
  expected: number;       // PUBLISH packets the subscribers must have been handed
  subscribers: Client[];
  publishers: Client[];
  now: number;
}

function build(spec: Spec): World {
  const broker = createBroker(OPTIONS, {}, 0);
  const subMode = spec.qos === 1 ? SUBSCRIBER_QOS1 : spec.qos === 2 ? SUBSCRIBER_QOS2 : NO_ACKS;
  const pubMode = spec.qos === 2 ? PUBLISHER_QOS2 : NO_ACKS;
  const subscribers: Client[] = [];
  for (let i = 0; i < spec.filters.length; i++) {
    const c = connectClient(broker, 'sub-' + i, spec.version, subMode);
    const f = spec.filters[i];
    if (typeof f === 'string') subscribe(c, f, spec.qos, spec.version);
    else for (let k = 0; k < f.length; k++) subscribe(c, f[k], spec.qos, spec.version);
    subscribers.push(c);
  }
  const publishers: Client[] = [];
  for (let i = 0; i < spec.publishers; i++) publishers.push(connectClient(broker, 'pub-' + i, spec.version, pubMode));

  const conns: Connection[] = [];
  const chunks: Uint8Array[] = [];
  const deliveries: number[] = [];
  for (const f of spec.feeds) {
    conns.push(publishers[f.publisher].connection);
    chunks.push(publishChunk(f.topics, spec.qos, spec.version));
    deliveries.push(f.matches * MSGS_PER_CHUNK);
  }
  // The clients that answer: every subscriber and publisher for QoS 2, subscribers for QoS 1.
  const ackers: Client[] = spec.qos === 0 ? [] : spec.qos === 1 ? subscribers.slice() : subscribers.concat(publishers);

  const world: World = { broker, run: () => 0, published: 0, expected: 0, subscribers, publishers, now: 0 };
  let next = 0;
  world.run = function run(): number {
    const i = next;
    next = i + 1 === chunks.length ? 0 : i + 1;
    conns[i].receive(chunks[i], world.now);
    world.published += MSGS_PER_CHUNK;
    world.expected += deliveries[i];
    let busy = ackers.length > 0;
    while (busy) {
      busy = false;
      for (let k = 0; k < ackers.length; k++) if (ackers[k].transport.flush(ackers[k].connection)) busy = true;
    }
    return MSGS_PER_CHUNK;
  };
  return world;
}

function range<T>(n: number, f: (i: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(f(i));
  return out;
}

function oneToOne(id: string, title: string, qos: 0 | 1 | 2, version: 4 | 5): Spec {
  return {
    id, title, version, qos, filters: ['bench/one'], publishers: 1,
    feeds: [{ publisher: 0, topics: ['bench/one'], matches: 1 }], allocCalls: 8,
  };
}

function distinctTopics(id: string, title: string, subscribers: number, spread: boolean, oneSubscriber = false): Spec {
  const all = range(subscribers, (i) => `dev/${i}/temp`);
  const filters: Array<string | string[]> = oneSubscriber ? [all] : all;
  // One topic (one match, cached after the first), or every topic in turn (one match each;
  // more topics than the match cache holds, so the topic tree is walked).
  const feeds: Feed[] = spread
    ? range(subscribers / MSGS_PER_CHUNK, (c) => ({
      publisher: 0, topics: range(MSGS_PER_CHUNK, (i) => `dev/${c * MSGS_PER_CHUNK + i}/temp`), matches: 1,
    }))
    : [{ publisher: 0, topics: [`dev/${subscribers >> 1}/temp`], matches: 1 }];
  return { id, title, version: 4, qos: 0, filters, publishers: 1, feeds, allocCalls: 8 };
}

const SCENARIOS: Spec[] = [
  oneToOne('qos0', 'QoS 0, 1 -> 1', 0, 4),
  {
    id: 'qos0-fanout', title: 'QoS 0, fan-out 1 -> 100', version: 4, qos: 0,
    filters: range(100, () => 'bench/fan/out'), publishers: 1,
    feeds: [{ publisher: 0, topics: ['bench/fan/out'], matches: 100 }], allocCalls: 1,
  },
  {
    id: 'qos0-fanin', title: 'QoS 0, fan-in 100 -> 1 (bench/+/data)', version: 4, qos: 0,
    filters: ['bench/+/data'], publishers: 100,
    feeds: range(100, (i) => ({ publisher: i, topics: [`bench/${i}/data`], matches: 1 })),
    allocCalls: 8,
  },
  oneToOne('qos1', 'QoS 1, 1 -> 1', 1, 4),
  oneToOne('qos2', 'QoS 2, 1 -> 1', 2, 4),
  distinctTopics('subs10', '10 subscribers on dev/<i>/temp, 1 match', 10, false),
  distinctTopics('subs10k', '10,000 subscribers on dev/<i>/temp, 1 match', 10000, false),
  distinctTopics('subs10k-spread', '10,000 subscribers, publishes over all 10,000 topics', 10000, true),
  distinctTopics('subs100k', '100,000 subscribers on dev/<i>/temp, 1 match', 100000, false),
  distinctTopics('subs100k-spread', '100,000 subscribers, publishes over all 100,000 topics', 100000, true),
  // The same topics with one subscriber on all of them: the cost of many topics without
  // that of many subscribers (each message to another client's session, out of the CPU's caches).
  distinctTopics('topics100k-1sub', '1 subscriber on 100,000 topics, publishes over all of them', 100000, true, true),
  oneToOne('qos0-v5', 'QoS 0, 1 -> 1, MQTT 5', 0, 5),
];

// ---- measuring ----------------------------------------------------------------------------

interface Result {
  spec: Spec;
  rate: number;             // messages/s, median of the rounds
  rounds: number[];
  deliveriesPerMsg: number;
  allocPerMsg: number | null;  // JS heap + ArrayBuffer backing stores
  allocHeap: number;           // of which JS heap
  allocMsgs: number;
  check: string;
  lost: number;
  setupMs: number;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') g();
}

// Calls `run` until `ms` of wall time has passed; messages per second of CPU time
// (user + system of this process: other processes on the machine do not count).
function round(w: World, ms: number): number {
  w.now += 1000;
  w.broker.timeout(w.now);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let msgs = 0;
  do {
    msgs += w.run();
  } while (performance.now() - t0 < ms);
  const c = process.cpuUsage(c0);
  return (msgs * 1e6) / Math.max(1, c.user + c.system);
}

// Bytes allocated per message by `run`: growth of the JS heap (heapUsed) plus growth of
// ArrayBuffer backing stores (memoryUsage().arrayBuffers: a Uint8Array of more than 64
// bytes keeps its bytes outside the JS heap, so heapUsed alone misses an encoded frame),
// over `calls` calls after a full gc(), minus the same readings around an empty loop. A
// batch during which a GC started (seen by a PerformanceObserver on 'gc' entries) is
// useless: it is halved and tried again. null when there is no gc() or no clean batch.
interface Allocated { heap: number; buffers: number; msgs: number }

async function allocated(run: () => number, calls: number): Promise<Allocated | null> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g !== 'function') return null;
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const empty = () => 0;
  async function growth(fn: () => number, n: number): Promise<{ heap: number; buffers: number; msgs: number } | null> {
    g!();
    g!();
    await settle();                         // gc entries of the gc() calls above arrive first
    const t0 = performance.now();
    const m0 = process.memoryUsage();
    let msgs = 0;
    for (let i = 0; i < n; i++) msgs += fn();
    const m1 = process.memoryUsage();
    const t1 = performance.now();
    await settle();                         // gc entries are delivered asynchronously
    for (const t of gcStarts) if (t >= t0 && t <= t1) return null;
    return { heap: m1.heapUsed - m0.heapUsed, buffers: m1.arrayBuffers - m0.arrayBuffers, msgs };
  }
  try {
    for (let n = calls; n >= 1; n = n >> 1) {
      const base = await growth(empty, n);
      const used = await growth(run, n);
      if (base !== null && used !== null) {
        return { heap: (used.heap - base.heap) / used.msgs, buffers: (used.buffers - base.buffers) / used.msgs, msgs: used.msgs };
      }
    }
    return null;
  } finally {
    observer.disconnect();
  }
}

// Lost, duplicated and unacknowledged messages, dropped ones, closed connections.
function verify(spec: Spec, w: World): { text: string; lost: number } {
  let received = 0;
  let piecewise = 0;
  const problems: string[] = [];
  for (const s of w.subscribers) {
    received += s.transport.types[T_PUBLISH];
    piecewise += s.transport.piecewise;
  }
  const lost = w.expected - received;
  const parts = [`lost: ${lost > 0 ? lost : 0}`];
  if (lost < 0) parts.push(`extra deliveries: ${-lost}`);
  if (spec.qos > 0) {
    let acked = 0;
    for (const p of w.publishers) acked += p.transport.types[spec.qos === 1 ? T_PUBACK : T_PUBCOMP];
    parts.push(`unacknowledged: ${w.published - acked}`);
    let open = 0;
    for (const s of w.subscribers) {
      const session = s.connection.session;
      if (session !== null) open += session.inflight.length + session.queue.length;
    }
    if (open > 0) problems.push(`${open} still in flight or queued`);
  }
  if (w.broker.stats.dropped > 0) problems.push(`dropped (broker stats): ${w.broker.stats.dropped}`);
  let closed = 0;
  let control = 0;
  for (const c of w.subscribers.concat(w.publishers)) {
    if (c.transport.closed) closed++;
    control += c.transport.control.length;
  }
  if (closed > 0) problems.push(`connections closed: ${closed}`);
  if (control > 0) problems.push(`unexpected packets from the broker: ${control}`);
  if (piecewise > 0) problems.push(`frames written in pieces: ${piecewise}`);
  return { text: parts.concat(problems).join(', ') + ` (of ${w.expected} deliveries)`, lost: lost > 0 ? lost : 0 };
}

async function measure(spec: Spec): Promise<Result> {
  gc();
  const t0 = performance.now();
  const w = build(spec);
  const setupMs = performance.now() - t0;
  const deliveriesPerMsg = spec.feeds.reduce((n, f) => n + f.matches, 0) / spec.feeds.length;

  round(w, WARMUP_MS);
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(round(w, ROUND_MS));

  const a = await allocated(w.run, spec.allocCalls);
  const check = verify(spec, w);
  return {
    spec, rate: median(rounds), rounds, deliveriesPerMsg,
    allocPerMsg: a === null ? null : a.heap + a.buffers, allocHeap: a === null ? 0 : a.heap, allocMsgs: a === null ? 0 : a.msgs,
    check: check.text, lost: check.lost, setupMs,
  };
}

function bytes(b: number | null): string {
  if (b === null) return 'n/a';
  return (b < 0 && b > -1 ? 0 : b).toFixed(b < 10 ? 1 : 0) + ' B';
}

function spread(rounds: number[], mid: number): string {
  let worst = 0;
  for (const v of rounds) worst = Math.max(worst, Math.abs(v - mid));
  return '±' + ((100 * worst) / mid).toFixed(0) + '%';
}

// The commit measured, and whether the working tree differs from it (core/ only).
function codeVersion(): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: new URL('../..', import.meta.url), encoding: 'utf8' }).trim();
    const head = git(['log', '-1', '--format=%h %s']);
    const dirty = git(['status', '--porcelain', '--', 'core']);
    return head + (dirty === '' ? '' : ' (+ uncommitted changes in core/)');
  } catch {
    return 'unknown (no git)';
  }
}

// ---- the run ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => wanted.includes(s.id));
  if (chosen.length === 0) {
    console.log('no such scenario; scenarios: ' + SCENARIOS.map((s) => s.id).join(' '));
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  console.log('ganglion broker core benchmark (null transports, fake clock, no sockets)');
  console.log(machineFacts());
  console.log(`code:    ${codeVersion()}`);
  console.log(`method:  ${MSGS_PER_CHUNK} PUBLISH frames (64-byte payload, mqtt-packet's encoding) per receive(); msgs/s = median`);
  console.log(`         of ${ROUNDS} rounds of >= ${ROUND_MS} ms wall time after ${WARMUP_MS} ms warm-up, per second of process CPU time;`);
  console.log('         QoS 1/2 include the whole handshake on both sides; alloc = bytes allocated per published message');
  console.log(`         (JS heap + ArrayBuffer backing stores) over a batch with no GC inside it${canMeasureAllocation() ? '' : ' (n/a: run with node --expose-gc)'}`);
  console.log(`broker:  ${JSON.stringify(OPTIONS)}`);
  console.log('');

  const results: Result[] = [];
  for (const spec of chosen) {
    const r = await measure(spec);
    results.push(r);
    console.log(`${spec.id.padEnd(15)} ${spec.title}`);
    console.log(`${''.padEnd(15)} ${formatRate(r.rate)} msgs/s (${spread(r.rounds, r.rate)}; rounds ${r.rounds.map(formatRate).join(', ')})`);
    console.log(`${''.padEnd(15)} alloc ${bytes(r.allocPerMsg)}/msg` +
      `${r.allocPerMsg === null ? '' : ` (JS heap ${bytes(r.allocHeap)}, ArrayBuffer stores ${bytes(r.allocPerMsg - r.allocHeap)}; batch of ${r.allocMsgs} msgs)`}` +
      `, setup ${r.setupMs.toFixed(0)} ms`);
    console.log(`${''.padEnd(15)} ${r.check}`);
  }

  console.log('');
  const rows = [['scenario', 'msgs/s', 'deliveries/s', 'bytes alloc/msg', 'lost']];
  for (const r of results) {
    rows.push([r.spec.title, formatRate(r.rate), formatRate(r.rate * r.deliveriesPerMsg), bytes(r.allocPerMsg), String(r.lost)]);
  }
  printTable(rows);

  const few = results.find((r) => r.spec.id === 'subs10');
  const many = results.find((r) => r.spec.id === 'subs10k');
  const spreadOut = results.find((r) => r.spec.id === 'subs10k-spread');
  if (few && many) {
    console.log('');
    console.log('allocation against the number of subscriptions (one matching subscriber per message):');
    console.log(`  10 subscriptions:      ${bytes(few.allocPerMsg)}/msg`);
    console.log(`  10,000 subscriptions:  ${bytes(many.allocPerMsg)}/msg`);
    if (spreadOut) console.log(`  10,000, every topic:   ${bytes(spreadOut.allocPerMsg)}/msg (every message to another topic and subscriber)`);
    const hundred = results.find((r) => r.spec.id === 'subs100k-spread');
    if (hundred) console.log(`  100,000, every topic:  ${bytes(hundred.allocPerMsg)}/msg`);
    if (few.allocPerMsg !== null && many.allocPerMsg !== null) {
      const d = many.allocPerMsg - few.allocPerMsg;
      const grows = d > 16 && d > 0.1 * Math.max(1, few.allocPerMsg);
      console.log(`  -> ${grows ? 'grows' : 'does not grow'} with the number of subscriptions (difference ${d.toFixed(1)} B/msg)`);
    }
  }
  // Issue 20: many distinct topics within 1.5x of one topic, no cliff past the cache.
  const single = results.find((r) => r.spec.id === 'subs100k');
  const cycling = results.find((r) => r.spec.id === 'subs100k-spread');
  if (single && cycling) {
    console.log('');
    console.log(`many topics: 100,000 topics in turn ${formatRate(cycling.rate)} msgs/s against one topic ${formatRate(single.rate)}: ${(single.rate / cycling.rate).toFixed(2)}x slower (target: at most 1.5x)`);
    const one = results.find((r) => r.spec.id === 'topics100k-1sub');
    if (one) console.log(`  the same topics, one subscriber on all: ${formatRate(one.rate)} msgs/s, ${(single.rate / one.rate).toFixed(2)}x slower than one topic`);
  }
  const lost = results.reduce((n, r) => n + r.lost, 0);
  console.log('');
  console.log(`lost: ${lost}${lost > 0 ? '  <-- MESSAGES WERE LOST: the figures above are not valid' : ''}`);
  console.log(`total time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
