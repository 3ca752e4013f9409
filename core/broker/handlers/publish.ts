// PUBLISH from a client (5.0 §3.3.4, 3.1.1 §3.3.4): authorise, route to every matching
// session, then acknowledge: PUBACK for QoS 1, PUBREC for QoS 2 with exactly-once state.

import type { CodecError, Properties, PublishPacket } from '../../codec/index.js';
import { PUBACK, PUBREC, quote, RC_PAYLOAD_FORMAT_INVALID, RC_QOS_NOT_SUPPORTED, RC_RETAIN_NOT_SUPPORTED } from '../../codec/index.js';
import { payloadFormatValid } from './payload-format.js';
import type { Connection, Held } from '../connection.js';
import { ACTIVE } from '../connection.js';
import type { RoutingHost } from '../routing.js';
import type { Message } from '../message.js';
import { keep, releaseFrames, reuseMessage } from '../message.js';
import { faulted, hookFailed } from '../fault.js';
import type { FaultHost } from '../fault.js';
import { ROUTE_HOLD, route } from '../routing.js';
import { qos2Received } from '../state/owner.js';
import { acknowledge } from './acks-in.js';
import {
  MQTT_5, RC_NOT_AUTHORIZED, RC_PROTOCOL_ERROR, RC_QUOTA_EXCEEDED,
  RC_RECEIVE_MAXIMUM_EXCEEDED, RC_TOPIC_ALIAS_INVALID, RC_NO_MATCHING_SUBSCRIBERS, codecError, isThenable,
} from './common.js';
import { LOG_DENIED, LOG_DETAIL, LOG_LIMIT } from '../log-events.js';


export function onPublish(c: Connection, p: PublishPacket): CodecError | null {
  if ((__MQTT5__ && c.version === MQTT_5)) {
    const err = checkPublish5(c, p);
    if (err !== null) return err;
  }
  const session = c.session;
  if (session === null) return null;
  if (p.qos === 2) {
    const key = '' + p.packetId;
    // [MQTT-4.3.3-2] [5:MQTT-4.3.3-10] a repeat before PUBREL is acknowledged again, never delivered twice.
    const awaiting = session.awaitingRelease;
    if (awaiting !== null && awaiting.has(key)) {
      acknowledge(c, PUBREC, p.packetId, 0);
      return null;
    }
    if (awaiting !== null && awaiting.size >= c.broker.limits.maxInflightIn) {
      // 5.0 §3.3.4: more than our Receive Maximum unacknowledged is 0x93; 3.x has no code, so close.
      return codecError(RC_RECEIVE_MAXIMUM_EXCEEDED, '5:MQTT-3.3.4-9', 'more QoS 2 messages in flight than ' + c.broker.limits.maxInflightIn);
    }
  }
  const allowed = c.broker.hooks.authorizePublish(c, p.topic);
  if (!isThenable(allowed)) return accept(c, p, allowed);
  awaitAuthorization(c, p, allowed);
  return null;
}

/**
 * The authorizePublish hook answered with a Promise. Its callbacks are closures over `c` and
 * `p`, so they live here and not in onPublish: XS makes a function's closure environment as
 * it is entered, and onPublish would then allocate it for every message (2 slots).
 */
function awaitAuthorization(c: Connection, p: PublishPacket, allowed: PromiseLike<boolean>): void {
  c.waiting++;   // keep order: read nothing more until the application has answered
  c.broker.whenAnswered(c, allowed, function (ok: boolean) {
    c.waiting--;
    const err = accept(c, p, ok);
    if (err !== null) c.fail(err);
    else c.process();
  }, function (reason: unknown) {
    c.waiting--;
    hookFailed(c.broker, c, 'authorizePublish', reason, true);
  });
}

/**
 * The 5.0 rules of an incoming PUBLISH: Topic Alias resolved (and taken out of what is
 * forwarded), Maximum QoS and Retain Available enforced.
 */
function checkPublish5(c: Connection, p: PublishPacket): CodecError | null {
  const limits = c.broker.limits;
  const props = p.properties;
  // [5:MQTT-3.2.2-11] [5:MQTT-3.2.2-14] beyond what CONNACK announced: DISCONNECT 0x9B / 0x9A.
  if (p.qos > limits.maximumQoS) return codecError(RC_QOS_NOT_SUPPORTED, '5:MQTT-3.2.2-11', 'QoS ' + p.qos + ' above Maximum QoS ' + limits.maximumQoS);
  if (p.retain && !limits.retainAvailable) return codecError(RC_RETAIN_NOT_SUPPORTED, '5:MQTT-3.2.2-14', 'retained PUBLISH while Retain Available is 0');
  if (props === null) return null;
  // [5:MQTT-3.3.4-6] a client's PUBLISH carries no Subscription Identifier.
  if (props.subscriptionIdentifier !== undefined) return codecError(RC_PROTOCOL_ERROR, '5:MQTT-3.3.4-6', 'a Subscription Identifier in a PUBLISH from a client');
  const alias = props.topicAlias;
  if (alias === undefined) return null;
  // 5.0 §3.3.2.3.4: 1..Topic Alias Maximum, else DISCONNECT 0x94.
  if (alias > limits.topicAliasMaximum) return codecError(RC_TOPIC_ALIAS_INVALID, '5:MQTT-3.3.2-9', 'Topic Alias ' + alias + ' above our maximum ' + limits.topicAliasMaximum);
  if (c.topicAliases === null) c.topicAliases = [];
  if (p.topic.length > 0) {
    c.topicAliases[alias] = p.topic;           // set (or replace) the mapping
  } else {
    const topic = c.topicAliases[alias];
    // 5.0 §3.3.2.3.4: an alias never set on this connection is a Protocol Error.
    if (topic === undefined) return codecError(RC_PROTOCOL_ERROR, '5:§3.3.2.3.4', 'Topic Alias ' + alias + ' was never set');
    p.topic = topic;
  }
  // The alias belongs to this connection; subscribers get the topic itself.
  const forwarded: Properties = Object.assign({}, props);
  delete forwarded.topicAlias;
  p.properties = forwarded;
  return null;
}

function accept(c: Connection, p: PublishPacket, allowed: boolean): CodecError | null {
  const b = c.broker;
  if (c.session === null) return null;
  if (!allowed) {
    b.stats.denied++;
    b.log(c, 'PUBLISH to ' + quote(p.topic) + ' not authorized', LOG_DENIED);
    // 5.0 tells the client; 3.1.1 acknowledges and drops [4:MQTT-3.3.5-2].
    acknowledgePublish(c, p, RC_NOT_AUTHORIZED);
    return null;
  }
  // Only with properties (a Payload Format Indicator) is the payload read here: reading it
  // makes a view of the received bytes, which routing does without (codec/in-place-publish.ts).
  if (__MQTT5__ && p.properties !== null && !payloadFormatValid(b, p.payload, p.properties)) {
    // 5.0 §3.3.2.3.2: QoS 1/2 are refused with 0x99; a QoS 0 message is dropped (logged).
    b.log(c, 'PUBLISH to ' + quote(p.topic) + ' is marked UTF-8 and is not', LOG_DETAIL);
    acknowledgePublish(c, p, RC_PAYLOAD_FORMAT_INVALID);
    return null;
  }
  // The broker's spare message, if the last one was not kept: no allocation per message.
  const m = reuseMessage(b.spareMessage, p, c.clientId);
  b.spareMessage = null;
  holdForStore(b, c, m);
  const held = b.messageFramesHeld;
  const routed = b.route(m, c, false);
  let err: CodecError | null = null;
  if (routed >= 0) {
    err = afterRouting(c, p, routed);
  } else if (routed === ROUTE_HOLD) {
    // slowSubscriberPolicy 'hold': a subscriber's backlog is full. Hold this PUBLISH
    // unacknowledged and read nothing more from this client until there is room or
    // holdTimeoutMs has passed (inbound backpressure; the port stops reading).
    hold(b, c, p, m);
  } else {
    acknowledgePublish(c, p, RC_QUOTA_EXCEEDED);   // 5.0 §3.4.2.1: refused (retained store full), nothing taken
  }
  // Nothing kept it (no queue, in-flight window, retained store or hold): it is spare again,
  // and so are its frames if every transport they went to copied them.
  if (!m.kept) {
    b.spareMessage = m;
    if (b.messageFramesHeld === held) releaseFrames(m, b.framePool);
  }
  return err;
}

// [MQTT-4.3.3-2] on a durable store, an incoming QoS 2 message of a stored session reaches no
// one before this turn's batch (its packet id's record, below) is stored: else a crash loses
// the record, the publisher sends it again and subscribers get it twice (delivery.ts gateFor).
// QoS 1 needs no wait: what a crash lost its publisher sends again, in order [MQTT-4.6.0-1],
// a duplicate QoS 1 allows, and the log keeps a prefix of the batches.
function holdForStore(b: FaultHost, c: Connection, m: Message): void {
  const j = b.journal;
  m.heldFor = j !== null && m.qos === 2 && c.session !== null && c.session.stored ? j.turn : 0;
}

/**
 * The message is routed: acknowledge it (on a durable store, once the records routing made
 * are stored: handlers/acks-in.ts). 5.0 tells a publisher nobody subscribed (0x10, a success).
 */
export function afterRouting(c: Connection, p: PublishPacket, routed: number): CodecError | null {
  acknowledgePublish(c, p, routed === 0 && (__MQTT5__ && c.version === MQTT_5) ? RC_NO_MATCHING_SUBSCRIBERS : 0);
  return null;
}

function acknowledgePublish(c: Connection, p: PublishPacket, rc: number): void {
  const code = (__MQTT5__ && c.version === MQTT_5) ? rc : 0;
  if (p.qos === 1) {
    acknowledge(c, PUBACK, p.packetId, code);
  } else if (p.qos === 2) {
    // [5:MQTT-4.3.3-9] after a PUBREC >= 0x80 the id is free again; 3.x always holds it.
    if (code < 0x80 && c.session !== null) qos2Received(c.broker, c.session, p.packetId);
    acknowledge(c, PUBREC, p.packetId, code);
  }
}

/** What holding a publisher needs of the broker. */
export interface PublishHost extends RoutingHost {
  held: Held[];
  holding: boolean;                 // publishers have been held since one last found room (logged once)
  /** A deadline for retryHeld at `atMs`. */
  heldUntil(atMs: number): void;
}

/**
 * slowSubscriberPolicy 'hold': a publisher waits, unacknowledged and unread, until its
 * message has room (route() returned ROUTE_HOLD).
 */
export function hold(b: PublishHost, c: Connection, p: PublishPacket, m: Message): void {
  keep(m);
  c.waiting++;
  // Logged once until a held message finds room, not once per message held.
  if (!b.holding) b.log(c, 'held: a subscriber\'s backlog is full (slowSubscriberPolicy hold)', LOG_LIMIT);
  b.holding = true;
  b.held.push({ connection: c, packet: p, message: m, sinceMs: b.nowMs });
  b.heldUntil(b.nowMs + b.limits.holdTimeoutMs);
}

/**
 * Routes held messages that now fit; past holdTimeoutMs a held message is routed anyway
 * and the subscribers still full lose it (counted, by backlog.ts), so one stuck client
 * holds a publisher for holdTimeoutMs at most.
 */
export function retryHeld(b: PublishHost, timeouts: boolean): void {
  const list = b.held;
  for (let i = 0; i < list.length; i++) {
    const h = list[i];
    const c = h.connection;
    try {
      let routed = -1;
      if (c.state === ACTIVE) {
        holdForStore(b, c, h.message);
        routed = route(b, h.message, c, false);
        if (routed >= 0) b.holding = false;
        if (routed < 0 && timeouts && b.nowMs - h.sinceMs >= b.limits.holdTimeoutMs) routed = route(b, h.message, c, true);
        if (routed < 0) continue;
      }
      list.splice(i--, 1);
      if (c.state !== ACTIVE) continue;
      c.waiting--;
      const err = afterRouting(c, h.packet, routed);
      if (err !== null) c.fail(err);
      else c.process();
    } catch (e) {
      // That publisher only (fault.ts), and its message is not tried again.
      const j = list.indexOf(h);
      if (j >= 0) {
        list.splice(j, 1);
        if (j <= i) i--;
      }
      faulted(b, c, e);
    }
  }
}
