// The `ganglion` configuration: a JSON file (-c FILE) and command-line flags over it, checked
// key by key. Unknown keys and bad values are refused with a message that names them.
// Relative file names in a config file are relative to that file's folder.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { BrokerOptions } from '../../core/index.js';
import { SLOW_SUBSCRIBER_POLICIES, createBroker } from '../../core/index.js';
import type { Level, LogFormat } from './logger.js';
import { LEVELS, LOG_FORMATS } from './logger.js';
import type { AclFormat } from './acl.js';
import type { ThrottleOptions } from './login-throttle.js';
import { DEFAULT_THROTTLE } from './login-throttle.js';
import { isMosquittoConf, parseMosquittoConf } from './mosquitto-conf.js';
import type { BridgeConfig } from './bridge.js';
import { checkBridges } from './bridge-config.js';
import type { FsyncPolicy, JournalOptions } from './file-journal.js';
import type { PersistenceOptions } from './persistence-config.js';
import { checkPersistence } from './persistence-config.js';

export type ListenerType = 'tcp' | 'tls' | 'ws' | 'wss' | 'http';

export interface ListenerConfig {
  name: string;                   // for logs: "tcp 127.0.0.1:1883" unless given
  type: ListenerType;
  host: string;
  port: number;
  allowAnonymous: boolean;        // resolved: explicit, else the top-level setting, else the safe default
  cert: string | null;            // tls, wss: PEM files
  key: string | null;
  ca: string | null;              // CA for client certificates
  requireCertificate: boolean;    // tls, wss: clients must present a certificate the CA signed
  useIdentityAsUsername: boolean; // tls, wss: the certificate's CN is the user name (no password asked)
  path: string | null;            // ws, wss: only this HTTP path (null: any)
  maxFrameSize: number;           // ws, wss: bytes of one WebSocket frame's payload
  token: string | null;           // http: the bearer token every request but /health must carry (null: none)
}

/** A checked configuration (buildConfig's answer): every default filled in, every file name absolute. */
export interface Config {
  checked: true;
  listeners: ListenerConfig[];
  passwordFile: string | null;
  aclFile: string | null;
  aclFormat: AclFormat;           // 'mosquitto': its anonymous-only topic lines (acl.ts)
  logLevel: Level;
  logFormat: LogFormat;           // text or json lines
  logFile: string | null;         // null: stderr
  limits: NodeLimits;
  latencyIntervalMs: number;      // 0: no latency reports
  shutdownTimeoutMs: number;      // SIGINT/SIGTERM: connections still open after this are cut
  loginThrottle: ThrottleOptions; // waits after failed logins (login-throttle.ts)
  bridges: BridgeConfig[];        // to other brokers (bridge.ts)
  persistence: JournalOptions | null; // the file journal (file-journal.ts); null: state in memory only
}

/**
 * What a JSON config file holds (README "Config file"), as `createServer` takes it: every
 * key optional, checked by buildConfig.
 */
export interface ServerConfig {
  listeners?: ListenerOptions[];
  passwordFile?: string;
  aclFile?: string;
  aclFormat?: AclFormat;
  allowAnonymous?: boolean;
  logLevel?: Level;
  logFormat?: LogFormat;
  logFile?: string;
  limits?: Partial<Omit<NodeLimits, 'store'>>;
  latencyIntervalMs?: number;
  shutdownTimeoutMs?: number;
  loginThrottle?: Partial<ThrottleOptions>;
  bridges?: unknown[];            // bridge-config.ts
  persistence?: PersistenceOptions;
}

export interface ListenerOptions {
  type?: ListenerType;
  name?: string;
  host?: string;
  port?: number;
  allowAnonymous?: boolean;
  cert?: string;
  key?: string;
  ca?: string;
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
  path?: string;
  maxFrameSize?: number;
  token?: string;
}

export class ConfigError extends Error {}

/** Whether `c` is already a checked Config (from buildConfig). */
export function isChecked(c: ServerConfig | Config): c is Config {
  return (c as Config).checked === true;
}

const DEFAULT_PORTS: Record<ListenerType, number> = { tcp: 1883, tls: 8883, ws: 8080, wss: 8081, http: 9090 };

/**
 * Server-sized limits where the core's defaults (sized for microcontrollers) are too small.
 * Every other core option keeps the core's default and is settable too: the keys and
 * their types come from the core itself, so a new core option is configurable at once.
 */
export const NODE_LIMITS: Partial<Omit<BrokerOptions, 'store'>> = {
  maxConnections: 10000,
  maxPending: 5000,
  maxPendingBytes: 16 << 20,
  maxConnectSize: 64 << 10,
  maxPacketSize: 1 << 20,
  persistentSessionExpirySeconds: 7 * 24 * 3600,
  maxSessions: 100000,
  maxOfflineBytes: 256 << 20,
  maxSubscriptionsPerClient: 1000,
  maxInflight: 100,
  maxInflightIn: 100,
  maxQueued: 1000,
  maxQueuedBytes: 4 << 20,          // a subscriber's backlog: 1,000 messages of 4 KB
  slowSubscriberPolicy: 'dropNew',  // as mosquitto: a client that falls behind misses the newest
  maxOutboundBytes: 1 << 20,
  maxRetainedCount: 100000,
  maxRetainedBytes: 64 << 20,
  maxTopicLevels: 64,
  matchCacheSize: 4096,
  slabSize: 65536,
  topicAliasMaximum: 16,
};

/** The port's own limits, set in `limits` beside the core's. */
export interface PortLimits {
  maxPendingPerAddress?: number;   // sockets from one address (IPv6: one /64) without a CONNECT yet (pending-guard.ts),
  pendingGraceMs?: number;         // of those older than this; younger ones (a burst of connects) are let be
}
export type NodeLimits = BrokerOptions & PortLimits;
export const PORT_LIMITS: Required<PortLimits> = {
  maxPendingPerAddress: 64,
  pendingGraceMs: 2000,
};

/** Every core option with its value on Node (the core's defaults, NODE_LIMITS over them), and the port's. */
export function limitDefaults(): Record<string, number | boolean | string> {
  const core = createBroker({}, {}, 0).limits as unknown as Record<string, number | boolean | string>;
  return { ...core, ...(NODE_LIMITS as Record<string, number | boolean | string>), ...PORT_LIMITS };
}

// [min, max] of numeric limits where the protocol or sense bounds them; other numbers are
// integers from 0 up.
const LIMIT_RANGES: Record<string, [number, number]> = {
  maxConnections: [1, 1e7],
  maxPending: [1, 1e7],
  maxPendingPerAddress: [1, 1e7],
  pendingGraceMs: [0, 3600000],
  maxPacketSize: [16, 268435460],   // 268435455 of Remaining Length plus the fixed header
  maxConnectSize: [16, 268435460],
  maxSubscriptionsPerClient: [1, 1e7],
  maxInflight: [1, 65535],
  maxInflightIn: [1, 65535],
  maxTopicLevels: [1, 65535],
  maxClientIdLength31: [1, 65535],
  connectTimeoutMs: [100, 3600000],
  maxSessionExpirySeconds: [0, 0xffffffff],
  persistentSessionExpirySeconds: [0, 0xffffffff],
  maxSessions: [1, 1e8],
  sysIntervalMs: [0, 86400000],
  holdTimeoutMs: [0, 86400000],
  slabSize: [0, 1 << 30],
  topicAliasMaximum: [0, 65535],
  topicAliasesOut: [0, 65535],
  maximumQoS: [0, 2],
  serverKeepAlive: [0, 65535],
  maxKeepAlive: [0, 65535],
};

// String limits that take one of a few values.
const LIMIT_CHOICES: Record<string, ReadonlyArray<string>> = {
  maxKeepAlivePolicy3x: ['accept', 'refuse'],
  slowSubscriberPolicy: SLOW_SUBSCRIBER_POLICIES,
};

const TOP_KEYS = ['listeners', 'passwordFile', 'aclFile', 'aclFormat', 'allowAnonymous', 'logLevel', 'logFormat', 'logFile', 'limits', 'latencyIntervalMs', 'shutdownTimeoutMs', 'loginThrottle', 'bridges', 'persistence'];
const LISTENER_KEYS = ['name', 'type', 'host', 'port', 'allowAnonymous', 'cert', 'key', 'ca', 'requireCertificate', 'useIdentityAsUsername', 'path', 'maxFrameSize', 'token'];
const TLS_ONLY = ['cert', 'key', 'ca', 'requireCertificate', 'useIdentityAsUsername'];
const WS_ONLY = ['path', 'maxFrameSize'];
const HTTP_ONLY = ['token'];
const MQTT_ONLY = ['allowAnonymous'];
// A token short enough to guess is no protection for a listener other machines reach.
const MIN_TOKEN_LENGTH = 16;

/** What the command line said; undefined: not given. */
export interface Flags {
  config?: string;
  port?: number;
  host?: string;
  logLevel?: Level;
  logFormat?: LogFormat;
  logFile?: string;
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
  persist?: string;               // --persist DIR
  fsync?: FsyncPolicy;            // --fsync POLICY
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkKeys(o: Record<string, unknown>, known: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (known keys: ${known.join(', ')})`);
  }
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${where}: must be an integer from ${min} to ${max}, got ${show(v)}`);
  }
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: must be true or false, got ${show(v)}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}: must be a non-empty string, got ${show(v)}`);
  return v;
}

function level(v: unknown, where: string): Level {
  if (typeof v !== 'string' || !(LEVELS as readonly string[]).includes(v)) {
    throw new ConfigError(`${where}: must be one of ${LEVELS.join(', ')}, got ${show(v)}`);
  }
  return v as Level;
}

/** Whether `host` only reaches this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::ffff:127.0.0.1';
}

export function checkLimits(v: unknown, where = 'limits'): NodeLimits {
  if (!isObject(v)) throw new ConfigError(`${where}: must be an object, got ${show(v)}`);
  const defaults = limitDefaults();
  checkKeys(v, Object.keys(defaults), where);
  const out = { ...defaults };
  for (const [k, value] of Object.entries(v)) {
    const kind = typeof defaults[k];
    if (kind === 'number') {
      const range = LIMIT_RANGES[k] ?? [0, Number.MAX_SAFE_INTEGER];
      out[k] = int(value, `${where}.${k}`, range[0], range[1]);
    } else if (kind === 'string') {
      if (typeof value !== 'string') throw new ConfigError(`${where}.${k}: must be a string, got ${show(value)}`);
      const choices = LIMIT_CHOICES[k];
      if (choices !== undefined && !choices.includes(value)) throw new ConfigError(`${where}.${k}: must be ${choices.map((x) => '"' + x + '"').join(' or ')}, got ${show(value)}`);
      out[k] = value;
    } else out[k] = bool(value, `${where}.${k}`);
  }
  return out as NodeLimits;
}

/**
 * A Config from a parsed JSON file (or {}) and the flags. `baseDir` resolves relative file
 * names in the file. `hookAuthenticates`: an application's authenticate hook decides who
 * gets in, so a listener beyond loopback needs no other users. Throws ConfigError naming
 * the first bad key or value.
 */
export function buildConfig(file: unknown, flags: Flags, baseDir: string, hookAuthenticates = false): Config {
  if (!isObject(file)) throw new ConfigError(`config: must be a JSON object, got ${show(file)}`);
  checkKeys(file, TOP_KEYS, 'config');
  const path = (v: unknown, where: string): string => {
    const s = str(v, where);
    return isAbsolute(s) ? s : resolve(baseDir, s);
  };
  const passwordFile = flags.passwordFile !== undefined ? resolve(flags.passwordFile)
    : file.passwordFile !== undefined ? path(file.passwordFile, 'passwordFile') : null;
  const aclFile = flags.aclFile !== undefined ? resolve(flags.aclFile)
    : file.aclFile !== undefined ? path(file.aclFile, 'aclFile') : null;
  if (file.aclFormat !== undefined && file.aclFormat !== 'ganglion' && file.aclFormat !== 'mosquitto') {
    throw new ConfigError(`aclFormat: must be "ganglion" or "mosquitto", got ${show(file.aclFormat)}`);
  }
  const aclFormat: AclFormat = file.aclFormat === 'mosquitto' ? 'mosquitto' : 'ganglion';
  const allowAnonymousTop = flags.allowAnonymous !== undefined ? flags.allowAnonymous
    : file.allowAnonymous !== undefined ? bool(file.allowAnonymous, 'allowAnonymous') : null;
  const logLevel = flags.logLevel ?? (file.logLevel !== undefined ? level(file.logLevel, 'logLevel') : 'warn');
  let logFormat: LogFormat = 'text';
  if (flags.logFormat !== undefined) logFormat = flags.logFormat;
  else if (file.logFormat !== undefined) {
    if (typeof file.logFormat !== 'string' || !(LOG_FORMATS as readonly string[]).includes(file.logFormat)) {
      throw new ConfigError(`logFormat: must be one of ${LOG_FORMATS.join(', ')}, got ${show(file.logFormat)}`);
    }
    logFormat = file.logFormat as LogFormat;
  }
  const logFile = flags.logFile !== undefined ? resolve(flags.logFile)
    : file.logFile !== undefined ? path(file.logFile, 'logFile') : null;
  const limits = checkLimits(file.limits === undefined ? {} : file.limits);
  const latencyIntervalMs = file.latencyIntervalMs === undefined ? 10000 : int(file.latencyIntervalMs, 'latencyIntervalMs', 0, 86400000);
  const shutdownTimeoutMs = file.shutdownTimeoutMs === undefined ? 3000 : int(file.shutdownTimeoutMs, 'shutdownTimeoutMs', 0, 600000);
  const persistence = checkPersistence(file.persistence, flags.persist !== undefined ? resolve(flags.persist) : undefined, flags.fsync, path,
    (message) => { throw new ConfigError(message); });
  const loginThrottle = checkThrottle(file.loginThrottle === undefined ? {} : file.loginThrottle, limits.connectTimeoutMs as number);

  let raw: unknown[];
  if (file.listeners === undefined) raw = [{ type: 'tcp' }];
  else if (!Array.isArray(file.listeners) || file.listeners.length === 0) {
    throw new ConfigError(`listeners: must be a non-empty array, got ${show(file.listeners)}`);
  } else raw = file.listeners;

  const listeners: ListenerConfig[] = raw.map((l, i) => {
    const where = `listeners[${i}]`;
    if (!isObject(l)) throw new ConfigError(`${where}: must be an object, got ${show(l)}`);
    checkKeys(l, LISTENER_KEYS, where);
    const type = (l.type ?? 'tcp') as ListenerType;
    if (!(type in DEFAULT_PORTS)) throw new ConfigError(`${where}.type: must be one of tcp, tls, ws, wss, http, got ${show(l.type)}`);
    const secure = type === 'tls' || type === 'wss';
    const web = type === 'ws' || type === 'wss';
    const http = type === 'http';
    for (const k of TLS_ONLY) if (!secure && l[k] !== undefined) throw new ConfigError(`${where}.${k}: only for tls and wss listeners, not ${type}`);
    for (const k of WS_ONLY) if (!web && l[k] !== undefined) throw new ConfigError(`${where}.${k}: only for ws and wss listeners, not ${type}`);
    for (const k of HTTP_ONLY) if (!http && l[k] !== undefined) throw new ConfigError(`${where}.${k}: only for http listeners, not ${type}`);
    for (const k of MQTT_ONLY) if (http && l[k] !== undefined) throw new ConfigError(`${where}.${k}: only for MQTT listeners, not http (an http listener takes a "token")`);
    const out: ListenerConfig = {
      name: '',
      type,
      host: l.host === undefined ? '127.0.0.1' : str(l.host, `${where}.host`),
      port: l.port === undefined ? DEFAULT_PORTS[type] : int(l.port, `${where}.port`, 0, 65535),
      allowAnonymous: false,
      cert: secure ? path(l.cert, `${where}.cert`) : null,
      key: secure ? path(l.key, `${where}.key`) : null,
      ca: l.ca !== undefined ? path(l.ca, `${where}.ca`) : null,
      requireCertificate: l.requireCertificate !== undefined ? bool(l.requireCertificate, `${where}.requireCertificate`) : false,
      useIdentityAsUsername: l.useIdentityAsUsername !== undefined ? bool(l.useIdentityAsUsername, `${where}.useIdentityAsUsername`) : false,
      path: l.path !== undefined ? str(l.path, `${where}.path`) : null,
      maxFrameSize: l.maxFrameSize !== undefined ? int(l.maxFrameSize, `${where}.maxFrameSize`, 16, 268435455)
        : Math.max(65536, (limits.maxPacketSize as number) + 16),
      token: l.token !== undefined ? str(l.token, `${where}.token`) : null,
    };
    if (out.token !== null && out.token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(`${where}.token: must be at least ${MIN_TOKEN_LENGTH} characters (e.g. from "openssl rand -hex 16")`);
    }
    if ((out.requireCertificate || out.useIdentityAsUsername) && out.ca === null) {
      throw new ConfigError(`${where}.ca: needed to check client certificates (requireCertificate / useIdentityAsUsername)`);
    }
    if (out.useIdentityAsUsername && !out.requireCertificate) {
      throw new ConfigError(`${where}.useIdentityAsUsername: needs requireCertificate: true`);
    }
    if (out.path !== null && !out.path.startsWith('/')) throw new ConfigError(`${where}.path: must start with "/", got ${show(out.path)}`);
    const anon = l.allowAnonymous !== undefined ? bool(l.allowAnonymous, `${where}.allowAnonymous`) : null;
    out.allowAnonymous = http ? false : anon ?? allowAnonymousTop ?? (isLoopback(out.host) && passwordFile === null);
    out.name = l.name !== undefined ? str(l.name, `${where}.name`) : '';
    return out;
  });

  // -p / --host: the first TCP listener (the default one when the file names none).
  if (flags.port !== undefined || flags.host !== undefined) {
    let tcp = listeners.find((l) => l.type === 'tcp');
    if (tcp === undefined) {
      tcp = buildConfig({ limits: file.limits ?? {} }, {}, baseDir).listeners[0];
      tcp.name = '';
      tcp.allowAnonymous = allowAnonymousTop ?? (isLoopback(tcp.host) && passwordFile === null);
      listeners.unshift(tcp);
    }
    if (flags.port !== undefined) tcp.port = flags.port;
    if (flags.host !== undefined) {
      tcp.host = flags.host;
      tcp.allowAnonymous = allowAnonymousTop ?? (isLoopback(tcp.host) && passwordFile === null);
    }
  }

  for (const l of listeners) {
    if (l.name === '') l.name = `${l.type} ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
    // Safe default: a listener reachable from other machines needs users, or says plainly
    // that it lets anyone in; the metrics and status page need a token there.
    if (l.type === 'http') {
      if (!isLoopback(l.host) && l.token === null) {
        throw new ConfigError(
          `listener ${l.name}: refusing to serve metrics and the status page on ${l.host} without a token; ` +
          'add "token" (at least 16 characters, e.g. from "openssl rand -hex 16"; requests then send "Authorization: Bearer TOKEN" or ?token=TOKEN), or listen on 127.0.0.1',
        );
      }
      continue;
    }
    if (!isLoopback(l.host) && !l.allowAnonymous && passwordFile === null && !l.useIdentityAsUsername && !hookAuthenticates) {
      throw new ConfigError(
        `listener ${l.name}: refusing to listen on ${l.host} with no users configured; ` +
        'add users (passwordFile, made with "ganglion passwd FILE USER"), or client certificates ' +
        '(useIdentityAsUsername), or let anyone in with "allowAnonymous": true (--allow-anonymous)',
      );
    }
  }
  const bridges = checkBridges(file.bridges, baseDir);
  return { checked: true, listeners, passwordFile, aclFile, aclFormat, logLevel, logFormat, logFile, limits, latencyIntervalMs, shutdownTimeoutMs, loginThrottle, bridges, persistence };
}

function checkThrottle(v: unknown, connectTimeoutMs: number): ThrottleOptions {
  const where = 'loginThrottle';
  if (!isObject(v)) throw new ConfigError(`${where}: must be an object, got ${show(v)}`);
  checkKeys(v, Object.keys(DEFAULT_THROTTLE), where);
  const out = { ...DEFAULT_THROTTLE };
  // A login still waiting at limits.connectTimeoutMs is cut without an answer: unless set,
  // the waits shrink to fit a short connect timeout (at most 80% of it).
  const fit = Math.floor(connectTimeoutMs * 0.8);
  out.maxWaitMs = Math.min(out.maxWaitMs, fit);
  out.maxDelayMs = Math.min(out.maxDelayMs, out.maxWaitMs);
  for (const [k, value] of Object.entries(v)) {
    const count = k === 'maxEntries' || k === 'maxConcurrentChecks' || k === 'maxQueuedChecks';
    out[k as keyof ThrottleOptions] = int(value, `${where}.${k}`, count ? 1 : 0, count ? 1e7 : 86400000);
  }
  if (out.maxWaitMs < out.maxDelayMs) throw new ConfigError(`${where}.maxWaitMs: must be at least maxDelayMs (${out.maxDelayMs}), got ${out.maxWaitMs}`);
  if (out.maxWaitMs >= connectTimeoutMs) {
    throw new ConfigError(`${where}.maxWaitMs: must be less than limits.connectTimeoutMs (${connectTimeoutMs}): a login not answered by then is closed; got ${out.maxWaitMs}`);
  }
  return out;
}

/**
 * Reads a config file: JSON (relative names in it are relative to its folder), or
 * mosquitto.conf (a *.conf file, or one that is not JSON; mosquitto-conf.ts), whose relative
 * names are relative to the current folder as in mosquitto. `warnings` name what it ignores.
 */
export function parseConfigText(text: string, fileName: string): { file: unknown; baseDir: string; warnings: string[] } {
  if (isMosquittoConf(text, fileName)) {
    const m = parseMosquittoConf(text, fileName);
    return { file: m.file, baseDir: process.cwd(), warnings: m.warnings };
  }
  try {
    return { file: JSON.parse(text), baseDir: dirname(resolve(fileName)), warnings: [] };
  } catch (e) {
    throw new ConfigError(`${fileName}: not valid JSON: ${(e as Error).message}`);
  }
}
