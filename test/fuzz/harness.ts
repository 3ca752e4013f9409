// The whole-core fuzzer (issue 13 §1): the real Broker with fake transports and the fake
// clock (test/helpers/rig.ts), no sockets. Each session opens one to three attacking
// connections (3.1, 3.1.1 or 5.0, some sharing a client id) and plays a script of steps
// from generator.ts: packets of every type in every connection state, mostly valid then
// mutated, split into chunks; the clock moved; peers dropped; transports full and drained;
// hooks that answer at once, late (after the connection went, too), throw or reject; the
// in-process API. After every step:
//   - nothing was thrown out of the core (every call into it is wrapped here);
//   - nothing the core logged as an internal error, except the faults injected here, and no
//     log line long enough to hold a peer's string whole;
//   - what each attacker received decodes, fits its Maximum Packet Size, has one CONNACK at
//     most, reason codes valid for the packet and version, and a connection that was sent a
//     DISCONNECT or a refusing CONNACK is closed, with nothing after it;
//   - a connection is closed, or open and known to the broker (counts agree);
//   - a canary publisher/subscriber pair on other connections still routes;
//   - memory held is within the options: queues, windows, QoS 2 ids, subscriptions,
//     sessions, bytes queued for absent clients, retained messages, topic aliases, bytes
//     queued per connection, held publishers.
// A failure names its run seed, the session that made its broker and its own session: `npm
// run fuzz -- --seed S --from W --to I` plays that broker's sessions again, tracing the last.
import { Decoder } from '../../core/index.js';
import type { BrokerOptions, Connection, Hooks, Packet } from '../../core/index.js';
import { Rig } from '../helpers/rig.js';
import type { Client } from '../helpers/rig.js';
import { Rng, anyPacket, chunks, connectPacket, encoded, hugeStringPacket, mutate, sessionSeed, topicFilter, topicName } from './generator.js';

const INJECTED = 'fuzz-injected';

// Two sets of limits, both small, so that sessions reach them.
const OPTIONS: BrokerOptions[] = [
  {
    maxConnections: 6, maxPacketSize: 8192, maxSubscriptionsPerClient: 4, maxInflight: 2, maxInflightIn: 2,
    maxQueued: 4, maxOutboundBytes: 2048, maxRetainedCount: 8, maxRetainedBytes: 4096, topicAliasMaximum: 4,
    connectTimeoutMs: 2000, maxSessionExpirySeconds: 60, sysIntervalMs: 15000, holdTimeoutMs: 3000, matchCacheSize: 4,
  },
  {
    maxConnections: 10, maxPacketSize: 2048, maxSubscriptionsPerClient: 8, maxInflight: 4, maxInflightIn: 4,
    maxQueued: 8, maxOutboundBytes: 4096, maxRetainedCount: 4, maxRetainedBytes: 1024, topicAliasMaximum: 2,
    topicAliasesOut: 2, queueQoS0Offline: true, connectTimeoutMs: 5000, maxSessionExpirySeconds: 3600,
    sysIntervalMs: 0, holdTimeoutMs: 1000, slabSize: 4096, retainAvailable: false, maximumQoS: 1,
  },
  {
    // The Node port's packet size (1 MiB): strings of 65,535 bytes get through the fixed header.
    maxConnections: 8, maxPacketSize: 1 << 20, maxSubscriptionsPerClient: 4, maxInflight: 2, maxInflightIn: 2,
    maxQueued: 4, maxOutboundBytes: 1 << 16, maxRetainedCount: 4, maxRetainedBytes: 1 << 17, topicAliasMaximum: 8,
    topicAliasesOut: 4, connectTimeoutMs: 2000, sysIntervalMs: 20000, holdTimeoutMs: 2000,
  },
];

// Reason codes a server may put in each packet (5.0 §2.4 table), and 3.x CONNACK return codes.
const DISCONNECT_RC = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94,
  0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2];
const CONNACK_RC5 = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95,
  0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f];
const SUBACK_RC5 = [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2];

export interface Failure { runSeed: number; worldStart: number; session: number; step: number; what: string }

export interface Report {
  inputs: number;
  sessions: number;
  states: number;          // distinct (version, connection state, packet type fed) and outcomes seen
  injected: number;        // faults the hooks were made to throw or reject
  faultsCaught: number;    // stats.errors summed over the brokers
  failures: Failure[];
  elapsedMs: number;
  maxOutboundBytes: number;   // the most bytes the core held for one connection
}

interface Deferred { resolve: (v: unknown) => void; reject: (e: unknown) => void; value: unknown }

interface Attacker {
  name: string;
  client: Client;
  bytes: number[];          // received and not yet decoded (the version is known once the broker read the CONNECT)
  decoder: Decoder | null;
  connacks: number;
  ended: boolean;           // a DISCONNECT or refusing CONNACK was received: nothing may follow
  sentConnect: boolean;
}

/** One broker with its canaries and hooks; many sessions run against it before it is renewed. */
class World {
  rig: Rig;
  rng: Rng;
  pending: Deferred[] = [];
  injected = 0;
  canaryCount = 0;
  problems: string[] = [];
  mode: number;             // how the hooks answer: 0 at once, 1 sometimes late, 2 late, throwing and rejecting too
  options: BrokerOptions;

  constructor(rng: Rng) {
    this.rng = rng;
    this.mode = rng.int(3);
    this.options = rng.pick(OPTIONS);
    const self = this;
    const hooks: Partial<Hooks> = {
      log(_c, line) {
        if (line.indexOf('internal error') >= 0) {
          if (line.indexOf(INJECTED) < 0) self.problems.push('core fault: ' + line.slice(0, 2000));
        } else if (line.length > 400) {
          self.problems.push('a log line of ' + line.length + ' characters (peer data not cut): ' + line.slice(0, 200));
        }
      },
      authenticate(c, username) { return self.answer(c, username !== 'admin'); },
      authorizePublish(c, topic) { return self.answer(c, topic !== 'q'); },
      authorizeSubscribe(c, filter) { return self.answer(c, filter !== 'q'); },
      authorizeRead(clientId, _u, topic) {
        if (clientId.slice(0, 6) === 'canary') return true;
        if (self.mode === 2 && self.rng.chance(0.002)) { self.injected++; throw new Error(INJECTED + ' authorizeRead'); }
        return topic !== 'x/y';
      },
      authenticateEnhanced(c, _m, data) {
        const rc = data !== null && data.length > 0 && data[0] % 3 === 0 ? 0x87 : self.rng.pick([0x00, 0x18]);
        return self.answer(c, { reasonCode: rc, data: new Uint8Array([1]) });
      },
      connected(c) { self.maybeThrow(c, 'connected'); },
      disconnected(c) { self.maybeThrow(c, 'disconnected'); },
    };
    this.rig = new Rig(this.options, hooks);
    this.rig.connected('canary-s');
    this.rig.subscribe('canary-s', 'canary/t', 1);
    this.rig.connected('canary-p');
  }

  private isCanary(c: Connection): boolean {
    return c.clientId.slice(0, 6) === 'canary';
  }

  /** A hook's answer: at once, or a Promise the session settles later, or a throw. */
  answer<T>(c: Connection, value: T): T | Promise<T> {
    if (this.isCanary(c) || this.mode === 0) return value;
    const roll = this.rng.int(100);
    if (this.mode === 2 && roll < 3) { this.injected++; throw new Error(INJECTED + ' hook'); }
    if (roll < (this.mode === 2 ? 30 : 10)) {
      const self = this;
      return new Promise<T>(function (resolve, reject) { self.pending.push({ resolve: resolve as (v: unknown) => void, reject, value }); });
    }
    return value;
  }

  maybeThrow(c: Connection, hook: string): void {
    if (this.mode === 2 && !this.isCanary(c) && this.rng.chance(0.03)) { this.injected++; throw new Error(INJECTED + ' ' + hook); }
  }

  /** Answers some (or all) late hooks: mostly as asked, sometimes by rejecting. */
  settle(all: boolean): number {
    let n = 0;
    const keep: Deferred[] = [];
    for (const d of this.pending) {
      if (!all && this.rng.chance(0.5)) { keep.push(d); continue; }
      if (this.mode === 2 && this.rng.chance(0.15)) { this.injected++; d.reject(new Error(INJECTED + ' rejected')); }
      else d.resolve(d.value);
      n++;
    }
    this.pending = keep;
    return n;
  }

  canaryRoutes(): string | null {
    const t = this.rig;
    const payload = 'k' + (this.canaryCount++);
    t.publish('canary-p', 'canary/t', payload, 0);
    t.sent('canary-p');
    const got = t.received('canary-s');
    if (got.length !== 1 || got[0] !== payload) {
      const s = t.client('canary-s');
      const p = t.client('canary-p');
      return 'canary lost: sent ' + payload + ', received ' + JSON.stringify(got) + ' (subscriber ' +
        (s.transport.closed ? 'closed' : 'open, state ' + s.connection.state) + ', publisher ' + (p.transport.closed ? 'closed' : 'open, waiting ' + p.connection.waiting) + ')';
    }
    return null;
  }
}

/** States reached, as short names. */
class States {
  seen = new Map<string, true>();
  add(s: string): void { if (!this.seen.has(s)) this.seen.set(s, true); }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface RunOptions {
  seed: number;
  inputs: number;              // stop after this many steps (inputs to the core)
  sessionsPerBroker?: number;  // a fresh broker after this many sessions (default 50)
  from?: number;               // the first session to play (a broker is made for it)
  to?: number;                 // the last session to play; it is traced
  trace?: (line: string) => void;
  progress?: (r: Report) => void;
}

export async function run(o: RunOptions): Promise<Report> {
  const started = Date.now();
  const report: Report = { inputs: 0, sessions: 0, states: 0, injected: 0, faultsCaught: 0, failures: [], elapsedMs: 0, maxOutboundBytes: 0 };
  const states = new States();
  const perBroker = o.sessionsPerBroker ?? 50;
  let world: World | null = null;
  let worldStart = 0;
  let lastProgress = started;
  for (let i = o.from ?? 0; report.inputs < o.inputs && (o.to === undefined || i <= o.to); i++) {
    const seed = sessionSeed(o.seed, i);
    const rng = new Rng(seed);
    if (world === null || i % perBroker === 0) {
      if (world !== null) { report.injected += world.injected; report.faultsCaught += world.rig.broker.stats.errors; }
      world = new World(new Rng(seed ^ 0x5bd1e995));
      worldStart = i;
    }
    world.rng = rng;
    if (world.options.maxPacketSize === 1 << 20) rng.big = 0.011;
    const what = await session(world, rng, i, report, states, i === o.to ? o.trace : undefined);
    report.sessions++;
    if (what !== null) {
      report.failures.push({ runSeed: o.seed, worldStart, session: i, step: what[0], what: what[1] });
      world = null;   // a broker that failed is not trusted for the next session
      if (report.failures.length >= 5) break;
    }
    if (o.progress !== undefined && Date.now() - lastProgress > 5000) {
      lastProgress = Date.now();
      report.states = states.seen.size;
      report.elapsedMs = lastProgress - started;
      o.progress(report);
    }
  }
  if (world !== null) { report.injected += world.injected; report.faultsCaught += world.rig.broker.stats.errors; }
  report.states = states.seen.size;
  report.elapsedMs = Date.now() - started;
  return report;
}

async function session(w: World, r: Rng, index: number, report: Report, states: States, trace?: (line: string) => void): Promise<[number, string] | null> {
  const t = w.rig;
  const attackers: Attacker[] = [];
  const say = trace ?? ((): void => {});
  let step = 0;
  const fail = (what: string): [number, string] => [step, what];

  const open = (slot: number): Attacker => {
    const name = 'x' + index + '.' + slot + '.' + step;
    const client = t.open(name, r.pick([3, 4, 5, 5]));
    if (r.chance(0.3)) client.transport.full = true;
    return { name, client, bytes: [], decoder: null, connacks: 0, ended: false, sentConnect: false };
  };
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) attackers.push(open(k));

  // Calls into the core: anything thrown out of it is a failure.
  const core = (what: string, f: () => void): string | null => {
    try { f(); return null; } catch (e) { return 'thrown out of the core by ' + what + ': ' + String((e as Error)?.stack ?? e).slice(0, 1500); }
  };

  const steps = 5 + r.int(40);
  for (step = 0; step < steps; step++) {
    const a = r.pick(attackers);
    const c = a.client;
    const roll = r.int(100);
    let err: string | null = null;
    let settled = 0;
    if (roll < 62) {
      if (c.transport.paused && r.chance(0.9)) continue;   // a port stops reading when asked (rarely a few bytes still arrive)
      const version = c.version;
      let p: Packet;
      if (!a.sentConnect && r.chance(0.85)) { p = connectPacket(r, version).packet; a.sentConnect = true; }
      else if (r.big > 0.01 && r.chance(0.03)) p = hugeStringPacket(r, version);
      else p = anyPacket(r, version);
      let bytes = encoded(p, version);
      if (r.chance(0.3)) bytes = mutate(r, bytes, version);
      if (r.chance(0.03)) { bytes = new Uint8Array(1 + r.int(64)); for (let j = 0; j < bytes.length; j++) bytes[j] = r.int(256); }
      states.add('v' + version + ':s' + c.connection.state + ':t' + (bytes.length > 0 ? bytes[0] >> 4 : 'none'));
      say('feed ' + a.name + ' v' + version + ' state ' + c.connection.state + ': ' + hexOf(bytes));
      for (const chunk of chunks(r, bytes)) {
        err = core('receive', () => c.connection.receive(chunk, t.now));
        if (err !== null) break;
      }
    } else if (roll < 70) {
      const ms = r.pick([1, 100, 999, 1000, 1500, 2001, 5000, 61000]);
      say('advance ' + ms);
      err = core('tick', () => t.advance(ms));
    } else if (roll < 75) {
      say('drop ' + a.name);
      err = core('closed', () => c.connection.closed(t.now));
      if (r.chance(0.7)) attackers[attackers.indexOf(a)] = open(attackers.indexOf(a));
    } else if (roll < 80) {
      c.transport.full = !c.transport.full;
      say('full ' + a.name + ' ' + c.transport.full);
      if (!c.transport.full) err = core('writable', () => c.connection.writable(t.now));
    } else if (roll < 90) {
      settled = w.settle(r.chance(0.3));
      say('settle ' + settled);
    } else if (roll < 95) {
      const b = t.broker;
      const k = r.int(3);
      say('in-process ' + k);
      err = core('in-process API', () => {
        if (k === 0) b.publish(topicName(r), 'local', r.int(3) as 0 | 1 | 2, r.chance(0.3), t.now);
        else if (k === 1) { const s = b.subscribe(topicFilter(r), () => {}, t.now); if (r.chance(0.5)) s.unsubscribe(); }
        else b.publish('canary/other', 'x', 0, false, t.now);
      });
    } else {
      // A fresh attacker in the slot, the old one left as it is (it may still be open).
      attackers[attackers.indexOf(a)] = open(attackers.indexOf(a));
    }
    report.inputs++;
    if (settled > 0) await flush();
    if (err === null) err = check(w, attackers, states, report);
    if (err !== null) return fail(err);
  }
  // The end: every attacker goes, late answers come, the clock runs past every deadline.
  for (const a of attackers) {
    const err = core('closed', () => a.client.connection.closed(t.now));
    if (err !== null) return fail(err);
  }
  if (w.settle(true) > 0) await flush();
  const err = core('tick', () => { t.advance(4000); t.advance(70000); }) ?? check(w, attackers, states, report);
  if (err !== null) return fail(err);
  for (const a of attackers) t.clients.delete(a.name);
  return null;
}

function hexOf(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length && i < 64; i++) parts.push((b[i] < 16 ? '0' : '') + b[i].toString(16));
  return parts.join(' ') + (b.length > 64 ? ' ... (' + b.length + ' bytes)' : '');
}

/** Every invariant after a step; the first one broken, or null. */
function check(w: World, attackers: Attacker[], states: States, report: Report): string | null {
  if (w.problems.length > 0) return w.problems[0];
  const b = w.rig.broker;
  for (const a of attackers) {
    const err = checkOutput(a, states);
    if (err !== null) return a.name + ': ' + err;
  }
  const L = b.limits;
  if (b.connections.length !== b.connectionCount) return 'connectionCount ' + b.connectionCount + ' but ' + b.connections.length + ' connections';
  for (const c of b.connections) {
    if (c.state === 3) return 'a closed connection is still in the broker\'s list';
    if (c.outboundBytes > report.maxOutboundBytes) report.maxOutboundBytes = c.outboundBytes;
    // The core stops reading a client that does not read past maxOutboundBytes; what one
    // packet's answer adds on top is bounded by a packet (SUBACK, retained messages).
    if (c.outboundBytes > L.maxOutboundBytes + 2 * L.maxPacketSize) return 'outbound bytes ' + c.outboundBytes + ' over ' + L.maxOutboundBytes;
    if (c.topicAliases !== null && c.topicAliases.length > L.topicAliasMaximum + 1) return 'topic aliases ' + c.topicAliases.length;
  }
  for (const a of attackers) {
    const c = a.client.connection;
    if (a.client.transport.closed !== (c.state === 3)) return a.name + ': transport closed ' + a.client.transport.closed + ' but connection state ' + c.state;
    if (c.state !== 3 && b.connections.indexOf(c) < 0) return a.name + ': open but unknown to the broker';
  }
  let problem: string | null = null;
  b.sessions.forEach((s) => {
    if (problem !== null || s.local !== null) return;
    if (s.queue.length > L.maxQueued) problem = s.clientId + ': queue ' + s.queue.length;
    else if (s.inflight.length > L.maxInflight) problem = s.clientId + ': in flight ' + s.inflight.length;
    else if (s.subscriptionCount > L.maxSubscriptionsPerClient) problem = s.clientId + ': subscriptions ' + s.subscriptionCount;
    else if (s.awaitingRelease !== null && s.awaitingRelease.size > L.maxInflightIn) problem = s.clientId + ': QoS 2 ids ' + s.awaitingRelease.size;
    else if (s.connection !== null && s.connection.state === 3) problem = s.clientId + ': session held by a closed connection';
  });
  if (problem !== null) return problem;
  // Sessions: the broker's count of clients' sessions is what the map holds (less the
  // application's own), within maxSessions; bytes queued for absent clients within theirs.
  let clientSessions = 0;
  b.sessions.forEach((s) => { if (s.local === null) clientSessions++; });
  if (clientSessions !== b.sessionCount) return 'sessionCount ' + b.sessionCount + ' but ' + clientSessions + ' client sessions';
  if (b.sessionCount > L.maxSessions) return 'sessions ' + b.sessionCount + ' over maxSessions ' + L.maxSessions;
  if (b.offlineBytes > L.maxOfflineBytes) return 'offline bytes ' + b.offlineBytes + ' over ' + L.maxOfflineBytes;
  if (b.retained.count > L.maxRetainedCount) return 'retained ' + b.retained.count;
  const held = (b as unknown as { held: unknown[] }).held;
  if (held.length > b.connections.length) return 'held ' + held.length + ' for ' + b.connections.length + ' connections';
  return w.canaryRoutes();
}

/** What the broker wrote to one attacker since the last check, decoded and judged. */
function checkOutput(a: Attacker, states: States): string | null {
  const t = a.client.transport;
  const c = a.client.connection;
  for (const f of t.written) for (let i = 0; i < f.length; i++) a.bytes.push(f[i]);
  t.written = [];
  t.originals = [];
  if (a.bytes.length === 0) return null;
  // The version is the broker's: the CONNECT it read may not be the one meant (mutated).
  if (a.decoder === null) a.decoder = new Decoder({ version: c.version === 0 ? 4 : c.version });
  const d = a.decoder;
  const chunk = Uint8Array.from(a.bytes);
  a.bytes = [];
  d.push(chunk);
  const v = d.version;
  for (let p = d.next(); p !== null; p = d.next()) {
    if (a.ended) return 'a packet (type ' + p.type + ') after the connection was ended';
    const rc = (p as { reasonCode?: number }).reasonCode;
    states.add('out:v' + v + ':t' + p.type + (rc !== undefined ? ':' + rc.toString(16) : ''));
    if (p.type === 2) {
      a.connacks++;
      if (a.connacks > 1) return 'a second CONNACK';
      const ok = v === 5 ? CONNACK_RC5.indexOf(rc as number) >= 0 : (rc as number) <= 5;
      if (!ok) return 'CONNACK with reason 0x' + (rc as number).toString(16);
      if (rc !== 0) a.ended = true;
    } else if (p.type === 14) {
      if (v !== 5) return 'a DISCONNECT to an MQTT ' + v + ' client';
      if (DISCONNECT_RC.indexOf(rc as number) < 0) return 'DISCONNECT with reason 0x' + (rc as number).toString(16);
      a.ended = true;
    } else if (p.type === 15 && v !== 5) {
      return 'AUTH to an MQTT ' + v + ' client';
    } else if (p.type === 9) {
      const codes = (p as { reasonCodes: number[] }).reasonCodes;
      for (const code of codes) {
        const ok = v === 5 ? SUBACK_RC5.indexOf(code) >= 0 : v === 3 ? code <= 2 : code <= 2 || code === 0x80;
        if (!ok) return 'SUBACK code 0x' + code.toString(16) + ' for MQTT ' + v;
      }
    } else if (p.type === 1 || p.type === 8 || p.type === 10 || p.type === 12) {
      return 'the broker sent a client-only packet, type ' + p.type;
    }
  }
  if (d.error !== null) return 'the broker sent bytes that do not decode: ' + d.error.message + ' [' + d.error.rule + ']';
  if (c.maximumPacketSize > 0 && chunk.length > 0) {
    // Frames are checked one by one: each whole packet at most the client's maximum.
    let i = 0;
    while (i < chunk.length) {
      let len = 0, mul = 1, j = i + 1;
      for (;;) { const x = chunk[j++]; len += (x & 0x7f) * mul; mul *= 128; if ((x & 0x80) === 0 || j >= chunk.length) break; }
      if (j + len - i > c.maximumPacketSize) return 'a packet of ' + (j + len - i) + ' bytes over the client\'s Maximum Packet Size ' + c.maximumPacketSize;
      i = j + len;
    }
  }
  if (a.ended && !t.closed) return 'ended (DISCONNECT or refusing CONNACK) but not closed';
  return null;
}
