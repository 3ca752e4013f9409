// A bridge from this broker to a bigger one (issue 16 §2), sans-I/O: the core's client role
// (core/client) as the upstream side, the broker's in-process API (broker.subscribe /
// broker.publish) as the local side, topic rules (rules.ts) for what crosses. The port
// dials, feeds bytes and arms one timer; the call order is in PORT.md beside this file.
//
//   - Upstream addresses are tried in order (a cluster's nodes): a failed connection moves
//     to the next at once; when all failed, the bridge backs off (backoff.ts) and starts
//     again at the first, which is also where every reconnect after a lost connection
//     starts. Connected to any but the first, it asks the port every primaryRetryMs whether
//     the first takes connections again, and moves back to it ("failover, then back").
//   - Store-and-forward: local messages for the upstream wait in the client's queue while it
//     is unreachable, bounded in messages and bytes (core/client/outgoing.ts); on reconnect
//     they go in order; what was in flight goes again with DUP on a resumed session, or as
//     new messages on a lost one.
//   - No loops: what the bridge publishes locally is never forwarded back out by it (its own
//     local subscriptions skip what it is publishing, as No Local would); upstream
//     subscriptions of a 5.0 bridge have No Local and Retain As Published; a 3.1.1 bridge
//     sends mosquitto's bridge flag (protocol level 0x84, as mosquitto's try_private) and
//     falls back to plain 3.1.1 when refused.
//   - Visible: $SYS/broker/bridge/NAME/... on each change of state and every sysIntervalMs;
//     one log line per state change.
// The rest of the core only through its index: a port bundles core/bridge beside the core
// bundle (build.mjs, core-as-package), and a copy of the core inside it would be a second Broker.
import type { Broker, CodecError, LocalSubscription, Message, PublishPacket, QoS, Subscription, Transport } from '../index.js';
import type { OutMessage } from '../index.js';
import { DISCONNECTED, MQTT_5, MqttClient } from '../index.js';
import type { Gate } from './gate.js';
import type { QueueRecords } from './queue-records.js';
import { crossingProperties, secondsLeft } from './properties.js';
import { backoffMs } from './backoff.js';
import type { BridgeOptions } from './options.js';
import type { TopicRule } from './rules.js';
import { crossingQoS, localFilter, remoteFilter, toLocal, toRemote } from './rules.js';

// The bridge's states, as $SYS/broker/bridge/NAME/state shows them.
export const BRIDGE_STOPPED = 'stopped', BRIDGE_CONNECTING = 'connecting', BRIDGE_CONNECTED = 'connected', BRIDGE_BACKOFF = 'backoff';

/** What the bridge asks of its port. The port never calls back into the bridge from inside these. */
export interface BridgePort {
  /** Open a connection to options.addresses[index]; then bridge.connect(transport, nowMs), or bridge.dialFailed(why, nowMs). */
  dial(index: number): void;
  /** Give up the dial in progress (its deadline passed, or the bridge stopped); no answer is expected. */
  hangUp(): void;
  /** Whether options.addresses[index] takes connections (a TCP connect, then close): bridge.probed(ok, nowMs). */
  probe(index: number): void;
  /** One line for the port's log; level 'debug', 'info' or 'warn'. */
  log(level: string, line: string): void;
  /** The bridge's next deadline, or the broker's, may have moved outside a call into the bridge: re-arm both timers. */
  wake(): void;
}

export interface BridgeStats {
  state: string;
  address: string;
  sent: number;                   // local messages the upstream took (QoS 0: written)
  received: number;               // upstream messages published locally
  dropped: number;                // lost here: queue full, too large for the upstream, QoS 0 while away
  refused: number;                // the upstream refused (reason code >= 0x80)
  queuedMessages: number;
  queuedBytes: number;
  connects: number;
  lastError: string;
  errors: number;                 // exceptions caught under the bridge's entry points
}

export class Bridge {
  options: BridgeOptions;
  broker: Broker;
  port: BridgePort;
  random: () => number;
  client: MqttClient;
  state: string;
  addressIndex: number;
  address: string;                // the one dialled last ('' before the first)
  failures: number;               // consecutive rounds of every address failing
  dialing: boolean;               // port.dial() asked, neither connect() nor dialFailed() yet
  dialAtMs: number;               // when the dial is given up; -1: none
  retryAtMs: number;              // the end of a backoff; -1: none
  primaryAtMs: number;            // the next look for the first address; -1: none
  probing: boolean;
  movingBack: boolean;
  sysAtMs: number;
  local: LocalSubscription[];
  publishingLocally: string | null;   // the topic of the upstream message the bridge is publishing locally now
  privateRefused: boolean;
  lastError: string;
  sent: number;
  received: number;
  errors: number;
  records: QueueRecords | null;   // with persistence: the queue kept through the broker's store
  gate: Gate | null;              // with persistence: the current connection, behind its gate
  inClient: number;               // inside a call into the client: a gate opened waits until it returns
  releases: number;               // records stored that the gate has not been told of yet
  nowMs: number;

  /**
   * `keep` (optional): a QueueRecords (queue-records.ts) for this bridge, for a port that wants
   * the queue kept through a durable store under `broker`; without one, or without persistence,
   * the queue is in memory only. Optional so that a bundle without it carries none of it.
   */
  constructor(options: BridgeOptions, broker: Broker, port: BridgePort, random: () => number, nowMs: number, keep?: QueueRecords | null) {
    if (options.addresses.length === 0) throw new Error('ganglion bridge ' + options.name + ': no upstream address');
    this.options = options;
    this.broker = broker;
    this.port = port;
    this.random = random;
    this.state = BRIDGE_STOPPED;
    this.addressIndex = 0;
    this.address = '';
    this.failures = 0;
    this.dialing = false;
    this.dialAtMs = -1;
    this.retryAtMs = -1;
    this.primaryAtMs = -1;
    this.probing = false;
    this.movingBack = false;
    this.sysAtMs = -1;
    this.local = [];
    this.publishingLocally = null;
    this.privateRefused = false;
    this.lastError = '';
    this.sent = 0;
    this.received = 0;
    this.errors = 0;
    this.records = broker.journal !== null && keep !== undefined && keep !== null ? keep : null;
    this.gate = null;
    this.inClient = 0;
    this.releases = 0;
    this.nowMs = nowMs;
    const self = this;
    const v5 = options.version === MQTT_5;
    this.client = new MqttClient({
      clientId: options.clientId, version: options.version, keepAlive: options.keepAlive, cleanStart: options.cleanStart,
      sessionExpiryInterval: v5 ? options.sessionExpiryInterval : 0, username: options.username, password: options.password,
      maxInflight: options.maxInflight, maxQueued: options.maxQueued, maxQueuedBytes: options.maxQueuedBytes, queueQoS0: options.queueQoS0,
      // What we take from the upstream is what this broker takes from its own clients.
      maximumPacketSize: broker.limits.maxPacketSize,
      receiveMaximum: Math.min(65535, Math.max(1, broker.limits.maxInflightIn)),
      connackTimeoutMs: options.connectTimeoutMs,
      maxOutboundBytes: options.maxOutboundBytes,
    }, {
      connected: function (_c: MqttClient, sessionPresent: boolean) { self.onConnected(sessionPresent); },
      message: function (_c: MqttClient, p: PublishPacket) { self.onUpstream(p); },
      published: function (_c: MqttClient, token: number, rc: number) {
        if (rc < 0x80) self.sent++;
        if (self.records !== null) self.records.done(token);
      },
      queued: function (_c: MqttClient, m: OutMessage) {
        if (self.records !== null) self.records.queued(m);
      },
      // QoS 2: the PUBLISH waits for its packet id's record, the PUBREL for the PUBREC's (queue-records.ts).
      inflight: function (_c: MqttClient, m: OutMessage) {
        if (self.records !== null && self.records.sent(m.token, m.packetId) && m.qos === 2) self.holdGate();
      },
      pubrec: function (_c: MqttClient, m: OutMessage) {
        if (self.records !== null && self.records.pubrec(m.token)) self.holdGate();
      },
      closed: function (_c: MqttClient, err: CodecError | null) { self.onClosed(err); },
      log: function (line: string) { self.log('debug', line); },
    }, nowMs);
    if (this.records !== null) {
      const back = this.records.restore(this.records.take(this.client), this.client);
      if (back > 0) this.log('info', back + ' messages for the upstream back from the store');
    }
  }

  // ---- the port's entry points ----

  /** Subscribes locally for the rules going out, and dials the first upstream. */
  start(nowMs: number): void {
    this.setNow(nowMs);
    if (this.state !== BRIDGE_STOPPED) return;
    try {
      const rules = this.options.topics;
      for (let i = 0; i < rules.length; i++) {
        if (rules[i].direction !== 'in') this.local.push(this.subscribeLocally(rules[i]));
      }
      this.failures = 0;
      this.addressIndex = 0;
      if (this.options.sysIntervalMs > 0) this.sysAtMs = this.nowMs + this.options.sysIntervalMs;
      this.dial();
    } catch (e) {
      this.faulted(e);
    }
  }

  /** Ends for good: DISCONNECT to the upstream if connected, the dial given up, local subscriptions ended. */
  stop(nowMs: number): void {
    this.setNow(nowMs);
    if (this.state === BRIDGE_STOPPED) return;
    try {
      this.setState(BRIDGE_STOPPED, '');
      this.retryAtMs = -1;
      this.primaryAtMs = -1;
      this.sysAtMs = -1;
      this.probing = false;
      this.movingBack = false;
      const subs = this.local;
      this.local = [];
      for (let i = 0; i < subs.length; i++) subs[i].unsubscribe();
      if (this.dialing) this.hangUp();
      this.client.disconnect(0, this.nowMs);
    } catch (e) {
      this.faulted(e);
    }
  }

  /** The connection port.dial() asked for is up (TCP, and TLS if any): CONNECT goes out on it. */
  connect(transport: Transport, nowMs: number): void {
    this.setNow(nowMs);
    if (!this.dialing) {
      // Too late: given up, or stopped meanwhile.
      try {
        transport.close();
      } catch (e) {
        this.errors++;
      }
      return;
    }
    this.dialing = false;
    this.dialAtMs = -1;
    let t: Transport = transport;
    if (this.records !== null) {
      this.gate = (this.records as QueueRecords).gate(transport);
      this.releases = 0;
      t = this.gate;
    }
    this.intoClient(0, null, t);
  }

  /** The dial failed before a connection was up (refused, TLS failed, the port's own timeout). */
  dialFailed(why: string, nowMs: number): void {
    this.setNow(nowMs);
    if (!this.dialing) return;
    this.dialing = false;
    this.dialAtMs = -1;
    try {
      this.lastError = why;
      this.failed(why);
    } catch (e) {
      this.faulted(e);
    }
  }

  receive(chunk: Uint8Array, nowMs: number): void {
    this.setNow(nowMs);
    this.intoClient(1, chunk, null);
  }

  writable(nowMs: number): void {
    this.setNow(nowMs);
    if (this.gate !== null && !this.gate.drained()) return;   // still held for a record: the gate says when
    this.intoClient(2, null, null);
  }

  /** The connection handed to connect() is gone (the upstream closed it, the network failed). */
  closed(nowMs: number): void {
    this.setNow(nowMs);
    this.intoClient(3, null, null);
  }

  /** The answer to port.probe(0). */
  probed(reachable: boolean, nowMs: number): void {
    this.setNow(nowMs);
    if (!this.probing) return;
    this.probing = false;
    try {
      if (this.state !== BRIDGE_CONNECTED || this.addressIndex === 0) return;
      if (!reachable) {
        this.primaryAtMs = this.nowMs + this.options.primaryRetryMs;
        return;
      }
      this.log('info', this.options.addresses[0] + ' takes connections again; moving back to it');
      this.movingBack = true;
      this.client.disconnect(0, this.nowMs);   // closed(null) follows: see onClosed
    } catch (e) {
      this.faulted(e);
    }
  }

  /** When the port must next call timeout(); -1: nothing due. */
  nextDeadline(): number {
    let at = this.client.nextDeadline();
    at = earlier(at, this.dialAtMs);
    at = earlier(at, this.retryAtMs);
    at = earlier(at, this.primaryAtMs);
    return earlier(at, this.sysAtMs);
  }

  /** The port's one timer: the client's deadlines, the dial's, the end of a backoff, the first address's check, $SYS. */
  timeout(nowMs: number): void {
    this.setNow(nowMs);
    const now = this.nowMs;
    this.intoClient(4, null, null);
    try {
      if (this.dialAtMs >= 0 && now >= this.dialAtMs) {
        const why = 'no connection within ' + this.options.connectTimeoutMs + ' ms';
        this.hangUp();
        this.lastError = why;
        this.failed(why);
      }
      if (this.retryAtMs >= 0 && now >= this.retryAtMs) {
        this.retryAtMs = -1;
        if (this.state === BRIDGE_BACKOFF) this.dial();
      }
      if (this.primaryAtMs >= 0 && now >= this.primaryAtMs) {
        this.primaryAtMs = -1;
        if (this.state === BRIDGE_CONNECTED && this.addressIndex > 0) {
          this.probing = true;
          this.port.probe(0);
        }
      }
      if (this.sysAtMs >= 0 && now >= this.sysAtMs) {
        this.sysAtMs = now + this.options.sysIntervalMs;
        this.publishSys();
      }
    } catch (e) {
      this.faulted(e);
    }
    this.flushRecords();
  }

  stats(): BridgeStats {
    const s = this.client.stats;
    return { state: this.state, address: this.address,
      sent: this.sent, received: this.received, dropped: s.dropped, refused: s.refused, queuedMessages: this.client.queuedMessages(),
      queuedBytes: this.client.queuedBytes(), connects: s.connects, lastError: this.lastError, errors: this.errors };
  }

  // ---- inside ----

  /**
   * A call into the client (0 connect, 1 receive, 2 writable, 3 closed, 4 timeout; each
   * guarded inside), then what it left: a gate opened meanwhile, records to store.
   */
  private intoClient(call: number, chunk: Uint8Array | null, transport: Transport | null): void {
    const c = this.client;
    this.inClient++;
    try {
      if (call === 0) c.connect(transport as Transport, this.nowMs);
      else if (call === 1) c.receive(chunk as Uint8Array, this.nowMs);
      else if (call === 2) c.writable(this.nowMs);
      else if (call === 3) c.closed(this.nowMs);
      else c.timeout(this.nowMs);
    } catch (e) {
      this.faulted(e);   // connect() on a client still connected: our bug
    } finally {
      this.inClient--;
    }
    if (this.releases > 0) this.openGate();
    this.flushRecords();
  }

  /** The records this call made go to the store (the broker's journal); nothing without persistence. */
  private flushRecords(): void {
    if (this.records !== null && this.inClient === 0) this.broker.flush();
  }

  /** The frame about to go waits until every record made so far is stored. */
  private holdGate(): void {
    const g = this.gate;
    if (g === null) return;
    g.hold();
    const self = this;
    this.broker.afterStored(function () { self.stored(g); });
  }

  private stored(g: Gate): void {
    if (g !== this.gate) {
      g.release();   // a connection since closed: nothing to tell
      return;
    }
    this.releases++;
    if (this.inClient === 0) this.openGate();
  }

  private openGate(): void {
    const g = this.gate;
    let open = false;
    while (this.releases > 0) {
      this.releases--;
      if (g !== null && g.release()) open = true;
    }
    if (open && this.client.state !== DISCONNECTED) this.intoClient(2, null, null);
    this.wake();
  }

  private setNow(nowMs: number): void {
    if (nowMs > this.nowMs) this.nowMs = nowMs;
  }

  private subscribeLocally(r: TopicRule): LocalSubscription {
    const self = this;
    return this.broker.subscribe(localFilter(r), function (m: Message) { self.onLocal(r, m); }, this.nowMs);
  }

  private dial(): void {
    const o = this.options;
    // 3.1.1 with mosquitto's bridge flag, until an upstream refuses it.
    this.client.bridgeFlag = o.version === 4 && o.tryPrivate && !this.privateRefused;
    this.address = o.addresses[this.addressIndex];
    this.setState(BRIDGE_CONNECTING, 'to ' + this.address);
    this.dialing = true;
    this.dialAtMs = this.nowMs + o.connectTimeoutMs;
    try {
      this.port.dial(this.addressIndex);
    } catch (e) {
      // The port's own bug: counted, and that address failed.
      this.errors++;
      this.dialing = false;
      this.dialAtMs = -1;
      this.lastError = 'dial: ' + describe(e);
      this.failed(this.lastError);
    }
  }

  private hangUp(): void {
    this.dialing = false;
    this.dialAtMs = -1;
    try {
      this.port.hangUp();
    } catch (e) {
      this.errors++;
    }
  }

  private onConnected(sessionPresent: boolean): void {
    this.failures = 0;
    const o = this.options;
    if (this.addressIndex > 0 && o.primaryRetryMs > 0) this.primaryAtMs = this.nowMs + o.primaryRetryMs;
    const v5 = o.version === MQTT_5;
    this.setState(BRIDGE_CONNECTED, 'to ' + o.addresses[this.addressIndex] + ' (MQTT ' + (v5 ? '5.0' : '3.1.1') +
      (this.client.bridgeFlag ? ' with the bridge flag' : '') + ', session present ' + (sessionPresent ? 1 : 0) + ')');
    // Upstream subscriptions: 5.0 every time (Retain Handling 1: retained messages only for a
    // subscription that is new), 3.1.1 only when the session is new (each SUBSCRIBE would
    // send the retained messages again).
    if (!v5 && sessionPresent) return;
    const subs: Subscription[] = [];
    for (let i = 0; i < o.topics.length; i++) {
      const r = o.topics[i];
      if (r.direction === 'out') continue;
      subs.push({ topicFilter: remoteFilter(r), qos: r.qos, noLocal: v5, retainAsPublished: v5, retainHandling: v5 ? 1 : 0 });
    }
    if (subs.length > 0) this.client.subscribe(subs, null, this.nowMs);
  }

  /**
   * A local message for an `out` or `both` rule: to the upstream, unless it is the one the
   * bridge itself is publishing. What a local subscriber publishes from inside that delivery
   * (a device's actuator answering a command with its state) is its own message and goes.
   */
  private onLocal(r: TopicRule, m: Message): void {
    if (this.publishingLocally !== null && m.topic === this.publishingLocally) return;
    this.setNow(this.broker.nowMs);   // a broker call brought it: the broker's time is the latest
    const topic = toRemote(r, m.topic);
    if (topic === null) return;
    let props = null;
    if (this.options.version === MQTT_5) {
      const left = secondsLeft(m.expiresAtMs, this.nowMs);
      if (left === 0) return;   // [5:MQTT-3.3.2-5] expired: not forwarded
      props = crossingProperties(m.properties, left);
    }
    this.client.publish(topic, m.payload, crossingQoS(r, m.qos), m.retain, props, this.nowMs);
    this.wake();
  }

  /** An upstream message: published locally under the first `in` / `both` rule that maps it. */
  private onUpstream(p: PublishPacket): void {
    const rules = this.options.topics;
    for (let i = 0; i < rules.length; i++) {
      const topic = toLocal(rules[i], p.topic);
      if (topic === null) continue;
      this.received++;
      this.publishingLocally = topic;
      try {
        // 5.0 upstream: its properties cross too (the Message Expiry Interval it sent is what is left).
        const props = p.properties === null ? null : crossingProperties(p.properties,
          p.properties.messageExpiryInterval === undefined ? -1 : p.properties.messageExpiryInterval);
        this.broker.publish(topic, p.payload, crossingQoS(rules[i], p.qos) as QoS, p.retain, this.nowMs, props);
      } finally {
        this.publishingLocally = null;
      }
      this.wake();
      return;
    }
  }

  private onClosed(err: CodecError | null): void {
    if (this.state === BRIDGE_STOPPED) return;
    this.primaryAtMs = -1;
    this.probing = false;
    if (this.movingBack) {
      this.movingBack = false;
      this.addressIndex = 0;
      this.dial();
      return;
    }
    // The Espruino bundles leave the sentences out (ports/espruino/short-texts.mjs): the rule then.
    const why = err === null ? 'closed' : err.message !== '' ? err.message : err.rule;
    this.lastError = why;
    // mosquitto's bridge flag refused (CONNACK 0x01, unacceptable protocol version): plain 3.1.1 from now on.
    if (this.client.bridgeFlag && err !== null && err.rc === 1 && err.rule === '4:MQTT-3.2.2-5') {
      this.privateRefused = true;
      this.log('info', this.options.addresses[this.addressIndex] + ' refused the bridge flag; using plain MQTT 3.1.1');
      this.dial();
      return;
    }
    this.failed(why);
  }

  /** A connection failed or ended: the next address, or a backoff when every one failed. */
  private failed(why: string): void {
    if (this.state === BRIDGE_STOPPED || this.state === BRIDGE_BACKOFF) return;
    const o = this.options;
    const n = o.addresses.length;
    const wasConnected = this.state === BRIDGE_CONNECTED;
    const address = o.addresses[this.addressIndex];
    this.addressIndex = wasConnected ? 0 : this.addressIndex + 1;
    if (!wasConnected && this.addressIndex < n) {
      this.log('info', address + ' failed (' + why + '); trying ' + o.addresses[this.addressIndex]);
      this.dial();
      return;
    }
    if (this.addressIndex >= n) this.addressIndex = 0;
    if (!wasConnected) this.failures++;
    const wait = backoffMs(this.failures, o.backoffMinMs, o.backoffMaxMs, this.random);
    this.retryAtMs = this.nowMs + wait;
    this.setState(BRIDGE_BACKOFF, (wasConnected ? 'connection to ' + address + ' lost' : 'every address failed') + ' (' + why + '); retrying in ' +
      (wait / 1000).toFixed(1) + ' s');
  }

  private setState(state: string, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.log(state === BRIDGE_BACKOFF ? 'warn' : 'info', state + (detail === '' ? '' : ' ' + detail));
    this.publishSys();
  }

  /** $SYS/broker/bridge/NAME/...: retained, not counted as traffic (as the broker's other $SYS values). */
  private publishSys(): void {
    if (this.options.sysIntervalMs <= 0) return;
    const s = this.stats();
    const base = '$SYS/broker/bridge/' + this.options.name + '/';
    const b = this.broker;
    const inBefore = b.stats.messagesIn;
    b.publish(base + 'state', s.state, 0, true, this.nowMs);
    b.publish(base + 'address', s.address, 0, true, this.nowMs);
    b.publish(base + 'queued/messages', '' + s.queuedMessages, 0, true, this.nowMs);
    b.publish(base + 'queued/bytes', '' + s.queuedBytes, 0, true, this.nowMs);
    b.publish(base + 'messages/sent', '' + s.sent, 0, true, this.nowMs);
    b.publish(base + 'messages/received', '' + s.received, 0, true, this.nowMs);
    b.publish(base + 'messages/dropped', '' + s.dropped, 0, true, this.nowMs);
    b.publish(base + 'messages/refused', '' + s.refused, 0, true, this.nowMs);
    b.publish(base + 'error', s.lastError, 0, true, this.nowMs);
    b.stats.messagesIn = inBefore;
    this.wake();
  }

  private wake(): void {
    try {
      this.port.wake();
    } catch (e) {
      this.errors++;
    }
  }

  private log(level: string, line: string): void {
    try {
      this.port.log(level, 'bridge ' + this.options.name + ': ' + line);
    } catch (e) {
      this.errors++;
    }
  }

  /** An exception under an entry point (ours, or the port's from inside a call): counted and logged; the bridge goes on. */
  private faulted(e: unknown): void {
    this.errors++;
    this.log('warn', 'internal error: ' + describe(e));
  }
}

function earlier(a: number, b: number): number {
  if (b < 0) return a;
  return a < 0 || b < a ? b : a;
}

function describe(e: unknown): string {
  return e !== null && typeof e === 'object' && typeof (e as Error).message === 'string' ? (e as Error).message : String(e);
}
