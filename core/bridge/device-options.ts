// A device bridge's options (the Espruino and Moddable ports' bridge(), issue 16 on devices):
// what a board program writes, checked and filled in with limits sized for a small device,
// as the BridgeOptions the core's Bridge takes. Both device ports use this; the Node port
// reads its config file instead (ports/node/bridge-config.ts).
//
//   addresses  ["192.168.1.10:1883", "10.0.0.2"]   host:port (1883 when left out), tried in order
//   topics     ["sensors/# out 1 \"\" site-1/", { pattern: "cmd/#", direction: "in", qos: 1 }]
//              mosquitto's `topic pattern [out|in|both [qos [local-prefix remote-prefix]]]`
//              line ("" for an empty prefix), or the same as an object
//
// A value no bridge could use throws here, once, when the program starts the bridge: the
// program's mistake, said before anything connects.
import type { QoS } from '../index.js';
import { encodeUtf8, isValidTopicFilter } from '../index.js';
import type { BridgeOptions } from './options.js';
import type { Direction, TopicRule } from './rules.js';

export interface DeviceRule {
  pattern: string;
  direction?: Direction;     // 'out' when left out
  qos?: number;              // 0 when left out
  localPrefix?: string;
  remotePrefix?: string;
}

export interface DeviceBridgeOptions {
  name?: string;                  // 'cloud'; in log lines
  addresses: string[];            // host:port, tried in order (failover, then back to the first)
  version?: number;               // 4 (MQTT 3.1.1, the default) or 5
  clientId?: string;              // 'ganglion-bridge-' + name
  username?: string | null;
  password?: string | null;
  keepAlive?: number;             // seconds, 60
  cleanStart?: boolean;           // false: a persistent upstream session, so what the cloud queued arrives
  sessionExpiryInterval?: number; // 5.0, seconds, 86400
  tryPrivate?: boolean;           // 3.1.1: mosquitto's bridge flag (no loops), true
  topics: Array<string | DeviceRule>;
  maxQueued?: number;             // messages waiting for the upstream, 16
  maxQueuedBytes?: number;        // bytes of those and the ones in flight (topic + payload + 80 each), 4096
  queueQoS0?: boolean;            // QoS 0 waits too while the upstream is away (false: dropped, counted)
  maxInflight?: number;           // QoS 1/2 unacknowledged at once, 4
  maxOutboundBytes?: number;      // answers (PUBACK, ...) held for an upstream that does not read, 2048; past it the connection ends
  backoffMinMs?: number;          // first wait after every address failed, 1000; doubling up to
  backoffMaxMs?: number;          // 60000, jittered between half and the whole
  connectTimeoutMs?: number;      // 10000: for the TCP connection, and again for CONNACK
  primaryRetryMs?: number;        // on a later address: how often to look for the first again, 60000 (0: never)
}

export interface HostPort {
  host: string;
  port: number;
}

function fail(what: string): never {
  throw new Error('ganglion bridge: ' + what);
}

function num(v: number | undefined, d: number, name: string, min: number, max: number): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || v !== Math.floor(v) || v < min || v > max) fail(name + ' must be a whole number from ' + min + ' to ' + max);
  return v;
}

function flag(v: boolean | undefined, d: boolean, name: string): boolean {
  if (v === undefined) return d;
  if (v !== true && v !== false) fail(name + ' must be true or false');
  return v;
}

/** "host:port" (the port 1883 when left out) as a host and a port; a host name or an IPv4 address. */
export function hostPort(address: string): HostPort {
  if (typeof address !== 'string' || address === '') fail('an address must be "host:port"');
  const colon = address.indexOf(':');
  if (colon >= 0 && address.indexOf(':', colon + 1) >= 0) fail('the address "' + address + '" is not "host:port" (no IPv6 on the device ports)');
  if (colon < 0) return { host: address, port: 1883 };
  const host = address.substring(0, colon);
  const digits = address.substring(colon + 1);
  let port = digits.length > 0 && digits.length <= 5 ? 0 : -1;
  for (let i = 0; i < digits.length && port >= 0; i++) {
    const c = digits.charCodeAt(i);
    port = c >= 0x30 && c <= 0x39 ? port * 10 + c - 0x30 : -1;
  }
  if (host === '' || port < 1 || port > 65535) fail('the address "' + address + '" is not "host:port" with a port from 1 to 65535');
  return { host: host, port: port };
}

/** One topic rule, from mosquitto's line or an object. */
export function deviceRule(v: string | DeviceRule): TopicRule {
  let o: DeviceRule;
  if (typeof v === 'string') {
    const parts = v.split(' ');
    const words: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] !== '') words.push(parts[i] === '""' || parts[i] === "''" ? '' : parts[i]);
    }
    if (words.length === 0 || words.length === 4 || words.length > 5) fail('the rule "' + v + '" is not "pattern [out|in|both [qos [local-prefix remote-prefix]]]"');
    o = { pattern: words[0], direction: words[1] as Direction, qos: words[2] === undefined ? undefined : +words[2], localPrefix: words[3], remotePrefix: words[4] };
  } else if (v !== null && typeof v === 'object') {
    o = v;
  } else fail('a rule must be a string or an object');
  const direction = o.direction === undefined ? 'out' : o.direction;
  if (direction !== 'out' && direction !== 'in' && direction !== 'both') fail('a rule\'s direction must be out, in or both');
  const qos = num(o.qos, 0, 'a rule\'s qos', 0, 2) as QoS;
  const localPrefix = o.localPrefix === undefined ? '' : o.localPrefix;
  const remotePrefix = o.remotePrefix === undefined ? '' : o.remotePrefix;
  if (typeof o.pattern !== 'string' || typeof localPrefix !== 'string' || typeof remotePrefix !== 'string') fail('a rule\'s pattern and prefixes must be strings');
  if (/[+#]/.test(localPrefix) || /[+#]/.test(remotePrefix)) fail('a prefix has no wildcards: "' + localPrefix + '", "' + remotePrefix + '"');
  const local = localPrefix + o.pattern;
  const remote = remotePrefix + o.pattern;
  if (local === '' || !isValidTopicFilter(local)) fail('"' + local + '" is not a topic filter');
  if (remote === '' || !isValidTopicFilter(remote)) fail('"' + remote + '" is not a topic filter');
  return { pattern: o.pattern, direction: direction, qos: qos, localPrefix: localPrefix, remotePrefix: remotePrefix };
}

/** The options checked, with a device's defaults, as the core Bridge takes them. */
export function deviceBridgeOptions(o: DeviceBridgeOptions): BridgeOptions {
  if (o === null || typeof o !== 'object') fail('options must be an object');
  const name = o.name === undefined ? 'cloud' : o.name;
  if (typeof name !== 'string' || name === '' || /[+#\/]/.test(name)) fail('name must be a topic level without wildcards');
  if (!Array.isArray(o.addresses) || o.addresses.length === 0) fail('addresses must list at least one "host:port"');
  const addresses: string[] = [];
  for (let i = 0; i < o.addresses.length; i++) {
    const a = hostPort(o.addresses[i]);
    addresses.push(a.host + ':' + a.port);
  }
  if (!Array.isArray(o.topics) || o.topics.length === 0) fail('topics must list at least one rule');
  const topics: TopicRule[] = [];
  for (let i = 0; i < o.topics.length; i++) topics.push(deviceRule(o.topics[i]));
  const version = num(o.version, 4, 'version', 4, 5);
  const clientId = o.clientId === undefined ? 'ganglion-bridge-' + name : o.clientId;
  if (typeof clientId !== 'string') fail('clientId must be a string');
  const backoffMinMs = num(o.backoffMinMs, 1000, 'backoffMinMs', 1, 3600000);
  return {
    name: name, addresses: addresses, version: version, clientId: clientId,
    username: o.username === undefined ? null : o.username,
    password: o.password === undefined || o.password === null ? null : encodeUtf8(o.password),
    keepAlive: num(o.keepAlive, 60, 'keepAlive', 0, 65535),
    cleanStart: flag(o.cleanStart, false, 'cleanStart'),
    sessionExpiryInterval: num(o.sessionExpiryInterval, 86400, 'sessionExpiryInterval', 0, 0xffffffff),
    tryPrivate: flag(o.tryPrivate, true, 'tryPrivate'),
    topics: topics,
    maxQueued: num(o.maxQueued, 16, 'maxQueued', 1, 100000),
    maxQueuedBytes: num(o.maxQueuedBytes, 4096, 'maxQueuedBytes', 256, 1 << 24),
    queueQoS0: flag(o.queueQoS0, false, 'queueQoS0'),
    maxInflight: num(o.maxInflight, 4, 'maxInflight', 1, 65535),
    maxOutboundBytes: num(o.maxOutboundBytes, 2048, 'maxOutboundBytes', 64, 1 << 24),
    backoffMinMs: backoffMinMs,
    backoffMaxMs: num(o.backoffMaxMs, 60000, 'backoffMaxMs', backoffMinMs, 86400000),
    connectTimeoutMs: num(o.connectTimeoutMs, 10000, 'connectTimeoutMs', 1, 600000),
    primaryRetryMs: num(o.primaryRetryMs, 60000, 'primaryRetryMs', 0, 86400000),
    sysIntervalMs: 0,   // the device brokers publish no $SYS topics
  };
}
