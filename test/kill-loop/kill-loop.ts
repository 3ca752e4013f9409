// The kill -9 loop (issue 15 §3): persistent sessions under a flood, the broker killed with
// SIGKILL at seeded random moments and started again on the same port and directory, then an
// exact account of what every acknowledged message became. Shared by the integration test
// (test/integration/kill-loop.test.ts) and the benchmark (npm run bench -- kill-loop).
//
// The cast (session-client.ts; every client keeps its session state in this process, which
// is never killed, and reconnects every 15 ms while it wants to be connected):
//   - two publishers with persistent sessions: kl-pub-q1 (MQTT 3.1.1, Clean Session 0) floods
//     QoS 1 to kl/data/0, kl-pub-q2 (5.0, Session Expiry 1 h) floods QoS 2 to kl/data/1, each
//     with at most `window` unacknowledged and `perRound` new messages per round; every
//     payload carries the publisher's index and a sequence number;
//   - two persistent subscribers, kl-sub-v4 (3.1.1) and kl-sub-v5 (5.0), subscribed at QoS 2 to
//     kl/data/+ and to `subscriptions` more filters each (exact and wildcard, QoS 1 and 2),
//     offline, except in the rounds where a seeded coin says they connect and read;
//   - a retainer (3.1.1, persistent) that sets `retainedTopics` retained messages, then each
//     round replaces or deletes one of them, one at a time (each waits for its PUBACK).
// The run:
//   1. start the broker on an empty directory; subscribers subscribe and go offline, the
//      retained messages are set; then a clean restart (SIGTERM), so that a broker that saves
//      only at shutdown (mosquitto) has this setup on disk;
//   2. `rounds` times: the clients reconnect (publishers resend what was not acknowledged and
//      go on flooding), and after a seeded delay in `killAfterMs` from the moment the broker
//      listens it is killed with SIGKILL and started again;
//   3. after the last restart: the publishers and the retainer finish (everything they sent
//      acknowledged), one QoS 1 probe goes to each extra subscription, the subscribers
//      reconnect and drain, and a fresh client reads the retained messages.
// The account, per subscriber: an acknowledged message (PUBACK, or PUBREC for QoS 2) that never
// arrived is lost; a QoS 1 message that arrived more than once is a duplicate (allowed); a QoS
// 2 message that arrived more than once breaks exactly-once; a message whose first arrival
// comes after a later one of its publisher is out of order; a probe that never arrived is a lost
// subscription; a retained topic whose value is not the last acknowledged one (or that is back
// after its deletion was acknowledged) is a wrong retained message.

import { Rng } from '../fuzz/generator.js';
import { sleep } from '../bench/brokers/load-generator.js';
import type { BrokerProcess } from '../bench/brokers/broker-process.js';
import { crashSafe } from '../bench/brokers/broker-process.js';
import type { Incoming, Outgoing, Version } from './session-client.js';
import { SessionClient } from './session-client.js';

export interface KillLoopOptions {
  rounds: number;
  seed: number;
  /** New messages each publisher sends in one round, at most. */
  perRound: number;
  /** Unacknowledged PUBLISHes per publisher, at most. */
  window: number;
  /** The kill falls at a uniform random moment this many ms after the broker listens. */
  killAfterMs: [number, number];
  /** Chance that the subscribers are connected in a round. */
  subscriberOnline: number;
  retainedTopics: number;
  /** Extra filters per subscriber, each probed once at the end. */
  subscriptions: number;
  startTimeoutMs: number;
  /** Most time for each final phase (acknowledgements, deliveries). */
  drainMs: number;
  /** The final drain ends this long after the last delivery when something is still missing. */
  quietMs: number;
  log: ((line: string) => void) | null;
}

export const DEFAULT_OPTIONS: KillLoopOptions = {
  rounds: 20, seed: 1, perRound: 2000, window: 100, killAfterMs: [20, 500], subscriberOnline: 0.4,
  retainedTopics: 20, subscriptions: 10, startTimeoutMs: 20000, drainMs: 20000, quietMs: 2000, log: null,
};

export interface SubscriberAccount {
  clientId: string;
  /** Acknowledged data messages that never arrived, QoS 1 and QoS 2. */
  lost: [number, number];
  duplicatesQos1: number;
  duplicatesQos2: number;
  outOfOrder: number;
  /** Arrived at a QoS other than the publisher's (both subscribe at QoS 2). */
  wrongQos: number;
  subscriptionsMissing: number;
  sessionsLost: number;
}

export interface KillLoopResult {
  broker: string;
  crashSafe: boolean;
  seed: number;
  rounds: number;
  kills: number;
  /** Data messages published (distinct sequence numbers), QoS 1 and QoS 2. */
  published: [number, number];
  acknowledged: [number, number];
  subscribers: SubscriberAccount[];
  /** Totals over both subscribers. */
  lost: number;
  duplicatesQos1: number;
  duplicatesQos2: number;
  outOfOrder: number;
  subscriptionsMissing: number;
  retainedMissing: number;
  retainedWrong: number;
  /** CONNACKs with Session Present 0 where a session had been given, over every client. */
  sessionsLost: number;
  /** Acknowledgements with a 5.0 failure code (the message was sent again). */
  refused: number;
  /** Messages still unacknowledged when the final phase gave up (0 when the broker is up). */
  unsettled: number;
  /** Median ms from spawn to accepting connections. */
  startMs: number;
  elapsedMs: number;
}

const PAYLOAD_SIZE = 64;
const RECONNECT_MS = 15;
const CONNECT_TIMEOUT_MS = 5000;
const DATA = 'kl/data/';

interface Publisher {
  client: SessionClient;
  index: number;
  qos: 1 | 2;
  /** Next sequence number. */
  sent: number;
  sentThisRound: number;
  quota: number;
  acked: Uint8Array;
  /** Sequence numbers refused by the broker, sent again before new ones. */
  retry: number[];
}

interface Subscriber {
  client: SessionClient;
  counts: Uint16Array[];       // per publisher, per sequence number
  maxFirst: number[];          // per publisher, the highest sequence number arrived so far
  outOfOrder: number;
  wrongQos: number;
  probes: Map<string, boolean>;
  probeTopics: string[];
  lastArrival: number;
}

interface RetainedOp {
  topic: string;
  value: string | null;   // null: delete
}

/** Runs the loop against `broker` (not started yet: on an empty directory) and accounts; leaves it stopped. */
export async function killLoop(broker: BrokerProcess, opts: Partial<KillLoopOptions>): Promise<KillLoopResult> {
  const o: KillLoopOptions = { ...DEFAULT_OPTIONS, ...opts };
  const rng = new Rng(o.seed);
  const t0 = Date.now();
  const log = (line: string): void => {
    if (o.log !== null) o.log(line);
  };
  const capacity = (o.rounds + 2) * o.perRound + 16;
  const pubs: Publisher[] = [
    publisher('kl-pub-q1', 4, 0, 1, capacity, o),
    publisher('kl-pub-q2', 5, 1, 2, capacity, o),
  ];
  const subs: Subscriber[] = [subscriber('kl-sub-v4', 4, pubs, capacity), subscriber('kl-sub-v5', 5, pubs, capacity)];
  const retainer = new SessionClient({ clientId: 'kl-retainer', version: 4, sessionExpiryS: 3600, keepAliveS: 60 });
  const retainedOps: RetainedOp[] = [];
  const retainedAcked = new Map<string, string | null>();
  const pumpRetainer = (): void => {
    if (!retainer.connected || retainer.outgoing.size > 0 || retainedOps.length === 0) return;
    const op = retainedOps.shift()!;
    retainer.publish(op.topic, Buffer.from(op.value ?? ''), 1, true, 0);
  };
  retainer.onAcked = (m) => retainedAcked.set(m.topic, m.payload.length === 0 ? null : m.payload.toString());
  retainer.onSettled = pumpRetainer;

  // Who wants to be connected; a ticker (re)connects them.
  const clients: SessionClient[] = [...pubs.map((p) => p.client), ...subs.map((s) => s.client), retainer];
  const wanted = new Map<string, boolean>();
  const connecting = new Map<string, boolean>();
  const after = new Map<string, () => void>();
  for (const p of pubs) {
    after.set(p.client.options.clientId, () => pump(p));
    p.client.onSettled = () => pump(p);
  }
  after.set(retainer.options.clientId, pumpRetainer);
  const ticker = setInterval(() => {
    if (!broker.running) return;
    for (const c of clients) {
      const id = c.options.clientId;
      if (wanted.get(id) !== true || c.connected || connecting.get(id) === true) continue;
      connecting.set(id, true);
      c.connect(broker.port, CONNECT_TIMEOUT_MS).then(() => {
        connecting.delete(id);
        const then = after.get(id);
        if (then !== undefined) then();
      }, () => connecting.delete(id));
    }
  }, RECONNECT_MS);

  try {
    // 1. setup, then a clean restart
    await broker.start(o.startTimeoutMs);
    for (const s of subs) {
      await s.client.connect(broker.port, CONNECT_TIMEOUT_MS);
      const filters: Array<{ topic: string; qos: 0 | 1 | 2 }> = [{ topic: DATA + '+', qos: 2 }];
      for (let i = 0; i < o.subscriptions; i++) {
        const f = `kl/sub/${s.client.options.clientId}/${i}`;
        filters.push({ topic: i % 2 === 0 ? f : f + '/+', qos: (1 + (i % 2)) as 1 | 2 });
        s.probeTopics.push(i % 2 === 0 ? f : f + '/p');
      }
      const granted = await s.client.subscribe(filters);
      if (granted.some((g) => g >= 0x80)) throw new Error(`${s.client.options.clientId}: SUBSCRIBE refused (${granted.join(', ')})`);
      await s.client.disconnect();
    }
    for (let i = 0; i < o.retainedTopics; i++) retainedOps.push({ topic: `kl/retained/${i}`, value: 'v0' });
    wanted.set(retainer.options.clientId, true);
    await until(() => retainedOps.length === 0 && retainer.outgoing.size === 0, o.drainMs, 'the retained messages of the setup');
    for (const p of pubs) {
      await p.client.connect(broker.port, CONNECT_TIMEOUT_MS);
      wanted.set(p.client.options.clientId, true);
    }
    await broker.shutdown(10000);
    await broker.start(o.startTimeoutMs);

    // 2. the rounds
    for (let round = 1; round <= o.rounds; round++) {
      const online = rng.chance(o.subscriberOnline);
      for (const s of subs) wanted.set(s.client.options.clientId, online);
      for (const p of pubs) {
        p.sentThisRound = 0;
        pump(p);
      }
      const k = rng.int(o.retainedTopics);
      retainedOps.push({ topic: `kl/retained/${k}`, value: rng.chance(0.25) ? null : `v${round}` });
      pumpRetainer();
      const delay = o.killAfterMs[0] + rng.int(o.killAfterMs[1] - o.killAfterMs[0] + 1);
      await sleep(delay);
      await broker.kill();
      log(`round ${round}: killed ${delay} ms after start${online ? ' (subscribers online)' : ''}; ${pubs.map((p) => `${p.client.options.clientId} sent ${p.sent}, acknowledged ${count(p.acked)}`).join('; ')}`);
      await broker.start(o.startTimeoutMs);
    }

    // 3. finish, probe, drain, read the retained messages
    for (const p of pubs) {
      p.quota = 0;
      pump(p);
    }
    const settled = (): boolean => pubs.every((p) => p.client.outgoing.size === 0 && p.retry.length === 0) && retainer.outgoing.size === 0 && retainedOps.length === 0;
    await until(settled, o.drainMs, null);
    const prober = pubs[0].client;
    await until(() => prober.connected, o.drainMs, null);
    for (const s of subs) for (const t of s.probeTopics) prober.publish(t, Buffer.from('probe'), 1, false, -1);
    await until(() => prober.outgoing.size === 0, o.drainMs, null);
    for (const s of subs) {
      s.lastArrival = Date.now();
      wanted.set(s.client.options.clientId, true);
    }
    const complete = (): boolean => subs.every((s) => s.probes.size === s.probeTopics.length && pubs.every((p) => allArrived(p, s)));
    const quiet = (): boolean => subs.every((s) => s.client.connected && Date.now() - s.lastArrival > o.quietMs);
    await until(() => complete() || quiet(), o.drainMs, null);
    const retained = await readRetained(broker.port, o.retainedTopics);
    for (const c of clients) wanted.set(c.options.clientId, false);
    await Promise.all(clients.map((c) => c.disconnect()));
    await broker.shutdown(10000);

    return account();

    function account(): KillLoopResult {
      const accounts = subs.map((s) => subscriberAccount(s, pubs));
      let retainedMissing = 0;
      let retainedWrong = 0;
      for (let i = 0; i < o.retainedTopics; i++) {
        const t = `kl/retained/${i}`;
        const want = retainedAcked.get(t);
        const got = retained.get(t);
        if (want === undefined) continue;   // never acknowledged: either is right
        if (want !== null && got === undefined) retainedMissing++;
        else if (want !== (got ?? null)) retainedWrong++;
      }
      const sum = (f: (a: SubscriberAccount) => number): number => accounts.reduce((n, a) => n + f(a), 0);
      return {
        broker: broker.name,
        crashSafe: crashSafe(broker.name),
        seed: o.seed,
        rounds: o.rounds,
        kills: broker.kills,
        published: [pubs[0].sent, pubs[1].sent],
        acknowledged: [count(pubs[0].acked), count(pubs[1].acked)],
        subscribers: accounts,
        lost: sum((a) => a.lost[0] + a.lost[1]),
        duplicatesQos1: sum((a) => a.duplicatesQos1),
        duplicatesQos2: sum((a) => a.duplicatesQos2),
        outOfOrder: sum((a) => a.outOfOrder),
        subscriptionsMissing: sum((a) => a.subscriptionsMissing),
        retainedMissing,
        retainedWrong,
        sessionsLost: clients.reduce((n, c) => n + c.sessionsLost, 0),
        refused: clients.reduce((n, c) => n + c.refused, 0),
        unsettled: pubs.reduce((n, p) => n + p.client.outgoing.size + p.retry.length, 0) + retainer.outgoing.size + retainedOps.length,
        startMs: median(broker.startMs),
        elapsedMs: Date.now() - t0,
      };
    }
  } finally {
    clearInterval(ticker);
    for (const c of clients) c.drop();
    await broker.kill();
  }

  function pump(p: Publisher): void {
    const c = p.client;
    while (c.connected && c.outgoing.size < o.window) {
      let seq: number;
      if (p.retry.length > 0) seq = p.retry.shift()!;
      else if (p.sentThisRound < p.quota && p.sent < capacity) {
        seq = p.sent++;
        p.sentThisRound++;
      } else return;
      const payload = Buffer.alloc(PAYLOAD_SIZE, 0x61);
      payload.writeUInt32BE(p.index, 0);
      payload.writeUInt32BE(seq, 4);
      c.publish(DATA + p.index, payload, p.qos, false, seq);
    }
  }
}

function publisher(clientId: string, version: Version, index: number, qos: 1 | 2, capacity: number, o: KillLoopOptions): Publisher {
  const client = new SessionClient({ clientId, version, sessionExpiryS: 3600, keepAliveS: 60 });
  const p: Publisher = { client, index, qos, sent: 0, sentThisRound: 0, quota: o.perRound, acked: new Uint8Array(capacity), retry: [] };
  client.onAcked = (m: Outgoing) => {
    if (m.tag >= 0) p.acked[m.tag] = 1;
  };
  client.onRefused = (m: Outgoing) => {
    if (m.tag >= 0) p.retry.push(m.tag);
  };
  return p;
}

function subscriber(clientId: string, version: Version, pubs: Publisher[], capacity: number): Subscriber {
  const client = new SessionClient({ clientId, version, sessionExpiryS: 3600, keepAliveS: 60 });
  const s: Subscriber = {
    client, counts: pubs.map(() => new Uint16Array(capacity)), maxFirst: pubs.map(() => -1),
    outOfOrder: 0, wrongQos: 0, probes: new Map(), probeTopics: [], lastArrival: 0,
  };
  client.onMessage = (m: Incoming) => {
    s.lastArrival = Date.now();
    if (!m.topic.startsWith(DATA)) {
      s.probes.set(m.topic, true);
      return;
    }
    const index = m.payload.readUInt32BE(0);
    const seq = m.payload.readUInt32BE(4);
    const p = pubs[index];
    if (p === undefined || seq >= capacity) return;
    if (m.qos !== p.qos) s.wrongQos++;
    const c = s.counts[index];
    if (c[seq] === 0) {
      if (seq < s.maxFirst[index]) s.outOfOrder++;
      else s.maxFirst[index] = seq;
    }
    if (c[seq] < 65535) c[seq]++;
  };
  return s;
}

function subscriberAccount(s: Subscriber, pubs: Publisher[]): SubscriberAccount {
  const lost: [number, number] = [0, 0];
  let dup1 = 0;
  let dup2 = 0;
  for (const p of pubs) {
    const c = s.counts[p.index];
    for (let seq = 0; seq < p.sent; seq++) {
      if (c[seq] === 0 && p.acked[seq] === 1) lost[p.qos - 1]++;
      if (c[seq] > 1) {
        if (p.qos === 1) dup1 += c[seq] - 1;
        else dup2 += c[seq] - 1;
      }
    }
  }
  return {
    clientId: s.client.options.clientId,
    lost,
    duplicatesQos1: dup1,
    duplicatesQos2: dup2,
    outOfOrder: s.outOfOrder,
    wrongQos: s.wrongQos,
    subscriptionsMissing: s.probeTopics.length - s.probes.size,
    sessionsLost: s.client.sessionsLost,
  };
}

function allArrived(p: Publisher, s: Subscriber): boolean {
  const c = s.counts[p.index];
  for (let seq = 0; seq < p.sent; seq++) if (p.acked[seq] === 1 && c[seq] === 0) return false;
  return true;
}

/** A fresh client subscribes to kl/retained/# and collects what comes (topic -> value). */
async function readRetained(port: number, topics: number): Promise<Map<string, string>> {
  const c = new SessionClient({ clientId: `kl-retained-check`, version: 4, sessionExpiryS: 0, keepAliveS: 60 });
  const got = new Map<string, string>();
  let last = Date.now();
  c.onMessage = (m) => {
    if (m.retain) got.set(m.topic, m.payload.toString());
    last = Date.now();
  };
  try {
    await c.connect(port, CONNECT_TIMEOUT_MS);
    await c.subscribe([{ topic: 'kl/retained/#', qos: 1 }]);
    await until(() => got.size >= topics || Date.now() - last > 500, 5000, null);
    await sleep(100);
  } finally {
    await c.disconnect();
  }
  return got;
}

/** Waits until `done()`; after `ms`, throws naming `what`, or (what null) just returns. */
async function until(done: () => boolean, ms: number, what: string | null): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) {
      if (what === null) return;
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await sleep(10);
  }
}

function count(a: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i];
  return n;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = v.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** One line of figures, for logs and the benchmark. */
export function summary(r: KillLoopResult): string {
  return `${r.broker}: ${r.kills} kills (seed ${r.seed}); published ${r.published[0]} QoS 1 + ${r.published[1]} QoS 2, acknowledged ${r.acknowledged[0]} + ${r.acknowledged[1]}; `
    + `acknowledged-then-lost ${r.lost} (per subscriber, 2 subscribers); QoS 1 duplicates ${r.duplicatesQos1}; QoS 2 duplicates ${r.duplicatesQos2}; out of order ${r.outOfOrder}; `
    + `subscriptions missing ${r.subscriptionsMissing}; retained missing ${r.retainedMissing}, wrong ${r.retainedWrong}; sessions lost ${r.sessionsLost}; refused ${r.refused}; unsettled ${r.unsettled}; `
    + `start ${r.startMs} ms (median); ${(r.elapsedMs / 1000).toFixed(1)} s`;
}
