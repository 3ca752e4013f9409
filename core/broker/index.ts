// The broker core: one sans-I/O engine that every port drives with bytes, a writable
// signal and a clock.
export { Broker, LocalSubscription, createBroker } from './broker.js';
export type { AuthAnswer, Hooks, Stats } from './broker.js';
export { Connection } from './connection.js';
export type { Transport } from './connection.js';
export type { BrokerOptions, Limits, SlowSubscriberPolicy } from './options.js';
export { SLOW_SUBSCRIBER_POLICIES } from './options.js';
export type { Message } from './message.js';
export { Session } from './session.js';
export type { Store } from './store.js';
export { MEMORY_STORE } from './store.js';
export { DROP_CAUSES } from './drops.js';
