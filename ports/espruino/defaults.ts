// Limits for a small board. An ESP32 running Espruino has about 16 000 variables of 14
// bytes for everything, and lwIP about 10 sockets in all (the listener takes one), so
// the broker takes at most 8 clients with small queues (README, "Espruino": what fits).
// Every value can be overridden in the options given to listen().
import type { BrokerOptions } from '../../core/index.js';

export const PORT = 1883;
export const SEND_BUDGET = 1024;        // bytes in a socket's send queue before the core is told "full"
export const RECEIVE_BUDGET = 4096;     // bytes held from a paused client before it is dropped

/** Broker options for the board, under whatever the application sets. */
export function boardLimits(o: BrokerOptions): BrokerOptions {
  const d: BrokerOptions = {
    maxConnections: 8,
    maxPacketSize: 2048,
    maxSubscriptionsPerClient: 8,
    maxInflight: 4,
    maxInflightIn: 4,
    maxQueued: 16,
    maxQueuedBytes: 4096,          // a subscriber's backlog, frames held unsent included
    maxOutboundBytes: 2048,
    maxRetainedCount: 32,
    maxRetainedBytes: 4096,
    maxTopicLevels: 8,
    sysIntervalMs: 0,
    matchCacheSize: 16,
    topicAliasMaximum: 4,
    maxSessionExpirySeconds: 3600,
  };
  return Object.assign(d, o);
}
