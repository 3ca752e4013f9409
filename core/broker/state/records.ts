// The change records of broker state (issue 15 §1, design.md §1 "State has one owner"). The
// state owner emits one record for each change of a session, subscription, queued or in-flight
// message, incoming QoS 2 id, will or retained message; a durable store keeps them (as bytes,
// record-codec.ts) and gives them back at start-up, and replaying them in order rebuilds that
// state. Records of one session name it by client id; a queued entry is named by its place in
// the session's queue, so records apply only in the order they were made.
//
// Every deadline in a record is wall-clock milliseconds (-1: none), never the port's nowMs:
// the clock a port hands the core may start again at 0 after a restart; wall-clock time
// carries on (the port gives the core the wall-clock time at load).

import type { Properties, QoS } from '../../codec/index.js';

/** A session for a client id begins (any session of that id before it is gone). */
export const REC_SESSION_CREATED = 1;
/** A client connected to its existing session (a delayed will waiting for it is cancelled [5:MQTT-3.1.3-9]). */
export const REC_SESSION_RESUMED = 2;
/** Its client went away; the session ends at `expiresAtMs` (wall clock; -1: never). */
export const REC_SESSION_OFFLINE = 3;
/** The session ended (expired, taken over with Clean Start, made room for another). */
export const REC_SESSION_ENDED = 4;
/** Its Session Expiry Interval changed (5.0 DISCONNECT, 5.0 §3.14.2.2.2). */
export const REC_EXPIRY_SET = 5;
export const REC_SUBSCRIBED = 6;
export const REC_UNSUBSCRIBED = 7;
/** An application message that queue and in-flight records refer to by `messageId`. */
export const REC_MESSAGE = 8;
/** A message joins the end of a session's queue. */
export const REC_QUEUED = 9;
/** The queued entry at `index` leaves the queue undelivered (dropped, expired, read refused). */
export const REC_UNQUEUED = 10;
/** The first queued entry goes out with `packetId` and is in flight [MQTT-4.3.2-1] [MQTT-4.3.3-1]. */
export const REC_SENT = 11;
/** A message goes out with `packetId` without having been queued. */
export const REC_INFLIGHT = 12;
/** An outgoing QoS 2 message got its PUBREC: only the PUBREL is left to send [MQTT-4.3.3-1]. */
export const REC_PUBREC_RECEIVED = 13;
/** An in-flight message is acknowledged (PUBACK, PUBCOMP, a PUBREC >= 0x80) or let go. */
export const REC_ACKED = 14;
/** An incoming QoS 2 packet id is held until its PUBREL [MQTT-4.3.3-2]. */
export const REC_QOS2_RECEIVED = 15;
export const REC_QOS2_RELEASED = 16;
/** The session's will: published when its connection ends abnormally (`atMs` -1), or at `atMs` (a 5.0 Will Delay). */
export const REC_WILL_SET = 17;
export const REC_WILL_CLEARED = 18;
export const REC_RETAINED_SET = 19;
export const REC_RETAINED_DELETED = 20;
/**
 * The will of a live connection whose session is not kept (3.x Clean Session 1, 5.0 Session
 * Expiry 0): published at the restart should the broker stop with the connection alive
 * [MQTT-3.1.2-8]; REC_WILL_CLEARED when the connection ends. No delay: such a session ends with
 * its connection, and its will goes out then (5.0 §3.1.3.2.2, whichever is first).
 */
export const REC_CONNECTION_WILL = 21;

/**
 * A bridge's outgoing QoS 1/2 message (core/bridge/queue-records.ts), number `seq` of bridge
 * `bridge`'s queue (from 1, never reused); the next three name it by that number.
 */
export const REC_BRIDGE_QUEUED = 22;
/** It is about to go to the upstream with `packetId` (stored before a QoS 2 PUBLISH goes out). */
export const REC_BRIDGE_SENT = 23;
/** The upstream sent PUBREC for it: only the PUBREL is left (stored before the PUBREL goes out). */
export const REC_BRIDGE_PUBREC = 24;
/** It left the bridge for good: acknowledged, refused or dropped. */
export const REC_BRIDGE_DONE = 25;

/** The largest record kind; decoding refuses anything above it. */
export const REC_LAST = 25;

/** The fields of an application message that survive a restart. */
export interface StoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: Properties | null;   // 5.0, as forwarded
  publisher: string;               // client id of the sender ('' for the broker), for No Local
  expiresAtMs: number;             // wall clock; -1: never
}

export interface SessionCreated { kind: 1; clientId: string; username: string | null; version: number; expiryMs: number }
export interface SessionResumed { kind: 2; clientId: string; username: string | null; version: number }
export interface SessionOffline { kind: 3; clientId: string; expiresAtMs: number }
export interface SessionEnded { kind: 4; clientId: string }
/** expiryMs: after the connection ends; 0: ends with it; -1: never. */
export interface ExpirySet { kind: 5; clientId: string; expiryMs: number }
export interface Subscribed {
  kind: 6; clientId: string;
  topicFilter: string;             // as subscribed, `$share/{name}/` included
  qos: QoS; noLocal: boolean; retainAsPublished: boolean; retainHandling: number;
  subscriptionId: number;          // 5.0 Subscription Identifier; 0: none
}
export interface Unsubscribed { kind: 7; clientId: string; topicFilter: string }
export interface MessageRecord { kind: 8; messageId: number; message: StoredMessage }
export interface Queued {
  kind: 9; clientId: string; messageId: number; qos: QoS; retain: boolean;
  subscriptionIds: number[] | null; shareKey: string;
}
export interface Unqueued { kind: 10; clientId: string; index: number }
export interface Sent { kind: 11; clientId: string; packetId: number }
export interface Inflight {
  kind: 12; clientId: string; messageId: number; packetId: number; qos: QoS; retain: boolean;
  subscriptionIds: number[] | null; shareKey: string;
}
export interface PubrecReceived { kind: 13; clientId: string; packetId: number }
export interface Acked { kind: 14; clientId: string; packetId: number }
export interface Qos2Received { kind: 15; clientId: string; packetId: number }
export interface Qos2Released { kind: 16; clientId: string; packetId: number }
/** delayMs: the 5.0 Will Delay Interval; atMs: -1 while the connection lives, else when it goes out (wall clock). */
export interface WillSet { kind: 17; clientId: string; message: StoredMessage; delayMs: number; atMs: number }
export interface WillCleared { kind: 18; clientId: string }
export interface RetainedSet { kind: 19; message: StoredMessage }
export interface RetainedDeleted { kind: 20; topic: string }
export interface ConnectionWill { kind: 21; clientId: string; username: string | null; version: number; message: StoredMessage }
export interface BridgeQueued { kind: 22; bridge: string; seq: number; message: StoredMessage }
export interface BridgeSent { kind: 23; bridge: string; seq: number; packetId: number }
export interface BridgePubrec { kind: 24; bridge: string; seq: number }
export interface BridgeDone { kind: 25; bridge: string; seq: number }

export type StateRecord = SessionCreated | SessionResumed | SessionOffline | SessionEnded | ExpirySet | Subscribed |
  Unsubscribed | MessageRecord | Queued | Unqueued | Sent | Inflight | PubrecReceived | Acked | Qos2Received |
  Qos2Released | WillSet | WillCleared | RetainedSet | RetainedDeleted | ConnectionWill | BridgeQueued | BridgeSent |
  BridgePubrec | BridgeDone;

/** What decodeRecord gives for bytes that are not a record: why, never a throw. */
export interface BadRecord { kind: 0; error: string }
