// Session state (5.0 §4.1, 3.1.1 §4.1): what outlives a connection when the client asked
// for it. Plain data; every change of it is made by its one owner, state/owner.ts, which also
// records the change for a durable store.

import type { QoS } from '../codec/index.js';
import type { Message } from './message.js';
import type { Connection } from './connection.js';
import type { Timed } from './deadlines.js';
import { DUE_SESSION } from './deadlines.js';

export interface Subscriber {
  session: Session;
  topicFilter: string;      // the filter matched against topics ($share/{name}/ taken off)
  qos: QoS;                 // granted maximum QoS
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionIds: number[] | null;   // 5.0 Subscription Identifier(s) to send with each match
  shareName: string;        // 5.0 shared subscription group ('' for an ordinary subscription)
}

// An outgoing QoS 1/2 message in flight [MQTT-4.3.2-1] [MQTT-4.3.3-1].
export const AWAIT_PUBACK = 0, AWAIT_PUBREC = 1, AWAIT_PUBCOMP = 2;
export interface Outgoing {
  packetId: number;
  qos: QoS;
  retain: boolean;
  message: Message;
  state: number;
  sent: boolean;          // sent on the current connection (false: waits to be resent on resume)
  subscriptionIds: number[] | null;
  shareKey: string;       // the shared subscription it came through ('' for none)
  recorded: boolean;      // the store has its records (state/owner.ts: a store may leave out a connected client's)
}

/**
 * A list that mostly loses its oldest entry: a session's QoS 1/2 messages in flight, oldest
 * first [MQTT-4.6.0-1] (acknowledgements mostly come in the order sent), and its queue (drained
 * from the front). The oldest leaves by moving a head index, not the other entries: an array's
 * shift() moves them all (V8 from about 100 entries; 20,000 queued messages drained by shift()
 * took 2.5 s on Node 20, 100,000 took a minute), each move of a new entry into an old array
 * through the garbage collector's write barrier. The slots left behind hold `left`, so no
 * message stays alive, and are dropped in one go once they are half the array.
 */
export class HeadList<T> {
  private items: T[];
  private head: number;
  private left: T;

  constructor(items: T[], left: T) {
    this.items = items;
    this.head = 0;
    this.left = left;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** The i-th oldest (0: the oldest). */
  item(i: number): T {
    return this.items[this.head + i];
  }

  push(o: T): void {
    this.items.push(o);
  }

  removeAt(i: number): void {
    if (i > 0) {
      this.items.splice(this.head + i, 1);
      return;
    }
    this.items[this.head] = this.left;   // holds no message alive
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 16 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}

export type InflightList = HeadList<Outgoing>;
export type QueueList = HeadList<Queued>;

// What an acknowledged entry's slot holds until the slots before the head are dropped.
// Frozen: nothing writes to it, and the Moddable linker keeps frozen objects in flash.
const LEFT: Outgoing = Object.freeze({
  packetId: 0, qos: 0, retain: false, message: null as unknown as Message, state: -1, sent: true,
  subscriptionIds: null, shareKey: '', recorded: false,
});

/** A new, empty in-flight list of a session's own. */
export function newInflight(): InflightList {
  return new HeadList<Outgoing>([], LEFT);
}

export interface Queued {
  message: Message;
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[] | null;
  shareKey: string;
  bytes: number;            // counted in queuedBytes, and maxOfflineBytes while the client is away (backlog.ts queuedSize)
}

// What a dequeued entry's slot holds until the slots before the head are dropped.
const LEFT_QUEUED: Queued = Object.freeze({
  message: null as unknown as Message, qos: 0, retain: false, subscriptionIds: null, shareKey: '', bytes: 0,
});

/** A new, empty queue of a session's own. */
export function newQueue(): QueueList {
  return new HeadList<Queued>([], LEFT_QUEUED);
}

/**
 * What one queued message counts: its topic and payload bytes and 80 for the entry itself
 * (one entry measured 86 bytes on Node 20, 100,000 of them). Counted per queue, even where
 * sessions share one copy of a message: the bound is on what the clients would be sent.
 */
export const QUEUED_ENTRY_BYTES = 80;

/**
 * The empty list every idle session and connection shares until it has something to hold
 * (most never do, and an array is 32 bytes before its first element on V8). Reading works
 * as for any empty array; code that adds must first swap in an array of its own:
 * `if (c.outbound === NONE) c.outbound = [];`. Frozen, so a push that forgot throws (on V8 and XS).
 */
export const NONE = Object.freeze([]) as unknown as never[];

/**
 * The in-flight list every session shares until it sends a QoS 1/2 message: over NONE, so
 * a push that forgot to swap in `newInflight()` throws, as for NONE.
 */
export const NO_INFLIGHT = Object.freeze(new HeadList<Outgoing>(NONE, LEFT)) as InflightList;

/** The queue every session shares until something is queued for it: over NONE, as NO_INFLIGHT. */
export const NO_QUEUE = Object.freeze(new HeadList<Queued>(NONE, LEFT_QUEUED)) as QueueList;

export class Session implements Timed {
  clientId: string;
  connection: Connection | null;
  subscriptions: Map<string, Subscriber> | null;   // by topic filter; made on first use
  subscriptionCount: number;
  inflight: InflightList;                   // in the order sent [MQTT-4.6.0-1]; NO_INFLIGHT until used
  queue: QueueList;                         // waiting for the window or for the client to return; NO_QUEUE until used
  dropped: number;                          // messages to it let go of undelivered, ever, by any cause (drops.ts)
  overflowFrom: number;                     // `dropped` when its backlog last filled up; -1: it has room
  awaitingRelease: Map<string, boolean> | null;    // incoming QoS 2 ids awaiting PUBREL [MQTT-4.3.3-2]; made on first use
  nextPacketId: number;
  idsWrapped: boolean;                      // nextPacketId has passed 65535 once
  unsent: number;                           // in-flight entries with sent false (resend() has work)
  expiryMs: number;                         // after the connection ends; 0: ends with it; -1: never
  expiresAtMs: number;                      // when disconnected; -1 while connected or never
  version: number;                          // protocol version of the last connection
  username: string | null;                  // the identity that made it (null: anonymous); see Broker.mayOpenSession
  local: ((m: Message) => void) | null;     // an in-process subscriber (Broker.subscribe)
  will: Message | null;                     // 5.0: a will waiting for its Will Delay Interval
  willFrom: Connection | null;              // the connection it belonged to (for authorisation)
  willAtMs: number;
  dueAtMs: number;                          // this session's entry in the broker's deadlines (deadlines.ts)
  dueSlot: number;
  dueKind: number;
  queuedBytes: number;                      // the queue's Queued.bytes, summed
  // While the client is away: the broker's chain of offline sessions, the longest away first.
  older: Session | null;
  newer: Session | null;
  linked: boolean;
  stored: boolean;                          // a durable store keeps its records (state/owner.ts)

  constructor(clientId: string) {
    this.clientId = clientId;
    this.connection = null;
    this.subscriptions = null;   // an idle connection costs no Map until it subscribes
    this.subscriptionCount = 0;
    this.inflight = NO_INFLIGHT;   // made on first use, like the maps
    this.queue = NO_QUEUE;
    this.dropped = 0;
    this.overflowFrom = -1;
    this.awaitingRelease = null;
    this.nextPacketId = 1;
    this.idsWrapped = false;
    this.unsent = 0;
    this.expiryMs = 0;
    this.expiresAtMs = -1;
    this.version = 4;
    this.username = null;
    this.local = null;
    this.will = null;
    this.willFrom = null;
    this.willAtMs = 0;
    this.dueAtMs = -1;
    this.dueSlot = -1;
    this.dueKind = DUE_SESSION;
    this.queuedBytes = 0;
    this.older = null;
    this.newer = null;
    this.linked = false;
    this.stored = false;
  }
}

/** A non-zero Packet Identifier not in use towards this client [MQTT-2.2.1-4]. */
export function allocatePacketId(s: Session): number {
  for (;;) {
    const id = s.nextPacketId;
    s.nextPacketId = id === 0xffff ? 1 : id + 1;
    if (id === 0xffff) s.idsWrapped = true;
    // Ids count up from 1, so before they first wrap around none can still be in use.
    if (!s.idsWrapped || findOutgoing(s, id) < 0) return id;
  }
}

export function findOutgoing(s: Session, packetId: number): number {
  const list = s.inflight;
  for (let i = 0; i < list.length; i++) if (list.item(i).packetId === packetId) return i;
  return -1;
}
