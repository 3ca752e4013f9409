// The bridge on Espruino (ports/espruino/bridge-port.ts over the core's Bridge), as scenarios
// over the fake Espruino: the board runs its broker (listen(), local clients dial in) and a
// bridge to an upstream broker listening on the same fake at UPSTREAM (the broker bundle's
// listen() again, standing for the cloud), which can be cut off, stopped and started again.
// One uvu suite per Env: the TypeScript sources, and the built dist/espruino/ganglion-bridge.js
// loaded beside dist/espruino/ganglion.js.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { encode } from '../../core/index.js';
import type { Client, Env, ListenerLike } from './harness.js';
import { World } from './harness.js';
import { UPSTREAM, noFaults } from './client-scenarios.js';

interface BridgeLike {
  stats(): { state: string; address: string; sent: number; received: number; dropped: number; queuedMessages: number; queuedBytes: number; connects: number; lastError: string };
  stop(): void;
  core: { client: { stats: { requeued: number } } };
}

interface BridgeModule {
  bridge(site: ListenerLike, options: object): BridgeLike;
}

const RULES = ['sensors/# out 1 "" site-1/', 'cmd/# in 1 "" site-1/'];

export function bridgeScenarios(env: Env): void {
  const test = suite('espruino bridge (' + env.name + ')');
  let worlds: World[] = [];

  test.after.each(() => {
    noFaults(worlds);
    worlds = [];
  });

  class Rig {
    w: World;
    upstream: ListenerLike | null = null;
    up: string[] = [];          // "topic payload qos" that reached the upstream broker (its local subscriber to site-1/#)
    log: string[] = [];
    bridge!: BridgeLike;

    constructor(options: object, upstreamOptions: object = {}) {
      this.w = new World(env, {});
      worlds.push(this.w);
      this.startUpstream(upstreamOptions);
      const log = this.log;
      this.w.in(() => {
        const m = this.w.fake.modules['ganglion-bridge'] as BridgeModule;
        this.bridge = m.bridge(this.w.listener, {
          addresses: ['127.0.0.1:' + UPSTREAM], clientId: 'site-1', topics: RULES, log: (line: string) => { log.push(line); }, ...options,
        });
      });
      this.w.run();
    }

    startUpstream(o: object = {}): void {
      const up = this.up;
      this.w.in((m) => {
        const l = m.listen({ port: UPSTREAM, maxInflightIn: 16, maxQueued: 1000, maxQueuedBytes: 1 << 20, ...o }, {});
        const b = l.broker as unknown as { subscribe(f: string, fn: (msg: { topic: string; payload: Uint8Array; qos: number }) => void, now: number): unknown };
        b.subscribe('site-1/#', (msg) => { up.push(msg.topic + ' ' + Buffer.from(msg.payload).toString('latin1') + ' ' + msg.qos); }, Math.floor(this.w.fake.loop.now));
        this.upstream = l;
      });
    }

    stopUpstream(): void {
      this.w.in(() => (this.upstream as ListenerLike).close());
      this.upstream = null;
      this.w.run();
    }

    /** A local client subscribed to `filter` at QoS 1 (SUBACK read). */
    subscriber(id: string, filter: string): Client {
      const c = this.w.connected(id);
      c.send({ type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: filter, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] } as Packet);
      this.w.run();
      c.packets();
      return c;
    }

    /** A local client's PUBLISH (QoS 1: packet id `id`). */
    publish(c: Client, topic: string, payload: string, qos: number, id: number): void {
      c.send({ type: 3, dup: false, qos, retain: false, topic, packetId: qos > 0 ? id : 0, properties: null, payload: Buffer.from(payload) } as Packet);
      this.w.run();
    }

    cut(): void {
      const outgoing = this.w.fake.net.outgoing;
      outgoing[outgoing.length - 1].cut();
      this.w.run();
    }
  }

  function received(c: Client): string[] {
    const out: string[] = [];
    for (const p of c.packets()) {
      if (p.type !== 3) continue;
      const m = p as { topic: string; payload: Uint8Array; qos: number; packetId: number };
      out.push(m.topic + ' ' + Buffer.from(m.payload).toString('latin1') + ' ' + m.qos);
      if (m.qos === 1) c.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: null } as Packet);
    }
    return out;
  }

  test('connects, one log line per state change: 3.1.1 with mosquitto\'s bridge flag, which the upstream (ganglion) takes', () => {
    const r = new Rig({});
    assert.is(r.bridge.stats().state, 'connected');
    assert.equal(r.log, ['bridge cloud: connecting to 127.0.0.1:1884',
      'bridge cloud: connected to 127.0.0.1:1884 (MQTT 3.1.1 with the bridge flag, session present 0)']);
  });

  test('tryPrivate false: plain 3.1.1', () => {
    const r = new Rig({ tryPrivate: false });
    assert.equal(r.log, ['bridge cloud: connecting to 127.0.0.1:1884', 'bridge cloud: connected to 127.0.0.1:1884 (MQTT 3.1.1, session present 0)']);
  });

  test('MQTT 5.0 upstream: connected with 5.0', () => {
    const r = new Rig({ version: 5 });
    assert.equal(r.log, ['bridge cloud: connecting to 127.0.0.1:1884', 'bridge cloud: connected to 127.0.0.1:1884 (MQTT 5.0, session present 0)']);
    const sensor = r.w.connected('sensor');
    r.publish(sensor, 'sensors/t', '5', 1, 1);
    assert.equal(r.up, ['site-1/sensors/t 5 1']);
  });

  test('messages both ways: sensors/# out to site-1/sensors/# at QoS 1, site-1/cmd/# in to cmd/#', () => {
    const r = new Rig({});
    const led = r.subscriber('led', 'cmd/#');
    const sensor = r.w.connected('sensor');
    r.publish(sensor, 'sensors/t', '21.5', 1, 7);
    assert.equal(r.up, ['site-1/sensors/t 21.5 1']);
    r.w.in(() => (r.upstream as ListenerLike).publish('site-1/cmd/led', 'on', 1, false));
    r.w.run();
    assert.equal(received(led), ['cmd/led on 1']);
    assert.is(r.bridge.stats().sent, 1);
    assert.is(r.bridge.stats().received, 1);
  });

  test('a topic no rule names does not cross, either way', () => {
    const r = new Rig({});
    const local = r.subscriber('l', '#');
    const c = r.w.connected('c');
    r.publish(c, 'other/x', 'a', 0, 0);
    r.w.in(() => (r.upstream as ListenerLike).publish('site-1/other/y', 'b', 0, false));
    r.w.run();
    assert.equal(r.up, ['site-1/other/y b 0'], 'the upstream\'s own message only: other/x did not go up');
    assert.equal(received(local), ['other/x a 0'], 'the local one only: site-1/other/y did not come down');
  });

  test('upstream drop: backoff (jittered, half to all of backoffMinMs), then connected again; the session resumes', () => {
    const r = new Rig({ backoffMinMs: 2000 });
    r.cut();
    assert.is(r.bridge.stats().state, 'backoff');
    assert.match(r.log[r.log.length - 1], /^bridge cloud: backoff connection to 127\.0\.0\.1:1884 lost \(.*\); retrying in [12]\.\d s$/);
    r.w.advance(999);
    assert.is(r.bridge.stats().state, 'backoff', 'not before half of backoffMinMs');
    r.w.advance(1002);
    assert.is(r.bridge.stats().state, 'connected');
    assert.is(r.bridge.stats().connects, 2);
    assert.match(r.log[r.log.length - 1], /session present 1\)$/);
  });

  test('every address failed: backoff doubles per round (within its jitter), and the first address is tried first again', () => {
    const r = new Rig({ addresses: ['127.0.0.1:1999', '127.0.0.1:1998'], backoffMinMs: 1000, backoffMaxMs: 8000 });
    const tried = r.log.filter((l) => l.indexOf('retrying in') > 0).map((l) => +/retrying in ([\d.]+) s/.exec(l)![1]);
    assert.is(tried.length, 1);
    assert.ok(tried[0] >= 1 && tried[0] <= 2, 'first round: 1 to 2 s, got ' + tried[0]);
    r.w.advance(2001);
    const again = r.log.filter((l) => l.indexOf('retrying in') > 0).map((l) => +/retrying in ([\d.]+) s/.exec(l)![1]);
    assert.is(again.length, 2);
    assert.ok(again[1] >= 2 && again[1] <= 4, 'second round: 2 to 4 s, got ' + again[1]);
    assert.ok(r.log.some((l) => /^bridge cloud: 127\.0\.0\.1:1999 failed \(cannot connect to 127\.0\.0\.1:1999 .*\); trying 127\.0\.0\.1:1998$/.test(l)), r.log.join('\n'));
  });

  test('queue while offline: QoS 1 from local clients waits while the upstream is down, then goes in order', () => {
    const r = new Rig({ backoffMinMs: 1000 });
    r.stopUpstream();
    assert.ok(r.bridge.stats().state !== 'connected');
    const c = r.w.connected('sensor');
    for (let i = 1; i <= 5; i++) r.publish(c, 'sensors/n', 'v' + i, 1, i);
    assert.is(r.bridge.stats().queuedMessages, 5);
    r.startUpstream();
    r.w.advance(70000);
    assert.is(r.bridge.stats().state, 'connected');
    assert.equal(r.up, ['site-1/sensors/n v1 1', 'site-1/sensors/n v2 1', 'site-1/sensors/n v3 1', 'site-1/sensors/n v4 1', 'site-1/sensors/n v5 1']);
    assert.is(r.bridge.stats().queuedMessages, 0);
  });

  test('QoS 1 no loss: a flood cut off three times and the upstream restarted once (its session lost): every message arrives', () => {
    const r = new Rig({ backoffMinMs: 200, backoffMaxMs: 400, maxQueued: 200, maxQueuedBytes: 1 << 16 });
    const c = r.w.connected('sensor');
    let n = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 25; i++) {
        n++;
        c.send({ type: 3, dup: false, qos: 1, retain: false, topic: 'sensors/seq', packetId: 1 + (n % 60000), properties: null, payload: Buffer.from(String(n)) } as Packet);
        if (i === 12) r.w.run();
      }
      r.w.run();
      if (round < 3) r.cut();
      else {
        r.stopUpstream();
        r.startUpstream();
      }
      r.w.advance(1000);
    }
    r.w.advance(5000);
    const got = new Set(r.up.map((l) => +l.split(' ')[1]));
    const missing: number[] = [];
    for (let i = 1; i <= n; i++) if (!got.has(i)) missing.push(i);
    assert.equal(missing, [], 'lost');
    assert.is(r.bridge.stats().dropped, 0);
    assert.is(r.bridge.stats().connects, 5, 'reconnected each time');
  });

  test('limits: maxQueued while offline: the oldest go first, counted as dropped', () => {
    const r = new Rig({ maxQueued: 3, backoffMinMs: 1000 });
    r.stopUpstream();
    const c = r.w.connected('sensor');
    for (let i = 1; i <= 5; i++) r.publish(c, 'sensors/n', 'v' + i, 1, i);
    assert.is(r.bridge.stats().queuedMessages, 3);
    assert.is(r.bridge.stats().dropped, 2);
    r.startUpstream();
    r.w.advance(70000);
    assert.equal(r.up, ['site-1/sensors/n v3 1', 'site-1/sensors/n v4 1', 'site-1/sensors/n v5 1']);
  });

  test('limits: maxQueuedBytes bounds the queue in bytes; QoS 0 is not queued while offline (dropped, counted)', () => {
    const r = new Rig({ maxQueued: 100, maxQueuedBytes: 400, backoffMinMs: 1000 });
    r.stopUpstream();
    const c = r.w.connected('sensor');
    r.publish(c, 'sensors/q0', 'x', 0, 0);
    assert.is(r.bridge.stats().dropped, 1);
    for (let i = 1; i <= 10; i++) r.publish(c, 'sensors/n', 'v' + i, 1, i);
    assert.ok(r.bridge.stats().queuedBytes <= 400, 'queued bytes ' + r.bridge.stats().queuedBytes);
    assert.ok(r.bridge.stats().queuedMessages < 10, 'queued ' + r.bridge.stats().queuedMessages);
    assert.is(r.bridge.stats().dropped, 1 + 10 - r.bridge.stats().queuedMessages);
  });

  test('limits: an upstream that sends QoS 1 and never reads the answers: at maxOutboundBytes held the connection ends, counted as the error, then a backoff', () => {
    const w = new World(env, {});
    worlds.push(w);
    const log: string[] = [];
    // A raw upstream on the fake: CONNACK, then 1000 QoS 1 PUBLISHes on the bridge's `in` topic.
    let flood = '';
    for (let i = 1; i <= 1000; i++) {
      flood += Buffer.from(encode({ type: 3, dup: false, qos: 1, retain: false, topic: 'site-1/cmd/x', packetId: i, properties: null, payload: Buffer.from('x') } as Packet, 4)).toString('latin1');
    }
    let sent = false;
    w.fake.net.createServer((sock) => {
      sock.on('data', () => {
        if (sent) return;
        sent = true;
        w.fake.net.outgoing[0].reading = false;   // from now on nothing the board writes leaves it: its PUBACKs pile up
        sock.write('\x20\x02\x00\x00' + flood);
      });
    }).listen(1885);
    let b!: BridgeLike;
    w.in(() => {
      b = (w.fake.modules['ganglion-bridge'] as BridgeModule).bridge(w.listener, {
        addresses: ['127.0.0.1:1885'], topics: RULES, maxOutboundBytes: 2048, log: (line: string) => { log.push(line); },
      });
    });
    w.run();
    const near = w.fake.net.outgoing[0];
    assert.is(b.stats().state, 'backoff', log.join('\n'));
    assert.match(b.stats().lastError, /not reading: 2048 bytes of answers wait|\(limit\)/);
    assert.ok(near.socket.maxQueued < 1024 + 64, 'queued on the socket: ' + near.socket.maxQueued);
    assert.ok(b.stats().received < 1000, 'not all were taken: ' + b.stats().received);
  });

  test('no loop: a rule "both" on the same topics sends an upstream message in once and never back out', () => {
    const r = new Rig({ topics: ['shared/# both 1 "" site-1/'] });
    const local = r.subscriber('l', 'shared/#');
    r.w.in(() => (r.upstream as ListenerLike).publish('site-1/shared/a', 'from-cloud', 1, false));
    r.w.run();
    assert.equal(received(local), ['shared/a from-cloud 1']);
    assert.equal(r.up, ['site-1/shared/a from-cloud 1'], 'only the upstream\'s own publish, not an echo');
    assert.is(r.bridge.stats().sent, 0);
  });

  test('a local subscriber that answers a command from inside its delivery: the answer goes up, the command does not go back', () => {
    const r = new Rig({ topics: ['sensors/# out 1 "" site-1/', 'cmd/# both 1 "" site-1/'] });
    const b = r.w.listener.broker as unknown as { subscribe(f: string, fn: (m: { topic: string }) => void, now: number): unknown };
    r.w.in(() => b.subscribe('cmd/led', () => { r.w.listener.publish('sensors/led', 'on', 1, false); }, Math.floor(r.w.fake.loop.now)));
    r.w.in(() => (r.upstream as ListenerLike).publish('site-1/cmd/led', 'on', 1, false));
    r.w.run();
    assert.equal(r.up, ['site-1/cmd/led on 1', 'site-1/sensors/led on 1']);
    assert.is(r.bridge.stats().sent, 1);
  });

  test('stop(): DISCONNECT upstream (the upstream sees the client leave), local subscriptions ended, nothing more crosses', () => {
    const r = new Rig({});
    const before = r.w.fake.loop.sockets.filter((s) => !s.closed).length;
    r.w.in(() => r.bridge.stop());
    r.w.run();
    assert.is(r.bridge.stats().state, 'stopped');
    assert.is(r.w.fake.loop.sockets.filter((s) => !s.closed).length, before - 2, 'both ends of the upstream connection closed');
    const c = r.w.connected('sensor');
    r.publish(c, 'sensors/t', '1', 1, 1);
    r.w.advance(120000);
    assert.equal(r.up, []);
  });

  test('options a bridge cannot use throw at bridge(), with the reason', () => {
    const w = new World(env, {});
    worlds.push(w);
    const m = () => w.fake.modules['ganglion-bridge'] as BridgeModule;
    assert.throws(() => w.in(() => m().bridge(w.listener, { addresses: [], topics: RULES })), /addresses must list at least one/);
    assert.throws(() => w.in(() => m().bridge(w.listener, { addresses: ['h:99999'], topics: RULES })), /port from 1 to 65535/);
    assert.throws(() => w.in(() => m().bridge(w.listener, { addresses: ['h'], topics: ['a/# sideways'] })), /direction must be out, in or both/);
    assert.throws(() => w.in(() => m().bridge(w.listener, { addresses: ['h'], topics: ['a/# out 1 x/# y/'] })), /a prefix has no wildcards/);
    assert.throws(() => w.in(() => m().bridge(w.listener, { addresses: ['h'], topics: ['a/#/b out'] })), /is not a topic filter/);
  });

  test.run();
}
