// Outgoing Application Messages of the client: the queue of those waiting (while the
// server is unreachable, or the window is full) and the in-flight window of QoS 1/2 ones
// sent and not yet acknowledged. Both are bounded (maxQueued messages; maxQueuedBytes for
// everything held); when a new message finds them full, queued QoS 0 messages go first,
// then the oldest queued ones, each counted. This is the client's part of the session
// state (5.0 §4.1): it outlives a network connection.

import type { Properties, QoS } from '../codec/index.js';
import { utf8Length } from '../codec/index.js';

// Where an outgoing message is in its exchange.
export const QUEUED = 0, AWAIT_PUBACK = 1, AWAIT_PUBREC = 2, AWAIT_PUBCOMP = 3;

/** What a queued message costs beyond its topic and payload (an estimate of the entry). */
export const ENTRY_BYTES = 80;

export interface OutMessage {
  token: number;               // the application's handle, in the order of publish()
  topic: string;
  payload: Uint8Array;         // the client's own copy
  qos: QoS;
  retain: boolean;
  properties: Properties | null;
  packetId: number;            // 0 until it enters the window
  state: number;
  sent: boolean;               // written on the current connection (else resent on the next)
  bytes: number;               // counted against maxQueuedBytes
  expiresAtMs: number;         // 5.0 Message Expiry Interval as a deadline; -1: never
}

export class Outgoing {
  inflight: OutMessage[];      // in the order first sent [MQTT-4.6.0-1]
  byId: Map<string, OutMessage>;   // the same, by packet id
  queue: OutMessage[];         // waiting, oldest first, from `head` on
  head: number;
  bytes: number;               // of both
  inflightBytes: number;       // of the window alone
  queuedQoS0: number;          // QoS 0 messages in the queue (dropped first when it is full)
  private nextToken: number;

  constructor() {
    this.inflight = [];
    this.byId = new Map();
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    this.inflightBytes = 0;
    this.queuedQoS0 = 0;
    this.nextToken = 1;
  }

  queued(): number {
    return this.queue.length - this.head;
  }

  /** A new message, owned by the queue (the payload is copied). */
  make(topic: string, payload: Uint8Array, qos: QoS, retain: boolean, properties: Properties | null): OutMessage {
    const copy = new Uint8Array(payload.length);
    copy.set(payload, 0);
    return { token: this.nextToken++, topic: topic, payload: copy, qos: qos, retain: retain, properties: properties,
      packetId: 0, state: QUEUED, sent: false, bytes: utf8Length(topic) + payload.length + ENTRY_BYTES, expiresAtMs: -1 };
  }

  push(m: OutMessage): void {
    this.queue.push(m);
    this.bytes += m.bytes;
    if (m.qos === 0) this.queuedQoS0++;
  }

  /** Puts messages back in front of the queue, in their order (a session the server lost). */
  requeueFront(list: OutMessage[]): void {
    for (let i = 0; i < list.length; i++) if (list[i].qos === 0) this.queuedQoS0++;
    const rest = this.queue.slice(this.head);
    this.queue = list.concat(rest);
    this.head = 0;
  }

  peek(): OutMessage | null {
    return this.head < this.queue.length ? this.queue[this.head] : null;
  }

  /** Takes the oldest queued message out (it goes in flight, or is sent at QoS 0). */
  shift(): OutMessage {
    const m = this.queue[this.head++];   // left in the array until compacted below
    if (m.qos === 0) this.queuedQoS0--;
    if (this.head > 32 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return m;
  }

  /** A message leaves for good (completed, refused or dropped): its bytes are freed. */
  forget(m: OutMessage): void {
    this.bytes -= m.bytes;
  }

  /**
   * Makes room for `m`: drops queued QoS 0 messages, then the oldest queued ones, until it
   * fits within `maxQueued` and `maxQueuedBytes`. Returns what was dropped (the caller counts
   * each and frees its bytes with forget()), or null when even an empty queue leaves no room
   * (the in-flight window holds the bytes): then `m` itself is refused.
   */
  makeRoom(m: OutMessage, maxQueued: number, maxQueuedBytes: number): OutMessage[] | null {
    if (this.inflightBytes + m.bytes > maxQueuedBytes || maxQueued < 1) return null;
    const dropped: OutMessage[] = [];
    if (this.queued() < maxQueued && this.bytes + m.bytes <= maxQueuedBytes) return dropped;
    let need = this.bytes + m.bytes - maxQueuedBytes;
    let count = this.queued() + 1 - maxQueued;
    if (this.queuedQoS0 === 0) {
      // Only QoS 1/2 queued: the oldest go, from the head (a full queue under a flood costs
      // each new message only what it pushes out).
      while ((need > 0 || count > 0) && this.queued() > 0) {
        const q = this.shift();
        dropped.push(q);
        need -= q.bytes;
        count--;
      }
      return dropped;
    }
    // QoS 0 first (they may be lost anyway), oldest first.
    const keep: OutMessage[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (q.qos === 0 && (need > 0 || count > 0)) {
        dropped.push(q);
        need -= q.bytes;
        count--;
      } else keep.push(q);
    }
    let k = 0;
    while ((need > 0 || count > 0) && k < keep.length) {
      const q = keep[k++];
      dropped.push(q);
      need -= q.bytes;
      count--;
    }
    this.queue = keep.slice(k);
    this.head = 0;
    this.queuedQoS0 = 0;
    for (let i = 0; i < this.queue.length; i++) if (this.queue[i].qos === 0) this.queuedQoS0++;
    return dropped;
  }

  /** `m`, with its packet id, enters the window. */
  enter(m: OutMessage, packetId: number, state: number): void {
    m.packetId = packetId;
    m.state = state;
    this.inflight.push(m);
    this.inflightBytes += m.bytes;
    this.byId.set('' + packetId, m);
  }

  /** The in-flight entry with `packetId`, or null. */
  find(packetId: number): OutMessage | null {
    const m = this.byId.get('' + packetId);
    return m === undefined ? null : m;
  }

  /** Takes `m` out of the window (it completed, or the server lost the session). */
  leave(m: OutMessage): void {
    const i = this.inflight.indexOf(m);   // usually 0: acknowledgements come in order
    if (i >= 0) {
      this.inflight.splice(i, 1);
      this.inflightBytes -= m.bytes;
    }
    this.byId.delete('' + m.packetId);
    m.packetId = 0;
  }
}
