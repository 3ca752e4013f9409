// The Espruino port's outgoing side (ports/espruino/client-socket.ts) under the core's client
// role, as scenarios over the fake Espruino: the board dials out with net.connect to an
// upstream broker listening on the same fake (the broker bundle's listen() on another port,
// standing for the cloud). One uvu suite per Env: the TypeScript sources, and the built
// dist/espruino/ganglion-bridge.js loaded beside dist/espruino/ganglion.js.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Env, PortModule } from './harness.js';
import { World } from './harness.js';
import type { FakeEspruino, LinkEnd } from './fake-espruino.js';

export const UPSTREAM = 1884;

/** What the tests use of the bridge module (the same shape from the sources and the bundle). */
export interface ClientLike {
  state: number;
  stats: { connects: number; messagesOut: number; messagesIn: number; completed: number; dropped: number; errors: number };
  publish(topic: string, payload: string, qos: number, retain: boolean, properties: null, nowMs: number): number;
  subscribe(subs: Array<{ topicFilter: string; qos: number }>, properties: null, nowMs: number): number;
  queuedMessages(): number;
}

export interface ClientSocketLike {
  open(host: string, port: number): void;
  after(): void;
  hangUp(): void;
  stop(): void;
  busy(): boolean;
}

export interface BridgeModule {
  createClient(o: object, events: object, nowMs: number): ClientLike;
  ClientSocket: new (client: ClientLike, net: unknown, owner: object, sendBudget: number, connectTimeoutMs: number) => ClientSocketLike;
}

/** An Env whose fake boards also have require("ganglion-bridge") (the sources' module when `sources` is given). */
export function withBridge(env: Env, sources: BridgeModule | null): Env {
  if (sources === null) return env;
  return {
    name: env.name,
    text: env.text,
    with<T>(fake: FakeEspruino, fn: (m: PortModule) => T): T {
      fake.modules['ganglion-bridge'] = sources;
      return env.with(fake, fn);
    },
  };
}

export interface Upstream {
  messages: string[];                 // "topic payload qos" of what reached the upstream broker
  publish(topic: string, payload: string, qos: number): void;
}

/** The upstream broker of a world (its own listener), with a local subscriber to `up/#`. */
export function upstream(w: World): Upstream {
  const messages: string[] = [];
  const b = w.listener.broker as unknown as { subscribe(f: string, fn: (m: { topic: string; payload: Uint8Array; qos: number }) => void, now: number): unknown };
  w.in(() => b.subscribe('up/#', (m) => { messages.push(m.topic + ' ' + Buffer.from(m.payload).toString('latin1') + ' ' + m.qos); }, Math.floor(w.fake.loop.now)));
  return {
    messages,
    publish(topic: string, payload: string, qos: number): void {
      w.in(() => w.listener.publish(topic, payload, qos, false));
    },
  };
}

/** After each test: no view of a received string was written through (it would change the string on Espruino), no handler threw. */
export function noFaults(worlds: World[]): void {
  for (const w of worlds) {
    assert.is(w.fake.E.mutatedViews(), 0, 'received views written through');
    assert.equal(w.fake.loop.errors.map(String), [], 'errors thrown inside event handlers');
  }
}

export function clientScenarios(env: Env): void {
  const test = suite('espruino client socket (' + env.name + ')');
  let worlds: World[] = [];

  test.after.each(() => {
    noFaults(worlds);
    worlds = [];
  });

  interface Rig {
    w: World;
    up: Upstream;
    client: ClientLike;
    sock: ClientSocketLike;
    events: string[];
    received: string[];
    link(): LinkEnd;
  }

  function rig(clientOptions: object = {}, sendBudget = 1024, connectTimeoutMs = 5000, upstreamOptions: object = {}): Rig {
    const w = new World(env, { port: UPSTREAM, maxInflightIn: 16, maxQueued: 100, ...upstreamOptions });
    worlds.push(w);
    const up = upstream(w);
    const events: string[] = [];
    const received: string[] = [];
    let client!: ClientLike;
    let sock!: ClientSocketLike;
    w.in(() => {
      const m = w.fake.modules['ganglion-bridge'] as BridgeModule;
      client = m.createClient({ clientId: 'dev', keepAlive: 10, ...clientOptions }, {
        connected(_c: unknown, present: boolean) { events.push('connected ' + present); },
        message(_c: unknown, p: { topic: string; payload: Uint8Array; qos: number }) {
          received.push(p.topic + ' ' + Buffer.from(p.payload).toString('latin1') + ' ' + p.qos);
        },
        // The rule, not the sentence: the Espruino bundles leave the sentences out (short-texts.mjs).
        closed(_c: unknown, err: { rule: string } | null) { events.push('closed ' + (err === null ? 'null' : err.rule)); },
      }, Math.floor(w.fake.loop.now));
      sock = new m.ClientSocket(client, w.fake.net, {
        failed(why: string) { events.push('failed ' + why); },
        faulted(where: string, e: unknown) { events.push('faulted ' + where + ' ' + String(e)); },
      }, sendBudget, connectTimeoutMs);
    });
    return { w, up, client, sock, events, received, link: () => w.fake.net.outgoing[w.fake.net.outgoing.length - 1] };
  }

  function open(r: Rig): void {
    r.w.in(() => r.sock.open('127.0.0.1', UPSTREAM));
    r.w.run();
  }

  test('net.connect, then CONNECT on the connect event; the upstream accepts it (CONNACK)', () => {
    const r = rig();
    open(r);
    assert.equal(r.events, ['connected false']);
    assert.is(r.client.state, 2);
    assert.equal(r.w.events, ['+dev'], 'the upstream broker has the client');
  });

  test('messages both ways: QoS 1 up is acknowledged, a subscription brings QoS 1 down', () => {
    const r = rig();
    open(r);
    r.w.in(() => {
      r.client.subscribe([{ topicFilter: 'down/#', qos: 1 }], null, Math.floor(r.w.fake.loop.now));
      r.client.publish('up/t', '21.5', 1, false, null, Math.floor(r.w.fake.loop.now));
      r.sock.after();
    });
    r.w.run();
    assert.equal(r.up.messages, ['up/t 21.5 1']);
    assert.is(r.client.stats.completed, 1, 'PUBACK came back');
    r.up.publish('down/led', 'on', 1);
    r.w.run();
    assert.equal(r.received, ['down/led on 1']);
  });

  test('a refused connection (net.connect throws at once on Linux) is reported to failed() on a later turn, no throw', () => {
    const r = rig();
    r.w.in(() => r.sock.open('127.0.0.1', 1999));
    assert.equal(r.events, [], 'not from inside open()');
    r.w.run();
    assert.is(r.events.length, 1);
    assert.match(r.events[0], /^failed cannot connect to 127\.0\.0\.1:1999/);
    assert.is(r.sock.busy(), false);
  });

  test('no connect event within connectTimeoutMs: the socket is ended and failed() told', () => {
    const r = rig({}, 1024, 3000);
    r.w.fake.net.unreachable.push(UPSTREAM);
    open(r);
    r.w.advance(2999);
    assert.equal(r.events, []);
    r.w.advance(2);
    assert.equal(r.events, ['failed no connection within 3000 ms']);
    assert.is(r.sock.busy(), false);
  });

  test('hangUp(): a dial given up ends its socket and reports nothing', () => {
    const r = rig({}, 1024, 0);
    r.w.fake.net.unreachable.push(UPSTREAM);
    open(r);
    r.w.in(() => r.sock.hangUp());
    r.w.advance(60000);
    assert.equal(r.events, []);
    assert.is(r.sock.busy(), false);
  });

  test('the network fails (both ends reset): the client is told closed, and a new open() connects again', () => {
    const r = rig({ cleanStart: false });
    open(r);
    r.link().cut();
    r.w.run();
    assert.equal(r.events, ['connected false', 'closed (network)']);
    assert.is(r.sock.busy(), false);
    open(r);
    assert.equal(r.events.slice(2), ['connected true'], 'the upstream kept the session');
  });

  test('QoS 1 in flight when the network fails is sent again with DUP on the new connection and arrives', () => {
    const r = rig({ cleanStart: false });
    open(r);
    r.link().reading = false;   // the upstream's socket never takes it
    r.w.in(() => { r.client.publish('up/q', 'x', 1, false, null, Math.floor(r.w.fake.loop.now)); r.sock.after(); });
    r.w.run();
    r.link().cut();
    r.w.run();
    assert.equal(r.up.messages, []);
    open(r);
    assert.equal(r.up.messages, ['up/q x 1']);
    assert.is(r.client.stats.completed, 1);
  });

  test('send budget: an upstream that does not read holds the frames in the client, bounded; they all go once it reads', () => {
    const r = rig({ maxQueued: 100, maxQueuedBytes: 1 << 16 }, 256);
    open(r);
    const mine = r.link().socket;
    r.link().reading = false;
    r.w.in(() => {
      for (let i = 0; i < 40; i++) r.client.publish('up/s', 'payload-' + i, 0, false, null, Math.floor(r.w.fake.loop.now));
      r.sock.after();
    });
    r.w.run();
    assert.ok(mine.maxQueued < 256 + 64, 'queued on the socket: ' + mine.maxQueued);
    assert.ok(r.client.queuedMessages() > 0, 'the rest wait in the client');
    r.link().reading = true;
    r.w.run();
    assert.is(r.up.messages.length, 40);
    assert.is(r.up.messages[39], 'up/s payload-39 0');
  });

  test('issue 13: a throw in the socket\'s data handler ends that connection: owner.faulted, client closed, board carries on', () => {
    const r = rig();
    open(r);
    // The fake E serves both ends: throw only for the SUBACK (first byte 0x90), which only the board reads.
    const E = r.w.fake.E;
    const toArrayBuffer = E.toArrayBuffer;
    E.toArrayBuffer = function (str: string): ArrayBuffer {
      if (str.charCodeAt(0) !== 0x90) return toArrayBuffer.call(E, str);
      E.toArrayBuffer = toArrayBuffer;
      throw new Error('bug');
    };
    r.w.in(() => { r.client.subscribe([{ topicFilter: 'down/#', qos: 0 }], null, Math.floor(r.w.fake.loop.now)); r.sock.after(); });
    r.w.run();
    assert.ok(r.events.some((e) => e.indexOf('faulted data') === 0 && e.indexOf('bug') > 0), r.events.join('\n'));
    assert.ok(r.events.some((e) => e.indexOf('closed') === 0), r.events.join('\n'));
    assert.is(r.sock.busy(), false);
    open(r);
    assert.is(r.client.state, 2, 'connects again');
  });

  test('keep-alive: PINGREQ after Keep Alive of silence, answered; an upstream that stops answering is found', () => {
    // pingTimeoutMs 2000: the client gives up before the upstream's own 1.5 x Keep Alive ends it.
    const r = rig({ keepAlive: 10, pingTimeoutMs: 2000 });
    open(r);
    r.w.advance(10000);
    assert.is(r.client.state, 2);
    assert.equal(r.events, ['connected false'], 'the PINGREQ at 10 s was answered');
    r.link().reading = false;         // nothing the board sends reaches the upstream
    r.link().other.reading = false;   // nor the other way
    r.w.advance(10000);
    assert.is(r.client.state, 2);
    r.w.advance(2001);
    assert.is(r.client.state, 0);
    assert.ok(r.events.some((e) => e === 'closed 4:§3.1.2.10'), r.events.join('\n'));
  });

  test('the client\'s disconnect() then stop(): DISCONNECT goes, the socket closes', () => {
    const r = rig();
    open(r);
    r.w.in(() => { (r.client as unknown as { disconnect(rc: number, now: number): void }).disconnect(0, Math.floor(r.w.fake.loop.now)); r.sock.stop(); });
    r.w.run();
    assert.equal(r.w.events, ['+dev', '-dev']);
    assert.is(r.sock.busy(), false);
  });

  test.run();
}
