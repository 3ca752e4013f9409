// The broker core: one sans-I/O engine that every port drives with bytes, a writable
// signal and a clock.
export { Broker, LocalSubscription, createBroker } from './broker.js';
export type { AuthAnswer, Hooks } from './hooks.js';
export type { Stats } from './stats.js';
export { ACTIVE, AWAIT_CONNECT, CLOSED, Connection } from './connection.js';   // CONNECTING too is 1, but that name is the client role's (core/client)
export { LOG_CLOSED, LOG_CONNECTED, LOG_DENIED, LOG_DETAIL, LOG_FAULT, LOG_LIMIT, LOG_REFUSED } from './log-events.js';
export type { Transport } from './connection.js';
export type { BrokerOptions, Limits, SlowSubscriberPolicy } from './options.js';
export { SLOW_SUBSCRIBER_POLICIES } from './options.js';
export type { Message } from './message.js';
export { Session } from './session.js';
export type { RecordVisitor, Store } from './store.js';
export { MEMORY_STORE } from './store.js';
export { DROP_CAUSES } from './drops.js';
export type { BadRecord, StateRecord, StoredMessage } from './state/records.js';
export {
  REC_SESSION_CREATED, REC_SESSION_RESUMED, REC_SESSION_OFFLINE, REC_SESSION_ENDED, REC_EXPIRY_SET, REC_SUBSCRIBED, REC_UNSUBSCRIBED,
  REC_MESSAGE, REC_QUEUED, REC_UNQUEUED, REC_SENT, REC_INFLIGHT, REC_PUBREC_RECEIVED, REC_ACKED,
  REC_QOS2_RECEIVED, REC_QOS2_RELEASED, REC_WILL_SET, REC_WILL_CLEARED, REC_RETAINED_SET, REC_RETAINED_DELETED, REC_CONNECTION_WILL,
  REC_BRIDGE_QUEUED, REC_BRIDGE_SENT, REC_BRIDGE_PUBREC, REC_BRIDGE_DONE, REC_LAST,
} from './state/records.js';
export { RecordFrames, decodeRecord, encodeRecord } from './state/record-codec.js';
