// The broker: sessions by client id, the subscription tree, retained messages, routing and
// time. Ports call connect(transport, nowMs) per client, give every call the time, and arm one
// timer for nextDeadline() that calls timeout(nowMs); the embedding application answers the
// hooks and may publish and subscribe from the same program.

import type { CodecError, FrameAllocator, Packet, Properties, InPlacePublish, QoS, Subscription } from '../codec/index.js';
import { FramePool, MQTT_5, RC_KEEP_ALIVE_TIMEOUT, RC_SESSION_TAKEN_OVER, SlabAllocator, codecError, encodeUtf8, isValidTopicName, label, quote } from '../codec/index.js';
import type { ConnectionHost, Held, Transport } from './connection.js';
import { ACTIVE, AWAIT_CONNECT, CLOSED, Connection } from './connection.js';
import type { Message } from './message.js';
import { createMessage, publishScratch } from './message.js';
import type { BrokerOptions, Limits } from './options.js';
import { limitsFrom } from './options.js';
import { RetainedStore } from './retained-store.js';
import type { Subscriber } from './session.js';
import type { Session } from './session.js';
import { TopicTree } from './topic-tree.js';
import { noDrops } from './drops.js';
import type { SysHost, SysLoad } from './sys-topics.js';
import { publishSys } from './sys-topics.js';
import type { Store } from './store.js';
import { MEMORY_STORE } from './store.js';
import { handle } from './handlers/dispatch.js';
import { retryHeld } from './handlers/publish.js';
import { releaseAck } from './handlers/acks-in.js';
import type { HeldAck, JournalHost } from './state/journal.js';
import { Journal } from './state/journal.js';
import { loadState, loadedWill } from './state/load.js';
import type { ConnectionWill, StateRecord } from './state/records.js';
import { encodeRecord } from './state/record-codec.js';
import type { SnapshotHost } from './state/snapshot.js';
import { snapshot } from './state/snapshot.js';
import {
  addSubscription, clearSession, createLocalSession, createSession, endLocalSession, endSession, expiryMsOf, forgetSession,
  delayWill, sessionOffline, sessionResumed, willCleared, willDropped,
} from './state/owner.js';
import { deliver, pump } from './delivery.js';
import { drained } from './backlog.js';
import type { Matches } from './routing.js';
import { redispatch, route } from './routing.js';
import { publishWill, releaseWill, willOnClose } from './will.js';
import { failLater, faulted, settle } from './fault.js';
import { Chain } from './chain.js';
import { admitPending, leavePending, shedPending } from './pending.js';
import { shutDown } from './shutdown.js';
import type { Timed } from './deadlines.js';
import { DUE_CONNECTION, DUE_HELD, DUE_SESSION, DUE_SYS, DeadlineHeap, connectDeadline, keepAliveDeadline } from './deadlines.js';
import { LOG_CLOSED, LOG_DETAIL, LOG_FAULT, LOG_LIMIT } from './log-events.js';
import type { Hooks } from './hooks.js';
import type { Stats } from './stats.js';


// The largest frame the pool keeps for reuse: at most 4 of them (2 KB) stay alive while unused.
const POOLED_FRAME_BYTES = 512;

function allow(): boolean {
  return true;
}

function nothing(): void {
  // a transport that was never a socket
}

/** The transport of a will's publisher after a restart: its connection ended with the broker. */
const NO_TRANSPORT: Transport = Object.freeze({ write: allow, close: nothing });

function quiet(): void {
  // no logging unless the application asks for it
}

export class Broker implements JournalHost, ConnectionHost, SysHost, SnapshotHost {
  limits: Limits;
  hooks: Hooks;
  nowMs: number;
  stats: Stats;
  sessions: Map<string, Session>;
  connections: Connection[];
  connectionCount: number;          // every connection the port has handed over and not yet closed
  clientCount: number;              // of those, the accepted ones (CONNACK 0): what maxConnections counts
  pending: Chain<Connection>;       // the others, oldest first (pending.ts)
  pendingBytes: number;             // held by their decoders
  sessionCount: number;             // sessions of clients (not the application's own), online or not
  offline: Chain<Session>;          // those whose client is away, the longest away first
  offlineBytes: number;             // queued for them (Queued.bytes), against maxOfflineBytes
  tree: TopicTree<Subscriber>;
  retained: RetainedStore;
  // Routing state (routing.ts): folded match lists per topic, shared-subscription cursors.
  matchCache: Map<string, Matches>;     // the newer half of the cache
  matchCacheOld: Map<string, Matches>;  // the older half
  matchCacheCount: number;              // lists in the newer half
  matchEpoch: number;                   // changes whenever subscriptions do: older lists are stale
  matchScratch: Subscriber[];
  shareCursors: Map<string, number>;
  slowSessions: Session[];          // sessions that lost messages since the last $SYS report (backlog.ts)
  private retainedScratch: Message[];
  private nextAssignedId: number;
  private nextSysAtMs: number;
  sysLoad: SysLoad | null;          // $SYS/broker/load/... averages, made by the first publishSys
  private localCount: number;
  held: Held[];
  private deadlines: DeadlineHeap;
  /**
   * Set by a port that arms a timer: called when a hook's late answer (a settled Promise)
   * is waiting. The port then calls timeout(nowMs), at once or soon, and re-arms its timer:
   * the answer is handled inside that call, at the port's time, never at the stale time of
   * the last call. Null (a core driven without a port): handled at once, at that last time.
   */
  wake: (() => void) | null;
  private answers: Array<() => void>;   // late answers waiting for timeout()
  private heldDue: Timed;
  private sysDue: Timed;
  holding: boolean;         // publishers have been held since one last found room (logged once)
  store: Store;
  journal: Journal | null;          // a durable store's records and held acknowledgements; null in memory
  // A bridge's durable queue (core/bridge/queue-records.ts, which takes its records from here):
  bridgeRecords: StateRecord[];     // loaded queue records of bridges not made yet
  bridgeSnapshots: Array<(put: (r: StateRecord) => void) => void>;   // each bridge's live queue, for a snapshot
  alloc: FrameAllocator | null;
  // Frame buffers written to transports that copy (Transport.writeCopies) and held by nothing
  // else, for the next frame of the same size (codec/frame-pool.ts); `alloc` is this pool.
  framePool: FramePool;
  messageFramesHeld: number;       // sends that held a message's shared frame (delivery.ts, handlers/publish.ts)
  publishScratch: InPlacePublish;  // reused to encode each message's frames (message.ts frameFor)
  spareMessage: Message | null;     // a routed message nothing kept, reused for the next PUBLISH
  stringScratch: number[][];        // shared by every connection's decoder (codec/reader.ts)
  faulty: Connection[];             // connections whose transport threw in a write, closed by settle() (fault.ts)
  /** Handles one packet of a connection (handlers/dispatch.ts): given here, so connection.ts imports no handler. */
  dispatch: (c: Connection, p: Packet) => CodecError | null;
  closed: boolean;                  // close() was called (shutdown.ts)

  constructor(options: BrokerOptions, hooks: Partial<Hooks>, nowMs: number) {
    this.limits = limitsFrom(options);
    // A build without enhanced authentication (__AUTH__ false: the small Espruino bundles)
    // refuses the hook rather than ignore it and refuse every client that names a method.
    if (!__AUTH__ && hooks.authenticateEnhanced !== undefined) throw new Error('authenticateEnhanced: this build has no enhanced authentication (__AUTH__ false)');
    this.hooks = {
      authenticate: hooks.authenticate || allow,
      authorizePublish: hooks.authorizePublish || allow,
      authorizeSubscribe: hooks.authorizeSubscribe || allow,
      log: hooks.log || quiet,
      authenticateEnhanced: hooks.authenticateEnhanced,
      authorizeRead: hooks.authorizeRead,
      connected: hooks.connected,
      disconnected: hooks.disconnected,
    };
    this.nowMs = nowMs;
    this.stats = { startedAtMs: nowMs, bytesIn: 0, bytesOut: 0, packetsIn: 0, messagesIn: 0, messagesOut: 0, dropped: 0, denied: 0, expired: 0, authFailures: 0, errors: 0,
      connectTooLarge: 0, pendingClosed: 0, pendingBytesClosed: 0, pendingPerAddressClosed: 0, sessionsExpired: 0, sessionsCapped: 0, offlineDropped: 0,
      drops: noDrops(), peakClients: 0 };
    this.sessions = new Map();
    this.connections = [];
    this.connectionCount = 0;
    this.clientCount = 0;
    this.pending = new Chain<Connection>();
    this.pendingBytes = 0;
    this.sessionCount = 0;
    this.offline = new Chain<Session>();
    this.offlineBytes = 0;
    this.tree = new TopicTree<Subscriber>(this.limits.maxTopicLevels);
    this.retained = new RetainedStore(this.limits.maxRetainedCount, this.limits.maxRetainedBytes, this.limits.maxTopicLevels);
    this.matchCache = new Map();
    this.matchCacheOld = new Map();
    this.matchCacheCount = 0;
    this.matchEpoch = 0;
    this.matchScratch = [];
    this.shareCursors = new Map();
    this.slowSessions = [];
    this.retainedScratch = [];
    this.nextAssignedId = 1;
    this.nextSysAtMs = nowMs;
    this.sysLoad = null;
    this.localCount = 0;
    this.held = [];
    this.deadlines = new DeadlineHeap();
    this.wake = null;
    this.answers = [];
    this.heldDue = { dueAtMs: -1, dueSlot: -1, dueKind: DUE_HELD };
    this.sysDue = { dueAtMs: -1, dueSlot: -1, dueKind: DUE_SYS };
    if (this.limits.sysIntervalMs > 0) this.deadlines.earlier(this.sysDue, nowMs);
    this.holding = false;
    this.store = options.store || MEMORY_STORE;
    this.framePool = new FramePool(this.limits.slabSize > 0 ? new SlabAllocator(this.limits.slabSize) : null, POOLED_FRAME_BYTES);
    this.alloc = this.framePool;
    this.messageFramesHeld = 0;
    this.publishScratch = publishScratch();
    this.spareMessage = null;
    this.stringScratch = [];
    this.faulty = [];
    this.closed = false;
    this.dispatch = handle;
    this.journal = null;
    this.bridgeRecords = [];
    this.bridgeSnapshots = [];
    if (this.store.durable) {
      // A build without the state records (__STORE__ false: the small Espruino bundles,
      // build.mjs) cannot keep anything: refuse the store rather than lose state silently.
      if (!__STORE__) throw new Error('store: this build keeps no state records (__STORE__ false)');
      this.load(options.wallClockMs !== undefined ? options.wallClockMs : nowMs);
    }
  }

  /**
   * Start-up on a durable store: the state its records rebuild (state/load.ts). `wallMs` is
   * the wall-clock time at this broker's nowMs: records keep deadlines on the wall clock.
   * Clients whose connection was alive when the broker stopped lost it then: their sessions
   * wait for them from now on, and their wills go out (after a Will Delay Interval, from now).
   */
  private load(wallMs: number): void {
    const j = new Journal(this.store, wallMs - this.nowMs, this);
    this.journal = j;
    // A store whose load() throws stops the start-up (createBroker throws): starting empty would
    // let the next snapshot replace what it could not read.
    const loaded = loadState(this, this.store);
    this.bridgeRecords = loaded.bridges;
    if (loaded.skipped > 0) this.log(null, 'store: ' + loaded.skipped + ' of ' + loaded.records + ' records skipped; the first: ' + loaded.firstProblem, LOG_FAULT);
    for (let i = 0; i < loaded.delayed.length; i++) {
      const d = loaded.delayed[i];
      d.willFrom = this.goneConnection(d.clientId, d.username, d.version);
    }
    for (let i = 0; i < loaded.online.length; i++) {
      const s = loaded.online[i];
      sessionOffline(this, s);
      const w = loaded.wills.get(s.clientId);
      if (w === undefined) continue;
      const m = loadedWill(j, w);
      const from = this.goneConnection(s.clientId, s.username, s.version);
      if (w.delayMs > 0) delayWill(this, s, from, m, this.nowMs + w.delayMs);
      else {
        willDropped(this, s);
        try {
          publishWill(this, from, m);
        } catch (e) {
          faulted(this, null, e);   // a hook that throws loses this will only
        }
      }
    }
    // [MQTT-3.1.2-8] the connections whose sessions were not kept were lost with the broker:
    // their sessions ended then, so their wills go out now, whatever their delay (5.0 §3.1.3.2.2).
    const gone: ConnectionWill[] = [];
    loaded.connectionWills.forEach(function (w: ConnectionWill) { gone.push(w); });
    for (let i = 0; i < gone.length; i++) {
      const w = gone[i];
      willCleared(this, w.clientId);   // published: not again at the next restart
      try {
        publishWill(this, this.goneConnection(w.clientId, w.username, w.version), loadedWill(j, w));
      } catch (e) {
        faulted(this, null, e);   // a hook that throws loses this will only
      }
    }
    this.log(null, 'store: ' + loaded.records + ' records loaded: ' + this.sessionCount + ' sessions, ' + this.retained.count + ' retained messages', LOG_DETAIL);
    j.flush(this.nowMs);
  }

  /** A will's publisher after a restart, as authorizePublish is asked about it: a connection already closed. */
  private goneConnection(clientId: string, username: string | null, version: number): Connection {
    const c = new Connection(this, NO_TRANSPORT, this.nowMs);
    c.state = CLOSED;
    c.clientId = clientId;
    c.username = username;
    c.version = version;
    return c;
  }

  // ---- the journal's host (state/journal.ts) ----

  releaseAck(a: HeldAck, stored: boolean): void {
    try {
      releaseAck(a, stored);
    } catch (e) {
      faulted(this, a.connection, e);
    }
  }

  snapshot(): Uint8Array[] {
    const out = snapshot(this);
    const put = function (r: StateRecord): void { out.push(encodeRecord(r)); };
    // The bridges' queues (core/bridge/queue-records.ts), and what bridges not made (again) left.
    for (let i = 0; i < this.bridgeRecords.length; i++) put(this.bridgeRecords[i]);
    for (let i = 0; i < this.bridgeSnapshots.length; i++) this.bridgeSnapshots[i](put);
    return out;
  }

  storeLog(line: string): void {
    this.log(null, line, LOG_FAULT);   // the store failed (state/journal.ts)
  }

  settleLater(): void {
    settle(this);
  }

  openGate(c: Connection): void {
    try {
      c.ungate();
    } catch (e) {
      faulted(this, c, e);
    }
  }

  /** A new client connection from the port, opened at `nowMs`. */
  connect(transport: Transport, nowMs: number): Connection {
    this.setNow(nowMs);
    const c = new Connection(this, transport, this.nowMs);
    this.connections.push(c);
    this.connectionCount++;
    admitPending(this, c);
    this.deadlines.earlier(c, connectDeadline(c.openedAtMs, this.limits.connectTimeoutMs));
    if (this.closed) this.connectionEnded(c, false);   // shutting down: closed at once
    return c;
  }

  /**
   * For a port with a fixed number of sockets, at its cap when a new one arrives: closes the
   * oldest connection that has sent no CONNECT yet (pending.ts) and returns true, or returns
   * false when there is none (the port then refuses the new socket). `limit` names the cap.
   */
  closeOldestPending(nowMs: number, limit: string): boolean {
    this.setNow(nowMs);
    let done = false;
    try {
      done = shedPending(this, limit);
    } catch (e) {
      faulted(this, null, e);
    }
    settle(this);
    return done;
  }

  /**
   * Shuts the broker down (shutdown.ts): every connection is ended (5.0 clients: DISCONNECT
   * 0x8B first), each transport's close() called; after it nothing is due (nextDeadline -1).
   */
  close(nowMs: number): void {
    this.setNow(nowMs);
    this.closed = true;
    shutDown(this);
    settle(this);
  }

  /**
   * The time of the call being handled. Every entry point gives it first; a clock that went
   * backwards is not followed (a deadline would move later, never earlier).
   */
  setNow(nowMs: number): void {
    if (nowMs > this.nowMs) this.nowMs = nowMs;
  }

  /**
   * When the port must next call timeout(): a time on the clock of the nowMs it passes, or -1
   * for none. It may change after any call into the core, so the port asks after each one and
   * re-arms its one timer when the answer changed.
   */
  nextDeadline(): number {
    return this.closed ? -1 : this.deadlines.next();
  }

  /**
   * The port's timer, and its answer to wake(): the hooks' late answers are handled, then
   * everything due at `nowMs` (deadlines.ts) happens; nothing early.
   */
  timeout(nowMs: number): void {
    this.setNow(nowMs);
    const now = this.nowMs;
    const answers = this.answers;
    while (answers.length > 0) {
      try {
        (answers.shift() as () => void)();   // each also catches its own (fault.ts)
      } catch (e) {
        faulted(this, null, e);
      }
    }
    for (let t = this.deadlines.due(now); t !== null; t = this.deadlines.due(now)) {
      let next = -1;
      try {
        next = this.fire(t, now);
      } catch (e) {
        this.fireFailed(t, e);   // that owner only (fault.ts), and not tried again
      }
      // An owner answers a time after now, or -1; one that answered now would be asked again.
      if (next >= 0) this.deadlines.earlier(t, next > now ? next : now + 1);
    }
    settle(this);
  }

  /**
   * Handles a hook's Promise: `ok` or `failed` runs when it settles, inside the port's next
   * timeout() when the port gave a wake (so at the port's time), else at once. Each runs as
   * an entry point of its own: what it throws ends `c` only (fault.ts; null: no connection).
   */
  whenAnswered<T>(c: Connection | null, answer: PromiseLike<T>, ok: (value: T) => void, failed: (reason: unknown) => void): void {
    const b = this;
    answer.then(function (value: T) {
      b.answered(function () { b.guarded(c, function () { ok(value); }); });
    }, function (reason: unknown) {
      b.answered(function () { b.guarded(c, function () { failed(reason); }); });
    });
  }

  private guarded(c: Connection | null, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      faulted(this, c, e);
    }
    settle(this);
  }

  private answered(fn: () => void): void {
    const wake = this.wake;
    if (wake === null) {
      fn();
      return;
    }
    this.answers.push(fn);
    if (this.answers.length > 1) return;   // the port has been woken already
    try {
      wake();
    } catch (e) {
      faulted(this, null, e);   // the port's own bug: the answer waits for its next timeout()
    }
  }

  /** timeout() under its first name, for ports and tests written before it. */
  tick(nowMs: number): void {
    this.timeout(nowMs);
  }

  /** Acts on one entry that came due; returns the owner's next deadline, or -1. */
  private fire(t: Timed, nowMs: number): number {
    if (t.dueKind === DUE_CONNECTION) return this.connectionDue(t as Connection, nowMs);
    if (t.dueKind === DUE_SESSION) return this.sessionDue(t as Session, nowMs);
    if (t.dueKind === DUE_HELD) {
      retryHeld(this, true);
      return this.held.length > 0 ? this.held[0].sinceMs + this.limits.holdTimeoutMs : -1;
    }
    this.nextSysAtMs = nowMs + this.limits.sysIntervalMs;
    if (__SYS__) publishSys(this);   // (a build without $SYS never arms this deadline: options.ts)
    return this.nextSysAtMs;
  }

  private fireFailed(t: Timed, e: unknown): void {
    if (t.dueKind === DUE_CONNECTION) {
      faulted(this, t as Connection, e);
      return;
    }
    faulted(this, null, e);
    if (t.dueKind !== DUE_SESSION) return;
    const s = t as Session;
    if (s.connection === null && this.sessions.get(s.clientId) === s) forgetSession(this, s);   // never expired twice
  }

  private connectionDue(c: Connection, nowMs: number): number {
    if (c.state === CLOSED) return -1;
    if (c.state !== ACTIVE) {
      // AWAIT_CONNECT or CONNECTING: a hook that never answers ends like a missing CONNECT.
      const at = connectDeadline(c.openedAtMs, this.limits.connectTimeoutMs);
      if (nowMs < at) return at;
      this.log(c, (c.state === AWAIT_CONNECT ? 'no CONNECT' : 'CONNECT not completed') + ' within ' + this.limits.connectTimeoutMs + ' ms', LOG_CLOSED);
      this.connectionEnded(c, false);
      return -1;
    }
    if (c.keepAliveMs === 0) return -1;
    // Not while we are the ones not reading it: the period starts again when we read again.
    if (c.pausedByUs) return keepAliveDeadline(nowMs, c.keepAliveMs);
    const at = keepAliveDeadline(c.lastPacketMs, c.keepAliveMs);
    if (nowMs < at) return at;
    // [MQTT-3.1.2-24] silence for 1.5 x Keep Alive: close as if the network failed (will published).
    c.fail(codecError(RC_KEEP_ALIVE_TIMEOUT, '4:MQTT-3.1.2-24', 'keep alive timeout'));
    return -1;
  }

  /** Arms the keep-alive of a connection that has just been accepted. */
  keepAliveStarted(c: Connection): void {
    if (c.keepAliveMs > 0) this.deadlines.earlier(c, keepAliveDeadline(c.lastPacketMs, c.keepAliveMs));
  }

  private sessionDue(s: Session, nowMs: number): number {
    if (s.connection === null && s.expiresAtMs >= 0 && nowMs >= s.expiresAtMs) {
      this.stats.sessionsExpired++;
      this.removeSession(s);   // also releases a delayed will [5:MQTT-3.1.2-8]
      return -1;
    }
    if (s.will !== null && nowMs >= s.willAtMs) releaseWill(this, s);   // takes the will off first: never tried twice
    return sessionDeadline(s);
  }

  /** Arms a session's deadline after its expiry or its will's delay was set. */
  sessionDeadlineChanged(s: Session): void {
    const at = sessionDeadline(s);
    if (at >= 0) this.deadlines.earlier(s, at);
  }

  // ---- in-process API ----

  /**
   * Publishes from the application itself (no socket), as a client would. Returns how many
   * sessions it went to, or -1 when it went nowhere: a topic that is not a Topic Name, or
   * a fault inside the core (counted and logged, fault.ts).
   */
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean, nowMs: number, properties?: Properties | null): number {
    this.setNow(nowMs);
    let routed = -1;
    try {
      // `properties`: 5.0 properties the message carries to 5.0 subscribers (a bridge's, core/bridge), never a Topic Alias or Subscription Identifier.
      const props = properties === undefined ? null : properties;
      if (!isValidTopicName(topic)) this.log(null, 'publish: ' + quote(topic) + ' is not a Topic Name', LOG_DETAIL);
      else routed = route(this, createMessage(topic, typeof payload === 'string' ? encodeUtf8(payload) : payload, qos, retain, props, ''), null, true);
    } catch (e) {
      faulted(this, null, e);
    }
    settle(this);
    return routed;
  }

  /** Subscribes the application itself; `onMessage` gets every matching message. */
  // ---- a bridge's durable queue (core/bridge/queue-records.ts) ----

  /** A bridge's record, into this turn's batch (nothing without persistence). */
  record(r: StateRecord): void {
    if (this.journal !== null) this.journal.add(r);
  }

  /** `fn` once every record made so far is stored (at once without persistence). */
  afterStored(fn: (stored: boolean) => void): void {
    if (this.journal === null) fn(true);
    else this.journal.afterStored(fn);
  }

  /** Records made outside the broker's own entry points (a bridge's) go to the store now. */
  flush(): void {
    settle(this);
  }

  subscribe(topicFilter: string, onMessage: (m: Message) => void, nowMs: number): LocalSubscription {
    this.setNow(nowMs);
    const s = createLocalSession(this, '$local/' + (this.localCount++), onMessage);
    try {
      addSubscription(this, s, { topicFilter: topicFilter, qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 0 }, null);
    } catch (e) {
      faulted(this, null, e);
    }
    settle(this);
    return new LocalSubscription(this, s, topicFilter);
  }

  // ---- sessions ----

  /**
   * Whether a client may be accepted now: fewer than maxConnections are, or it takes over
   * its own session's connection (so a client whose old connection is half-open gets back in).
   */
  roomForClient(clientId: string): boolean {
    if (this.clientCount < this.limits.maxConnections) return true;
    const s = this.sessions.get(clientId);
    return s !== undefined && s.connection !== null && s.connection.state === ACTIVE;
  }

  /**
   * Whether a new session for `clientId` fits maxSessions; at the limit the session whose
   * client has been away longest is ended to make room. None away: false (the CONNECT is
   * refused). A client that has a session, or takes one over, needs no new one.
   */
  roomForSession(clientId: string): boolean {
    if (this.sessions.has(clientId) || this.sessionCount < this.limits.maxSessions) return true;
    this.stats.sessionsCapped++;
    const oldest = this.offline.oldest;
    if (oldest === null) return false;
    this.log(null, label(oldest.clientId) + ': session ended to make room (maxSessions ' + this.limits.maxSessions + ')', LOG_LIMIT);
    this.removeSession(oldest);
    return true;
  }

  /** A pending connection is accepted: it leaves the pending chain and counts as a client. */
  accepted(c: Connection): void {
    leavePending(this, c);
    this.clientCount++;
    if (this.clientCount > this.stats.peakClients) this.stats.peakClients = this.clientCount;
    c.decoder.maxPacketSize = this.limits.maxPacketSize;
    c.decoder.budget = null;
  }

  assignClientId(): string {
    for (;;) {
      const id = 'ganglion-' + (this.nextAssignedId++);
      if (!this.sessions.has(id)) return id;
    }
  }

  /**
   * Whether `username` (null: anonymous) may open the session `clientId`. A session belongs
   * to the identity that made it: a client naming another identity's client id would
   * otherwise get its queued messages and kick its connection off. Refused unless the
   * allowClientIdTakeover option is set (then openSession starts it afresh); the
   * application's own sessions (Broker.subscribe) are never a client's to take.
   */
  mayOpenSession(clientId: string, username: string | null): boolean {
    const s = this.sessions.get(clientId);
    if (s === undefined) return true;
    if (s.local !== null) return false;
    return s.username === username || this.limits.allowClientIdTakeover;
  }

  /**
   * Takes over or starts the client's session; returns Session Present [MQTT-3.2.2-1..3].
   * Another identity's session (allowed by allowClientIdTakeover) is discarded, never
   * handed over: the new client starts as with Clean Start.
   */
  openSession(c: Connection, clientId: string, cleanStart: boolean): boolean {
    let s = this.sessions.get(clientId);
    const foreign = s !== undefined && s.username !== c.username;
    if (s !== undefined && s.connection !== null) {
      // [MQTT-3.1.4-2] [5:MQTT-3.1.4-3] the existing connection is closed (5.0: DISCONNECT 0x8E).
      const old = s.connection;
      this.log(old, 'taken over by a new connection', LOG_CLOSED);
      if ((__MQTT5__ && old.version === MQTT_5)) old.disconnect(RC_SESSION_TAKEN_OVER, 'another connection took the session over');
      this.connectionEnded(old, true);
      s = this.sessions.get(clientId);
    }
    if (s !== undefined && (cleanStart || foreign)) {
      if (foreign) this.log(c, 'another user\'s session discarded', LOG_DETAIL);
      this.removeSession(s);   // [MQTT-3.1.2-6] [5:MQTT-3.1.2-4]
      s = undefined;
    }
    // 3.x Clean Session 0 keeps the session (5.0 §3.1.2.4 note: like an expiry of 0xFFFFFFFF)
    // until persistentSessionExpirySeconds after its client left, as mosquitto's
    // persistent_client_expiration: else abandoned sessions would pile up for ever.
    const expiryMs = expiryMsOf(this, (__MQTT5__ && c.version === MQTT_5) ? c.sessionExpiryFromConnect
      : cleanStart ? 0 : this.limits.persistentSessionExpirySeconds);
    const present = s !== undefined;
    // [5:MQTT-3.1.3-9] back before the Will Delay Interval passed: the will is not sent.
    if (s !== undefined) sessionResumed(this, s, c, expiryMs);
    else s = createSession(this, c, clientId, expiryMs);
    c.session = s;
    return present;
  }

  /** After CONNACK: resend what was in flight, in order, then what was queued [MQTT-4.4.0-1]. */
  resumeSession(c: Connection): void {
    const s = c.session as Session;
    for (let i = 0; i < s.inflight.length; i++) s.inflight.item(i).sent = false;
    s.unsent = s.inflight.length;
    this.pump(s);
  }

  /** What this server supports, told truthfully to a 5.0 client (5.0 §3.2.2.3). */
  connackProperties(c: Connection): Properties {
    const l = this.limits;
    const p: Properties = {
      receiveMaximum: l.maxInflightIn,
      maximumPacketSize: l.maxPacketSize,
      topicAliasMaximum: l.topicAliasMaximum,
    };
    // Absent means "yes" / QoS 2 (5.0 §3.2.2.3.4-3.2.2.3.13): only the limits are sent.
    if (l.maximumQoS < 2) p.maximumQoS = l.maximumQoS;
    if (!l.retainAvailable) p.retainAvailable = 0;
    if (!l.wildcardSubscriptionAvailable) p.wildcardSubscriptionAvailable = 0;
    if (!l.subscriptionIdentifiersAvailable) p.subscriptionIdentifiersAvailable = 0;
    if (!l.sharedSubscriptionAvailable) p.sharedSubscriptionAvailable = 0;
    // [5:MQTT-3.1.2-28] Response Information only when asked for.
    if (c.requestResponseInformation && l.responseInformation !== '') p.responseInformation = l.responseInformation;
    // 5.0 §3.2.2.3.2: tell the client when its Session Expiry Interval was lowered.
    if (c.sessionExpiryFromConnect > l.maxSessionExpirySeconds) p.sessionExpiryInterval = l.maxSessionExpirySeconds;
    return p;
  }

  /** The connection is over: the port is told to close it, its session kept or ended. */
  connectionEnded(c: Connection, publishWill: boolean): void {
    if (c.state === CLOSED) return;
    const wasActive = c.state === ACTIVE;
    c.state = CLOSED;
    this.deadlines.cancel(c);
    const i = this.connections.indexOf(c);
    if (i >= 0) {
      this.connections.splice(i, 1);
      this.connectionCount--;
    }
    if (wasActive) this.clientCount--;
    leavePending(this, c);
    c.transport.close();
    const s = c.session;
    const own = s !== null && s.connection === c;
    if (own) {
      const session = s as Session;
      if (session.expiryMs === 0) this.removeSession(session);   // [5:MQTT-3.1.2-23] ends with the connection
      else sessionOffline(this, session);
    }
    const will = c.will;
    c.will = null;
    // [MQTT-3.1.2-8] the will goes out when the connection ends without DISCONNECT.
    if (publishWill && wasActive && will !== null) willOnClose(this, c, will, s);
    else if (own && will !== null) willDropped(this, s as Session);
    if (wasActive && this.hooks.disconnected !== undefined) this.hooks.disconnected(c, c.disconnectReceived);
  }

  private removeSession(s: Session): void {
    endSession(this, s);
    this.deadlines.cancel(s);
    redispatch(this, s);
    clearSession(this, s);
    if (s.will !== null) releaseWill(this, s);   // the session ends before the will's delay
  }

  /** Leaves the offline chain (the client is back, or the session ends). */
  backOnline(s: Session): void {
    if (!s.linked) return;
    this.offline.remove(s);
    this.offlineBytes -= s.queuedBytes;
  }

  // ---- subscriptions (state/owner.ts) ----

  /** Retained messages for a new subscription, flagged retained [MQTT-3.3.1-8]. */
  sendRetained(s: Session, sub: Subscription): void {
    const out = this.retainedScratch;
    const n = this.retained.match(sub.topicFilter, out);
    for (let i = 0; i < n; i++) {
      const m = out[i];
      if (m.expiresAtMs >= 0 && this.nowMs >= m.expiresAtMs) continue;   // expired while retained
      if (!this.mayRead(s, m.topic)) continue;
      const entry = s.subscriptions === null ? undefined : s.subscriptions.get(sub.topicFilter);
      deliver(this, s, m, m.qos < sub.qos ? m.qos : sub.qos, true, entry === undefined ? null : entry.subscriptionIds, '');
    }
    // The messages are made for this call and view the store's bytes: hold none of them here.
    out.splice(0, out.length);
  }

  /** The authorizeRead hook's answer for a delivery to `s` (yes when there is no hook). */
  mayRead(s: Session, topic: string): boolean {
    const hook = this.hooks.authorizeRead;
    if (hook === undefined || s.local !== null) return true;
    try {
      return hook(s.clientId, s.username, topic);
    } catch (e) {
      // Asked while routing someone else's message: the reader's fault, not the publisher's.
      if (s.connection !== null) failLater(this, s.connection, 'the authorizeRead hook', e);
      else faulted(this, null, e);
      return false;
    }
  }

  // ---- routing (routing.ts) and delivery (delivery.ts) ----

  route(m: Message, from: Connection | null, force: boolean): number {
    return route(this, m, from, force);
  }

  /** Moves queued messages into the window; lets held publishers retry when room appeared. */
  pump(s: Session): void {
    const moved = pump(this, s);
    if (s.overflowFrom >= 0) drained(this, s);
    if (moved && this.held.length > 0) retryHeld(this, false);
  }


  invalidateMatches(): void {
    this.matchEpoch++;   // what connections keep (routing.ts) is stale too
    if (this.matchCacheCount === 0 && this.matchCacheOld.size === 0) return;
    this.matchCache.clear();
    this.matchCacheOld.clear();
    this.matchCacheCount = 0;
  }



  /** Arms the deadline of held publishers (handlers/publish.ts hold). */
  heldUntil(atMs: number): void {
    this.deadlines.earlier(this.heldDue, atMs);
  }

  log(c: Connection | null, line: string, event: number, code?: number): void {
    try {
      this.hooks.log(c, c !== null && c.clientId !== '' ? label(c.clientId) + ': ' + line : line, event, code === undefined ? -1 : code);
    } catch (e) {
      // a log hook that throws cannot be told so; what it was to log is lost, nothing else
    }
  }
}

/** The session's earliest deadline: its will's delay, or its expiry while no one is connected; -1: none. */
function sessionDeadline(s: Session): number {
  const expiry = s.connection === null ? s.expiresAtMs : -1;
  if (s.will === null) return expiry;
  return expiry >= 0 && expiry < s.willAtMs ? expiry : s.willAtMs;
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
    const b = this.broker;
    try {
      endLocalSession(b, this.session, this.topicFilter);
    } catch (e) {
      faulted(b, null, e);
    }
    settle(b);
  }
}

export function createBroker(options: BrokerOptions, hooks: Partial<Hooks>, nowMs: number): Broker {
  return new Broker(options, hooks, nowMs);
}
