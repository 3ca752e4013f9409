// What a bridge is configured with: the upstreams, the identity and protocol it connects
// with, the topic rules, the queue's bounds and the reconnect timing. A port fills every
// field (the Node port from its config file, a device port from its options); the core
// checks nothing a port already checked, and only what could break it here.
import type { TopicRule } from './rules.js';

export interface BridgeOptions {
  name: string;                   // in logs and $SYS/broker/bridge/NAME/...
  addresses: string[];            // the upstreams as the port names them (shown in logs and $SYS), tried in order
  version: number;                // 4 (3.1.1) or 5
  clientId: string;
  username: string | null;
  password: Uint8Array | null;
  keepAlive: number;              // seconds
  cleanStart: boolean;            // false: a persistent upstream session (what the cluster queued arrives)
  sessionExpiryInterval: number;  // 5.0, seconds
  tryPrivate: boolean;            // 3.1.1: mosquitto's bridge flag, until an upstream refuses it
  topics: TopicRule[];
  maxQueued: number;              // messages waiting for the upstream
  maxQueuedBytes: number;         // bytes of those and the ones in flight
  queueQoS0: boolean;             // QoS 0 waits too while the upstream is unreachable
  maxInflight: number;
  maxOutboundBytes?: number;      // our answers held for an upstream that does not read; past it the connection ends (the client role's 65536 when left out)
  backoffMinMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;       // the port's dial (TCP, TLS), and CONNECT to CONNACK
  primaryRetryMs: number;         // on a later address: how often to look for the first again (0: never)
  sysIntervalMs: number;          // $SYS/broker/bridge/NAME/... every this long and on each change (0: never)
}
