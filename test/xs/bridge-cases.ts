// The bridge on Moddable (ports/moddable/bridge.js over the core's Bridge) over the fake
// ECMA-419 sockets: the device runs its BrokerServer on 1883 (local clients connect to it) and
// a bridge to an upstream BrokerServer in the same fake world on 1884 (standing for the cloud),
// which can be cut off, stopped and started again. Run unchanged on Node and inside XS by
// test/xs/run.mjs, like moddable-cases.ts; each case returns `{ name, result, problem }`.
//
// ECMAScript built-ins only: this runs in XS.

import { BrokerServer } from '../../ports/moddable/broker-server.js';
import { bridge } from '../../ports/moddable/bridge.js';
import type { DeviceBridge } from '../../ports/moddable/bridge.js';
import type { Decoder, Packet, PublishPacket } from '../../core/index.js';
import type { FakePeer, LinkPeer } from './fake-moddable/world.js';
import { resetWorld } from './fake-moddable/world.js';
import { resetDisk } from './fake-moddable/file.js';
import type { Disk } from './fake-moddable/file.js';
import { fileStore } from '../../ports/moddable/file-store.js';
import type { CaseResult } from './xs-bytes.js';
import { errorText } from './xs-bytes.js';
import type { Scenario as TranscriptScenario } from './transcript.js';
import { Transcript, runScenarios } from './transcript.js';

type Api = typeof import('../../core/index.js');

const UPSTREAM = 1884;
const RULES = ['sensors/# out 1 "" site-1/', 'cmd/# in 1 "" site-1/'];

function text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A local MQTT 3.1.1 client of the device's broker. */
class Local {
  api: Api;
  peer: FakePeer;
  decoder: Decoder;
  constructor(api: Api, peer: FakePeer) {
    this.api = api;
    this.peer = peer;
    this.decoder = new api.Decoder({ version: 4, maxPacketSize: 1 << 20 });
  }
  send(p: Packet): void {
    this.peer.send(this.api.encode(p, 4));
  }
  /** PUBLISHes received since the last call as "topic payload qos" (QoS 1 acknowledged). */
  messages(): string[] {
    this.decoder.push(this.peer.take());
    const out: string[] = [];
    for (let p = this.decoder.next(); p !== null; p = this.decoder.next()) {
      if (p.type !== 3) continue;
      const m = p as PublishPacket;
      out.push(m.topic + ' ' + text(m.payload) + ' ' + m.qos);
      if (m.qos === 1) this.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: null } as Packet);
    }
    return out;
  }
}

class Rig extends Transcript {
  api: Api;
  site: BrokerServer;
  upstream: BrokerServer | null;
  bridge: DeviceBridge;
  up: string[];
  bridgeLog: string[];

  constructor(api: Api, options: Record<string, unknown>) {
    super(resetWorld(8192, 16, 0));
    this.api = api;
    this.up = [];
    this.bridgeLog = [];
    this.upstream = null;
    this.site = new BrokerServer({ port: 1883 });
    this.startUpstream();
    const bridgeLog = this.bridgeLog;
    const o: Record<string, unknown> = { addresses: ['127.0.0.1:' + UPSTREAM], clientId: 'site-1', topics: RULES, log: function (line: string) { bridgeLog.push(line); } };
    Object.assign(o, options);
    this.bridge = bridge(this.site, o as never);
    this.world.run();
  }

  startUpstream(): void {
    const up = this.up;
    this.upstream = new BrokerServer({ port: UPSTREAM, limits: { maxInflightIn: 16, maxQueued: 1000, maxQueuedBytes: 1 << 20, maxConnections: 4 } });
    this.upstream.subscribe('site-1/#', function (m) { up.push(m.topic + ' ' + text(m.payload) + ' ' + m.qos); });
  }

  stopUpstream(): void {
    (this.upstream as BrokerServer).close();
    this.upstream = null;
    this.world.run();
  }

  cut(): void {
    (this.world.links[this.world.links.length - 1] as LinkPeer).cut();
    this.world.run();
  }

  local(id: string): Local {
    const peer = this.world.connect(1883, 2);
    if (peer === null) throw new Error('the stack refused ' + id);
    const c = new Local(this.api, peer);
    c.send({ type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null, clientId: id, will: null, username: null, password: null } as Packet);
    this.world.run();
    c.peer.take();
    return c;
  }

  subscriber(id: string, filter: string): Local {
    const c = this.local(id);
    c.send({ type: 8, packetId: 1, properties: null, subscriptions: [{ topicFilter: filter, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] } as Packet);
    this.world.run();
    c.peer.take();
    return c;
  }

  publish(c: Local, topic: string, payload: string, qos: number, id: number): void {
    c.send({ type: 3, dup: false, qos: qos, retain: false, topic: topic, packetId: qos > 0 ? id : 0, properties: null, payload: ascii(payload) } as Packet);
    this.world.run();
  }
}

type Scenario = TranscriptScenario<Api>;
const SCENARIOS: Array<[string, Scenario]> = [];

function scenario(name: string, run: Scenario): void {
  SCENARIOS.push([name, run]);
}

scenario('connects; one log line per state change; 3.1.1 with mosquitto\'s bridge flag, which the upstream (ganglion) takes', function (api) {
  const r = new Rig(api, {});
  r.check('start', r.bridge.stats().state === 'connected', 'connected');
  r.same('start', r.bridgeLog, ['bridge cloud: connecting to 127.0.0.1:1884',
    'bridge cloud: connected to 127.0.0.1:1884 (MQTT 3.1.1 with the bridge flag, session present 0)']);
  return r.finish();
});

scenario('messages both ways: sensors/# out to site-1/sensors/#, site-1/cmd/# in to cmd/#, QoS 1', function (api) {
  const r = new Rig(api, {});
  const led = r.subscriber('led', 'cmd/#');
  const sensor = r.local('sensor');
  r.publish(sensor, 'sensors/t', '21.5', 1, 7);
  r.same('out', r.up, ['site-1/sensors/t 21.5 1']);
  (r.upstream as BrokerServer).publish('site-1/cmd/led', 'on', 1, false);
  r.world.run();
  r.same('in', led.messages(), ['cmd/led on 1']);
  const s = r.bridge.stats();
  r.check('stats', s.sent === 1 && s.received === 1, 'sent 1, received 1 (' + s.sent + ', ' + s.received + ')');
  return r.finish();
});

scenario('MQTT 5.0 upstream', function (api) {
  const r = new Rig(api, { version: 5 });
  r.same('start', r.bridgeLog, ['bridge cloud: connecting to 127.0.0.1:1884', 'bridge cloud: connected to 127.0.0.1:1884 (MQTT 5.0, session present 0)']);
  r.publish(r.local('sensor'), 'sensors/t', '5', 1, 1);
  r.same('out', r.up, ['site-1/sensors/t 5 1']);
  return r.finish();
});

scenario('upstream drop: backoff within half to all of backoffMinMs, then connected again, session resumed', function (api) {
  const r = new Rig(api, { backoffMinMs: 2000 });
  r.cut();
  r.check('cut', r.bridge.stats().state === 'backoff', 'backoff');
  r.world.advance(999, 100);
  r.check('999 ms', r.bridge.stats().state === 'backoff', 'still backoff');
  r.world.advance(1002, 100);
  const s = r.bridge.stats();
  r.check('2001 ms', s.state === 'connected' && s.connects === 2, 'connected again (' + s.state + ', ' + s.connects + ' connects)');
  const last = r.bridgeLog[r.bridgeLog.length - 1];
  r.check('2001 ms', last.indexOf('session present 1)') > 0, 'session present 1: ' + last);
  return r.finish();
});

scenario('queue while offline: QoS 1 waits while the upstream is down, then goes in order', function (api) {
  const r = new Rig(api, { backoffMinMs: 1000 });
  r.stopUpstream();
  const c = r.local('sensor');
  for (let i = 1; i <= 5; i++) r.publish(c, 'sensors/n', 'v' + i, 1, i);
  r.check('offline', r.bridge.stats().queuedMessages === 5, '5 queued (' + r.bridge.stats().queuedMessages + ')');
  r.startUpstream();
  r.world.advance(70000, 1000);
  r.same('back', r.up, ['site-1/sensors/n v1 1', 'site-1/sensors/n v2 1', 'site-1/sensors/n v3 1', 'site-1/sensors/n v4 1', 'site-1/sensors/n v5 1']);
  return r.finish();
});

scenario('QoS 1 no loss: a flood cut off three times and the upstream restarted once (session lost): every message arrives', function (api) {
  const r = new Rig(api, { backoffMinMs: 200, backoffMaxMs: 400, maxQueued: 200, maxQueuedBytes: 65536 });
  const c = r.local('sensor');
  let n = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 25; i++) {
      n++;
      c.send({ type: 3, dup: false, qos: 1, retain: false, topic: 'sensors/seq', packetId: n, properties: null, payload: ascii(String(n)) } as Packet);
      if (i === 12) r.world.run();
    }
    r.world.run();
    if (round < 3) r.cut();
    else {
      r.stopUpstream();
      r.startUpstream();
    }
    r.world.advance(1000, 50);
  }
  r.world.advance(5000, 100);
  const seen: boolean[] = [];
  for (let i = 0; i < r.up.length; i++) seen[+r.up[i].split(' ')[1]] = true;
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (seen[i] !== true) missing.push(i);
  r.check('flood', missing.length === 0, 'none of ' + n + ' lost (missing: ' + missing.join(',') + ')');
  r.check('flood', r.bridge.stats().dropped === 0, 'none dropped');
  r.check('flood', r.bridge.stats().connects === 5, 'connected five times (' + r.bridge.stats().connects + ')');
  return r.finish();
});

scenario('limits: maxQueued while offline keeps the newest, the oldest counted as dropped; QoS 0 offline is dropped', function (api) {
  const r = new Rig(api, { maxQueued: 3, backoffMinMs: 1000 });
  r.stopUpstream();
  const c = r.local('sensor');
  r.publish(c, 'sensors/q0', 'x', 0, 0);
  for (let i = 1; i <= 5; i++) r.publish(c, 'sensors/n', 'v' + i, 1, i);
  const s = r.bridge.stats();
  r.check('offline', s.queuedMessages === 3 && s.dropped === 3, '3 queued, 3 dropped (' + s.queuedMessages + ', ' + s.dropped + ')');
  r.startUpstream();
  r.world.advance(70000, 1000);
  r.same('back', r.up, ['site-1/sensors/n v3 1', 'site-1/sensors/n v4 1', 'site-1/sensors/n v5 1']);
  return r.finish();
});

scenario('no loop: a rule "both" sends an upstream message in once and never back out', function (api) {
  const r = new Rig(api, { topics: ['shared/# both 1 "" site-1/'] });
  const local = r.subscriber('l', 'shared/#');
  (r.upstream as BrokerServer).publish('site-1/shared/a', 'from-cloud', 1, false);
  r.world.run();
  r.same('in', local.messages(), ['shared/a from-cloud 1']);
  r.same('up', r.up, ['site-1/shared/a from-cloud 1']);
  r.check('up', r.bridge.stats().sent === 0, 'nothing sent back up');
  return r.finish();
});

scenario('a local subscriber answering a command from inside its delivery: the answer goes up, the command not back', function (api) {
  const r = new Rig(api, { topics: ['sensors/# out 1 "" site-1/', 'cmd/# both 1 "" site-1/'] });
  const site = r.site;
  site.subscribe('cmd/led', function () { site.publish('sensors/led', 'on', 1, false); });
  (r.upstream as BrokerServer).publish('site-1/cmd/led', 'on', 1, false);
  r.world.run();
  r.same('up', r.up, ['site-1/cmd/led on 1', 'site-1/sensors/led on 1']);
  r.check('up', r.bridge.stats().sent === 1, 'one sent (' + r.bridge.stats().sent + ')');
  return r.finish();
});

scenario('stop(): DISCONNECT upstream, no socket left, nothing more crosses', function (api) {
  const r = new Rig(api, {});
  r.bridge.stop();
  r.world.run();
  r.check('stop', r.bridge.stats().state === 'stopped', 'stopped');
  r.check('stop', (r.upstream as BrokerServer).broker.connections.length === 0, 'the upstream has no connection');
  r.check('stop', !r.bridge.sock.busy(), 'no socket');
  r.publish(r.local('sensor'), 'sensors/t', '1', 1, 1);
  r.world.advance(120000, 10000);
  r.same('after', r.up, []);
  return r.finish();
});

scenario('a host name (the TCP client takes IPv4 addresses only): that address fails, the next is tried', function (api) {
  const r = new Rig(api, { addresses: ['cloud.example:1883', '127.0.0.1:' + UPSTREAM] });
  r.check('start', r.bridge.stats().state === 'connected', 'connected to the second');
  r.check('start', r.bridgeLog.length > 1 && r.bridgeLog[1].indexOf('bridge cloud: cloud.example:1883 failed (cannot connect to cloud.example:1883') === 0 &&
    r.bridgeLog[1].indexOf('invalid address') > 0, r.bridgeLog[1]);
  return r.finish();
});

scenario('options a bridge cannot use throw at bridge(), with the reason', function (api) {
  const r = new Rig(api, {});
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ addresses: [], topics: RULES }, 'addresses must list at least one'],
    [{ addresses: ['h:0'], topics: RULES }, 'port from 1 to 65535'],
    [{ addresses: ['h'], topics: ['a/# sideways'] }, 'direction must be out, in or both'],
    [{ addresses: ['h'], topics: ['a/# out 1 x/# y/'] }, 'a prefix has no wildcards'],
    [{ addresses: ['h'], topics: ['a/#/b out'] }, 'is not a topic filter'],
  ];
  for (let i = 0; i < bad.length; i++) {
    let said = '(no throw)';
    try {
      bridge(r.site, bad[i][0] as never);
    } catch (e) {
      said = errorText(e);
    }
    r.check('options ' + i, said.indexOf(bad[i][1]) >= 0, said);
  }
  return r.finish();
});

// ---- the queue through the file store (issue 16 §2 on devices) ----
// The device's BrokerServer with the file store (file-store.js on the fake file module, SPIFFS),
// and the cloud a BrokerServer with a store of its own on the same disk (prefix "cloud"), so
// its session for the bridge lives through the cut. A "reboot" is both made again in a new
// fake world over what the disk kept, the old objects dropped where they stood.

class Boots extends Transcript {
  api: Api;
  disk: Disk;
  site!: BrokerServer;
  cloud!: BrokerServer;
  bridge!: DeviceBridge;
  got: string[];               // what reached the cloud's subscriber of site-1/#, over every boot
  bridgeLog: string[];
  cloudUp: boolean;

  constructor(api: Api) {
    super(resetWorld(8192, 16, 0));
    this.api = api;
    this.disk = resetDisk('spiffs', 1 << 20);
    this.got = [];
    this.bridgeLog = [];
    this.cloudUp = true;
  }

  boot(cloudUp: boolean): void {
    const v = this.world.violations.list;
    for (let i = 0; i < v.length; i++) this.problems.push('socket API: ' + v[i]);
    this.world = resetWorld(8192, 16, 0);
    this.disk.reboot();
    this.cloudUp = cloudUp;
    const got = this.got;
    if (cloudUp) {
      this.cloud = new BrokerServer({ port: UPSTREAM, limits: { maxInflightIn: 16, maxQueued: 1000, maxQueuedBytes: 1 << 20, maxConnections: 4,
        store: fileStore({ budgetBytes: 65536, prefix: 'cloud' }) } });
      this.cloud.subscribe('site-1/#', function (m) { got.push(m.topic + ' ' + text(m.payload) + ' ' + m.qos); });
    }
    this.site = new BrokerServer({ port: 1883, limits: { store: fileStore({ budgetBytes: 16384 }) } });
    const log = this.bridgeLog;
    this.bridge = bridge(this.site, { addresses: ['127.0.0.1:' + UPSTREAM], clientId: 'site-1', topics: ['sensors/# out 2 "" site-1/'],
      backoffMinMs: 1000, backoffMaxMs: 2000, log: function (line: string) { log.push(line); } } as never);
    this.world.advance(10, 1);
  }

  /** A local client publishes sensors/n v<first>..v<last> at `qos`; the payloads acknowledged. */
  publish(first: number, last: number, qos: number): string[] {
    const peer = this.world.connect(1883, 2);
    if (peer === null) throw new Error('the stack refused the publisher');
    const c = new Local(this.api, peer);
    c.send({ type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 0, properties: null, clientId: 'sensor', will: null, username: null, password: null } as Packet);
    this.world.advance(2, 1);
    c.peer.take();
    const acked: string[] = [];
    for (let i = first; i <= last; i++) {
      c.send({ type: 3, dup: false, qos: qos, retain: false, topic: 'sensors/n', packetId: i, properties: null, payload: ascii('v' + i) } as Packet);
      this.world.advance(2, 1);   // the store's flush (a timer), then the acknowledgement
      c.decoder.push(c.peer.take());
      for (let p = c.decoder.next(); p !== null; p = c.decoder.next()) {
        if (p.type === 4 || p.type === 5) acked.push('site-1/sensors/n v' + i + ' ' + qos);
        if (p.type === 5) c.send({ type: 6, packetId: i, reasonCode: 0, properties: null } as Packet);
      }
      this.world.advance(2, 1);
      c.peer.take();
    }
    return acked;
  }

  count(m: string): number {
    let n = 0;
    for (let i = 0; i < this.got.length; i++) if (this.got[i] === m) n++;
    return n;
  }
}

scenario('with the file store: QoS 1 queued while the cloud is down, the device reboots, and all of it goes once the cloud is back', function (api) {
  const r = new Boots(api);
  r.boot(false);
  r.check('boot 1', r.bridge.stats().state === 'backoff', 'backoff (' + r.bridge.stats().state + ')');
  const acked = r.publish(1, 5, 1);
  r.check('boot 1', acked.length === 5 && r.bridge.stats().queuedMessages === 5, '5 acknowledged and queued (' + acked.length + ', ' + r.bridge.stats().queuedMessages + ')');
  r.boot(true);
  r.check('boot 2', r.bridgeLog.join('\n').indexOf('5 messages for the upstream back from the store') >= 0, 'the queue back from the store');
  r.world.advance(3000, 100);
  r.same('boot 2', r.got, acked);
  r.boot(true);
  r.world.advance(3000, 100);
  r.same('boot 3', r.got, acked);
  return r.finish();
});

scenario('with the file store: QoS 2 the cloud got but never answered before the cut goes again with DUP and its packet id; the cloud routes it once', function (api) {
  const r = new Boots(api);
  r.boot(true);
  r.check('boot 1', r.bridge.stats().state === 'connected', 'connected');
  const link = r.world.links[r.world.links.length - 1] as LinkPeer;
  (link.other as LinkPeer).stalled = true;   // what the cloud answers is lost with the device
  const acked = r.publish(1, 3, 2);
  r.same('boot 1', r.got, acked);
  r.boot(true);
  r.world.advance(3000, 100);
  r.check('boot 2', r.bridgeLog.join('\n').indexOf('session present 1') >= 0, 'the cloud session resumed');
  r.check('boot 2', r.count(acked[0]) === 1 && r.count(acked[1]) === 1 && r.count(acked[2]) === 1,
    'each once (' + r.count(acked[0]) + ', ' + r.count(acked[1]) + ', ' + r.count(acked[2]) + ')');
  r.check('boot 2', r.bridgeLog.join('\n').indexOf('3 messages for the upstream back from the store') >= 0, 'the window back from the store');
  r.check('boot 2', r.bridge.stats().queuedMessages === 0, 'nothing left queued (' + r.bridge.stats().queuedMessages + ')');
  // PUBREL came for each (the PUBLISH again with DUP got PUBREC): the cloud holds no id awaiting release.
  const session = r.cloud.broker.sessions.get('site-1');
  const waiting = session === undefined || session.awaitingRelease === null ? 0 : session.awaitingRelease.size;
  r.check('boot 2', session !== undefined && waiting === 0, 'the cloud awaits no PUBREL (' + waiting + ')');
  return r.finish();
});

export function runBridgeCases(api: Api): CaseResult[] {
  return runScenarios('moddable bridge: ', SCENARIOS, api);
}
