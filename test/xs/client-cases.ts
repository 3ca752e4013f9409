// The Moddable port's outgoing side (ports/moddable/client-socket.js) under the core's client
// role, over the fake ECMA-419 sockets (test/xs/fake-moddable/): the device dials out with
// `new TCP({ address, port })` to an upstream broker listening in the same fake world (a
// BrokerServer on port 1884, standing for the cloud). Run unchanged on Node and inside XS by
// test/xs/run.mjs, like moddable-cases.ts; each case returns `{ name, result, problem }`.
//
// ECMAScript built-ins only: this runs in XS.

import { BrokerServer, MonotonicClock } from '../../ports/moddable/broker-server.js';
import { ClientSocket } from '../../ports/moddable/client-socket.js';
import type { CodecError, MqttClient, PublishPacket } from '../../core/index.js';
import type { LinkPeer } from './fake-moddable/world.js';
import { resetWorld } from './fake-moddable/world.js';
import type { CaseResult } from './xs-bytes.js';
import type { Scenario as TranscriptScenario } from './transcript.js';
import { Transcript, runScenarios } from './transcript.js';

type Api = typeof import('../../core/index.js');

export const UPSTREAM = 1884;

function text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export class ClientRig extends Transcript {
  upstream: BrokerServer;
  clock: MonotonicClock;
  client: MqttClient;
  sock: ClientSocket;
  events: string[];        // the client's and the owner's events, in order
  up: string[];            // "topic payload qos" that reached the upstream broker
  down: string[];          // "topic payload qos" that reached the client
  upstreamLog: string[];

  constructor(api: Api, clientOptions: object, sendBuffer: number, connectTimeoutMs: number) {
    super(resetWorld(sendBuffer, 16, 0));
    const events: string[] = [];
    const up: string[] = [];
    const down: string[] = [];
    const upstreamLog: string[] = [];
    this.events = events;
    this.up = up;
    this.down = down;
    this.upstreamLog = upstreamLog;
    this.upstream = new BrokerServer({ port: UPSTREAM, limits: { maxInflightIn: 16, maxQueued: 100 }, log: function (line: string) { upstreamLog.push(line); } });
    this.upstream.subscribe('up/#', function (m) { up.push(m.topic + ' ' + text(m.payload) + ' ' + m.qos); });
    this.clock = new MonotonicClock();
    const o: Record<string, unknown> = { clientId: 'dev', keepAlive: 10 };
    Object.assign(o, clientOptions);
    this.client = api.createClient(o as never, {
      connected: function (_c: MqttClient, present: boolean) { events.push('connected ' + present); },
      message: function (_c: MqttClient, p: PublishPacket) { down.push(p.topic + ' ' + text(p.payload) + ' ' + p.qos); },
      closed: function (_c: MqttClient, err: CodecError | null) { events.push('closed ' + (err === null ? 'null' : err.rule)); },
    }, this.clock.read());
    this.sock = new ClientSocket(this.client, {
      failed: function (why: string) { events.push('failed ' + why); },
      faulted: function (where: string, e: unknown) { events.push('faulted ' + where + ' ' + String(e)); },
    }, this.clock, connectTimeoutMs);
  }

  open(): void {
    this.sock.open('127.0.0.1', UPSTREAM);
    this.world.run();
  }

  link(): LinkPeer {
    return this.world.links[this.world.links.length - 1];
  }

  publish(topic: string, payload: string, qos: 0 | 1 | 2): void {
    this.client.publish(topic, payload, qos, false, null, this.clock.read());
    this.sock.after();
    this.world.run();
  }
}

type Scenario = TranscriptScenario<Api>;
const SCENARIOS: Array<[string, Scenario]> = [];

function scenario(name: string, run: Scenario): void {
  SCENARIOS.push([name, run]);
}

scenario('new TCP({ address, port }), CONNECT on the first onWritable, the upstream accepts it', function (api) {
  const r = new ClientRig(api, {}, 8192, 5000);
  r.open();
  r.same('open', r.events, ['connected false']);
  r.check('open', r.client.state === 2, 'client connected');
  r.check('open', r.upstream.broker.connections.length === 1, 'the upstream has it');
  return r.finish();
});

scenario('messages both ways: QoS 1 up acknowledged, a QoS 1 subscription brings messages down', function (api) {
  const r = new ClientRig(api, {}, 8192, 5000);
  r.open();
  r.client.subscribe([{ topicFilter: 'down/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, r.clock.read());
  r.publish('up/t', '21.5', 1);
  r.same('up', r.up, ['up/t 21.5 1']);
  r.check('up', r.client.stats.completed === 1, 'PUBACK came back');
  r.upstream.publish('down/led', 'on', 1, false);
  r.world.run();
  r.same('down', r.down, ['down/led on 1']);
  return r.finish();
});

scenario('nothing listens: onError, then failed() on a later turn; no throw', function (api) {
  const r = new ClientRig(api, {}, 8192, 5000);
  r.sock.open('127.0.0.1', 1999);
  r.same('opened', r.events, []);
  r.world.run();
  r.same('refused', r.events, ['failed closed by the server or the network']);
  r.check('refused', !r.sock.busy(), 'no connection left');
  r.check('refused', r.world.active === 0, 'its PCB freed: ' + r.world.active);
  return r.finish();
});

scenario('a host name where the TCP client wants an IPv4 address: failed() with the SDK\'s "invalid address"', function (api) {
  const r = new ClientRig(api, {}, 8192, 5000);
  r.sock.open('cloud.example', UPSTREAM);
  r.world.run();
  r.check('name', r.events.length === 1 && r.events[0].indexOf('failed cannot connect to cloud.example:1884') === 0 &&
    r.events[0].indexOf('invalid address') > 0, 'failed: ' + r.events.join(','));
  return r.finish();
});

scenario('no answer within connectTimeoutMs: the socket is closed and failed() told', function (api) {
  const r = new ClientRig(api, {}, 8192, 3000);
  r.world.unreachable.push(UPSTREAM);
  r.open();
  r.world.advance(2999, 1000);
  r.same('2999 ms', r.events, []);
  r.world.advance(2, 1000);
  r.same('3001 ms', r.events, ['failed no connection within 3000 ms']);
  r.check('3001 ms', r.world.active === 0, 'its PCB freed: ' + r.world.active);
  return r.finish();
});

scenario('the network fails: closed (network); open() again resumes the session', function (api) {
  const r = new ClientRig(api, { cleanStart: false }, 8192, 5000);
  r.open();
  r.link().cut();
  r.world.run();
  r.same('cut', r.events, ['connected false', 'closed (network)']);
  r.check('cut', !r.sock.busy(), 'no connection left');
  r.open();
  r.same('again', r.events.slice(2), ['connected true']);
  return r.finish();
});

scenario('QoS 1 lost with the connection is sent again (DUP) on the next one and arrives once', function (api) {
  const r = new ClientRig(api, { cleanStart: false }, 8192, 5000);
  r.open();
  r.link().stalled = true;
  r.publish('up/q', 'x', 1);
  r.link().cut();
  r.world.run();
  r.same('cut', r.up, []);
  r.open();
  r.same('again', r.up, ['up/q x 1']);
  r.check('again', r.client.stats.completed === 1, 'acknowledged');
  return r.finish();
});

scenario('send buffer: never a write over the free space; what waits goes as the upstream acknowledges', function (api) {
  const r = new ClientRig(api, { maxQueued: 100, maxQueuedBytes: 65536 }, 256, 5000);
  r.open();
  const near = r.link();
  near.autoAck = false;
  for (let i = 0; i < 40; i++) r.client.publish('up/s', 'payload-' + i, 0, false, null, r.clock.read());
  r.sock.after();
  r.world.run();
  r.check('stalled', r.client.queuedMessages() > 0, 'messages wait in the client (' + r.client.queuedMessages() + ')');
  r.check('stalled', r.up.length < 40, 'not all arrived yet (' + r.up.length + ')');
  for (let i = 0; i < 50 && r.up.length < 40; i++) {
    near.ack(near.waitingAck);
    r.world.run();
  }
  r.check('acked', r.up.length === 40 && r.up[39] === 'up/s payload-39 0', 'all 40 arrived in order (' + r.up.length + ')');
  return r.finish();
});

scenario('keep-alive: PINGREQ after Keep Alive, answered; an upstream that stops answering is found', function (api) {
  const r = new ClientRig(api, { keepAlive: 10, pingTimeoutMs: 2000 }, 8192, 5000);
  r.open();
  r.world.advance(10000, 1000);
  r.same('10 s', r.events, ['connected false']);
  r.link().stalled = true;
  (r.link().other as LinkPeer).stalled = true;
  r.world.advance(10000, 1000);
  r.check('20 s', r.client.state === 2, 'still connected');
  r.world.advance(2001, 1000);
  r.same('22 s', r.events, ['connected false', 'closed 4:§3.1.2.10']);
  return r.finish();
});

scenario('issue 13: a throw in the socket\'s read ends that connection: owner.faulted, client closed, a new one works', function (api) {
  const r = new ClientRig(api, {}, 8192, 5000);
  r.open();
  const t = r.sock.current;
  if (t === null || t.tcp === null) throw new Error('no transport');
  const tcp = t.tcp;
  const read = tcp.read;
  tcp.read = function () { tcp.read = read; throw new Error('bug'); };
  r.client.subscribe([{ topicFilter: 'down/#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, r.clock.read());
  r.sock.after();
  r.world.run();
  r.same('fault', r.events, ['connected false', 'faulted read Error: bug', 'closed (network)']);
  r.check('fault', !r.sock.busy(), 'no connection left');
  r.open();
  r.check('again', r.client.state === 2, 'connected again');
  return r.finish();
});

scenario('hangUp(): a dial given up closes its socket and reports nothing', function (api) {
  const r = new ClientRig(api, {}, 8192, 0);
  r.world.unreachable.push(UPSTREAM);
  r.open();
  r.sock.hangUp();
  r.world.advance(60000, 10000);
  r.same('hung up', r.events, []);
  r.check('hung up', !r.sock.busy() && r.world.active === 0, 'no socket left (' + r.world.active + ' PCBs)');
  return r.finish();
});

scenario('disconnect() then stop(): DISCONNECT to the upstream (so its will is not sent), the socket closed, no timer left', function (api) {
  const will = { topic: 'up/will', payload: new Uint8Array([0x31]), qos: 0, retain: false, properties: null };
  const r = new ClientRig(api, { will: will }, 8192, 5000);
  r.open();
  r.client.disconnect(0, r.clock.read());
  r.sock.stop();
  r.world.run();
  r.check('stop', r.upstream.broker.connections.length === 0, 'the upstream has no connection');
  r.same('stop', r.up, []);
  r.check('stop', !r.sock.busy(), 'no connection left');
  let active = 0;
  for (let i = 0; i < r.world.timers.length; i++) if (r.world.timers[i].active && r.world.timers[i].callback === (r.sock as unknown as { timerCallback: unknown }).timerCallback) active++;
  r.check('stop', active === 0, 'the client socket\'s timer is gone');
  return r.finish();
});

export function runClientCases(api: Api): CaseResult[] {
  return runScenarios('moddable client: ', SCENARIOS, api);
}
