// node --import ./test/ts-loader.mjs test/bench/persist-core.ts [--rounds 5] [--messages 100000] [--qos 1|2]
//   [--only memory,never,interval,always]   (some stores only, e.g. under --cpu-prof)
//
// What persistence costs the broker, without sockets or a second process: the core and the
// Node file journal (ports/node/file-journal.ts) in this process, QoS 1 (or 2) 1 -> 1 with
// persistent sessions (Clean Session 0), window 100, 64-byte payloads, on the in-memory store
// and on the journal with fsync never, interval and always. The clients are byte-level fakes
// that answer what the broker writes (PUBACK; PUBREC / PUBREL / PUBCOMP). Figures: the
// process's CPU time per delivered message (process.cpuUsage: the fakes' share is the same on
// every store, so differences are the broker's) and deliveries per second of wall time, each
// the median of the rounds. A benchmark, not a test: it asserts nothing about time, but it
// counts every delivery and stops with an error if one is missing or doubled.

import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as mqttPacket from 'mqtt-packet';
import type { Broker, Connection, Store } from '../../core/index.js';
import { createBroker } from '../../core/index.js';
import type { FsyncPolicy } from '../../ports/node/file-journal.js';
import { FileJournal, JOURNAL_DEFAULTS } from '../../ports/node/file-journal.js';

const WINDOW = 100;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const ROUNDS = arg('--rounds', 5);
const MESSAGES = arg('--messages', 100000);
const QOS = arg('--qos', 1) as 1 | 2;

function bytes(p: object): Uint8Array {
  return new Uint8Array(mqttPacket.generate(p as mqttPacket.Packet));
}

/** PUBACK (4), PUBREC (5), PUBREL (6, flags 0b0010) or PUBCOMP (7) for `id`: made here, cheaply, as a fast client would. */
function ack(type: number, id: number): Uint8Array {
  return new Uint8Array([(type << 4) | (type === 6 ? 2 : 0), 2, id >> 8, id & 255]);
}

/**
 * The packets in what the broker writes, frame pieces in any split: type and packet id of
 * each (the id follows the topic in a PUBLISH, leads the others), read as the bytes go by.
 */
class Reader {
  private state = 0;          // 0 fixed header, 1 remaining length, 2 body
  private type = 0;
  private qos = 0;
  private remaining = 0;
  private mul = 1;
  private pos = 0;            // bytes of the body read so far
  private topicLength = 0;
  private id = 0;
  constructor(private readonly packet: (type: number, id: number) => void) {}

  feed(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      if (this.state === 0) {
        this.type = x >> 4;
        this.qos = (x >> 1) & 3;
        this.remaining = 0;
        this.mul = 1;
        this.state = 1;
      } else if (this.state === 1) {
        this.remaining += (x & 127) * this.mul;
        this.mul *= 128;
        if (x < 128) {
          this.pos = 0;
          this.id = 0;
          this.state = 2;
          if (this.remaining === 0) this.end();
        }
      } else {
        const p = this.pos++;
        if (this.type === 3) {
          if (p === 0) this.topicLength = x << 8;
          else if (p === 1) this.topicLength |= x;
          else if (this.qos > 0 && p === 2 + this.topicLength) this.id = x << 8;
          else if (this.qos > 0 && p === 3 + this.topicLength) this.id |= x;
        } else if (p === 0) this.id = x << 8;
        else if (p === 1) this.id |= x;
        // skip the rest of a long body at once
        if (this.type === 3 && p >= 4 + this.topicLength && this.pos < this.remaining) {
          const skip = Math.min(this.remaining - this.pos, b.length - i - 1);
          this.pos += skip;
          i += skip;
        }
        if (this.pos === this.remaining) this.end();
      }
    }
  }

  private end(): void {
    this.state = 0;
    this.packet(this.type, this.id);
  }
}

interface Round { cpuUsPerMsg: number; perSecond: number }

function run(store: Store | null, done: (r: Round) => void): void {
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const broker: Broker = createBroker(store === null ? { maxInflight: WINDOW, maxInflightIn: WINDOW }
    : { store, wallClockMs: Date.now(), maxInflight: WINDOW, maxInflightIn: WINDOW }, {}, now());
  let delivered = 0;
  let acked = 0;
  let subConn: Connection;
  let pubConn: Connection;
  let subAnswers: Uint8Array[] = [];
  let pubAnswers: Uint8Array[] = [];
  let answering = false;
  const answerLater = (): void => {
    if (answering) return;
    answering = true;
    setImmediate(() => {
      answering = false;
      const s = subAnswers;
      const p = pubAnswers;
      subAnswers = [];
      pubAnswers = [];
      if (s.length > 0) subConn.receive(Buffer.concat(s), now());
      if (p.length > 0) pubConn.receive(Buffer.concat(p), now());
    });
  };
  const subReader = new Reader((type, id) => {
    if (type === 3) {
      delivered++;
      subAnswers.push(ack(QOS === 1 ? 4 : 5, id));
      answerLater();
    } else if (type === 6) {
      subAnswers.push(ack(7, id));
      answerLater();
    } else if (type === 9) {
      // SUBACK: the publisher connects, then the load begins
      pubConn = broker.connect({ write: (f) => { pubReader.feed(f); return true; }, close: () => undefined }, now());
      started = true;
      cpu0 = process.cpuUsage();
      wall0 = performance.now();
      pubConn.receive(bytes({ cmd: 'connect', protocolVersion: 4, clientId: 'pub', clean: false, keepalive: 0 }), now());
    }
  });
  let batch = new Uint8Array(0);
  let started = false;
  let cpu0 = process.cpuUsage();
  let wall0 = 0;
  const finish = (): void => {
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    const closing = (): void => done({ cpuUsPerMsg: (cpu.user + cpu.system) / MESSAGES, perSecond: MESSAGES / (wall / 1000) });
    if (store instanceof FileJournal) store.close(closing);
    else closing();
  };
  const pubReader = new Reader((type, id) => {
    if (type === 4 || type === 7) {
      acked++;
      if (acked % WINDOW === 0) {
        if (acked >= MESSAGES) finish();
        else setImmediate(() => pubConn.receive(batch, now()));
      }
    } else if (type === 5) {
      pubAnswers.push(ack(6, id));
      answerLater();
    } else if (type === 2 && started) {
      setImmediate(() => pubConn.receive(batch, now()));
    }
  });
  const parts: Uint8Array[] = [];
  const payload = new Uint8Array(64);
  for (let i = 1; i <= WINDOW; i++) parts.push(bytes({ cmd: 'publish', topic: 'bench/p', qos: QOS, messageId: i, payload: Buffer.from(payload), dup: false, retain: false }));
  batch = Buffer.concat(parts);
  subConn = broker.connect({ write: (f) => { subReader.feed(f); return true; }, close: () => undefined }, now());
  subConn.receive(bytes({ cmd: 'connect', protocolVersion: 4, clientId: 'sub', clean: false, keepalive: 0 }), now());
  subConn.receive(bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bench/p', qos: QOS }] }), now());
  const check = setInterval(() => {
    if (delivered > MESSAGES) throw new Error(`${delivered} delivered of ${MESSAGES}: duplicates`);
  }, 1000);
  check.unref();
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const only = process.argv.indexOf('--only');
  const kinds = (only < 0 ? 'memory,never,interval,always' : process.argv[only + 1]).split(',') as Array<'memory' | FsyncPolicy>;
  const results = new Map<string, Round[]>();
  for (const k of kinds) results.set(k, []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const k of kinds) {
      const dir = mkdtempSync(join(tmpdir(), 'ganglion-persist-core-'));
      const store = k === 'memory' ? null
        : new FileJournal({ ...JOURNAL_DEFAULTS, dir, fsync: k }, fs as never, () => undefined);
      const r = await new Promise<Round>((resolve) => run(store, resolve));
      rmSync(dir, { recursive: true, force: true });
      if (round > 0) (results.get(k) as Round[]).push(r);   // round 0 warms up
    }
  }
  const load = (await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`QoS ${QOS} 1 -> 1, persistent sessions, window ${WINDOW}, 64-byte payloads, ${MESSAGES} messages a round, medians of ${ROUNDS} rounds (load average ${load} at the end)`);
  console.log('| store | CPU µs / delivery | deliveries/s (wall) |');
  console.log('|---|---|---|');
  for (const k of kinds) {
    const rs = results.get(k) as Round[];
    console.log(`| ${k === 'memory' ? 'memory' : 'fsync ' + k} | ${median(rs.map((r) => r.cpuUsPerMsg)).toFixed(2)} | ${Math.round(median(rs.map((r) => r.perSecond))).toLocaleString('en-US')} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
