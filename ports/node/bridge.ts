// A bridge from this broker to a bigger one (issue 16 §2): the core's client role
// (core/client) as the upstream side, the core's in-process API (broker.subscribe /
// broker.publish) as the local side. Topic rules choose what crosses (bridge-rules.ts).
//
//   - Upstream addresses are tried in order (a cluster's nodes): a failed connection moves
//     to the next at once; when all failed, the bridge backs off (exponential, jittered) and
//     starts again at the first, which is also where every reconnect after a lost
//     connection starts. Connected to any but the first, it checks every primaryRetryMs
//     whether the first takes connections again, and moves back to it ("failover, then back").
//   - Store-and-forward: local messages for the upstream wait in the client's queue while it
//     is unreachable, bounded in messages and bytes (queued QoS 0 first, then the oldest out,
//     counted); on reconnect they go in order. Unacknowledged ones are resent (DUP, resumed
//     session) or sent again as new (the upstream lost the session): no QoS 1/2 loss, and
//     duplicates only where QoS 1 allows. The queue is in memory: a restart of this broker
//     loses it (durability waits for the persistence Store, issue 15).
//   - No loops: what the bridge publishes locally is never forwarded back out by it (its own
//     local subscriptions skip what it is publishing, as No Local would); upstream
//     subscriptions of a 5.0 bridge have No Local and Retain As Published; a 3.1.1 bridge
//     sends mosquitto's bridge flag (protocol level 0x84, `tryPrivate`, as mosquitto's
//     try_private) and falls back to plain 3.1.1 when refused; without it, rules whose
//     prefixes differ keep two directions apart.
//   - Visible: $SYS/broker/bridge/NAME/... (state, address, queued messages and bytes,
//     messages each way, dropped, last error) on each change and every sysIntervalMs; one
//     log line per state change.
import type { Broker, CodecError, LocalSubscription, Message, PublishPacket, QoS } from '../../core/index.js';
import { MqttClient } from '../../core/index.js';
import type { TopicRule } from './bridge-rules.js';
import { localFilter, remoteFilter, toLocal, toRemote } from './bridge-rules.js';
import type { ServerAddress, TlsClientOptions } from './client-socket.js';
import { ClientSocket, parseServerUrl } from './client-socket.js';
import { connect as netConnect } from 'node:net';
import { portNow } from './deadline-timer.js';
import type { Logger } from './logger.js';

export interface BridgeConfig {
  name: string;                   // in logs and $SYS/broker/bridge/NAME/...
  addresses: string[];            // mqtt://host:port or mqtts://host:port, tried in order
  protocolVersion: 4 | 5;
  clientId: string;
  username: string | null;
  password: string | null;
  tls: TlsClientOptions | null;   // for mqtts:// addresses
  keepAlive: number;              // seconds
  cleanStart: boolean;            // false: a persistent upstream session (what the cluster queued arrives)
  sessionExpiryInterval: number;  // 5.0, seconds
  tryPrivate: boolean;            // 3.1.1: mosquitto's bridge flag
  topics: TopicRule[];
  maxQueued: number;              // messages waiting for the upstream
  maxQueuedBytes: number;         // bytes of those and the ones in flight
  queueQoS0: boolean;             // QoS 0 waits too while the upstream is unreachable
  maxInflight: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;
  primaryRetryMs: number;         // connected to a later address: how often to look for the first again (0: never)
}

export type BridgeState = 'connecting' | 'connected' | 'backoff' | 'stopped';

export interface BridgeStats {
  state: BridgeState;
  address: string;
  sent: number;                   // local messages the upstream took (QoS 0: written)
  received: number;               // upstream messages published locally
  dropped: number;                // lost here: queue full, too large for the upstream, QoS 0 while away
  refused: number;                // the upstream refused (reason code >= 0x80)
  queuedMessages: number;
  queuedBytes: number;
  connects: number;
  lastError: string;
}

export class Bridge {
  readonly client: MqttClient;
  private readonly sock: ClientSocket;
  private state: BridgeState = 'stopped';
  private addressIndex = 0;
  private address = '';
  private failures = 0;             // consecutive rounds of every address failing
  private retry: NodeJS.Timeout | null = null;
  private primaryCheck: NodeJS.Timeout | null = null;
  private movingBack = false;
  private sysTimer: NodeJS.Timeout | null = null;
  private local: LocalSubscription[] = [];
  private publishingLocally = false;
  private privateRefused = false;
  private lastError = '';
  private sent = 0;
  private received = 0;
  private readonly addresses: ServerAddress[];

  constructor(readonly config: BridgeConfig, private readonly broker: Broker, private readonly logger: Logger,
    private readonly after: () => void, private readonly sysIntervalMs: number) {
    this.addresses = config.addresses.map((a) => parseServerUrl(a, config.tls));
    const self = this;
    this.client = new MqttClient({
      clientId: config.clientId, version: config.protocolVersion, keepAlive: config.keepAlive, cleanStart: config.cleanStart,
      sessionExpiryInterval: config.protocolVersion === 5 ? config.sessionExpiryInterval : 0,
      username: config.username, password: config.password === null ? null : Buffer.from(config.password),
      maxInflight: config.maxInflight, maxQueued: config.maxQueued, maxQueuedBytes: config.maxQueuedBytes, queueQoS0: config.queueQoS0,
      maximumPacketSize: broker.limits.maxPacketSize, receiveMaximum: Math.min(65535, Math.max(1, broker.limits.maxInflightIn)),
      connackTimeoutMs: config.connectTimeoutMs,
    }, {
      connected(_c, sessionPresent) { self.onConnected(sessionPresent); },
      message(_c, p) { self.onUpstream(p); },
      published(_c, _token, rc) { if (rc < 0x80) self.sent++; },
      closed(_c, err) { self.onClosed(err); },
      log(line) { self.logger.log('debug', `bridge ${self.config.name}: ${line}`); },
    }, portNow());
    this.sock = new ClientSocket(this.client, (e) => this.onSocketFailed(e));
  }

  /** Subscribes locally for the rules going out, and connects. */
  start(): void {
    if (this.state !== 'stopped') return;
    for (const r of this.config.topics) {
      if (r.direction === 'in') continue;
      this.local.push(this.broker.subscribe(localFilter(r), (m) => this.onLocal(r, m), portNow()));
    }
    this.after();
    this.failures = 0;
    this.addressIndex = 0;
    this.connect();
    if (this.sysIntervalMs > 0) this.sysTimer = setInterval(() => this.publishSys(), this.sysIntervalMs);
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.setState('stopped', '');
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.sysTimer !== null) clearInterval(this.sysTimer);
    if (this.primaryCheck !== null) clearTimeout(this.primaryCheck);
    this.primaryCheck = null;
    this.retry = null;
    this.sysTimer = null;
    for (const s of this.local) s.unsubscribe();
    this.local = [];
    this.sock.stop();
    this.after();
  }

  stats(): BridgeStats {
    const s = this.client.stats;
    return { state: this.state, address: this.address, sent: this.sent, received: this.received, dropped: s.dropped, refused: s.refused,
      queuedMessages: this.client.queuedMessages(), queuedBytes: this.client.queuedBytes(), connects: s.connects, lastError: this.lastError };
  }

  private connect(): void {
    const a = this.addresses[this.addressIndex];
    this.address = this.config.addresses[this.addressIndex];
    // 3.1.1 with mosquitto's bridge flag, until an upstream refuses it.
    this.client.bridgeFlag = this.config.protocolVersion === 4 && this.config.tryPrivate && !this.privateRefused;
    this.setState('connecting', `to ${this.address}`);
    this.sock.open(a, this.config.connectTimeoutMs);
  }

  private onConnected(sessionPresent: boolean): void {
    this.failures = 0;
    if (this.addressIndex > 0 && this.config.primaryRetryMs > 0) this.watchPrimary();
    const v = this.config.protocolVersion;
    this.setState('connected', `to ${this.address} (MQTT ${v === 5 ? '5.0' : '3.1.1'}${this.client.bridgeFlag ? ' with the bridge flag' : ''}, session present ${sessionPresent ? 1 : 0})`);
    // Upstream subscriptions: 5.0 every time (Retain Handling 1: retained messages only for a
    // subscription that is new), 3.1.1 only when the session is new (each SUBSCRIBE would
    // send the retained messages again).
    const subs = [];
    for (const r of this.config.topics) {
      if (r.direction === 'out') continue;
      subs.push({ topicFilter: remoteFilter(r), qos: r.qos, noLocal: v === 5, retainAsPublished: v === 5, retainHandling: v === 5 ? 1 : 0 });
    }
    if (subs.length > 0 && (v === 5 || !sessionPresent)) this.client.subscribe(subs, null, portNow());
    this.publishSys();
  }

  /** While on a later address: a TCP connect to the first every primaryRetryMs; when one succeeds, back to it. */
  private watchPrimary(): void {
    const first = this.addresses[0];
    this.primaryCheck = setTimeout(() => {
      this.primaryCheck = null;
      if (this.state !== 'connected' || this.addressIndex === 0) return;
      const probe = netConnect({ host: first.host, port: first.port });
      probe.setTimeout(this.config.connectTimeoutMs, () => probe.destroy());
      probe.once('error', () => {});
      probe.once('close', () => {
        if (this.primaryCheck === null && !this.movingBack && this.state === 'connected' && this.addressIndex > 0) this.watchPrimary();
      });
      probe.once('connect', () => {
        probe.destroy();
        if (this.state !== 'connected' || this.addressIndex === 0) return;
        this.logger.log('info', `bridge ${this.config.name}: ${this.config.addresses[0]} takes connections again; moving back to it`);
        this.movingBack = true;
        this.client.disconnect(0, portNow());   // closed(null) follows: see onClosed
        this.sock.after();
      });
    }, this.config.primaryRetryMs);
  }

  /** A local message for an `out` or `both` rule: to the upstream, unless the bridge itself is publishing it. */
  private onLocal(r: TopicRule, m: Message): void {
    if (this.publishingLocally) return;
    const topic = toRemote(r, m.topic);
    if (topic === null) return;
    const qos = (m.qos < r.qos ? m.qos : r.qos) as QoS;
    this.client.publish(topic, m.payload, qos, m.retain, this.config.protocolVersion === 5 ? m.properties : null, portNow());
    this.sock.after();
  }

  /** An upstream message: published locally under the first `in` / `both` rule that maps it. */
  private onUpstream(p: PublishPacket): void {
    for (const r of this.config.topics) {
      const topic = toLocal(r, p.topic);
      if (topic === null) continue;
      this.received++;
      this.publishingLocally = true;
      try {
        this.broker.publish(topic, p.payload, (p.qos < r.qos ? p.qos : r.qos) as QoS, p.retain, portNow());
      } finally {
        this.publishingLocally = false;
      }
      this.after();
      return;
    }
  }

  /** The socket closed before CONNECT could go (refused, TLS failed, timed out). */
  private onSocketFailed(e: Error): void {
    this.lastError = e.message;
    if (this.state === 'connecting') this.failed(e.message);
  }

  private onClosed(err: CodecError | null): void {
    if (this.state === 'stopped') return;
    if (this.primaryCheck !== null) clearTimeout(this.primaryCheck);
    this.primaryCheck = null;
    if (this.movingBack) {
      this.movingBack = false;
      this.addressIndex = 0;
      this.connect();
      return;
    }
    const why = err === null ? 'closed' : err.message;
    this.lastError = why;
    // mosquitto's bridge flag refused (CONNACK 0x01, unacceptable protocol version): plain 3.1.1 from now on.
    if (this.client.bridgeFlag && err !== null && err.rc === 1 && err.rule === '4:MQTT-3.2.2-5') {
      this.privateRefused = true;
      this.logger.log('info', `bridge ${this.config.name}: ${this.address} refused the bridge flag; using plain MQTT 3.1.1`);
      this.connect();
      return;
    }
    this.failed(why);
  }

  /** A connection failed or ended: the next address, or a backoff when every one failed. */
  private failed(why: string): void {
    if (this.state === 'stopped' || this.state === 'backoff') return;
    const wasConnected = this.state === 'connected';
    this.addressIndex = wasConnected ? 0 : this.addressIndex + 1;
    if (!wasConnected && this.addressIndex < this.addresses.length) {
      this.logger.log('info', `bridge ${this.config.name}: ${this.address} failed (${why}); trying ${this.config.addresses[this.addressIndex]}`);
      this.connect();
      return;
    }
    if (this.addressIndex >= this.addresses.length) this.addressIndex = 0;
    if (!wasConnected) this.failures++;
    // Exponential, jittered between half and the whole of it, so bridges of many sites do not reconnect in step.
    const base = Math.min(this.config.backoffMaxMs, this.config.backoffMinMs * 2 ** Math.min(this.failures, 20));
    const wait = Math.round(base / 2 + Math.random() * base / 2);
    this.setState('backoff', `${wasConnected ? 'connection to ' + this.address + ' lost' : 'every address failed'} (${why}); retrying in ${(wait / 1000).toFixed(1)} s`);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.state === 'backoff') this.connect();
    }, wait);
  }

  private setState(state: BridgeState, detail: string): void {
    const changed = state !== this.state;
    this.state = state;
    if (!changed) return;
    const level = state === 'backoff' ? 'warn' : 'info';
    this.logger.log(level, `bridge ${this.config.name}: ${state}${detail === '' ? '' : ' ' + detail}`);
    this.publishSys();
  }

  /** $SYS/broker/bridge/NAME/...: retained, not counted as traffic (as the port's other $SYS values). */
  private publishSys(): void {
    if (this.sysIntervalMs <= 0) return;
    const s = this.stats();
    const base = `$SYS/broker/bridge/${this.config.name}/`;
    const values: Array<[string, string]> = [['state', s.state], ['address', s.address], ['queued/messages', '' + s.queuedMessages],
      ['queued/bytes', '' + s.queuedBytes], ['messages/sent', '' + s.sent], ['messages/received', '' + s.received],
      ['messages/dropped', '' + s.dropped], ['messages/refused', '' + s.refused], ['error', s.lastError]];
    const inBefore = this.broker.stats.messagesIn;
    for (const [k, v] of values) this.broker.publish(base + k, v, 0, true, portNow());
    this.broker.stats.messagesIn = inBefore;
    this.after();
  }
}
