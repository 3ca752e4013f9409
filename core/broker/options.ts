// Broker options: every limit is an option, enforced before memory is spent. The defaults
// are small enough for a microcontroller (design.md §4); the Node port raises them.

import type { Store } from './store.js';

export interface BrokerOptions {
  maxConnections?: number;          // accepted clients at once; more are refused (CONNACK 0x89 / 0x03)
  maxPending?: number;              // connections that have not completed CONNECT; past it the oldest is closed
  maxPendingBytes?: number;         // bytes held broker-wide for CONNECTs (and AUTHs) of those, spanning reads
  maxConnectSize?: number;          // bytes, a whole CONNECT (or AUTH before CONNACK); refused on its fixed header
  maxPacketSize?: number;           // bytes, whole packet; advertised to 5.0 clients
  maxSubscriptionsPerClient?: number;
  maxInflight?: number;             // outgoing QoS 1/2 messages unacknowledged per client
  maxInflightIn?: number;           // incoming QoS 2 messages awaiting PUBREL per client (our Receive Maximum)
  maxQueued?: number;               // messages queued per session while offline or over the window
  maxQueuedBytes?: number;          // a session's backlog: topic + payload bytes queued, plus frames held unsent
  slowSubscriberPolicy?: SlowSubscriberPolicy;   // what a full backlog does (below)
  queueQoS0Offline?: boolean;       // keep QoS 0 messages for offline persistent sessions too
  dropOldestQoS0?: boolean;         // a full queue drops its oldest QoS 0 message to make room first
  maxOutboundBytes?: number;        // bytes queued in the core for a connection whose transport is full
  maxRetainedCount?: number;
  maxRetainedBytes?: number;        // payload + topic bytes of all retained messages
  maxTopicLevels?: number;
  maxClientIdLength31?: number;     // UTF-8 bytes; MQTT 3.1 allows 23; some clients send more
  connectTimeoutMs?: number;        // a connection that sends no CONNECT in time is closed
  maxSessionExpirySeconds?: number; // caps 5.0 Session Expiry; 3.1.1 persistent sessions use it too
  persistentSessionExpirySeconds?: number;  // a 3.x Clean Session 0 session ends this long after its client left (0xFFFFFFFF: never)
  maxSessions?: number;             // sessions of clients, online or not (default 2 x maxConnections); past it the one away longest ends
  maxOfflineBytes?: number;         // bytes queued broker-wide for sessions whose client is away
  sysIntervalMs?: number;           // $SYS/ publication interval; 0 turns $SYS off
  matchCacheSize?: number;          // topics whose costly subscriber list (4 or more, or shared) is cached (0: none); beside it each connection keeps its last topic's
  holdTimeoutMs?: number;           // policy 'hold': a held publisher goes on after this
  allowClientIdTakeover?: boolean;  // a CONNECT naming another identity's client id starts that id afresh
                                    // (false: refused, CONNACK 0x87 / 5; see Broker.mayOpenSession)
  slabSize?: number;                // encode outgoing frames into shared slabs of this size (0: plain allocation)
  // MQTT 5 features, advertised in CONNACK exactly as set here (5.0 §3.2.2.3).
  topicAliasMaximum?: number;       // client-to-server Topic Aliases accepted per connection (0: none)
  topicAliasesOut?: number;         // server-to-client aliases per connection, within the client's maximum (0: none);
                                    // each aliased PUBLISH is encoded for its receiver, so off by default
  maximumQoS?: number;              // 0, 1 or 2
  retainAvailable?: boolean;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;         // seconds; 0: use the client's Keep Alive. 5.0 only: told in CONNACK when it differs
  maxKeepAlive?: number;            // seconds; 0: none. The most Keep Alive a client may have (Keep Alive 0 is more than
                                    // any): a 5.0 client asking more is told Server Keep Alive = maxKeepAlive (5.0 §3.2.2.3.14)
  maxKeepAlivePolicy3x?: string;    // 3.1 / 3.1.1 cannot be told: 'accept' (default) serves such a client with its own
                                    // Keep Alive; 'refuse' answers CONNACK 0x02 and closes, as mosquitto >= 2.0.12 does
  serverReference?: string;         // non-empty: refuse CONNECTs with "Use another server" (0x9C) and this reference
  responseInformation?: string;     // sent to clients that ask for it (Request Response Information)
  validatePayloadFormat?: boolean;  // check UTF-8 of payloads marked Payload Format Indicator 1 (0x99 if not)
  store?: Store;                    // where state is made durable; default: memory only
  wallClockMs?: number;             // wall-clock time (ms since 1970) at createBroker's nowMs, for a durable store's
                                    // deadlines (session expiry, will delay, message expiry) across a restart;
                                    // default: nowMs itself (a port whose clock is the wall clock)
}

export interface Limits {
  maxConnections: number;
  maxPending: number;
  maxPendingBytes: number;
  maxConnectSize: number;
  maxPacketSize: number;
  maxSubscriptionsPerClient: number;
  maxInflight: number;
  maxInflightIn: number;
  maxQueued: number;
  maxQueuedBytes: number;
  slowSubscriberPolicy: SlowSubscriberPolicy;
  queueQoS0Offline: boolean;
  dropOldestQoS0: boolean;
  maxOutboundBytes: number;
  maxRetainedCount: number;
  maxRetainedBytes: number;
  maxTopicLevels: number;
  maxClientIdLength31: number;
  connectTimeoutMs: number;
  maxSessionExpirySeconds: number;
  persistentSessionExpirySeconds: number;
  maxSessions: number;
  maxOfflineBytes: number;
  sysIntervalMs: number;
  matchCacheSize: number;
  holdTimeoutMs: number;
  allowClientIdTakeover: boolean;
  slabSize: number;
  topicAliasMaximum: number;
  topicAliasesOut: number;
  maximumQoS: number;
  retainAvailable: boolean;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifiersAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
  serverKeepAlive: number;
  maxKeepAlive: number;
  maxKeepAlivePolicy3x: string;
  serverReference: string;
  responseInformation: string;
  validatePayloadFormat: boolean;
}

/**
 * What happens to a QoS 1/2 message for a subscriber whose backlog (maxQueued messages or
 * maxQueuedBytes) is full. Every choice but 'hold' lets the publisher and every other
 * subscriber go on at full speed (design.md §2); the message is lost only to that
 * subscriber, counted in $SYS and logged once per episode with its client id.
 * - 'dropNew': the new message is dropped for it (what mosquitto does);
 * - 'dropOldest': its oldest queued messages are dropped to make room (the newest are kept);
 * - 'disconnect': the new message is dropped and the client disconnected (5.0: DISCONNECT
 *   0x97 Quota exceeded); a persistent session keeps its queue for when it comes back;
 * - 'hold': for closed systems whose clients are all trusted: the publisher is held,
 *   unacknowledged and unread, until there is room or holdTimeoutMs has passed; then the
 *   message goes on and the full subscriber loses it ('dropNew').
 * An offline session's full queue drops its oldest messages under 'dropOldest', else the new one.
 */
export type SlowSubscriberPolicy = 'dropNew' | 'dropOldest' | 'disconnect' | 'hold';
export const SLOW_SUBSCRIBER_POLICIES: ReadonlyArray<string> = Object.freeze(['dropNew', 'dropOldest', 'disconnect', 'hold']);

function pick(v: number | undefined, fallback: number): number {
  return v === undefined ? fallback : v;
}

// A device's readings: the newest matter most, so the default keeps them (the Node port
// chooses 'dropNew', as mosquitto does). Never 'hold' by default (design.md §2).
function policy(v: SlowSubscriberPolicy | undefined): SlowSubscriberPolicy {
  if (v === undefined) return 'dropOldest';
  // A wrong option is the embedding program's mistake, found at start-up, not a client's.
  if (SLOW_SUBSCRIBER_POLICIES.indexOf(v) < 0) throw new Error('slowSubscriberPolicy must be one of ' + SLOW_SUBSCRIBER_POLICIES.join(', ') + ', got ' + v);
  return v;
}

// A build without $SYS (__SYS__ false: the Espruino bundles) refuses to be asked for it,
// rather than publishing nothing.
function sysInterval(v: number | undefined): number {
  const ms = pick(v, __SYS__ ? 10000 : 0);
  if (!__SYS__ && ms > 0) throw new Error('sysIntervalMs: this build has no $SYS topics (__SYS__ false), got ' + ms);
  return ms;
}

export function limitsFrom(o: BrokerOptions): Limits {
  return {
    maxConnections: pick(o.maxConnections, 16),
    maxPending: Math.max(1, pick(o.maxPending, 4)),
    maxPendingBytes: pick(o.maxPendingBytes, 8192),
    maxConnectSize: pick(o.maxConnectSize, 2048),
    maxPacketSize: pick(o.maxPacketSize, 8192),
    maxSubscriptionsPerClient: pick(o.maxSubscriptionsPerClient, 16),
    maxInflight: pick(o.maxInflight, 8),
    maxInflightIn: pick(o.maxInflightIn, 16),
    maxQueued: pick(o.maxQueued, 32),
    maxQueuedBytes: pick(o.maxQueuedBytes, 32768),
    slowSubscriberPolicy: policy(o.slowSubscriberPolicy),
    queueQoS0Offline: o.queueQoS0Offline === true,
    dropOldestQoS0: o.dropOldestQoS0 !== false,
    maxOutboundBytes: pick(o.maxOutboundBytes, 16384),
    maxRetainedCount: pick(o.maxRetainedCount, 64),
    maxRetainedBytes: pick(o.maxRetainedBytes, 16384),
    maxTopicLevels: pick(o.maxTopicLevels, 16),
    maxClientIdLength31: pick(o.maxClientIdLength31, 23),
    connectTimeoutMs: pick(o.connectTimeoutMs, 10000),
    maxSessionExpirySeconds: pick(o.maxSessionExpirySeconds, 0xffffffff),
    persistentSessionExpirySeconds: pick(o.persistentSessionExpirySeconds, 3600),
    // Twice the clients: room for as many sessions away as online (clean ones count while online).
    maxSessions: Math.max(1, pick(o.maxSessions, 2 * pick(o.maxConnections, 16))),
    maxOfflineBytes: pick(o.maxOfflineBytes, 8192),
    sysIntervalMs: sysInterval(o.sysIntervalMs),
    matchCacheSize: pick(o.matchCacheSize, 64),
    holdTimeoutMs: pick(o.holdTimeoutMs, 1000),
    allowClientIdTakeover: o.allowClientIdTakeover === true,
    slabSize: pick(o.slabSize, 0),
    topicAliasMaximum: pick(o.topicAliasMaximum, 8),
    topicAliasesOut: pick(o.topicAliasesOut, 0),
    maximumQoS: pick(o.maximumQoS, 2),
    retainAvailable: o.retainAvailable !== false,
    wildcardSubscriptionAvailable: o.wildcardSubscriptionAvailable !== false,
    subscriptionIdentifiersAvailable: o.subscriptionIdentifiersAvailable !== false,
    sharedSubscriptionAvailable: o.sharedSubscriptionAvailable !== false,
    serverKeepAlive: pick(o.serverKeepAlive, 0),
    maxKeepAlive: pick(o.maxKeepAlive, 0),
    maxKeepAlivePolicy3x: o.maxKeepAlivePolicy3x === 'refuse' ? 'refuse' : 'accept',
    serverReference: o.serverReference === undefined ? '' : o.serverReference,
    responseInformation: o.responseInformation === undefined ? '' : o.responseInformation,
    validatePayloadFormat: o.validatePayloadFormat !== false,
  };
}
