// Options of the client role (a bridge's upstream side, the probe): what goes into the
// CONNECT, and the limits this side keeps. Every limit is enforced before memory is spent.

import type { Properties, QoS } from '../codec/index.js';

export interface ClientWill {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: Properties | null;
}

export interface ClientOptions {
  clientId: string;                 // '' lets a 5.0 server assign one (kept for reconnects)
  version?: number;                 // 3 (3.1), 4 (3.1.1, the default) or 5
  cleanStart?: boolean;             // "Clean Session" in 3.x; default true
  keepAlive?: number;               // seconds; 0: none. Default 60
  sessionExpiryInterval?: number;   // 5.0 seconds; 0 (default): the session ends with the connection
  username?: string | null;
  password?: Uint8Array | null;
  will?: ClientWill | null;
  userProperties?: Array<[string, string]> | null;   // 5.0 CONNECT User Properties
  bridgeFlag?: boolean;             // 3.x: mosquitto's bridge flag, 0x80 in the protocol level (try_private)
  // What we accept from the server (5.0 announces them in CONNECT):
  maximumPacketSize?: number;       // bytes; a larger packet from the server closes the connection (0x95)
  receiveMaximum?: number;          // incoming QoS 2 messages awaiting PUBREL; more is 0x93
  topicAliasMaximum?: number;       // server-to-client Topic Aliases we keep (0: none)
  // What we send:
  maxInflight?: number;             // outgoing QoS 1/2 unacknowledged (and never above the server's Receive Maximum)
  maxQueued?: number;               // messages waiting to be sent (not yet in flight)
  maxQueuedBytes?: number;          // bytes of all messages held, waiting and in flight (topic + payload + 80 each)
  queueQoS0?: boolean;              // QoS 0 published while not connected waits too (default false: dropped, counted)
  topicAliasesOut?: number;         // client-to-server aliases we assign, within the server's maximum (0: none)
  maxOutboundBytes?: number;        // our answers waiting for a transport that is full; past it the connection is closed
  // Time:
  connackTimeoutMs?: number;        // CONNECT sent and no CONNACK in this long: closed
  pingTimeoutMs?: number;           // PINGREQ sent and nothing received in this long: closed (default: the Keep Alive)
}

export interface ClientLimits {
  version: number;
  cleanStart: boolean;
  keepAliveMs: number;
  sessionExpiryInterval: number;
  maximumPacketSize: number;
  receiveMaximum: number;
  topicAliasMaximum: number;
  maxInflight: number;
  maxQueued: number;
  maxQueuedBytes: number;
  queueQoS0: boolean;
  topicAliasesOut: number;
  maxOutboundBytes: number;
  connackTimeoutMs: number;
  pingTimeoutMs: number;
}


function pick(v: number | undefined, d: number): number {
  return v === undefined ? d : v;
}

/**
 * The options with defaults filled in (sized for a small device; the Node port's bridge and
 * probe raise them); throws for a value no server could be sent (our caller's bug). */
export function clientLimitsFrom(o: ClientOptions): ClientLimits {
  const version = pick(o.version, 4);
  if (version !== 3 && version !== 4 && version !== 5) throw new Error('ganglion client: version must be 3, 4 or 5, got ' + version);
  const keepAlive = pick(o.keepAlive, 60);
  if (!(keepAlive >= 0 && keepAlive <= 65535)) throw new Error('ganglion client: keepAlive must be 0..65535 seconds');
  const receiveMaximum = pick(o.receiveMaximum, 16);
  if (!(receiveMaximum >= 1 && receiveMaximum <= 65535)) throw new Error('ganglion client: receiveMaximum must be 1..65535');
  const maxInflight = pick(o.maxInflight, 16);
  if (!(maxInflight >= 1 && maxInflight <= 65535)) throw new Error('ganglion client: maxInflight must be 1..65535');
  return {
    version: version,
    cleanStart: o.cleanStart === undefined ? true : o.cleanStart,
    keepAliveMs: keepAlive * 1000,
    sessionExpiryInterval: pick(o.sessionExpiryInterval, 0),
    maximumPacketSize: pick(o.maximumPacketSize, 65536),
    receiveMaximum: receiveMaximum,
    topicAliasMaximum: pick(o.topicAliasMaximum, 0),
    maxInflight: maxInflight,
    maxQueued: pick(o.maxQueued, 1000),
    maxQueuedBytes: pick(o.maxQueuedBytes, 65536),
    queueQoS0: o.queueQoS0 === true,
    topicAliasesOut: pick(o.topicAliasesOut, 0),
    maxOutboundBytes: pick(o.maxOutboundBytes, 65536),
    connackTimeoutMs: pick(o.connackTimeoutMs, 10000),
    pingTimeoutMs: pick(o.pingTimeoutMs, keepAlive * 1000),
  };
}
