// The Node server: one broker, any number of listeners, the hooks that answer the core
// (users, ACLs, per-listener anonymous access, certificate identities, the login throttle,
// and the embedding application's own hooks), the clock, latency reports on $SYS, reload
// of users and ACLs, and graceful shutdown. `createServer` is the API of `ganglion/node`; the `ganglion`
// command (cli.ts) is one user of it.
import * as nodeFs from 'node:fs';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Broker, Connection, Hooks, LocalSubscription, Message, QoS } from '../../core/index.js';
import { LOG_CONNECTED, LOG_FAULT, LOG_REFUSED, RC_NOT_AUTHORIZED, createBroker, label, quote, reasonName } from '../../core/index.js';
import type { Acl } from './acl.js';
import { mayPublish, mayRead, maySubscribe, parseAcl } from './acl.js';
import type { Client } from './client.js';
import { clientOf } from './client.js';
import type { Config, ListenerConfig, ServerConfig } from './config.js';
import { PORT_LIMITS, buildConfig, isChecked } from './config.js';
import { PendingGuard } from './pending-guard.js';
import type { LatencySummary } from './latency.js';
import { LatencyHistogram, LatencyWindow } from './latency.js';
import type { Operations } from './http-listener.js';
import { listenHttp } from './http-listener.js';
import { metricsText } from './metrics.js';
import type { ListenerCounts } from './monitor.js';
import { Monitor, STEP_MS } from './monitor.js';
import { packageVersion } from './version.js';
import type { Level, Logger } from './logger.js';
import { LogFile, createLogger, levelOfEvent } from './logger.js';
import { CheckQueue } from './check-queue.js';
import { LoginThrottle, peerAddress } from './login-throttle.js';
import type { PasswordEntry } from './password-file.js';
import { dummyEntry, parsePasswordFile } from './password-file.js';
import type { PasswordLogin } from './password-login.js';
import { passwordLogin } from './password-login.js';
import { listenTcp } from './tcp-listener.js';
import { listenTls } from './tls-listener.js';
import type { PortContext, PortTransport } from './transport.js';
import { Flusher } from './transport.js';
import { DeadlineTimer, portNow } from './deadline-timer.js';
import { Bridge } from './bridge.js';
import { dropUnclaimed } from '../../core/bridge/index.js';
import { listenWebSocket } from './websocket-listener.js';
import { FileJournal } from './file-journal.js';
import type { JournalFs } from './journal-files.js';
import type { LockFs } from './journal-lock.js';

export interface BoundListener {
  config: ListenerConfig;
  host: string;
  port: number;           // the real port (a config port of 0 picks a free one)
  server: NetServer;
}

/**
 * The embedding application's hooks, each optional. A client is a `Client` (its id, user
 * name, protocol level, remote address, listener and certificate CN). Answers may be
 * Promises.
 */
export interface ServerHooks {
  /**
   * Decides every CONNECT in place of the password file and the listeners' anonymous rule:
   * true accepts, false is "bad user name or password", a number is that 5.0 CONNACK reason
   * code (mapped to the nearest 3.x one). With it, a non-loopback listener needs no users.
   */
  authenticate?(client: Client, username: string | null, password: Uint8Array | null): boolean | number | PromiseLike<boolean | number>;
  /** May this client publish to `topic`? Asked after the ACL file (both must allow). */
  authorizePublish?(client: Client, topic: string): boolean | PromiseLike<boolean>;
  /** May this client subscribe to `topicFilter`? Asked after the ACL file (both must allow). */
  authorizeSubscribe?(client: Client, topicFilter: string): boolean | PromiseLike<boolean>;
  /** A client's CONNECT was accepted. */
  connected?(client: Client): void;
  /** An accepted client's connection ended; `clean` when it sent DISCONNECT. */
  disconnected?(client: Client, clean: boolean): void;
  /** Log lines at or above the configured level go here instead of stderr or the log file. */
  log?(level: Level, line: string): void;
}

export interface PublishOptions {
  qos?: QoS;           // 0 (default), 1 or 2: the most a subscriber gets
  retain?: boolean;    // false (default)
}

export interface GanglionServer {
  /** The core broker: sessions, stats, limits (core/broker/broker.ts). */
  broker: Broker;
  /** The checked configuration the server runs. */
  config: Config;
  /** The bridges of the config (bridge.ts): started by listen(), stopped by close(). */
  bridges: Bridge[];
  /** Filled by listen(): each listener with its real port. */
  listeners: BoundListener[];
  latency: LatencyHistogram;
  logger: Logger;
  /** Rates and latency of the last minutes, and the snapshot the status page shows. */
  monitor: Monitor;
  /** The file journal the broker's state is kept in (config "persistence"), or null: memory only. */
  journal: FileJournal | null;
  /** Binds every listener; rejects naming the listener that could not (the others are closed again). */
  listen(): Promise<BoundListener[]>;
  /** Stops accepting, sends 5.0 clients DISCONNECT 0x8B, closes the rest; resolves when all are closed or after shutdownTimeoutMs. */
  close(): Promise<void>;
  /** Publishes from the application (no socket) as a client would; returns the number of receivers. */
  publish(topic: string, payload: Uint8Array | string, options?: PublishOptions): number;
  /** Subscribes the application to `topicFilter`; `onMessage` gets every match (its payload is a view: copy it to keep it). */
  subscribe(topicFilter: string, onMessage: (message: Message) => void): LocalSubscription;
  /** Re-reads the password and ACL files; on an error keeps the old ones and throws. */
  reload(): void;
  /** Opens the log file (logFile) again by name, after logrotate moved it; throws if it cannot. */
  reopenLog(): void;
}

/** Users and ACL, swapped whole on reload. */
interface Security {
  users: Map<string, PasswordEntry> | null;
  dummy?: PasswordEntry;          // what an unknown user name is checked against (made from users)
  acl: Acl | null;
}

function loadSecurity(config: Config): Security {
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the ${what} ${file}: ${(e as Error).message}`);
    }
  };
  const users = config.passwordFile === null ? null : parsePasswordFile(read(config.passwordFile, 'password file'), config.passwordFile);
  return {
    users,
    dummy: users === null ? undefined : dummyEntry(users),
    acl: config.aclFile === null ? null : parseAcl(read(config.aclFile, 'ACL file'), config.aclFile, config.aclFormat),
  };
}

function portOf(c: Connection): PortTransport {
  return c.transport as PortTransport;
}

type Answer<T> = T | PromiseLike<T>;

/** Both must allow: the config's rule first, then the application's hook (either may be a Promise). */
function both(first: Answer<boolean>, then: (() => Answer<boolean>) | null): Answer<boolean> {
  if (then === null) return first;
  if (isThenable(first)) return first.then((ok) => (ok ? then() : false));
  return first ? then() : false;
}

function isThenable<T>(x: Answer<T>): x is PromiseLike<T> {
  return x !== null && typeof x === 'object' && typeof (x as PromiseLike<T>).then === 'function';
}

/**
 * The core's hooks. `throttle` spaces out password logins after failed ones (its waits are
 * timers: the event loop and every other client's login go on meanwhile); `now` is its clock.
 */
export function makeHooks(config: Config, logger: Logger, security: () => Security, app: ServerHooks, throttle = new LoginThrottle(config.loginThrottle), now: () => number = portNow): Partial<Hooks> {
  const login: PasswordLogin = {
    logger, throttle, now,
    checks: new CheckQueue(config.loginThrottle.maxConcurrentChecks, config.loginThrottle.maxQueuedChecks),
    users: () => {
      const s = security();
      const users = s.users as Map<string, PasswordEntry>;
      return { users, dummy: s.dummy ?? dummyEntry(users) };
    },
  };
  const who = (c: Connection): string => {
    const t = portOf(c);
    return `${c.clientId === '' ? '(no client id)' : label(c.clientId)} from ${t.remoteAddress} on ${t.listener.name}`;   // a peer's id, quoted when it is not plain (peer-text.ts)
  };
  const appAuthenticate = app.authenticate;
  const appPublish = app.authorizePublish;
  const appSubscribe = app.authorizeSubscribe;
  const appConnected = app.connected;
  const appDisconnected = app.disconnected;
  return {
    authenticate(c, username, password) {
      const t = portOf(c);
      const l = t.listener;
      if (l.useIdentityAsUsername) {
        // TLS client certificate: its CN is the user name; no password is asked.
        if (t.certificateCN === null) {
          logger.log('warn', `auth failed: ${who(c)}: no verified client certificate`);
          return RC_NOT_AUTHORIZED;
        }
        c.username = t.certificateCN;
        if (appAuthenticate === undefined) return true;
      }
      if (appAuthenticate !== undefined) {
        const answer = appAuthenticate(clientOf(c), username, password);
        const said = (ok: boolean | number): boolean | number => {
          if (ok !== true) logger.log('warn', `auth failed: ${who(c)}: refused by the authenticate hook${typeof ok === 'number' ? ' (0x' + ok.toString(16) + ')' : ''}`);
          return ok;
        };
        return isThenable(answer) ? answer.then(said) : said(answer);
      }
      if (username === null) {
        if (l.allowAnonymous) return true;
        logger.log('warn', `auth failed: ${who(c)}: anonymous clients are not allowed on this listener`);
        return RC_NOT_AUTHORIZED;
      }
      const users = security().users;
      if (users === null) {
        if (l.allowAnonymous) return true;   // no password file: names are not checked
        logger.log('warn', `auth failed: ${who(c)}: user ${quote(username)}: no users configured`);
        return RC_NOT_AUTHORIZED;
      }
      // Known or not, a name costs the same, and failures slow the next guesses (password-login.ts).
      return passwordLogin(login, c, peerAddress(t.remoteAddress), who(c), username, password);
    },
    authorizePublish(c, topic) {
      const acl = security().acl;
      // Clients never write the broker's own $SYS topics unless an ACL says so.
      const ruled = acl === null ? !topic.startsWith('$SYS/') && topic !== '$SYS' : mayPublish(acl, c.username, c.clientId, topic);
      return both(ruled, appPublish === undefined ? null : () => appPublish(clientOf(c), topic));
    },
    authorizeRead(clientId, username, topic) {
      const acl = security().acl;
      return acl === null || mayRead(acl, username, clientId, topic);
    },
    authorizeSubscribe(c, filter) {
      const acl = security().acl;
      let ruled = true;
      if (acl !== null) {
        // A shared subscription ($share/GROUP/FILTER) reads what FILTER reads.
        const shared = /^\$share\/[^/]+\/(.+)$/.exec(filter);
        ruled = maySubscribe(acl, c.username, c.clientId, shared ? shared[1] : filter);
        if (!ruled) logger.log('warn', `${who(c)}: SUBSCRIBE to ${quote(filter)} not authorized`);
      }
      return both(ruled, appSubscribe === undefined ? null : () => appSubscribe(clientOf(c), filter));
    },
    connected: appConnected === undefined ? undefined : (c) => appConnected(clientOf(c)),
    disconnected: appDisconnected === undefined ? undefined : (c, clean) => appDisconnected(clientOf(c), clean),
    log(c, line, event, code) {
      const level = levelOfEvent(event);
      if (!logger.enabled(level)) return;
      if (c !== null && event !== LOG_FAULT) line += peerOf(c, event, code);
      logger.log(level, line);
    },
  };
}

// The CONNACK return codes of MQTT 3.1 and 3.1.1 (3.1.1 §3.2.2.3), in words.
const CONNACK_3 = ['accepted', 'unacceptable protocol version', 'identifier rejected', 'server unavailable', 'bad user name or password', 'not authorized'];

/**
 * What a core line about a connection leaves out (by its event, log-events.ts): who it is
 * (remote address, listener; the user name of a connect or a refusal) and, for a refused
 * CONNECT, the code in words.
 */
function peerOf(c: Connection, event: number, code: number): string {
  const t = portOf(c);
  const where = ` from ${t.remoteAddress} on ${t.listener.name}`;
  if (event === LOG_CONNECTED) return where + (c.username !== null ? ` as ${quote(c.username)}` : '');
  if (event === LOG_REFUSED) {
    const words = c.version === 5 ? reasonName(code) : CONNACK_3[code] ?? 'unknown code';
    return ` (${words})${where}` + (c.username !== null ? ` user ${quote(c.username)}` : '');
  }
  return where;
}

/**
 * The server of `ganglion/node`, not yet listening. `config` is what a JSON config file holds
 * (relative file names are relative to the current folder), or a Config made by
 * buildConfig. Throws ConfigError naming a bad key or value, or an unreadable password or
 * ACL file, or LockedError when another broker holds the persistence directory.
 * `journalFs`: the file calls of the persistence journal (tests hand in a layer that fails).
 */
export function createServer(config: ServerConfig | Config, hooks: ServerHooks = {}, journalFs: JournalFs & LockFs = nodeFs): GanglionServer {
  const checked: Config = isChecked(config) ? config : buildConfig(config, {}, process.cwd(), hooks.authenticate !== undefined);
  const appLog = hooks.log;
  const logFile = appLog === undefined && checked.logFile !== null ? new LogFile(checked.logFile) : null;
  const logger = appLog !== undefined ? createLogger(checked.logLevel, null, appLog)
    : logFile !== null ? createLogger(checked.logLevel, (line) => logFile.write(line), null, checked.logFormat)
    : createLogger(checked.logLevel, undefined, null, checked.logFormat);
  let security = loadSecurity(checked);
  const throttle = new LoginThrottle(checked.loginThrottle);
  // Opened (locked and read back) before the broker, which loads its state from it.
  const journal = checked.persistence === null ? null
    : new FileJournal(checked.persistence, journalFs, (level, line) => logger.log(level, line));
  let broker: Broker;
  try {
    // The core's clock is performance.now(); the records keep deadlines on the wall clock, so
    // the broker is told what the wall clock says at its start (core/broker/options.ts wallClockMs).
    const startedAt = portNow();
    broker = createBroker(journal === null ? checked.limits : { ...checked.limits, store: journal, wallClockMs: Date.now() },
      makeHooks(checked, logger, () => security, hooks, throttle, portNow), startedAt);
  } catch (e) {
    if (journal !== null) journal.close(() => undefined);
    throw e;
  }
  if (journal !== null) {
    const j = journal.stats;
    logger.log('info', `persistence: ${journal.options.dir}: ${j.loadedRecords} records loaded in ${j.loadMs} ms; fsync ${journal.options.fsync}`);
  }
  const timer = new DeadlineTimer(broker);
  const latency = new LatencyHistogram();
  const sockets = new Set<Socket>();
  const counts = new Map<ListenerConfig, ListenerCounts>();
  for (const l of checked.listeners) counts.set(l, { open: 0, accepted: 0 });
  const flusher = new Flusher();
  flusher.broker = broker;
  const guard = new PendingGuard(checked.limits.maxPendingPerAddress ?? PORT_LIMITS.maxPendingPerAddress,
    checked.limits.pendingGraceMs ?? PORT_LIMITS.pendingGraceMs, broker);
  const ctx: PortContext = { broker, latency, logger, flusher, sockets, closeTimeoutMs: 1000, timer, counts, guard };
  const monitor = new Monitor(broker, latency, Date.now());
  const reportWindow = new LatencyWindow();
  const version = packageVersion();
  const listeners: BoundListener[] = [];
  const bridges = checked.bridges.map((b) => new Bridge(b, broker, logger, () => timer.after(), broker.limits.sysIntervalMs));
  // A bridge taken out of the config left its queue in the store: say what it held, and end it.
  for (const d of dropUnclaimed(broker)) {
    logger.log('warn', `bridge ${d.bridge} is no longer configured: ${d.messages} queued message${d.messages === 1 ? '' : 's'} for it dropped`);
  }
  const timers: NodeJS.Timeout[] = [];
  let listening: Promise<BoundListener[]> | null = null;
  let stopping: Promise<void> | null = null;

  const withCounts = (): Array<{ config: ListenerConfig; port: number; counts: ListenerCounts }> =>
    listeners.map((b) => ({ config: b.config, port: b.port, counts: counts.get(b.config) as ListenerCounts }));
  const trouble = (): string | null => (journal !== null && journal.failure !== null ? `persistence failing: ${journal.failure}` : null);
  const ops: Operations = {
    serving: () => stopping === null && listening !== null,
    trouble,
    metrics: () => metricsText({ broker, totals: monitor.totals(), latency, listeners: withCounts(), version, heapUsed: process.memoryUsage().heapUsed, journal }),
    status: () => {
      // The page shows a state other than "serving" in red: a failing journal is one.
      const st = monitor.status(version, withCounts(), stopping !== null) as { state: string };
      const t = stopping === null ? trouble() : null;
      if (t !== null) st.state = t;
      return st;
    },
  };

  async function bind(): Promise<BoundListener[]> {
    try {
      for (const l of checked.listeners) {
        const server = l.type === 'tcp' ? await listenTcp(ctx, l)
          : l.type === 'tls' ? await listenTls(ctx, l)
          : l.type === 'http' ? await listenHttp(l, ops, logger)
          : await listenWebSocket(ctx, l);
        const a = server.address();
        const port = a !== null && typeof a === 'object' ? a.port : l.port;
        if (l.port === 0) l.name = l.name.replace(/:0$/, ':' + port);
        listeners.push({ config: l, host: l.host, port, server: server as unknown as NetServer });
      }
    } catch (e) {
      for (const b of listeners) b.server.close();
      listeners.length = 0;
      throw e;
    }
    if (stopping !== null) {
      for (const b of listeners) b.server.close();
      return listeners;
    }
    timer.start();
    for (const b of bridges) b.start();
    timers.push(setInterval(() => monitor.step(Date.now()), STEP_MS));
    if (checked.latencyIntervalMs > 0) {
      timers.push(setInterval(() => {
        reportLatency(broker, reportWindow.take(latency), logger, checked.latencyIntervalMs);
        timer.after();
      }, checked.latencyIntervalMs));
    }
    const sysMs = broker.limits.sysIntervalMs;
    if (sysMs > 0) {
      // mosquitto's $SYS/broker/version and heap/current, beside the core's tree.
      const heap = (): void => {
        publishSys(broker, '$SYS/broker/heap/current', '' + process.memoryUsage().heapUsed);
        if (journal !== null) publishPersistence(broker, journal);
        timer.after();
      };
      publishSys(broker, '$SYS/broker/version', 'ganglion ' + version);
      heap();
      timers.push(setInterval(heap, sysMs));
    }
    return listeners;
  }

  return {
    broker,
    config: checked,
    listeners,
    bridges,
    latency,
    logger,
    monitor,
    journal,
    listen() {
      if (listening === null) listening = bind();
      return listening;
    },
    publish(topic, payload, options) {
      const o = options || {};
      const n = broker.publish(topic, payload, o.qos || 0, o.retain === true, portNow());
      timer.after();
      return n;
    },
    subscribe(topicFilter, onMessage) {
      const s = broker.subscribe(topicFilter, onMessage, portNow());
      timer.after();
      return s;
    },
    reopenLog() {
      if (logFile !== null) logFile.reopen();
    },
    reload() {
      security = loadSecurity(checked);
      logger.log('info', `reloaded${checked.passwordFile ? ' ' + checked.passwordFile : ''}${checked.aclFile ? ' ' + checked.aclFile : ''}`);
    },
    close() {
      if (stopping !== null) return stopping;
      stopping = new Promise<void>((resolve) => {
        for (const b of bridges) b.stop();   // their DISCONNECT to the upstream, their local subscriptions ended
        timer.stop();
        for (const t of timers) clearInterval(t);
        // The operations listener stays up until the end, answering /health with 503.
        for (const b of listeners) if (b.config.type !== 'http') b.server.close();
        logger.log('info', `shutting down: ${broker.connections.length} connection(s)`);
        // The core ends every connection (5.0 clients: DISCONNECT 0x8B server shutting down);
        // each socket then ends once its last frames are out.
        broker.close(portNow());
        ctx.flusher.now();
        // Sockets with no MQTT connection yet (TLS handshakes, HTTP requests) are cut.
        for (const s of sockets) if (!s.destroyed && s.writableLength === 0 && !s.writableEnded) s.end();
        const deadline = Date.now() + checked.shutdownTimeoutMs;
        const wait = setInterval(() => {
          if (sockets.size === 0 || Date.now() >= deadline) {
            clearInterval(wait);
            for (const s of sockets) s.destroy();
            for (const b of listeners) {
              if (b.config.type !== 'http') continue;
              b.server.close();
              (b.server as unknown as HttpServer).closeAllConnections();   // keep-alive sockets
            }
            // The journal last: what the closing connections changed goes to disk first.
            const done = (): void => {
              if (logFile !== null) logFile.close();
              resolve();
            };
            if (journal !== null) journal.close(done);
            else done();
          }
        }, 20);
      });
      return stopping;
    },
  };
}

/** A retained $SYS value from the port; not counted as traffic: $SYS reports on clients, not on itself. */
function publishSys(broker: Broker, topic: string, value: string): void {
  const inBefore = broker.stats.messagesIn;
  broker.publish(topic, value, 0, true, portNow());
  broker.stats.messagesIn = inBefore;
}

/** The journal's health and counters on $SYS/broker/persistence/... (README "Persistence"). */
function publishPersistence(broker: Broker, journal: FileJournal): void {
  const j = journal.stats;
  publishSys(broker, '$SYS/broker/persistence/state', journal.failure === null ? 'ok' : 'failing: ' + journal.failure);
  publishSys(broker, '$SYS/broker/persistence/errors', '' + (j.writeErrors + j.fsyncErrors));
  publishSys(broker, '$SYS/broker/persistence/refused', '' + j.refused);
  publishSys(broker, '$SYS/broker/persistence/fsyncs', '' + j.fsyncs);
  publishSys(broker, '$SYS/broker/persistence/log-bytes', '' + j.logBytes);
  publishSys(broker, '$SYS/broker/persistence/snapshot-bytes', '' + j.snapshotBytes);
  publishSys(broker, '$SYS/broker/persistence/compactions', '' + j.compactions);
}

/** p50/p99/max of the last interval on $SYS/broker/latency/... (microseconds) and in the log. */
export function reportLatency(broker: Broker, s: LatencySummary, logger: Logger, intervalMs: number): void {
  if (broker.limits.sysIntervalMs > 0) {
    publishSys(broker, '$SYS/broker/latency/p50', '' + s.p50);
    publishSys(broker, '$SYS/broker/latency/p99', '' + s.p99);
    publishSys(broker, '$SYS/broker/latency/max', '' + s.max);
    publishSys(broker, '$SYS/broker/latency/count', '' + s.count);
  }
  if (s.count > 0) {
    logger.log('info', `latency over ${intervalMs / 1000} s: ${s.count} deliveries, p50 ${s.p50} us, p99 ${s.p99} us, max ${s.max} us`);
  }
}
