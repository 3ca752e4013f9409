// The Espruino bridge's queue kept through the board's store (issue 16 §2 on devices): the
// board runs the broker with the Storage store (ports/espruino/storage-store.ts on the fake
// Storage over a fake flash, fake-storage.ts) and a bridge to a cloud; a "reboot" is a new
// fake board (broker, store and bridge made again, as the program does at power-up) over the
// same flash, the old one dropped where it stood, as at a power cut. The cloud is a broker of
// the core's on the test's side (it outlives the boards, with the bridge's persistent upstream
// session in it), listening on each board's fake net at UPSTREAM when it is up; it counts every
// message routed to its subscriber of site-1/#. One uvu suite per Env: the TypeScript sources,
// and the built dist/espruino/ganglion-full.js + ganglion-store.js + ganglion-bridge.js.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Broker, Connection, Packet } from '../../core/index.js';
import { createBroker } from '../../core/index.js';
import { FakeFlash } from '../store/fake-flash.js';
import { FakeStorage } from './fake-storage.js';
import type { FakeSocket } from './fake-espruino.js';
import { FakeEspruino } from './fake-espruino.js';
import type { Env, ListenerLike } from './harness.js';
import { Client } from './harness.js';
import { UPSTREAM, noFaults } from './client-scenarios.js';

const PORT = 1883;
const RULES = ['sensors/# out 2 "" site-1/'];

interface BridgeLike {
  stats(): { state: string; sent: number; dropped: number; queuedMessages: number; queuedBytes: number; connects: number };
}

interface Modules {
  'ganglion-store': { storageStore(o: object): object };
  'ganglion-bridge': { bridge(site: ListenerLike, options: object): BridgeLike };
}

/** `env` with the store module of the sources as require("ganglion-store") (the bundle env loads its own). */
export function withStore(env: Env, store: object | null): Env {
  if (store === null) return env;
  return {
    name: env.name,
    text: env.text,
    with<T>(fake: FakeEspruino, fn: (m: Parameters<Parameters<Env['with']>[1]>[0]) => T): T {
      fake.modules['ganglion-store'] = store;
      return env.with(fake, fn);
    },
  };
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
}

function binary(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The cloud: a broker of the core's, serving each board's fake net in turn. */
class Cloud {
  broker: Broker;
  up = true;
  deaf = false;            // true: what the cloud writes never reaches the board (lost with it at the cut)
  got: string[] = [];      // "topic payload qos" routed to its subscriber of site-1/#
  nowMs = 0;

  constructor() {
    this.broker = createBroker({ sysIntervalMs: 0, maxInflightIn: 16, maxQueued: 1000, maxQueuedBytes: 1 << 20 }, {}, 0);
    const got = this.got;
    this.broker.subscribe('site-1/#', (m) => { got.push(m.topic + ' ' + binary(m.payload) + ' ' + m.qos); }, 0);
  }

  /** Listens on `fake`'s net (when up): a connection is one of the broker's. */
  serve(fake: FakeEspruino): void {
    if (!this.up) return;
    const self = this;
    const now = (): number => {
      self.nowMs = Math.max(self.nowMs, Math.floor(fake.loop.now));
      return self.nowMs;
    };
    fake.net.createServer((sock: FakeSocket) => {
      const conn: Connection = self.broker.connect({
        write(frame: Uint8Array): boolean {
          if (!self.deaf && !sock.closed) sock.write(binary(frame));
          return true;
        },
        close(): void {
          if (!sock.closed) sock.end();
        },
      }, now());
      sock.on('data', (d: unknown) => conn.receive(latin1(d as string), now()));
      sock.on('close', () => conn.closed(now()));
    }).listen(UPSTREAM);
  }

  /** How many times each of `wanted` reached the cloud's subscriber. */
  counts(wanted: string[]): number[] {
    return wanted.map((w) => this.got.filter((g) => g === w).length);
  }
}

export function bridgeStoreScenarios(env: Env): void {
  const test = suite('espruino bridge with the Storage store (' + env.name + ')');
  let boards: Board[] = [];

  test.after.each(() => {
    noFaults(boards.map((b) => ({ fake: b.fake } as never)));
    boards = [];
  });

  /** One boot of the board: the store, listen() with it, the bridge. */
  class Board {
    fake = new FakeEspruino();
    listener!: ListenerLike;
    bridge!: BridgeLike;
    log: string[] = [];
    store: { journal: { stats: { refused: number; compactionsFailed: number } } } | null = null;

    constructor(flash: FakeFlash, cloud: Cloud, previous: Board | null, bridgeOptions: object = {}, storeOptions: object = {}) {
      boards.push(this);
      flash.reboot();
      // The clock goes on from the last boot's (the cloud's broker lives through the boots).
      if (previous !== null) this.fake.loop.now = previous.fake.loop.now + 1000;
      this.fake.useStorage(FakeStorage.boot(flash));
      cloud.serve(this.fake);
      const log = this.log;
      this.in((m) => {
        const mods = this.fake.modules as unknown as Modules;
        this.store = mods['ganglion-store'].storageStore({ budgetBytes: 16384, ...storeOptions }) as Board['store'];
        this.listener = m.listen({ port: PORT, store: this.store }, {});
        this.bridge = mods['ganglion-bridge'].bridge(this.listener, {
          addresses: ['127.0.0.1:' + UPSTREAM], clientId: 'site-1', topics: RULES, backoffMinMs: 1000, backoffMaxMs: 2000,
          log: (line: string) => { log.push(line); }, ...bridgeOptions,
        });
      });
      this.advance(1);
    }

    in<T>(fn: (m: Parameters<Parameters<Env['with']>[1]>[0]) => T): T {
      return env.with(this.fake, fn);
    }

    advance(ms: number): void {
      this.in(() => this.fake.loop.advance(ms));
    }

    /** A local publisher connected (MQTT `version`), CONNACK read. */
    publisher(id: string, version = 4): Client {
      const c = new Client(this.fake.net.dial(PORT), version);
      c.send({ type: 1, protocolName: 'MQTT', protocolVersion: version, cleanStart: true, keepAlive: 0, properties: null, clientId: id, will: null, username: null, password: null } as Packet);
      this.advance(1);
      assert.equal(c.packets().map((p) => p.type), [2], 'CONNACK');
      return c;
    }

    /**
     * Publishes sensors/n v<first>..v<last> at `qos`, completing each handshake; returns the
     * payloads the board acknowledged with success (PUBACK or PUBREC below 0x80).
     */
    publish(c: Client, first: number, last: number, qos: number, bytes = 0): string[] {
      const acked: string[] = [];
      for (let i = first; i <= last; i++) {
        const payload = 'v' + i + (bytes > 0 ? '.'.repeat(bytes) : '');
        c.send({ type: 3, dup: false, qos, retain: false, topic: 'sensors/n', packetId: i, properties: null, payload: latin1(payload) } as Packet);
        this.advance(1);   // the store's flush is a timer, then the acknowledgement
        for (const p of c.packets()) {
          const a = p as { type: number; packetId: number; reasonCode: number };
          if ((a.type === 4 || a.type === 5) && a.reasonCode < 0x80) acked.push(payload);
          if (a.type === 5) c.send({ type: 6, packetId: a.packetId, reasonCode: 0, properties: null } as Packet);
        }
        this.advance(1);
        c.packets();   // PUBCOMP
      }
      return acked;
    }
  }

  function sent(payloads: string[], qos: number): string[] {
    return payloads.map((p) => 'site-1/sensors/n ' + p + ' ' + qos);
  }

  test('queued while the cloud is down, the board reboots: every QoS 1 message goes once the cloud is back, in order', () => {
    const flash = new FakeFlash(64 * 4096);
    const cloud = new Cloud();
    cloud.up = false;
    const b1 = new Board(flash, cloud, null);
    assert.is(b1.bridge.stats().state, 'backoff');
    const acked = b1.publish(b1.publisher('sensor'), 1, 5, 1);
    assert.is(acked.length, 5, 'each acknowledged once its records were written');
    assert.is(b1.bridge.stats().queuedMessages, 5);
    cloud.up = true;
    const b2 = new Board(flash, cloud, b1);   // the power cut, then the cloud is up
    assert.ok(b2.log.some((l) => l.indexOf('5 messages for the upstream back from the store') >= 0), b2.log.join('\n'));
    b2.advance(3000);
    assert.is(b2.bridge.stats().state, 'connected');
    assert.equal(cloud.got, sent(acked, 1));
    assert.is(b2.bridge.stats().queuedMessages, 0);
    const b3 = new Board(flash, cloud, b2);   // and once more: what the cloud took does not come back
    b3.advance(3000);
    assert.equal(cloud.got, sent(acked, 1));
    assert.is(b3.bridge.stats().queuedMessages, 0);
  });

  test('[MQTT-4.3.3-1] a QoS 2 message the cloud got but never answered before the cut goes again with its packet id and DUP: the cloud routes it once', () => {
    const flash = new FakeFlash(64 * 4096);
    const cloud = new Cloud();
    const b1 = new Board(flash, cloud, null);
    assert.is(b1.bridge.stats().state, 'connected');
    cloud.deaf = true;   // its PUBRECs (and PUBACKs) are lost with the board
    const c = b1.publisher('sensor');
    const acked = b1.publish(c, 1, 3, 2).concat(b1.publish(c, 4, 5, 1));
    assert.is(acked.length, 5);
    assert.equal(cloud.got, sent(acked.slice(0, 3), 2).concat(sent(acked.slice(3, 4), 1)), 'a window of maxInflight (4) went up; v5 waits behind it');
    cloud.deaf = false;
    const b2 = new Board(flash, cloud, b1);
    b2.advance(3000);
    assert.match(b2.log.join('\n'), /session present 1/);
    assert.equal(cloud.counts(sent(acked.slice(0, 3), 2)), [1, 1, 1], 'QoS 2: exactly once');
    assert.equal(cloud.counts(sent(acked.slice(3), 1)).map((n) => n >= 1), [true, true], 'QoS 1: at least once');
    assert.is(b2.bridge.stats().queuedMessages, 0);
    const session = cloud.broker.sessions.get('site-1');
    assert.ok(session !== undefined && (session.awaitingRelease === null || session.awaitingRelease.size === 0), 'PUBREL came for each: the cloud awaits none');
    const b3 = new Board(flash, cloud, b2);
    b3.advance(3000);
    assert.equal(cloud.counts(sent(acked.slice(0, 3), 2)), [1, 1, 1], 'and not again after a later boot');
  });

  test('QoS 1 and 2 over several power cuts while the cloud comes and goes: every acknowledged message arrives, QoS 2 once', () => {
    const flash = new FakeFlash(64 * 4096);
    const cloud = new Cloud();
    const acked1: string[] = [];
    const acked2: string[] = [];
    let b: Board | null = null;
    let n = 0;
    for (let round = 0; round < 6; round++) {
      cloud.up = round % 2 === 1;
      b = new Board(flash, cloud, b);
      const c = b.publisher('sensor');
      acked1.push(...b.publish(c, n + 1, n + 3, 1));
      acked2.push(...b.publish(c, n + 4, n + 5, 2));
      n += 5;
    }
    cloud.up = true;
    b = new Board(flash, cloud, b);
    b.advance(5000);
    assert.equal(cloud.counts(sent(acked1, 1)).filter((k) => k === 0).length, 0, 'no QoS 1 message lost');
    assert.equal(cloud.counts(sent(acked2, 2)), acked2.map(() => 1), 'every QoS 2 message once');
    assert.is(acked1.length + acked2.length, 30);
  });

  test('the default queue (16 messages, 4096 bytes) fits the default 16 KiB store: a full queue, nothing refused, and it survives the reboot', () => {
    const flash = new FakeFlash(64 * 4096);
    const cloud = new Cloud();
    cloud.up = false;
    const b1 = new Board(flash, cloud, null);
    const c = b1.publisher('sensor', 5);
    const acked = b1.publish(c, 1, 60, 1, 220);
    const store = b1.store as NonNullable<Board['store']>;
    assert.is(acked.length, 60, 'every message acknowledged (refused by the store: ' + store.journal.stats.refused + ')');
    const kept = b1.bridge.stats().queuedMessages;
    assert.ok(kept > 0 && b1.bridge.stats().queuedBytes <= 4096, 'queued ' + kept + ', ' + b1.bridge.stats().queuedBytes + ' bytes');
    assert.is(b1.bridge.stats().dropped, 60 - kept, 'the oldest dropped at maxQueuedBytes, counted');
    cloud.up = true;
    const b2 = new Board(flash, cloud, b1);
    b2.advance(3000);
    assert.equal(cloud.got, sent(acked.slice(60 - kept), 1), 'the newest ' + kept + ' arrive');
  });

  test('a store too small for the queue: what the store refuses is never acknowledged (5.0: PUBACK 0x97), every acknowledged message arrives after the reboot', () => {
    const flash = new FakeFlash(64 * 4096);
    const cloud = new Cloud();
    cloud.up = false;
    const b1 = new Board(flash, cloud, null, { maxQueued: 1000, maxQueuedBytes: 1 << 20 }, { budgetBytes: 8192 });
    const c = b1.publisher('sensor', 5);
    const acked = b1.publish(c, 1, 60, 1, 200);
    const store = b1.store as NonNullable<Board['store']>;
    assert.ok(store.journal.stats.refused > 0, 'the store filled up');
    assert.ok(acked.length < 60, acked.length + ' acknowledged');
    cloud.up = true;
    const b2 = new Board(flash, cloud, b1);
    b2.advance(5000);
    const missing = sent(acked, 1).filter((m) => cloud.got.indexOf(m) < 0);
    assert.equal(missing, [], 'acknowledged, then lost');
  });

  test.run();
}
