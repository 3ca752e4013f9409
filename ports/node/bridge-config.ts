// The config file's "bridges" section, checked key by key like the rest (config.ts): each
// bridge's upstream addresses, protocol, identity, TLS, queue and topic rules. A topic rule
// is an object or mosquitto's own line, "pattern [out|in|both [qos [local-prefix
// remote-prefix]]]" ("" for an empty prefix).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { QoS } from '../../core/index.js';
import { isValidTopicFilter } from '../../core/index.js';
import type { BridgeConfig } from './bridge.js';
import type { Direction, TopicRule } from '../../core/bridge/index.js';
import type { TlsClientOptions } from './client-socket.js';
import { parseServerUrl } from './client-socket.js';
import { ConfigError } from './config.js';

const BRIDGE_KEYS = ['name', 'addresses', 'protocolVersion', 'clientId', 'username', 'password', 'tls', 'keepAlive', 'cleanStart',
  'sessionExpiryInterval', 'tryPrivate', 'topics', 'maxQueued', 'maxQueuedBytes', 'queueQoS0', 'maxInflight', 'backoffMinMs',
  'backoffMaxMs', 'connectTimeoutMs', 'primaryRetryMs'];
const TLS_KEYS = ['ca', 'cert', 'key', 'insecure', 'servername'];
const RULE_KEYS = ['pattern', 'direction', 'qos', 'localPrefix', 'remotePrefix'];

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function keys(o: Record<string, unknown>, known: string[], where: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (known keys: ${known.join(', ')})`);
}

function int(v: unknown, d: number, where: string, min: number, max: number): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${where}: must be an integer from ${min} to ${max}, got ${show(v)}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${where}: must be a string, got ${show(v)}`);
  return v;
}

function bool(v: unknown, d: boolean, where: string): boolean {
  if (v === undefined) return d;
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: must be true or false, got ${show(v)}`);
  return v;
}

/** One rule, from an object or a mosquitto `topic` line. */
export function checkRule(v: unknown, where: string): TopicRule {
  let o: Record<string, unknown>;
  if (typeof v === 'string') {
    const words = v.trim().split(/\s+/).map((w) => (w === '""' || w === "''" ? '' : w));
    if (words.length < 1 || words.length === 4 || words.length > 5) throw new ConfigError(`${where}: "pattern [out|in|both [qos [local-prefix remote-prefix]]]", got ${show(v)}`);
    o = { pattern: words[0], direction: words[1], qos: words[2] === undefined ? undefined : Number(words[2]), localPrefix: words[3], remotePrefix: words[4] };
  } else if (isObject(v)) {
    keys(v, RULE_KEYS, where);
    o = v;
  } else throw new ConfigError(`${where}: must be an object or a string, got ${show(v)}`);
  const pattern = o.pattern === undefined ? '' : str(o.pattern, `${where}.pattern`);
  const direction = (o.direction ?? 'out') as Direction;
  if (direction !== 'out' && direction !== 'in' && direction !== 'both') throw new ConfigError(`${where}.direction: must be out, in or both, got ${show(o.direction)}`);
  const qos = int(o.qos, 0, `${where}.qos`, 0, 2) as QoS;
  const localPrefix = o.localPrefix === undefined ? '' : str(o.localPrefix, `${where}.localPrefix`);
  const remotePrefix = o.remotePrefix === undefined ? '' : str(o.remotePrefix, `${where}.remotePrefix`);
  for (const [k, p] of [['localPrefix', localPrefix], ['remotePrefix', remotePrefix]]) {
    if (/[+#]/.test(p)) throw new ConfigError(`${where}.${k}: a prefix has no wildcards, got ${show(p)}`);
  }
  for (const [side, f] of [['local', localPrefix + pattern], ['remote', remotePrefix + pattern]]) {
    if (f === '' || !isValidTopicFilter(f)) throw new ConfigError(`${where}: the ${side} filter ${show(f)} is not a topic filter (a prefix ends with "/" and has no wildcards)`);
  }
  return { pattern, direction, qos, localPrefix, remotePrefix };
}

/** The "bridges" array, checked; file names in "tls" relative to `baseDir`. */
export function checkBridges(v: unknown, baseDir: string): BridgeConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(`bridges: must be an array, got ${show(v)}`);
  const names = new Set<string>();
  return v.map((b, i): BridgeConfig => {
    const where = `bridges[${i}]`;
    if (!isObject(b)) throw new ConfigError(`${where}: must be an object, got ${show(b)}`);
    keys(b, BRIDGE_KEYS, where);
    const name = str(b.name, `${where}.name`);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new ConfigError(`${where}.name: letters, digits, "_", "." and "-" only (it is a $SYS topic level), got ${show(name)}`);
    if (names.has(name)) throw new ConfigError(`${where}.name: ${show(name)} names another bridge too`);
    names.add(name);
    if (!Array.isArray(b.addresses) || b.addresses.length === 0) throw new ConfigError(`${where}.addresses: must be a non-empty array of mqtt:// or mqtts:// addresses, got ${show(b.addresses)}`);
    const tls = checkTls(b.tls, `${where}.tls`, baseDir);
    const addresses = b.addresses.map((a, j) => {
      const s = str(a, `${where}.addresses[${j}]`);
      try {
        parseServerUrl(s, null);
      } catch (e) {
        throw new ConfigError(`${where}.addresses[${j}]: ${(e as Error).message}`);
      }
      return s;
    });
    const version = int(b.protocolVersion, 4, `${where}.protocolVersion`, 4, 5) as 4 | 5;
    if (!Array.isArray(b.topics) || b.topics.length === 0) throw new ConfigError(`${where}.topics: must be a non-empty array of topic rules, got ${show(b.topics)}`);
    const topics = b.topics.map((r, j) => checkRule(r, `${where}.topics[${j}]`));
    const backoffMinMs = int(b.backoffMinMs, 1000, `${where}.backoffMinMs`, 1, 3600000);
    return {
      name, addresses, protocolVersion: version,
      clientId: b.clientId === undefined ? `ganglion-bridge-${name}` : str(b.clientId, `${where}.clientId`),
      username: b.username === undefined ? null : str(b.username, `${where}.username`),
      password: b.password === undefined ? null : str(b.password, `${where}.password`),
      tls,
      keepAlive: int(b.keepAlive, 60, `${where}.keepAlive`, 0, 65535),
      cleanStart: bool(b.cleanStart, false, `${where}.cleanStart`),
      sessionExpiryInterval: int(b.sessionExpiryInterval, 86400, `${where}.sessionExpiryInterval`, 0, 0xffffffff),
      tryPrivate: bool(b.tryPrivate, true, `${where}.tryPrivate`),
      topics,
      maxQueued: int(b.maxQueued, 100000, `${where}.maxQueued`, 1, 100000000),
      maxQueuedBytes: int(b.maxQueuedBytes, 64 << 20, `${where}.maxQueuedBytes`, 1024, 2 ** 40),
      queueQoS0: bool(b.queueQoS0, false, `${where}.queueQoS0`),
      maxInflight: int(b.maxInflight, 100, `${where}.maxInflight`, 1, 65535),
      backoffMinMs,
      backoffMaxMs: int(b.backoffMaxMs, 60000, `${where}.backoffMaxMs`, backoffMinMs, 86400000),
      connectTimeoutMs: int(b.connectTimeoutMs, 10000, `${where}.connectTimeoutMs`, 1, 600000),
      primaryRetryMs: int(b.primaryRetryMs, 60000, `${where}.primaryRetryMs`, 0, 86400000),
    };
  });
}

function checkTls(v: unknown, where: string, baseDir: string): TlsClientOptions | null {
  if (v === undefined) return null;
  if (!isObject(v)) throw new ConfigError(`${where}: must be an object, got ${show(v)}`);
  keys(v, TLS_KEYS, where);
  const file = (k: string): Buffer | undefined => {
    if (v[k] === undefined) return undefined;
    const p = str(v[k], `${where}.${k}`);
    try {
      return readFileSync(isAbsolute(p) ? p : resolve(baseDir, p));
    } catch (e) {
      throw new ConfigError(`${where}.${k}: cannot read ${p}: ${(e as Error).message}`);
    }
  };
  const out: TlsClientOptions = { ca: file('ca'), cert: file('cert'), key: file('key') };
  if (v.insecure !== undefined) out.rejectUnauthorized = !bool(v.insecure, false, `${where}.insecure`);
  if (v.servername !== undefined) out.servername = str(v.servername, `${where}.servername`);
  return out;
}
