// The broker: sessions by client id, the subscription tree, retained messages, routing and
// time. Ports call connect(transport) per client and tick(nowMs) about once a second; the
// embedding application answers the hooks and may publish and subscribe in-process.

import type { CodecError, FrameAllocator, Properties, PublishPacket, QoS, Subscription } from '../codec/index.js';
import {
  DISCONNECT, MQTT_5, PUBREL, RC_KEEP_ALIVE_TIMEOUT, SlabAllocator, RC_SESSION_TAKEN_OVER, RC_QUOTA_EXCEEDED, encodeUtf8,
} from '../codec/index.js';
import type { Transport } from './connection.js';
import { ACTIVE, AWAIT_CONNECT, CLOSED, Connection } from './connection.js';
import type { Message } from './message.js';
import { createMessage, frameFor, keep } from './message.js';
import type { BrokerOptions, Limits } from './options.js';
import { limitsFrom } from './options.js';
import { RetainedStore } from './retained-store.js';
import type { Subscriber } from './session.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, Session, allocatePacketId } from './session.js';
import { TopicTree } from './topic-tree.js';
import type { Answer } from './handlers/common.js';
import { isThenable } from './handlers/common.js';
import { publishSys } from './sys-topics.js';
import type { Store } from './store.js';
import { MEMORY_STORE } from './store.js';
import { afterRouting } from './handlers/publish.js';

/** The embedding application's say. Each hook may answer at once or with a Promise. */
export interface Hooks {
  /** true: accept; false: bad user name or password; a number: that 5.0 CONNACK reason code. */
  authenticate(client: Connection, username: string | null, password: Uint8Array | null): Answer<boolean | number>;
  authorizePublish(client: Connection, topic: string): Answer<boolean>;
  authorizeSubscribe(client: Connection, topicFilter: string): Answer<boolean>;
  log(client: Connection | null, line: string): void;
}

export interface Stats {
  startedAtMs: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  messagesIn: number;
  messagesOut: number;
  dropped: number;          // QoS 0 dropped for slow clients, full queues, too-large packets
  denied: number;           // PUBLISH refused by authorizePublish
}

function allow(): boolean {
  return true;
}

function quiet(): void {
  // no logging unless the application asks for it
}

interface Held {
  connection: Connection;
  packet: PublishPacket;
  message: Message;
  sinceMs: number;
}

const FOREVER = -1;
const MAX_EXPIRY = 0xffffffff;   // 5.0 §3.1.2.11.2: the session does not expire

export class Broker {
  limits: Limits;
  hooks: Hooks;
  nowMs: number;
  stats: Stats;
  sessions: Map<string, Session>;
  connections: Connection[];
  connectionCount: number;
  tree: TopicTree<Subscriber>;
  retained: RetainedStore<Message>;
  private matchCache: Map<string, Subscriber[]>;
  private matchCacheCount: number;
  private scratch: Subscriber[];
  private retainedScratch: Message[];
  private nextAssignedId: number;
  private nextSysAtMs: number;
  private localCount: number;
  private held: Held[];
  store: Store;
  alloc: FrameAllocator | null;

  constructor(options: BrokerOptions, hooks: Partial<Hooks>, nowMs: number) {
    this.limits = limitsFrom(options);
    this.hooks = {
      authenticate: hooks.authenticate || allow,
      authorizePublish: hooks.authorizePublish || allow,
      authorizeSubscribe: hooks.authorizeSubscribe || allow,
      log: hooks.log || quiet,
    };
    this.nowMs = nowMs;
    this.stats = { startedAtMs: nowMs, bytesIn: 0, bytesOut: 0, packetsIn: 0, messagesIn: 0, messagesOut: 0, dropped: 0, denied: 0 };
    this.sessions = new Map();
    this.connections = [];
    this.connectionCount = 0;
    this.tree = new TopicTree<Subscriber>(this.limits.maxTopicLevels);
    this.retained = new RetainedStore<Message>(this.limits.maxRetainedCount, this.limits.maxRetainedBytes, this.limits.maxTopicLevels);
    this.matchCache = new Map();
    this.matchCacheCount = 0;
    this.scratch = [];
    this.retainedScratch = [];
    this.nextAssignedId = 1;
    this.nextSysAtMs = nowMs;
    this.localCount = 0;
    this.held = [];
    this.store = options.store || MEMORY_STORE;
    this.alloc = this.limits.slabSize > 0 ? new SlabAllocator(this.limits.slabSize) : null;
  }

  /** A new client connection from the port. */
  connect(transport: Transport): Connection {
    const c = new Connection(this, transport, this.nowMs);
    this.connections.push(c);
    this.connectionCount++;
    return c;
  }

  /** The port's clock: keep-alive, connect timeouts, session expiry and $SYS run from here. */
  tick(nowMs: number): void {
    this.nowMs = nowMs;
    const list = this.connections;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      if (c.state === AWAIT_CONNECT && nowMs - c.openedAtMs > this.limits.connectTimeoutMs) {
        this.log(c, 'no CONNECT within ' + this.limits.connectTimeoutMs + ' ms');
        this.connectionEnded(c, false);
      } else if (c.state === ACTIVE && c.keepAliveMs > 0 && nowMs - c.lastInMs > c.keepAliveMs * 1.5) {
        // [MQTT-3.1.2-24] silence for 1.5 x Keep Alive: close as if the network failed (will published).
        c.fail(fail(RC_KEEP_ALIVE_TIMEOUT, '4:MQTT-3.1.2-24', 'keep alive timeout'));
      }
    }
    if (this.held.length > 0) this.retryHeld(true);
    this.expireSessions(nowMs);
    if (this.limits.sysIntervalMs > 0 && nowMs >= this.nextSysAtMs) {
      this.nextSysAtMs = nowMs + this.limits.sysIntervalMs;
      publishSys(this);
    }
  }

  // ---- in-process API ----

  /** Publishes from the application itself (no socket), as a client would. */
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean): number {
    const bytes = typeof payload === 'string' ? encodeUtf8(payload) : payload;
    return this.route(createMessage(topic, bytes, qos, retain, null, ''), null, true);
  }

  /** Subscribes the application itself; `onMessage` gets every matching message. */
  subscribe(topicFilter: string, onMessage: (m: Message) => void): LocalSubscription {
    const s = new Session('$local/' + (this.localCount++));
    s.local = onMessage;
    s.expiryMs = FOREVER;
    this.sessions.set(s.clientId, s);
    this.addSubscription(s, { topicFilter: topicFilter, qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 0 });
    return new LocalSubscription(this, s, topicFilter);
  }

  // ---- sessions ----

  assignClientId(): string {
    for (;;) {
      const id = 'ganglion-' + (this.nextAssignedId++);
      if (!this.sessions.has(id)) return id;
    }
  }

  /** Takes over or starts the client's session; returns Session Present [MQTT-3.2.2-1..3]. */
  openSession(c: Connection, clientId: string, cleanStart: boolean): boolean {
    let s = this.sessions.get(clientId);
    if (s !== undefined && s.connection !== null) {
      // [MQTT-3.1.4-2] [5:MQTT-3.1.4-3] the existing connection is closed (5.0: DISCONNECT 0x8E).
      const old = s.connection;
      this.log(old, 'taken over by a new connection');
      if (old.version === MQTT_5) old.sendPacket({ type: DISCONNECT, reasonCode: RC_SESSION_TAKEN_OVER, properties: null });
      this.connectionEnded(old, true);
      s = this.sessions.get(clientId);
    }
    if (s !== undefined && cleanStart) {
      this.removeSession(s);   // [MQTT-3.1.2-6] [5:MQTT-3.1.2-4]
      s = undefined;
    }
    const present = s !== undefined;
    if (s === undefined) {
      s = new Session(clientId);
      this.sessions.set(clientId, s);
    }
    s.connection = c;
    s.expiresAtMs = -1;
    s.version = c.version;
    c.session = s;
    // 3.1.1 Clean Session 0 keeps the session like a 5.0 expiry of 0xFFFFFFFF (5.0 §3.1.2.4 note).
    this.setSessionExpiry(s, c.version === MQTT_5 ? c.sessionExpiryFromConnect : cleanStart ? 0 : MAX_EXPIRY);
    return present;
  }

  setSessionExpiry(s: Session, seconds: number): void {
    const capped = Math.min(seconds, this.limits.maxSessionExpirySeconds);
    s.expiryMs = capped === MAX_EXPIRY ? FOREVER : capped * 1000;
    this.sessionChanged(s);
  }

  /** After CONNACK: resend what was in flight, in order, then what was queued [MQTT-4.4.0-1]. */
  resumeSession(c: Connection): void {
    const s = c.session as Session;
    for (let i = 0; i < s.inflight.length; i++) s.inflight[i].sent = false;
    this.pump(s);
  }

  /**
   * Resends, in their original order [MQTT-4.6.0-1], the in-flight messages this connection
   * has not seen: PUBLISH with DUP=1, or PUBREL past PUBREC [MQTT-4.4.0-1]; no more than the
   * window (the client's Receive Maximum, 5.0 §4.9) unacknowledged at once.
   */
  private resend(s: Session, c: Connection): void {
    let sent = 0;
    for (let i = 0; i < s.inflight.length; i++) if (s.inflight[i].sent) sent++;
    const window = this.window(c);
    for (let i = 0; i < s.inflight.length && sent < window && !c.blocked; i++) {
      const o = s.inflight[i];
      if (o.sent) continue;
      o.sent = true;
      sent++;
      if (o.state === AWAIT_PUBCOMP) c.sendPacket({ type: PUBREL, packetId: o.packetId, reasonCode: 0, properties: null });
      else c.send(frameFor(o.message, c.version, o.qos, o.retain, this.alloc).withPacketId(o.packetId, true));
    }
  }

  connackProperties(c: Connection): Properties {
    const p: Properties = {
      receiveMaximum: this.limits.maxInflightIn,
      maximumPacketSize: this.limits.maxPacketSize,
      subscriptionIdentifiersAvailable: 0,
      sharedSubscriptionAvailable: 0,
    };
    // 5.0 §3.2.2.3.2: tell the client when its Session Expiry Interval was lowered.
    const asked = c.sessionExpiryFromConnect;
    if (asked > this.limits.maxSessionExpirySeconds) p.sessionExpiryInterval = this.limits.maxSessionExpirySeconds;
    return p;
  }

  /** The connection is over: the port is told to close it, its session kept or ended. */
  connectionEnded(c: Connection, publishWill: boolean): void {
    if (c.state === CLOSED) return;
    const wasActive = c.state === ACTIVE;
    c.state = CLOSED;
    c.transport.close();
    const i = this.connections.indexOf(c);
    if (i >= 0) this.connections.splice(i, 1);
    this.connectionCount--;
    const s = c.session;
    if (s !== null && s.connection === c) {
      s.connection = null;
      if (s.expiryMs === 0) this.removeSession(s);   // [5:MQTT-3.1.2-23] ends with the connection
      else s.expiresAtMs = s.expiryMs === FOREVER ? -1 : this.nowMs + s.expiryMs;
    }
    const will = c.will;
    c.will = null;
    // [MQTT-3.1.2-8] the will goes out when the connection ends without DISCONNECT.
    if (publishWill && wasActive && will !== null) {
      let props = will.properties;
      if (props !== null && props.willDelayInterval !== undefined) {
        // The Will Delay Interval is for the broker, not forwarded with the message.
        props = Object.assign({}, props);
        delete props.willDelayInterval;
      }
      const m = createMessage(will.topic, will.payload, will.qos, will.retain, props, c.clientId);
      const allowed = this.hooks.authorizePublish(c, will.topic);
      if (!isThenable(allowed)) {
        if (allowed) this.route(m, null, true);
      } else {
        keep(m);
        const self = this;
        allowed.then(function (ok: boolean) { if (ok) self.route(m, null, true); }, quiet);
      }
    }
  }

  private removeSession(s: Session): void {
    const filters: string[] = [];
    s.subscriptions.forEach(function (_sub: Subscriber, filter: string) { filters.push(filter); });
    for (let i = 0; i < filters.length; i++) this.tree.remove(filters[i], s.clientId);
    s.subscriptions.clear();
    s.subscriptionCount = 0;
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    this.invalidateMatches();
    if (this.store.durable && s.expiryMs !== 0) this.store.sessionRemoved(s.clientId);
  }

  private expireSessions(nowMs: number): void {
    let expired: Session[] | null = null;
    this.sessions.forEach(function (s: Session) {
      if (s.connection === null && s.expiresAtMs >= 0 && nowMs >= s.expiresAtMs) {
        if (expired === null) expired = [];
        expired.push(s);
      }
    });
    if (expired === null) return;
    const list = expired as Session[];
    for (let i = 0; i < list.length; i++) this.removeSession(list[i]);
  }

  // ---- subscriptions ----

  /** 1: a new subscription; 0: replaced an existing one [MQTT-3.8.4-3]; -1: over a limit. */
  addSubscription(s: Session, sub: Subscription): number {
    const existing = s.subscriptions.get(sub.topicFilter);
    if (existing === undefined && s.subscriptionCount >= this.limits.maxSubscriptionsPerClient) return -1;
    const entry: Subscriber = {
      session: s, topicFilter: sub.topicFilter, qos: sub.qos, noLocal: sub.noLocal,
      retainAsPublished: sub.retainAsPublished, retainHandling: sub.retainHandling,
    };
    if (this.tree.add(sub.topicFilter, s.clientId, entry) < 0) return -1;
    s.subscriptions.set(sub.topicFilter, entry);
    if (existing === undefined) s.subscriptionCount++;
    this.invalidateMatches();
    this.sessionChanged(s);
    return existing === undefined ? 1 : 0;
  }

  removeSubscription(s: Session, topicFilter: string): boolean {
    if (!s.subscriptions.has(topicFilter)) return false;
    s.subscriptions.delete(topicFilter);
    s.subscriptionCount--;
    this.tree.remove(topicFilter, s.clientId);
    this.invalidateMatches();
    this.sessionChanged(s);
    return true;
  }

  /** Retained messages for a new subscription, flagged retained [MQTT-3.3.1-8]. */
  sendRetained(s: Session, sub: Subscription): void {
    const out = this.retainedScratch;
    const n = this.retained.match(sub.topicFilter, out);
    for (let i = 0; i < n; i++) {
      const m = out[i];
      this.deliver(s, m, m.qos < sub.qos ? m.qos : sub.qos, true);
    }
  }

  // ---- routing ----

  /**
   * Hands a message to every matching session. Returns how many sessions it went to, or -1
   * when it was refused: a 5.0 quota (full retained store) or a subscriber's full queue,
   * checked before anything was delivered so that nothing is acknowledged and then lost.
   */
  route(m: Message, from: Connection | null, force: boolean): number {
    const subs = this.matches(m.topic);
    if (m.qos > 0 && !force) {
      for (let i = 0; i < subs.length; i++) if (!this.hasRoom(subs[i].session)) return -1;
    }
    this.stats.messagesIn++;
    if (m.retain) {
      const rc = this.retained.set(m.topic, m.payload.length === 0 ? m : keep(m));
      if (rc === RC_QUOTA_EXCEEDED) {
        this.stats.dropped++;
        this.log(from, 'retained store full: "' + m.topic + '" not retained');
        if (from !== null && from.version === MQTT_5 && m.qos > 0 && !force) return -1;
      } else if (this.store.durable) {
        this.store.retainedChanged(m.topic, m.payload.length === 0 ? null : m);
      }
    }
    let count = 0;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i];
      // 5.0 §3.8.3.1 No Local: not back to the connection that published it.
      if (sub.noLocal && sub.session.clientId === m.publisher) continue;
      // [4:MQTT-3.3.1-9] retain is 0 on normal delivery, unless Retain As Published (5.0).
      this.deliver(sub.session, m, m.qos < sub.qos ? m.qos : sub.qos, sub.retainAsPublished && m.retain);
      count++;
    }
    return count;
  }

  /**
   * One Subscriber per matching session, with the highest granted QoS where several of its
   * subscriptions overlap [4:MQTT-3.3.5-1]. Cached per topic until subscriptions change.
   */
  private matches(topic: string): Subscriber[] {
    const cached = this.matchCache.get(topic);
    if (cached !== undefined) return cached;
    const out = this.scratch;
    const n = this.tree.match(topic, out);
    const list: Subscriber[] = [];
    for (let i = 0; i < n; i++) {
      const sub = out[i];
      let j = 0;
      while (j < list.length && list[j].session !== sub.session) j++;
      if (j === list.length) list.push(sub);
      else list[j] = mergeOverlap(list[j], sub);
    }
    if (this.limits.matchCacheSize > 0) {
      if (this.matchCacheCount >= this.limits.matchCacheSize) this.invalidateMatches();
      this.matchCache.set(topic, list);
      this.matchCacheCount++;
    }
    return list;
  }

  /** Tells a durable store that a persistent session changed (no-op in memory). */
  sessionChanged(s: Session): void {
    if (this.store.durable && s.expiryMs !== 0 && s.local === null) this.store.sessionChanged(s);
  }

  private invalidateMatches(): void {
    if (this.matchCacheCount === 0) return;
    this.matchCache.clear();
    this.matchCacheCount = 0;
  }

  /**
   * Whether a QoS 1/2 message can go to `s` without dropping one: an online session whose
   * queue is full of QoS 1/2 has no room, and the publisher is then held (hold()). An
   * offline session's full queue drops its oldest QoS 0, or the new message, counted in
   * $SYS (a persistent session cannot hold every publisher back for as long as it is away).
   */
  private hasRoom(s: Session): boolean {
    if (s.connection === null || s.local !== null) return true;
    if (s.queue.length < this.limits.maxQueued) return true;
    if (!this.limits.dropOldestQoS0) return false;
    for (let i = 0; i < s.queue.length; i++) if (s.queue[i].qos === 0) return true;
    return false;
  }

  /** One message to one session: sent now, queued, or (QoS 0 only) dropped and counted. */
  deliver(s: Session, m: Message, qos: QoS, retain: boolean): void {
    if (s.local !== null) {
      s.local(m);
      return;
    }
    const c = s.connection;
    const online = c !== null && c.state === ACTIVE;
    if (qos === 0) {
      if (!online) {
        // [4:MQTT-3.1.2-5] QoS 0 for an offline session is optional.
        if (this.limits.queueQoS0Offline) this.enqueue(s, m, 0, retain);
        return;
      }
      this.sendQoS0(c as Connection, m, retain);
      return;
    }
    if (online && s.queue.length === 0 && this.windowOpen(s, c as Connection)) this.sendInflight(s, c as Connection, m, qos, retain);
    else this.enqueue(s, m, qos, retain);
  }

  /** Moves queued messages into the window while the connection takes them. */
  pump(s: Session): void {
    const c = s.connection;
    if (c === null || c.state !== ACTIVE) return;
    this.resend(s, c);
    const before = s.queue.length;
    while (s.queue.length > 0 && !c.blocked) {
      const q = s.queue[0];
      if (q.qos > 0 && !this.windowOpen(s, c)) break;
      s.queue.shift();
      if (q.qos === 0) this.sendQoS0(c, q.message, q.retain);
      else this.sendInflight(s, c, q.message, q.qos, q.retain);
    }
    if (s.queue.length < before && this.held.length > 0) this.retryHeld(false);
  }

  /** A publisher waits, unacknowledged and unread, until its message has room (route() < 0). */
  hold(c: Connection, p: PublishPacket, m: Message): void {
    keep(m);
    c.waiting++;
    this.held.push({ connection: c, packet: p, message: m, sinceMs: this.nowMs });
    this.log(c, 'held: a subscriber queue is full');
  }

  /**
   * Routes held messages that now fit; past holdTimeoutMs a held message is routed anyway
   * and the subscribers still full lose it (counted), so one stuck client cannot stop a
   * publisher for ever.
   */
  private retryHeld(timeouts: boolean): void {
    const list = this.held;
    for (let i = 0; i < list.length; i++) {
      const h = list[i];
      const c = h.connection;
      let routed = -1;
      if (c.state === ACTIVE) {
        routed = this.route(h.message, c, false);
        if (routed < 0 && timeouts && this.nowMs - h.sinceMs >= this.limits.holdTimeoutMs) routed = this.route(h.message, c, true);
        if (routed < 0) continue;
      }
      list.splice(i--, 1);
      if (c.state !== ACTIVE) continue;
      c.waiting--;
      const err = afterRouting(c, h.packet, h.message, routed);
      if (err !== null) c.fail(err);
      else c.process();
    }
  }

  private window(c: Connection): number {
    return c.receiveMaximum < this.limits.maxInflight ? c.receiveMaximum : this.limits.maxInflight;
  }

  private windowOpen(s: Session, c: Connection): boolean {
    return s.inflight.length < this.window(c) && !c.blocked;
  }

  private sendQoS0(c: Connection, m: Message, retain: boolean): void {
    const bytes = frameFor(m, c.version, 0, retain, this.alloc).bytes;
    // [5:MQTT-3.1.2-25] too large for this client: dropped as if delivered. A slow client
    // with a full outbound buffer loses QoS 0 first (counted in $SYS).
    if ((c.maximumPacketSize > 0 && bytes.length > c.maximumPacketSize) || !c.hasRoom(bytes.length)) {
      this.stats.dropped++;
      return;
    }
    this.stats.messagesOut++;
    c.send(bytes);
  }

  private sendInflight(s: Session, c: Connection, m: Message, qos: QoS, retain: boolean): void {
    const f = frameFor(keep(m), c.version, qos, retain, this.alloc);
    if (c.maximumPacketSize > 0 && f.bytes.length > c.maximumPacketSize) {
      this.stats.dropped++;   // [5:MQTT-3.1.2-25]
      return;
    }
    // [MQTT-4.3.2-1] [MQTT-4.3.3-1] a fresh packet id, DUP 0; kept until acknowledged.
    const packetId = allocatePacketId(s);
    s.inflight.push({ packetId: packetId, qos: qos, retain: retain, message: m, state: qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC, sent: true });
    this.stats.messagesOut++;
    c.send(f.withPacketId(packetId, false));
    this.sessionChanged(s);
  }

  private enqueue(s: Session, m: Message, qos: QoS, retain: boolean): void {
    if (s.queue.length >= this.limits.maxQueued) {
      let oldest = -1;
      if (this.limits.dropOldestQoS0) for (let i = 0; i < s.queue.length && oldest < 0; i++) if (s.queue[i].qos === 0) oldest = i;
      this.stats.dropped++;
      if (oldest < 0) {
        this.log(null, s.clientId + ': queue full, a QoS ' + qos + ' message dropped');
        return;
      }
      s.queue.splice(oldest, 1);
    }
    s.queue.push({ message: keep(m), qos: qos, retain: retain });
    if (qos > 0) this.sessionChanged(s);
  }

  log(c: Connection | null, line: string): void {
    this.hooks.log(c, c !== null && c.clientId !== '' ? c.clientId + ': ' + line : line);
  }
}

function mergeOverlap(a: Subscriber, b: Subscriber): Subscriber {
  return {
    session: a.session, topicFilter: a.topicFilter, qos: a.qos > b.qos ? a.qos : b.qos, noLocal: a.noLocal && b.noLocal,
    retainAsPublished: a.retainAsPublished || b.retainAsPublished, retainHandling: a.retainHandling,
  };
}

function fail(rc: number, rule: string, message: string): CodecError {
  return { rc: rc, rule: rule, message: message };
}

/** An in-process subscription; unsubscribe() ends it. */
export class LocalSubscription {
  private broker: Broker;
  private session: Session;
  private topicFilter: string;

  constructor(broker: Broker, session: Session, topicFilter: string) {
    this.broker = broker;
    this.session = session;
    this.topicFilter = topicFilter;
  }

  unsubscribe(): void {
    this.broker.removeSubscription(this.session, this.topicFilter);
    this.broker.sessions.delete(this.session.clientId);
  }
}

export function createBroker(options: BrokerOptions, hooks: Partial<Hooks>, nowMs: number): Broker {
  return new Broker(options, hooks, nowMs);
}
