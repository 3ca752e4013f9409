// The Espruino store as shipped (issue 19): dist/espruino/ganglion-store.js loaded beside
// dist/espruino/ganglion-full.js in the Espruino-like context of port-bundle.test.ts (no Map, Set,
// Symbol, Object.freeze; byte strings), on the fake Storage over a fake flash that loses power
// at a random byte. A persistent 3.1.1 session subscribes to q/# at QoS 1 and goes away; then,
// boot after boot, a publisher floods retained messages (r/0 .. r/3) and QoS 1 messages for
// that offline session through the real port until the power goes (the fake board then stops
// dead: nothing more reaches the wire). Each boot the broker starts from what the store kept
// (its own load and compactions); a fresh subscriber to r/# must get, per topic, the newest
// value the publisher had a success PUBACK for (or a newer one); at the end the persistent
// session comes back and must receive every q/ message that was acknowledged. Then the store's
// writeInflight option as built: a QoS 1 message unanswered by a connected persistent
// subscriber at the cut is sent again after the reboot with it, and lost without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { FakeFlash } from '../store/fake-flash.js';
import { FakeStorage } from './fake-storage.js';
import { FakeEspruino } from './fake-espruino.js';
import { Client, builtBundle, bundleEnv } from './harness.js';
import type { PortModule } from './harness.js';

const env = bundleEnv(builtBundle('dist/espruino/ganglion-full.js'), { 'ganglion-store': builtBundle('dist/espruino/ganglion-store.js') });
const PORT = 1883;
// Room for the whole offline queue: what the test checks is the store, not the queue limits.
const OPTIONS = { port: PORT, maxQueued: 5000, maxQueuedBytes: 1 << 20, maxOfflineBytes: 1 << 20, maxInflight: 16 };

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

interface Board { fake: FakeEspruino; store: { journal: { stats: { refused: number; compactions: number } } } }

function boot(flash: FakeFlash, storeOptions: object = {}): Board {
  flash.reboot();
  const fake = new FakeEspruino();
  fake.useStorage(FakeStorage.boot(flash));
  let store: Board['store'] | null = null;
  env.with(fake, (m: PortModule) => {
    const lib = fake.modules['ganglion-store'] as { storageStore(o: object): Board['store'] };
    store = lib.storageStore({ budgetBytes: 131072, ...storeOptions });
    m.listen({ ...OPTIONS, store }, {});
  });
  return { fake, store: store as unknown as Board['store'] };
}

function connect(b: Board, id: string, clean: boolean, version: number): Client {
  const c = new Client(b.fake.net.dial(PORT), version);
  c.send({ type: 1, protocolName: 'MQTT', protocolVersion: version, cleanStart: clean, keepAlive: 0, properties: null, clientId: id, will: null, username: null, password: null } as Packet);
  env.with(b.fake, () => b.fake.loop.advance(1));
  return c;
}

/** Everything a client is sent until nothing more comes, QoS 1 PUBLISHes acknowledged. */
function drain(b: Board, c: Client): Array<{ topic: string; payload: string }> {
  const got: Array<{ topic: string; payload: string }> = [];
  for (let quiet = 0; quiet < 3;) {
    env.with(b.fake, () => b.fake.loop.advance(1));
    const ps = c.packets();
    if (ps.length === 0) { quiet++; continue; }
    quiet = 0;
    for (const p of ps) {
      if (p.type !== 3) continue;
      const m = p as { topic: string; payload: Uint8Array; qos: number; packetId: number };
      got.push({ topic: m.topic, payload: text(m.payload) });
      if (m.qos === 1) c.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: null } as Packet);
    }
  }
  return got;
}

test('bundle: power cut at random bytes during a flood of retained and queued QoS 1 messages; every acknowledged one is there after each reboot', () => {
  const flash = new FakeFlash(64 * 4096);
  let seed = 777;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  // The persistent session: subscribe at QoS 1, then leave (FIN, no DISCONNECT).
  let b = boot(flash);
  const s = connect(b, 's', false, 4);
  s.send({ type: 8, packetId: 1, subscriptions: [{ topicFilter: 'q/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: null } as Packet);
  env.with(b.fake, () => b.fake.loop.advance(1));
  s.packets();
  s.end.fin();
  env.with(b.fake, () => b.fake.loop.advance(1));

  const retainedAcked = new Map<string, number>();   // topic -> newest value with a success PUBACK
  const queuedAcked: string[] = [];
  let seq = 0;
  let cuts = 0;
  for (let round = 0; round < 20; round++) {
    b = boot(flash);
    // The retained values, as a new subscriber sees them.
    const r = connect(b, 'r' + round, true, 4);
    r.packets();
    r.send({ type: 8, packetId: 1, subscriptions: [{ topicFilter: 'r/#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: null } as Packet);
    const have = new Map<string, number>();
    for (const m of drain(b, r)) have.set(m.topic, +m.payload.slice(1));
    retainedAcked.forEach((value, topic) => {
      const v = have.get(topic);
      assert.ok(v !== undefined && v >= value, 'boot ' + round + ': ' + topic + ' v' + value + ' was acknowledged; the broker has ' + (v === undefined ? 'nothing' : 'v' + v));
    });
    r.end.fin();
    // The flood, MQTT 5 (a refusal shows as a reason code), until the power goes.
    const c = connect(b, 'p', true, 5);
    c.packets();
    flash.cutAfter(300 + rand(4000));
    const sent = new Map<number, [string, number]>();
    for (let i = 0; i < 120 && b.fake.loop.powered; i++) {
      const retained = i % 2 === 0;
      const topic = retained ? 'r/' + ((i >> 1) % 4) : 'q/x';
      const value = ++seq;
      const id = i + 1;
      sent.set(id, [topic, value]);
      c.send({ type: 3, dup: false, qos: 1, retain: retained, topic, packetId: id, properties: null, payload: latin1('v' + value) } as Packet);
      env.with(b.fake, () => b.fake.loop.advance(1));   // the store's flush is a timer, like the port's
      for (const p of c.packets()) {
        if (p.type !== 4) continue;
        const a = p as { packetId: number; reasonCode: number };
        if (a.reasonCode >= 0x80) continue;              // refused: never acknowledged
        const [t, v] = sent.get(a.packetId) as [string, number];
        if (t === 'q/x') queuedAcked.push('v' + v);
        else retainedAcked.set(t, Math.max(retainedAcked.get(t) ?? 0, v));
      }
    }
    if (!b.fake.loop.powered) cuts++;
  }
  // The persistent session comes back: every acknowledged QoS 1 message is delivered.
  b = boot(flash);
  const back = connect(b, 's', false, 4);
  const got = drain(b, back).filter((m) => m.topic === 'q/x').map((m) => m.payload);
  const missing = queuedAcked.filter((v) => got.indexOf(v) < 0);
  assert.equal(missing, [], missing.length + ' of ' + queuedAcked.length + ' acknowledged QoS 1 messages lost');
  assert.ok(cuts >= 15, cuts + ' cuts');
  assert.ok(queuedAcked.length > 100 && retainedAcked.size === 4, queuedAcked.length + ' queued acknowledged');
});

/**
 * A persistent session connected with a QoS 1 message in flight, unanswered, when the power
 * goes (after the publisher's PUBACK); what it is sent when it comes back after the reboot.
 */
function inflightAcrossPowerCut(writeInflight: boolean): Array<{ topic: string; payload: string; dup: boolean }> {
  const flash = new FakeFlash(64 * 4096);
  let b = boot(flash, { writeInflight });
  const s = connect(b, 's', false, 4);
  s.send({ type: 8, packetId: 1, subscriptions: [{ topicFilter: 'q/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: null } as Packet);
  const p = connect(b, 'p', true, 4);
  p.send({ type: 3, dup: false, qos: 1, retain: false, topic: 'q/x', packetId: 1, properties: null, payload: latin1('v1') } as Packet);
  env.with(b.fake, () => b.fake.loop.advance(1));   // the store's flush, then the PUBACK
  assert.equal(p.packets().map((x) => x.type), [2, 4], 'CONNACK, PUBACK');
  assert.equal(s.packets().map((x) => x.type), [2, 9, 3], 'CONNACK, SUBACK, the PUBLISH (left unanswered)');
  b = boot(flash, { writeInflight });                 // the power cut: the board stops, and boots
  const back = connect(b, 's', false, 4);
  const got: Array<{ topic: string; payload: string; dup: boolean }> = [];
  for (let i = 0; i < 3; i++) env.with(b.fake, () => b.fake.loop.advance(1));
  for (const x of back.packets()) {
    if (x.type === 2) assert.is((x as { sessionPresent: boolean }).sessionPresent, true, 'the session came back');
    if (x.type !== 3) continue;
    const m = x as { topic: string; payload: Uint8Array; dup: boolean };
    got.push({ topic: m.topic, payload: text(m.payload), dup: m.dup });
  }
  return got;
}

test('bundle, writeInflight: 4:MQTT-4.4.0-1 a QoS 1 message in flight to a connected persistent subscriber survives a power cut and is sent again with DUP 1', () => {
  assert.equal(inflightAcrossPowerCut(true), [{ topic: 'q/x', payload: 'v1', dup: true }]);
});

test('bundle, writeInflight off (the default): that message is what the power cut loses; the session comes back', () => {
  assert.equal(inflightAcrossPowerCut(false), []);
});

test.run();
