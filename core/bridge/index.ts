// The bridge in the core (issue 16 §2): everything of a bridge that is not I/O, for every
// port (PORT.md says how a port drives it). Not part of core/index.ts: a port that bridges
// imports it, so the broker bundles that do not carry none of it.
export { BRIDGE_BACKOFF, Bridge, BRIDGE_CONNECTED, BRIDGE_CONNECTING, BRIDGE_STOPPED } from './bridge.js';
export type { BridgePort, BridgeStats } from './bridge.js';
export type { BridgeOptions } from './options.js';
export { backoffMs } from './backoff.js';
export { dropUnclaimed, QueueRecords } from './queue-records.js';
export { crossingQoS, filterMatches, localFilter, remoteFilter, toLocal, toRemote } from './rules.js';
export type { Direction, TopicRule } from './rules.js';
