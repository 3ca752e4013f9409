// Session state (5.0 §4.1, 3.1.1 §4.1): what outlives a connection when the client asked
// for it. Plain data; the rules that change it live in the handlers and in deliver.ts.

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
}

/**
 * The QoS 1/2 messages in flight to a client, oldest first [MQTT-4.6.0-1]. Acknowledgements
 * mostly come in the order sent, so the oldest leaves by moving a head index, not the other
 * entries: an array's shift() moves them all when it has up to 100 (V8), each move of a new
 * entry into an old array through the garbage collector's write barrier, and a window is
 * 100 by default. The entries left behind are dropped in one go once they are half the array.
 */
export class InflightList {
  private items: Outgoing[];
  private head: number;

  constructor(items: Outgoing[]) {
    this.items = items;
    this.head = 0;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** The i-th oldest (0: the oldest). */
  item(i: number): Outgoing {
    return this.items[this.head + i];
  }

  push(o: Outgoing): void {
    this.items.push(o);
  }

  removeAt(i: number): void {
    if (i > 0) {
      this.items.splice(this.head + i, 1);
      return;
    }
    this.items[this.head] = LEFT;   // holds no message alive
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

// What an acknowledged entry's slot holds until the slots before the head are dropped.
// Frozen: nothing writes to it, and the Moddable linker keeps frozen objects in flash.
const LEFT: Outgoing = Object.freeze({
  packetId: 0, qos: 0, retain: false, message: null as unknown as Message, state: -1, sent: true,
  subscriptionIds: null, shareKey: '',
});

export interface Queued {
  message: Message;
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[] | null;
  shareKey: string;
  bytes: number;            // counted in queuedBytes, and maxOfflineBytes while the client is away (backlog.ts queuedSize)
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
 * `if (s.queue === NONE) s.queue = [];`. Frozen, so a push that forgot throws (on V8 and XS).
 */
export const NONE = Object.freeze([]) as unknown as never[];

/**
 * The in-flight list every session shares until it sends a QoS 1/2 message: over NONE, so
 * a push that forgot to swap in `new InflightList([])` throws, as for NONE.
 */
export const NO_INFLIGHT = Object.freeze(new InflightList(NONE)) as InflightList;

export class Session implements Timed {
  clientId: string;
  connection: Connection | null;
  subscriptions: Map<string, Subscriber> | null;   // by topic filter; made on first use
  subscriptionCount: number;
  inflight: InflightList;                   // in the order sent [MQTT-4.6.0-1]; NO_INFLIGHT until used
  queue: Queued[];                          // waiting for the window or for the client to return; NONE until used
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
    this.queue = NONE;
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
