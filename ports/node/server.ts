// The Node server: one broker, any number of listeners, the hooks that answer the core
// (users, ACLs, per-listener anonymous access, certificate identities), the clock, latency
// reports on $SYS, reload of users and ACLs, and graceful shutdown.
import { readFileSync } from 'node:fs';
import type { Server as NetServer, Socket } from 'node:net';
import type { Broker, Connection, Hooks } from '../../core/index.js';
import { RC_NOT_AUTHORIZED, RC_SERVER_SHUTTING_DOWN, createBroker } from '../../core/index.js';
import type { Acl } from './acl.js';
import { mayPublish, mayRead, maySubscribe, parseAcl } from './acl.js';
import type { Config, ListenerConfig } from './config.js';
import { LatencyHistogram } from './latency.js';
import type { Logger } from './logger.js';
import { levelOfCoreLine } from './logger.js';
import type { PasswordEntry } from './password-file.js';
import { parsePasswordFile, verifyPassword } from './password-file.js';
import { listenTcp } from './tcp-listener.js';
import { listenTls } from './tls-listener.js';
import type { PortContext, PortTransport } from './transport.js';
import { Flusher } from './transport.js';
import { listenWebSocket } from './websocket-listener.js';

export interface BoundListener {
  config: ListenerConfig;
  host: string;
  port: number;           // the real port (a config port of 0 picks a free one)
  server: NetServer;
}

export interface GanglionServer {
  broker: Broker;
  listeners: BoundListener[];
  latency: LatencyHistogram;
  /** Re-reads the password and ACL files; on an error keeps the old ones and throws. */
  reload(): void;
  /** Stops accepting, sends 5.0 clients DISCONNECT 0x8B, closes the rest; resolves when all are closed or after the timeout. */
  shutdown(): Promise<void>;
}

/** Users and ACL, swapped whole on reload. */
interface Security {
  users: Map<string, PasswordEntry> | null;
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
  return {
    users: config.passwordFile === null ? null : parsePasswordFile(read(config.passwordFile, 'password file'), config.passwordFile),
    acl: config.aclFile === null ? null : parseAcl(read(config.aclFile, 'ACL file'), config.aclFile),
  };
}

function portOf(c: Connection): PortTransport {
  return c.transport as PortTransport;
}

export function makeHooks(config: Config, logger: Logger, security: () => Security): Partial<Hooks> {
  const who = (c: Connection): string => {
    const t = portOf(c);
    return `${c.clientId || '(no client id)'} from ${t.remoteAddress} on ${t.listener.name}`;
  };
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
        return true;
      }
      if (username === null) {
        if (l.allowAnonymous) return true;
        logger.log('warn', `auth failed: ${who(c)}: anonymous clients are not allowed on this listener`);
        return RC_NOT_AUTHORIZED;
      }
      const users = security().users;
      if (users === null) {
        if (l.allowAnonymous) return true;   // no password file: names are not checked
        logger.log('warn', `auth failed: ${who(c)}: user "${username}": no users configured`);
        return RC_NOT_AUTHORIZED;
      }
      const entry = users.get(username);
      if (entry === undefined) {
        logger.log('warn', `auth failed: ${who(c)}: unknown user "${username}"`);
        return false;
      }
      return verifyPassword(entry, password).then((ok) => {
        if (!ok) logger.log('warn', `auth failed: ${who(c)}: wrong password for user "${username}"`);
        return ok;
      });
    },
    authorizePublish(c, topic) {
      const acl = security().acl;
      // Clients never write the broker's own $SYS topics unless an ACL says so.
      if (acl === null) return !topic.startsWith('$SYS/') && topic !== '$SYS';
      return mayPublish(acl, c.username, c.clientId, topic);
    },
    authorizeRead(clientId, username, topic) {
      const acl = security().acl;
      return acl === null || mayRead(acl, username, clientId, topic);
    },
    authorizeSubscribe(c, filter) {
      const acl = security().acl;
      if (acl === null) return true;
      // A shared subscription ($share/GROUP/FILTER) reads what FILTER reads.
      const shared = /^\$share\/[^/]+\/(.+)$/.exec(filter);
      const ok = maySubscribe(acl, c.username, c.clientId, shared ? shared[1] : filter);
      if (!ok) logger.log('warn', `${who(c)}: SUBSCRIBE to "${filter}" not authorized`);
      return ok;
    },
    log(c, line) {
      const level = levelOfCoreLine(line);
      if (!logger.enabled(level)) return;
      if (c !== null && / connected \(MQTT/.test(line)) {
        const t = portOf(c);
        line += ` from ${t.remoteAddress} on ${t.listener.name}` + (c.username !== null ? ` as "${c.username}"` : '');
      }
      logger.log(level, line);
    },
  };
}

export async function startServer(config: Config, logger: Logger): Promise<GanglionServer> {
  let security = loadSecurity(config);
  const broker = createBroker(config.limits, makeHooks(config, logger, () => security), Date.now());
  const latency = new LatencyHistogram();
  const sockets = new Set<Socket>();
  const ctx: PortContext = { broker, latency, logger, flusher: new Flusher(), sockets, closeTimeoutMs: 1000 };

  const listeners: BoundListener[] = [];
  try {
    for (const l of config.listeners) {
      const server = l.type === 'tcp' ? await listenTcp(ctx, l)
        : l.type === 'tls' ? await listenTls(ctx, l)
        : await listenWebSocket(ctx, l);
      const a = server.address();
      const port = a !== null && typeof a === 'object' ? a.port : l.port;
      if (l.port === 0) l.name = l.name.replace(/:0$/, ':' + port);
      listeners.push({ config: l, host: l.host, port, server: server as unknown as NetServer });
    }
  } catch (e) {
    for (const b of listeners) b.server.close();
    throw e;
  }

  const tick = setInterval(() => broker.tick(Date.now()), 1000);
  let report: NodeJS.Timeout | null = null;
  if (config.latencyIntervalMs > 0) {
    report = setInterval(() => reportLatency(broker, latency, logger, config.latencyIntervalMs), config.latencyIntervalMs);
  }

  let stopping: Promise<void> | null = null;
  return {
    broker,
    listeners,
    latency,
    reload() {
      security = loadSecurity(config);
      logger.log('info', `reloaded${config.passwordFile ? ' ' + config.passwordFile : ''}${config.aclFile ? ' ' + config.aclFile : ''}`);
    },
    shutdown() {
      if (stopping !== null) return stopping;
      stopping = new Promise<void>((resolve) => {
        clearInterval(tick);
        if (report !== null) clearInterval(report);
        for (const b of listeners) b.server.close();
        const list = broker.connections.slice();
        logger.log('info', `shutting down: ${list.length} connection(s)`);
        // 5.0 clients get DISCONNECT 0x8B (server shutting down); 3.x clients are closed.
        for (const c of list) c.fail({ rc: RC_SERVER_SHUTTING_DOWN, rule: '5:§3.14.2.1', message: 'server shutting down' });
        ctx.flusher.now();
        // Sockets with no MQTT connection yet (TLS handshakes, HTTP requests) are cut.
        for (const s of sockets) if (!s.destroyed && s.writableLength === 0 && !s.writableEnded) s.end();
        const deadline = Date.now() + config.shutdownTimeoutMs;
        const wait = setInterval(() => {
          if (sockets.size === 0 || Date.now() >= deadline) {
            clearInterval(wait);
            for (const s of sockets) s.destroy();
            resolve();
          }
        }, 20);
      });
      return stopping;
    },
  };
}

/** p50/p99/max of the last interval on $SYS/broker/latency/... (microseconds) and in the log. */
export function reportLatency(broker: Broker, latency: LatencyHistogram, logger: Logger, intervalMs: number): void {
  const s = latency.summary();
  latency.reset();
  if (broker.limits.sysIntervalMs > 0) {
    const inBefore = broker.stats.messagesIn;
    broker.publish('$SYS/broker/latency/p50', '' + s.p50, 0, true);
    broker.publish('$SYS/broker/latency/p99', '' + s.p99, 0, true);
    broker.publish('$SYS/broker/latency/max', '' + s.max, 0, true);
    broker.publish('$SYS/broker/latency/count', '' + s.count, 0, true);
    broker.stats.messagesIn = inBefore;   // $SYS reports on clients, not on itself
  }
  if (s.count > 0) {
    logger.log('info', `latency over ${intervalMs / 1000} s: ${s.count} deliveries, p50 ${s.p50} us, p99 ${s.p99} us, max ${s.max} us`);
  }
}
