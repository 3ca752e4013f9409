// The bridge's outgoing queue kept through the broker's store when persistence is on (issue
// 16 §2): a QoS 1/2 message the bridge queues for its upstream is a REC_BRIDGE_QUEUED record,
// the packet id it goes out with a REC_BRIDGE_SENT, a QoS 2 PUBREC a REC_BRIDGE_PUBREC, and
// its end (acknowledged, refused, dropped) a REC_BRIDGE_DONE (core/broker/state/records.ts).
// The records go into the broker's journal with the broker's own, so a local publisher's
// PUBACK waits for the record of the bridge's copy too. At start-up the broker gives each
// bridge its records back (Broker.takeBridgeRecords) and restore() rebuilds the client's
// queue and window from them: a restart loses nothing the broker acknowledged, and what was
// in flight goes again with its packet id and DUP (PUBREL where PUBREC had come) on the
// resumed upstream session. Snapshots (compaction) ask snapshot() for the live ones.
//
// QoS 2 exactly once across a crash also needs the order on the wire: the SENT record is
// stored before its PUBLISH goes out and the PUBREC record before the PUBREL (the bridge holds
// those frames in its Gate until then). Otherwise a restart could send as new a message the
// upstream already has, or PUBLISH again one it has already released: a duplicate either way.
// QoS 1 frames do not wait: a resend under a new packet id is a duplicate QoS 1 allows.

import type { Broker, MqttClient, OutMessage, StateRecord, StoredMessage } from '../index.js';
import type { Transport } from '../index.js';
import { OUT_AWAIT_PUBACK, OUT_AWAIT_PUBCOMP, OUT_AWAIT_PUBREC } from '../index.js';
import { Gate } from './gate.js';

// The record kinds REC_BRIDGE_* of core/broker/state/records.ts, by value: a device's bridge
// bundle carries the codec and the client role but no broker (build.mjs, bridgeCore), and these
// must not pull it in. test/unit/bridge-durable.test.ts checks that they agree.
export const REC_BRIDGE_QUEUED = 22, REC_BRIDGE_SENT = 23, REC_BRIDGE_PUBREC = 24, REC_BRIDGE_DONE = 25;

/** One message as the records left it. */
interface Saved {
  seq: number;
  message: StoredMessage;
  packetId: number;            // 0: not sent yet
  pubrec: boolean;
  done: boolean;
}

export class QueueRecords {
  broker: Broker;
  name: string;
  seqOf: Map<string, number>;  // client token -> seq, for the messages it holds
  nextSeq: number;

  constructor(broker: Broker, name: string) {
    this.broker = broker;
    this.name = name;
    this.seqOf = new Map();
    this.nextSeq = 1;
  }

  /** The bridge's new connection behind a gate (gate.ts), for the frames that wait for a record. */
  gate(transport: Transport): Gate {
    return new Gate(transport);
  }

  /** A QoS 1/2 message entered the client's queue under `token`. */
  queued(m: OutMessage): void {
    const seq = this.nextSeq++;
    this.seqOf.set('' + m.token, seq);
    this.broker.record({ kind: REC_BRIDGE_QUEUED, bridge: this.name, seq: seq, message: this.stored(m) });
  }

  /** Its PUBLISH is about to go out with `packetId`; false when the message is not one of ours (QoS 0). */
  sent(token: number, packetId: number): boolean {
    const seq = this.seqOf.get('' + token);
    if (seq === undefined) return false;
    this.broker.record({ kind: REC_BRIDGE_SENT, bridge: this.name, seq: seq, packetId: packetId });
    return true;
  }

  /** Its PUBREC came; the PUBREL is about to go out. */
  pubrec(token: number): boolean {
    const seq = this.seqOf.get('' + token);
    if (seq === undefined) return false;
    this.broker.record({ kind: REC_BRIDGE_PUBREC, bridge: this.name, seq: seq });
    return true;
  }

  /** It left the client for good. */
  done(token: number): void {
    const key = '' + token;
    const seq = this.seqOf.get(key);
    if (seq === undefined) return;
    this.seqOf.delete(key);
    this.broker.record({ kind: REC_BRIDGE_DONE, bridge: this.name, seq: seq });
  }

  /**
   * This bridge's records from those the broker loaded (the others stay there for theirs, and
   * go into snapshots as they are), and from now on its live queue goes into every snapshot.
   */
  take(c: MqttClient): StateRecord[] {
    const b = this.broker;
    const mine: StateRecord[] = [];
    const rest: StateRecord[] = [];
    for (let i = 0; i < b.bridgeRecords.length; i++) {
      const r = b.bridgeRecords[i];
      if ((r.kind === REC_BRIDGE_QUEUED || r.kind === REC_BRIDGE_SENT || r.kind === REC_BRIDGE_PUBREC || r.kind === REC_BRIDGE_DONE) && r.bridge === this.name) mine.push(r);
      else rest.push(r);
    }
    b.bridgeRecords = rest;
    const self = this;
    b.bridgeSnapshots.push(function (put: (r: StateRecord) => void) { self.snapshot(c, put); });
    return mine;
  }

  /**
   * The records of this bridge from the store, folded into the client's queue and window in
   * the order they were queued: the ones that had a packet id enter the window with it.
   */
  restore(records: StateRecord[], c: MqttClient): number {
    const list: Saved[] = [];
    const bySeq = new Map<string, Saved>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r.kind === REC_BRIDGE_QUEUED) {
        const s: Saved = { seq: r.seq, message: r.message, packetId: 0, pubrec: false, done: false };
        bySeq.set('' + r.seq, s);
        list.push(s);
        if (r.seq >= this.nextSeq) this.nextSeq = r.seq + 1;
        continue;
      }
      if (r.kind !== REC_BRIDGE_SENT && r.kind !== REC_BRIDGE_PUBREC && r.kind !== REC_BRIDGE_DONE) continue;
      const s = bySeq.get('' + r.seq);
      if (s === undefined) continue;
      if (r.kind === REC_BRIDGE_SENT) {
        s.packetId = r.packetId;
        s.pubrec = false;
      } else if (r.kind === REC_BRIDGE_PUBREC) s.pubrec = true;
      else {
        s.done = true;
        bySeq.delete('' + r.seq);
      }
    }
    let n = 0;
    // In flight first (in the order they were queued, which is the order they went out), then the rest.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        if (s.done || (pass === 0) !== (s.packetId !== 0)) continue;
        const m = s.message;
        const token = restoreOne(c, m, s.packetId, s.pubrec, this.wallToNow(m.expiresAtMs));
        this.seqOf.set('' + token, s.seq);
        n++;
      }
    }
    return n;
  }

  /** A message as a record keeps it: its expiry on the wall clock (records.ts). */
  stored(m: OutMessage): StoredMessage {
    const j = this.broker.journal;
    return { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, properties: m.properties, publisher: '',
      expiresAtMs: j === null ? -1 : j.toWall(m.expiresAtMs) };
  }

  wallToNow(ms: number): number {
    const j = this.broker.journal;
    return j === null ? -1 : j.fromWall(ms);
  }

  /** The records that rebuild the queue as it is now (a snapshot). */
  snapshot(c: MqttClient, put: (r: StateRecord) => void): void {
    const o = c.outgoing;
    const self = this;
    const one = function (m: OutMessage, packetId: number, pubrec: boolean): void {
      const seq = self.seqOf.get('' + m.token);
      if (seq === undefined) return;
      put({ kind: REC_BRIDGE_QUEUED, bridge: self.name, seq: seq, message: self.stored(m) });
      if (packetId !== 0) put({ kind: REC_BRIDGE_SENT, bridge: self.name, seq: seq, packetId: packetId });
      if (pubrec) put({ kind: REC_BRIDGE_PUBREC, bridge: self.name, seq: seq });
    };
    for (let i = 0; i < o.inflight.length; i++) {
      const m = o.inflight[i];
      one(m, m.packetId, m.state === OUT_AWAIT_PUBCOMP);
    }
    for (let i = o.head; i < o.queue.length; i++) {
      const m = o.queue[i];
      one(m, 0, false);
    }
  }
}

/**
 * One message back in the client before its first connect: in flight with `packetId` (its
 * PUBLISH goes again with DUP on a resumed session, or its PUBREL when `pubrec`), or queued
 * when it had none (or the id is taken). Returns its token.
 */
function restoreOne(c: MqttClient, s: StoredMessage, packetId: number, pubrec: boolean, expiresAtMs: number): number {
  const o = c.outgoing;
  const m = o.make(s.topic, s.payload, s.qos, s.retain, s.properties);
  m.expiresAtMs = expiresAtMs;
  if (packetId > 0 && s.qos > 0 && c.ids.use(packetId)) {
    o.bytes += m.bytes;   // as push() counts a queued one
    o.enter(m, packetId, s.qos === 1 ? OUT_AWAIT_PUBACK : pubrec ? OUT_AWAIT_PUBCOMP : OUT_AWAIT_PUBREC);
  } else o.push(m);
  return m.token;
}

/**
 * The queues of bridges the port no longer has (taken out of its configuration): the port
 * calls this once it has made every bridge it has. Their messages have nowhere to go, so each
 * one still queued is ended with a DONE record (a bridge added again under that name later does
 * not get them back, and the next snapshot carries none of them), and the port is told how
 * many each bridge lost, to log it.
 */
export function dropUnclaimed(broker: Broker): Array<{ bridge: string; messages: number }> {
  const live = new Map<string, StateRecord>();   // 'name seq' -> its QUEUED record
  const rs = broker.bridgeRecords;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    if (r.kind === REC_BRIDGE_QUEUED) live.set(r.bridge + ' ' + r.seq, r);
    else if (r.kind === REC_BRIDGE_DONE) live.delete(r.bridge + ' ' + r.seq);
  }
  broker.bridgeRecords = [];
  const out: Array<{ bridge: string; messages: number }> = [];
  const byName = new Map<string, { bridge: string; messages: number }>();
  live.forEach(function (r) {
    if (r.kind !== REC_BRIDGE_QUEUED) return;
    broker.record({ kind: REC_BRIDGE_DONE, bridge: r.bridge, seq: r.seq });
    let n = byName.get(r.bridge);
    if (n === undefined) {
      n = { bridge: r.bridge, messages: 0 };
      byName.set(r.bridge, n);
      out.push(n);
    }
    n.messages++;
  });
  if (out.length > 0) broker.flush();
  return out;
}
