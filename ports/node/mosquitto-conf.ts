// mosquitto.conf, read as a ganglion config: `ganglion -c mosquitto.conf` (a file named
// *.conf, or one that is not JSON) becomes the same JSON config object a ganglion.json holds,
// which buildConfig then checks as usual. Directives ganglion has map onto its keys; each one
// it does not have is named in one line: an error (the broker does not start) where ignoring
// it would let in clients mosquitto refuses or change what clients see, a warning where
// ganglion serves the same clients the same way and only operations differ (persistence,
// log destinations, tuning). Unknown directives are errors, as unknown JSON keys are.
// Relative file names are relative to the current folder, as mosquitto has them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';

export interface MosquittoConf {
  file: Record<string, unknown>;   // a ganglion JSON config object
  warnings: string[];              // "FILE:LINE: directive: what ganglion does instead"
}

/** Whether a config file is mosquitto's format rather than JSON. */
export function isMosquittoConf(text: string, fileName: string): boolean {
  if (/\.conf$/i.test(fileName)) return true;
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  return first !== undefined && !first.startsWith('{') && /^[a-z_]+(\s|$)/.test(first);
}

interface Listener {
  where: string;
  port: number;
  host: string | null;
  websockets: boolean;
  cafile: string | null;
  certfile: string | null;
  keyfile: string | null;
  requireCertificate: boolean | null;
  useIdentity: boolean | null;
  allowAnonymous: boolean | null;
  maxConnections: number | null;
  passwordFile: string | null;
  aclFile: string | null;
}

// Accepted and without effect on what ganglion does (it already behaves so).
const SAME = ['set_tcp_nodelay'];
// Warnings: ganglion serves the same clients; only this differs.
const IGNORED: Record<string, string> = {
  persistence_file: 'ignored: ganglion keeps a journal of files in persistence_location, not one file',
  autosave_interval: 'ignored: ganglion writes every change to its journal as it happens (persistence.fsync)',
  autosave_on_changes: 'ignored: ganglion writes every change to its journal as it happens (persistence.fsync)',
  pid_file: 'ignored: ganglion writes no pid file',
  user: 'ignored: ganglion does not change user; run it as the user it should be',
  connection_messages: 'ignored: connects and disconnects are logged at info (-v)',
  log_timestamp: 'ignored: log lines always start with an ISO time',
  log_timestamp_format: 'ignored: log lines always start with an ISO time',
  websockets_log_level: 'ignored',
  websockets_headers_size: 'ignored: ganglion reads WebSocket handshakes up to its own limit',
  tls_version: 'ignored: Node\'s TLS defaults apply (TLS 1.2 and 1.3)',
  ciphers: 'ignored: Node\'s default cipher list applies',
  ciphers_tls1_3: 'ignored: Node\'s default cipher list applies',
  socket_domain: 'ignored: the listener\'s address decides',
  http_dir: 'ignored: ganglion serves no files over WebSocket listeners',
  memory_limit: 'ignored: ganglion bounds memory with its own limits',
  check_retain_source: 'ignored',
  upgrade_outgoing_qos: 'ignored: messages go out at the subscription\'s QoS or lower, as MQTT says',
  allow_zero_length_clientid: 'ignored: an empty client id is assigned one as MQTT 3.1.1 and 5.0 say',
  auto_id_prefix: 'ignored: assigned client ids have ganglion\'s own form',
  retry_interval: 'ignored (obsolete in mosquitto too)',
  store_clean_interval: 'ignored (obsolete in mosquitto too)',
  max_inflight_bytes: 'ignored: ganglion bounds in-flight messages by count (max_inflight_messages)',
  allow_duplicate_messages: 'ignored',
};
// Errors: ignoring these would let in clients mosquitto refuses, or change what clients see.
const REFUSED: Record<string, string> = {
  mount_point: 'ganglion has no mount points (topics would differ)',
  clientid_prefixes: 'ganglion does not restrict client ids by prefix',
  capath: 'use cafile: ganglion reads one CA file',
  crlfile: 'ganglion does not check certificate revocation lists',
  use_subject_as_username: 'ganglion takes the certificate\'s CN as the user name (use_identity_as_username)',
  psk_hint: 'ganglion has no TLS-PSK',
  psk_file: 'ganglion has no TLS-PSK',
  plugin: 'ganglion has no mosquitto plugins (embed ganglion/node and use its hooks)',
  auth_plugin: 'ganglion has no mosquitto plugins (embed ganglion/node and use its hooks)',
  global_plugin: 'ganglion has no mosquitto plugins (embed ganglion/node and use its hooks)',
  bind_interface: 'give the listener an address instead',
  require_certificate_for_websockets: 'not supported',
  dhparamfile: 'not supported',
  tls_engine: 'not supported',
  tls_keyform: 'not supported',
  tls_engine_kpass_sha1: 'not supported',
  max_topic_alias: 'set limits.topicAliasMaximum in a JSON config',
  accept_protocol_versions: 'ganglion accepts MQTT 3.1, 3.1.1 and 5.0',
  enable_control_api: 'ganglion has no control API',
};

// Bridge directives after a `connection NAME` line, as ganglion's "bridges" keys (bridge-config.ts).
const BRIDGE_IGNORED: Record<string, string> = {
  local_clientid: 'ignored: a ganglion bridge talks to its own broker in-process, without a client id',
  local_username: 'ignored: a ganglion bridge talks to its own broker in-process',
  local_password: 'ignored: a ganglion bridge talks to its own broker in-process',
  notifications: 'ignored: ganglion publishes the bridge\'s state on $SYS/broker/bridge/NAME/state',
  notifications_local_only: 'ignored: ganglion publishes the bridge\'s state on $SYS/broker/bridge/NAME/state',
  notification_topic: 'ignored: ganglion publishes the bridge\'s state on $SYS/broker/bridge/NAME/state',
  bridge_tls_version: 'ignored: Node\'s TLS defaults apply (TLS 1.2 and 1.3)',
  bridge_attempt_unsubscribe: 'ignored',
  bridge_outgoing_retain: 'ignored: retain flags go as published',
  round_robin: 'ignored: ganglion tries the addresses in order and goes back to the first (round_robin false)',
};
const BRIDGE_REFUSED: Record<string, string> = {
  bridge_capath: 'use bridge_cafile: ganglion reads one CA file',
  bridge_identity: 'ganglion has no TLS-PSK',
  bridge_psk: 'ganglion has no TLS-PSK',
  bridge_require_ocsp: 'not supported',
  bridge_alpn: 'not supported',
  bridge_bind_address: 'not supported',
  idle_timeout: 'ganglion bridges start at once and stay up (start_type automatic)',
  threshold: 'ganglion bridges start at once and stay up (start_type automatic)',
};

function yesNo(v: string, where: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`${where}: must be true or false, got "${v}"`);
}

function integer(v: string, where: string, min: number): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min) throw new ConfigError(`${where}: must be an integer from ${min} up, got "${v}"`);
  return n;
}

// mosquitto's persistent_client_expiration: a number and h, d, w, m (30 days) or y (365 days).
function duration(v: string, where: string): number {
  const m = /^(\d+)([hdwmy])$/.exec(v);
  if (m === null) throw new ConfigError(`${where}: must be a number and h, d, w, m or y (e.g. 2d), got "${v}"`);
  const unit = { h: 3600, d: 86400, w: 7 * 86400, m: 30 * 86400, y: 365 * 86400 }[m[2] as 'h' | 'd' | 'w' | 'm' | 'y'];
  return Math.min(0xfffffffe, Number(m[1]) * unit);
}

// log_type to ganglion's level: the most detailed one named wins.
const LOG_TYPES: Record<string, number> = { none: -1, error: 0, warning: 1, notice: 2, information: 2, subscribe: 3, unsubscribe: 3, websockets: 3, debug: 3, all: 3 };
const LEVEL_NAMES = ['error', 'warn', 'info', 'debug'];

/** A mosquitto.conf as a ganglion JSON config object, and the warnings to print. */
export function parseMosquittoConf(text: string, fileName: string): MosquittoConf {
  const warnings: string[] = [];
  const listeners: Listener[] = [];
  const limits: Record<string, number | boolean> = {};
  let current: Listener | null = null;        // null: before any listener line
  let defaultListener: Listener | null = null; // made by port / bind_address / listener options before any listener
  let perListener = false;
  let allowAnonymous: boolean | null = null;
  let persistence = false;
  let persistenceLocation: string | null = null;
  let passwordFile: string | null = null;
  let aclFile: string | null = null;
  let logLevel = -2;
  const bridges: Array<Record<string, unknown>> = [];
  let bridge: Record<string, unknown> | null = null;   // the last `connection` section
  let bridgeTls: Record<string, unknown> | null = null;
  const newListener = (where: string, port: number, host: string | null): Listener => ({
    where, port, host, websockets: false, cafile: null, certfile: null, keyfile: null,
    requireCertificate: null, useIdentity: null, allowAnonymous: null, maxConnections: null, passwordFile: null, aclFile: null,
  });
  const listenerOf = (where: string): Listener => {
    if (current !== null) return current;
    if (defaultListener === null) {
      defaultListener = newListener(where, 1883, null);
      listeners.unshift(defaultListener);
    }
    return defaultListener;
  };

  const lines: Array<{ line: string; where: string }> = [];
  const read = (body: string, name: string, depth: number): void => {
    const all = body.split(/\r?\n/);
    for (let i = 0; i < all.length; i++) {
      const line = all[i].trim();
      if (line === '' || line.startsWith('#')) continue;
      const where = `${name}:${i + 1}`;
      const m = /^include_dir\s+(.+)$/.exec(line);
      if (m === null) {
        lines.push({ line, where });
        continue;
      }
      // mosquitto: every *.conf in the folder, in order of name.
      if (depth > 0) throw new ConfigError(`${where}: include_dir: not inside an included file`);
      let names: string[];
      try {
        names = readdirSync(m[1]).filter((n) => n.endsWith('.conf')).sort();
      } catch (e) {
        throw new ConfigError(`${where}: include_dir: cannot read ${m[1]}: ${(e as Error).message}`);
      }
      for (const n of names) read(readFileSync(join(m[1], n), 'utf8'), join(m[1], n), depth + 1);
    }
  };
  read(text, fileName, 0);

  for (const { line, where: at } of lines) {
    const space = line.search(/\s/);
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space).trim();
    const where = `${at}: ${key}`;
    const need = (): string => {
      if (value === '') throw new ConfigError(`${where}: needs a value`);
      return value;
    };
    if (key.startsWith('plugin_opt_')) throw new ConfigError(`${where}: ${REFUSED.plugin}`);
    if (SAME.includes(key)) continue;
    if (key in IGNORED) {
      warnings.push(`${where}: ${IGNORED[key]}`);
      continue;
    }
    if (key in REFUSED) throw new ConfigError(`${where}: not supported: ${REFUSED[key]}`);
    if (key === 'connection') {
      const name = need();
      bridge = { name, topics: [] as string[] };
      bridgeTls = null;
      bridges.push(bridge);
      continue;
    }
    if (bridge !== null && bridgeDirective(bridge, key, value, where, need)) continue;
    switch (key) {
      case 'per_listener_settings': perListener = yesNo(need(), where); break;
      case 'listener': {
        const words = need().split(/\s+/);
        const port = integer(words[0], where, 0);
        if (port === 0 || words.length > 2) throw new ConfigError(`${where}: ganglion listens on TCP ports (not on unix sockets): listener PORT [ADDRESS]`);
        if (port > 65535) throw new ConfigError(`${where}: port must be at most 65535, got ${port}`);
        current = newListener(at, port, words[1] ?? null);
        listeners.push(current);
        break;
      }
      case 'port': {
        // The default listener (deprecated in mosquitto 2.0 for listener, still read).
        const l = current ?? listenerOf(at);
        l.port = integer(need(), where, 1);
        break;
      }
      case 'bind_address': (current ?? listenerOf(at)).host = need(); break;
      case 'protocol': {
        const v = need();
        if (v !== 'mqtt' && v !== 'websockets') throw new ConfigError(`${where}: must be mqtt or websockets, got "${v}"`);
        listenerOf(at).websockets = v === 'websockets';
        break;
      }
      case 'cafile': listenerOf(at).cafile = need(); break;
      case 'certfile': listenerOf(at).certfile = need(); break;
      case 'keyfile': listenerOf(at).keyfile = need(); break;
      case 'require_certificate': listenerOf(at).requireCertificate = yesNo(need(), where); break;
      case 'use_identity_as_username': listenerOf(at).useIdentity = yesNo(need(), where); break;
      case 'max_connections': {
        const n = integer(need(), where, -1);
        listenerOf(at).maxConnections = n < 0 ? null : n;
        break;
      }
      case 'allow_anonymous': {
        const v = yesNo(need(), where);
        if (perListener && current !== null) current.allowAnonymous = v;
        else allowAnonymous = v;
        break;
      }
      case 'password_file':
        if (perListener && current !== null) current.passwordFile = need();
        else passwordFile = need();
        break;
      case 'acl_file':
        if (perListener && current !== null) current.aclFile = need();
        else aclFile = need();
        break;
      case 'max_inflight_messages': {
        const n = integer(need(), where, 0);
        limits.maxInflight = n === 0 ? 65535 : Math.min(n, 65535);   // mosquitto: 0 is no limit
        break;
      }
      case 'max_queued_messages': {
        const n = integer(need(), where, 0);
        limits.maxQueued = n === 0 ? 1e7 : n;
        break;
      }
      case 'max_queued_bytes': {
        const n = integer(need(), where, 0);
        limits.maxQueuedBytes = n === 0 ? Number.MAX_SAFE_INTEGER : n;
        break;
      }
      case 'max_packet_size': {
        const n = integer(need(), where, 0);
        if (n > 0) limits.maxPacketSize = Math.max(16, n);
        break;
      }
      case 'message_size_limit': {
        // mosquitto limits the payload; ganglion the whole packet: room for a long topic and
        // properties on top, so every payload mosquitto takes is taken.
        const n = integer(need(), where, 0);
        if (n > 0) {
          limits.maxPacketSize = Math.min(268435460, n + 65536 + 16);
          warnings.push(`${where}: a payload limit in mosquitto; ganglion limits whole packets: maxPacketSize ${limits.maxPacketSize} (the payload plus 64 KiB for topic and properties)`);
        }
        break;
      }
      case 'max_keepalive': limits.maxKeepAlive = Math.min(65535, integer(need(), where, 0)); break;
      case 'persistent_client_expiration': limits.persistentSessionExpirySeconds = duration(need(), where); break;
      case 'retain_available': limits.retainAvailable = yesNo(need(), where); break;
      case 'max_qos': limits.maximumQoS = Math.min(2, integer(need(), where, 0)); break;
      case 'queue_qos0_messages': limits.queueQoS0Offline = yesNo(need(), where); break;
      case 'sys_interval': limits.sysIntervalMs = Math.min(86400, integer(need(), where, 0)) * 1000; break;
      case 'persistence':
        persistence = yesNo(need(), where);
        break;
      case 'persistence_location':
        persistenceLocation = need();
        break;
      case 'log_dest': {
        const v = need().split(/\s+/)[0];
        if (v === 'file') warnings.push(`${where}: ganglion logs to stderr (redirect it to ${value.slice(4).trim() || 'the file'})`);
        else if (v !== 'stderr') warnings.push(`${where}: ${v}: ganglion logs to stderr`);
        break;
      }
      case 'log_type': {
        const t = LOG_TYPES[need()];
        if (t === undefined) throw new ConfigError(`${where}: unknown log type "${value}"`);
        logLevel = Math.max(logLevel, t);
        break;
      }
      default:
        throw new ConfigError(`${where}: unknown directive (or one ganglion does not know)`);
    }
  }
  return { file: toGanglion(), warnings };

  /** A directive of the current connection section; false: not a bridge directive. */
  function bridgeDirective(b: Record<string, unknown>, key: string, value: string, where: string, need: () => string): boolean {
    if (key in BRIDGE_IGNORED) {
      warnings.push(`${where}: ${BRIDGE_IGNORED[key]}`);
      return true;
    }
    if (key in BRIDGE_REFUSED) throw new ConfigError(`${where}: not supported: ${BRIDGE_REFUSED[key]}`);
    const tls = (): Record<string, unknown> => {
      if (bridgeTls === null) {
        bridgeTls = {};
        b.tls = bridgeTls;
      }
      return bridgeTls;
    };
    switch (key) {
      case 'address': case 'addresses':
        // host[:port] ..., mqtts:// once the section has TLS (bridge_cafile), resolved at the end.
        b.addresses = need().split(/\s+/).map((a) => {
          const m = /^(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(a);
          if (m === null) throw new ConfigError(`${where}: host[:port], got "${a}"`);
          return { host: m[1], port: m[2] === undefined ? null : Number(m[2]) };
        });
        return true;
      case 'topic': (b.topics as string[]).push(need()); return true;
      case 'bridge_protocol_version': {
        const v = need();
        if (v === 'mqttv311') b.protocolVersion = 4;
        else if (v === 'mqttv50') b.protocolVersion = 5;
        else throw new ConfigError(`${where}: ganglion bridges speak mqttv311 or mqttv50, got "${v}"`);
        return true;
      }
      case 'remote_clientid': case 'clientid': b.clientId = need(); return true;
      case 'remote_username': case 'username': b.username = need(); return true;
      case 'remote_password': case 'password': b.password = need(); return true;
      case 'cleansession': b.cleanStart = yesNo(need(), where); return true;
      case 'keepalive_interval': b.keepAlive = Math.min(65535, integer(need(), where, 0)); return true;
      case 'try_private': b.tryPrivate = yesNo(need(), where); return true;
      case 'bridge_cafile': tls().ca = need(); return true;
      case 'bridge_certfile': tls().cert = need(); return true;
      case 'bridge_keyfile': tls().key = need(); return true;
      case 'bridge_insecure': tls().insecure = yesNo(need(), where); return true;
      case 'restart_timeout': {
        // mosquitto: one value (seconds, constant) or "base cap" (exponential, jittered).
        const w = need().split(/\s+/).map((x) => integer(x, where, 1));
        b.backoffMinMs = w[0] * 1000;
        b.backoffMaxMs = (w[1] ?? w[0]) * 1000;
        return true;
      }
      case 'start_type': {
        const v = need();
        if (v !== 'automatic') throw new ConfigError(`${where}: ganglion bridges start at once and stay up (automatic), got "${v}"`);
        return true;
      }
      default: return false;
    }
  }

  function toGanglion(): Record<string, unknown> {
    const file: Record<string, unknown> = {};
    // Per-listener users and ACLs: ganglion has one of each for all listeners.
    const files = (pick: (l: Listener) => string | null, what: string, global: string | null): string | null => {
      const named = listeners.map(pick).filter((f): f is string => f !== null);
      const all = global !== null ? [global, ...named] : named;
      if (new Set(all).size > 1) throw new ConfigError(`${fileName}: ${what}: different files for different listeners; ganglion has one ${what} for all listeners`);
      if (perListener && named.length > 0 && named.length < listeners.length) {
        warnings.push(`${fileName}: ${what}: set on some listeners only; ganglion applies it to every listener`);
      }
      return all[0] ?? null;
    };
    const pw = files((l) => l.passwordFile, 'password_file', passwordFile);
    const acl = files((l) => l.aclFile, 'acl_file', aclFile);
    if (pw !== null) file.passwordFile = pw;
    if (acl !== null) {
      file.aclFile = acl;
      file.aclFormat = 'mosquitto';   // its topic lines before the first user line: anonymous clients only
    }
    if (logLevel >= 0) file.logLevel = LEVEL_NAMES[logLevel];
    // mosquitto 2.0 refuses anonymous clients unless allowed; with no listener configured it
    // serves loopback only, anonymous allowed, which is ganglion's default too.
    if (listeners.length > 0) file.allowAnonymous = allowAnonymous ?? false;
    else if (allowAnonymous !== null) file.allowAnonymous = allowAnonymous;
    let connections = 0, counted = 0;
    file.listeners = listeners.length === 0 ? undefined : listeners.map((l) => {
      const tls = l.certfile !== null || l.keyfile !== null;
      const out: Record<string, unknown> = {
        type: l.websockets ? (tls ? 'wss' : 'ws') : (tls ? 'tls' : 'tcp'),
        // mosquitto's listener with no address listens on every interface.
        host: l.host ?? '0.0.0.0',
        port: l.port,
      };
      if (tls) {
        out.cert = l.certfile;
        out.key = l.keyfile;
        if (l.cafile !== null) out.ca = l.cafile;
        if (l.requireCertificate !== null) out.requireCertificate = l.requireCertificate;
        if (l.useIdentity !== null) out.useIdentityAsUsername = l.useIdentity;
      } else if (l.cafile !== null || l.requireCertificate !== null || l.useIdentity !== null) {
        throw new ConfigError(`${l.where}: cafile / require_certificate / use_identity_as_username need certfile and keyfile on the listener`);
      }
      if (perListener && l.allowAnonymous !== null) out.allowAnonymous = l.allowAnonymous;
      if (l.maxConnections !== null) {
        connections += l.maxConnections;
        counted++;
      }
      return out;
    });
    if (file.listeners === undefined) delete file.listeners;
    if (counted > 0) {
      limits.maxConnections = Math.max(1, connections);
      if (listeners.length > 1) warnings.push(`${fileName}: max_connections: per listener in mosquitto; ganglion has one limit for all listeners: ${limits.maxConnections}${counted < listeners.length ? ' (the listeners without one are not counted)' : ''}`);
    }
    if (Object.keys(limits).length > 0) file.limits = limits;
    // mosquitto keeps mosquitto.db in persistence_location (the current folder if unset);
    // ganglion keeps its journal's files there.
    if (persistence) file.persistence = { dir: persistenceLocation ?? '.' };
    else if (persistenceLocation !== null) warnings.push(`${fileName}: persistence_location: ignored: persistence is off (no "persistence true")`);
    if (bridges.length > 0) {
      file.bridges = bridges.map((b) => {
        const addresses = b.addresses as Array<{ host: string; port: number | null }> | undefined;
        if (addresses === undefined) throw new ConfigError(`${fileName}: connection ${b.name as string}: needs an address`);
        const secure = b.tls !== undefined;
        // mosquitto's default try_private for a bridge is true, its default cleansession false.
        return { ...b, addresses: addresses.map((a) => `${secure ? 'mqtts' : 'mqtt'}://${a.host}:${a.port ?? (secure ? 8883 : 1883)}`) };
      });
    }
    return file;
  }
}

