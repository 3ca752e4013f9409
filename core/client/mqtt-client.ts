// The client role: the other side of the wire, for a bridge to a bigger broker and for the
// probe. Sans-I/O like the server side (design.md §1): the port opens the socket and calls
// connect(transport, nowMs), feeds receive(chunk, nowMs), writable(nowMs) and closed(nowMs),
// and arms one timer for nextDeadline() that calls timeout(nowMs). One MqttClient is one
// session: it outlives its network connections, and a port reconnects by calling connect()
// again with a new transport; what was in flight is resent [MQTT-4.4.0-1].
//
// Whatever goes wrong on a connection (a malformed packet, a packet in the wrong state, one
// too large, a silent server, an exception under an entry point) ends that connection with
// a CodecError value given to events.closed; no exception leaves the core.

import type { CodecError, Packet, Properties, PublishPacket, QoS, Subscription } from '../codec/index.js';
import {
  CONNECT, DISCONNECT, Decoder, MQTT_5, PUBLISH, PUBREL, RC_IMPLEMENTATION_SPECIFIC_ERROR, RC_KEEP_ALIVE_TIMEOUT,
  RC_PACKET_TOO_LARGE, RC_QUOTA_EXCEEDED, SUBSCRIBE, UNSUBSCRIBE, codecError, disconnectReasonCode,
  encode, encodeUtf8, isValidTopicName, quote,
} from '../codec/index.js';
import { propertiesLength } from '../codec/properties.js';
import { varintLength } from '../codec/writer.js';
import type { Transport } from '../broker/connection.js';
import type { ClientLimits, ClientOptions, ClientWill } from './options.js';
import { clientLimitsFrom } from './options.js';
import type { OutMessage } from './outgoing.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, ENTRY_BYTES, Outgoing } from './outgoing.js';
import { PacketIds } from './packet-ids.js';
import { handle } from './dispatch.js';
import { nextClientDeadline, pingDeadline } from './deadlines.js';


/** What the application is told. Every callback runs inside an entry point's call. */
export interface ClientEvents {
  /** CONNACK 0 arrived. `sessionPresent` false: the server kept nothing (resubscribe). */
  connected(c: MqttClient, sessionPresent: boolean, properties: Properties | null): void;
  /** An Application Message from the server; the payload is a view: copy it to keep it. */
  message(c: MqttClient, p: PublishPacket): void;
  /** A published message left for good: acknowledged (rc < 0x80), refused by the server, or dropped here (rc, counted). */
  published?(c: MqttClient, token: number, reasonCode: number): void;
  // For a queue kept in a store (a bridge's, core/bridge/queue-records.ts), each called before
  // the frame it is about goes out:
  /** A QoS 1/2 message published joined the queue. */
  queued?(c: MqttClient, m: OutMessage): void;
  /** A message enters the window with m.packetId; its PUBLISH follows. */
  inflight?(c: MqttClient, m: OutMessage): void;
  /** A QoS 2 message got its PUBREC; its PUBREL follows. */
  pubrec?(c: MqttClient, m: OutMessage): void;
  subscribed?(c: MqttClient, packetId: number, reasonCodes: number[]): void;
  unsubscribed?(c: MqttClient, packetId: number, reasonCodes: number[]): void;
  /** The connection ended: `error` says why (null: our own disconnect()). The transport was closed. */
  closed(c: MqttClient, error: CodecError | null): void;
  log?(line: string): void;
}

export interface ClientStats {
  connects: number;        // CONNACKs accepted
  messagesOut: number;     // PUBLISH packets written (resends included)
  messagesIn: number;      // Application Messages given to events.message
  completed: number;       // outgoing messages acknowledged
  refused: number;         // outgoing messages the server refused (reason code >= 0x80)
  dropped: number;         // outgoing messages dropped here: queue full, too large for the server, QoS 0 offline
  requeued: number;        // in flight when the server lost the session: sent again as new messages
  errors: number;          // exceptions caught under an entry point
}

// Connection states.
export const DISCONNECTED = 0, CONNECTING = 1, CONNECTED = 2;

export class MqttClient {
  limits: ClientLimits;
  events: ClientEvents;
  clientId: string;
  username: string | null;
  password: Uint8Array | null;
  will: ClientWill | null;
  userProperties: Array<[string, string]> | null;
  bridgeFlag: boolean;       // 3.x: the CONNECT's protocol level has 0x80 set (a bridge, to mosquitto)
  state: number;
  version: number;
  transport: Transport | null;
  decoder: Decoder | null;
  nowMs: number;
  connectAtMs: number;       // when CONNECT went out
  sentAtMs: number;          // when the last packet went out [MQTT-3.1.2-23]
  receivedAtMs: number;      // when the last whole packet came in
  pingSentAtMs: number;      // a PINGREQ awaiting its answer; -1: none
  keepAliveMs: number;       // ours, or the server's Server Keep Alive [5:MQTT-3.2.2-21]
  blocked: boolean;          // the transport said full
  held: Uint8Array[];        // frames written while blocked, in order
  heldBytes: number;         // their bytes, at most limits.maxOutboundBytes
  connackSeen: boolean;
  sentCleanStart: boolean;
  outgoing: Outgoing;
  ids: PacketIds;
  pendingAcks: Map<string, number>;   // SUBSCRIBE / UNSUBSCRIBE packet id -> its packet type
  qos2In: Map<string, boolean>;       // incoming QoS 2 ids awaiting PUBREL [4:MQTT-4.3.3-2]
  qos2InCount: number;
  aliasesIn: Array<string | undefined>;   // server-to-client Topic Aliases of this connection
  aliasesOut: Map<string, number> | null; // topic -> alias we assigned on this connection
  // What the server said in CONNACK (5.0 §3.2.2.3); 3.x: the defaults.
  serverReceiveMaximum: number;
  serverMaximumQoS: number;
  serverRetainAvailable: boolean;
  serverMaximumPacketSize: number;
  serverTopicAliasMaximum: number;
  stats: ClientStats;

  constructor(options: ClientOptions, events: ClientEvents, nowMs: number) {
    this.limits = clientLimitsFrom(options);
    this.events = events;
    this.clientId = options.clientId;
    this.username = options.username === undefined ? null : options.username;
    this.password = options.password === undefined ? null : options.password;
    this.will = options.will === undefined ? null : options.will;
    this.userProperties = options.userProperties === undefined ? null : options.userProperties;
    this.bridgeFlag = options.bridgeFlag === true;
    this.state = DISCONNECTED;
    this.version = this.limits.version;
    this.transport = null;
    this.decoder = null;
    this.nowMs = nowMs;
    this.connectAtMs = nowMs;
    this.sentAtMs = nowMs;
    this.receivedAtMs = nowMs;
    this.pingSentAtMs = -1;
    this.keepAliveMs = this.limits.keepAliveMs;
    this.blocked = false;
    this.held = [];
    this.heldBytes = 0;
    this.connackSeen = false;
    this.sentCleanStart = this.limits.cleanStart;
    this.outgoing = new Outgoing();
    this.ids = new PacketIds();
    this.pendingAcks = new Map();
    this.qos2In = new Map();
    this.qos2InCount = 0;
    this.aliasesIn = [];
    this.aliasesOut = null;
    this.serverReceiveMaximum = 65535;
    this.serverMaximumQoS = 2;
    this.serverRetainAvailable = true;
    this.serverMaximumPacketSize = 0;
    this.serverTopicAliasMaximum = 0;
    this.stats = { connects: 0, messagesOut: 0, messagesIn: 0, completed: 0, refused: 0, dropped: 0, requeued: 0, errors: 0 };
  }

  // ---- the port's entry points ----

  /** A new network connection to the server is open: CONNECT goes out [MQTT-3.1.0-1]. */
  connect(transport: Transport, nowMs: number): void {
    this.setNow(nowMs);
    if (this.state !== DISCONNECTED) throw new Error('ganglion client: connect() while a connection is open');
    this.transport = transport;
    this.decoder = new Decoder({ version: this.version, maxPacketSize: this.limits.maximumPacketSize });
    this.state = CONNECTING;
    this.connackSeen = false;
    this.blocked = false;
    this.held = [];
    this.heldBytes = 0;
    this.pingSentAtMs = -1;
    this.connectAtMs = this.nowMs;
    this.receivedAtMs = this.nowMs;
    this.keepAliveMs = this.limits.keepAliveMs;
    this.aliasesIn = [];
    this.aliasesOut = null;
    for (let i = 0; i < this.outgoing.inflight.length; i++) this.outgoing.inflight[i].sent = false;
    // With Clean Start the server keeps nothing of us: on its CONNACK (Session Present 0) what
    // was in flight goes again as new messages (sessionLost).
    this.sentCleanStart = this.limits.cleanStart;
    this.guard(this.sendConnect);
  }

  /** Bytes from the server, split anywhere. */
  receive(chunk: Uint8Array, nowMs: number): void {
    this.setNow(nowMs);
    if (this.state === DISCONNECTED || this.decoder === null) return;
    const d = this.decoder;
    try {
      d.push(chunk);
      for (let p = d.next(); p !== null && this.state !== DISCONNECTED; p = d.next()) {
        this.receivedAtMs = this.nowMs;
        this.pingSentAtMs = -1;   // anything from the server shows it is there
        const err = handle(this, p);
        if (err !== null) {
          this.fail(err);
          return;
        }
      }
      if (this.state !== DISCONNECTED && d.error !== null) this.fail(d.error);
    } catch (e) {
      this.faulted(e);
    }
  }

  /** The transport has room again. */
  writable(nowMs: number): void {
    this.setNow(nowMs);
    if (this.state === DISCONNECTED) return;
    try {
      this.blocked = false;
      const held = this.held;
      let i = 0;
      this.held = [];
      this.heldBytes = 0;
      while (i < held.length && !this.blocked) this.write(held[i++]);
      for (; i < held.length; i++) this.write(held[i]);   // blocked again: held again, in order
      if (!this.blocked) this.pump();
    } catch (e) {
      this.faulted(e);
    }
  }

  /** The port lost the connection (the server closed it, or the network failed). */
  closed(nowMs: number): void {
    this.setNow(nowMs);
    if (this.state === DISCONNECTED) return;
    this.ended(codecError(RC_IMPLEMENTATION_SPECIFIC_ERROR, '(network)', 'the connection was lost'), false);
  }

  /** When the port must next call timeout(); -1: nothing due. */
  nextDeadline(): number {
    return nextClientDeadline(this);
  }

  /** The port's timer: CONNACK timeout, keep-alive PINGREQ, a PINGRESP that did not come. */
  timeout(nowMs: number): void {
    this.setNow(nowMs);
    const now = this.nowMs;
    try {
      if (this.state === CONNECTING) {
        if (now >= this.connectAtMs + this.limits.connackTimeoutMs) {
          this.fail(codecError(RC_KEEP_ALIVE_TIMEOUT, '4:§3.1.4', 'no CONNACK within ' + this.limits.connackTimeoutMs + ' ms'));
        }
        return;
      }
      if (this.state !== CONNECTED || this.keepAliveMs === 0) return;
      if (this.pingSentAtMs >= 0) {
        // 4:§3.1.2.10, 5:§3.1.2.10: no PINGRESP in a reasonable time: the server is gone.
        if (now >= this.pingSentAtMs + this.limits.pingTimeoutMs) {
          this.fail(codecError(RC_KEEP_ALIVE_TIMEOUT, '4:§3.1.2.10', 'no answer to PINGREQ within ' + this.limits.pingTimeoutMs + ' ms'));
        }
        return;
      }
      // [4:MQTT-3.1.2-23] [5:MQTT-3.1.2-20] nothing sent for Keep Alive: PINGREQ. Also when
      // nothing came for that long: a server that died while we only sent is found too.
      if (now >= pingDeadline(this)) {
        this.pingSentAtMs = now;
        this.write(new Uint8Array([0xc0, 0x00]));   // PINGREQ
      }
    } catch (e) {
      this.faulted(e);
    }
  }

  // ---- the application's calls ----

  /**
   * Publishes a message: sent now if connected and the window has room, else queued (QoS 0
   * only with queueQoS0 while disconnected). Returns its token (given again to
   * events.published), or -1 when it was refused here (not a Topic Name, or no room).
   */
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean, properties: Properties | null, nowMs: number): number {
    this.setNow(nowMs);
    try {
      if (topic === '' || !isValidTopicName(topic)) return -1;
      if (qos === 0 && this.state !== CONNECTED && !this.limits.queueQoS0) {
        this.stats.dropped++;
        return -1;
      }
      const o = this.outgoing;
      const m = o.make(topic, typeof payload === 'string' ? encodeUtf8(payload) : payload, qos, retain, properties);
      // 5.0 §3.3.2.3.3: the interval counts from now; what is left goes with the PUBLISH, and a
      // message that expires while it waits is not sent (publishPacket, pump).
      if (properties !== null && properties.messageExpiryInterval !== undefined) m.expiresAtMs = this.nowMs + properties.messageExpiryInterval * 1000;
      const dropped = o.makeRoom(m, this.limits.maxQueued, this.limits.maxQueuedBytes);
      if (dropped === null) {
        this.stats.dropped++;
        return -1;
      }
      for (let i = 0; i < dropped.length; i++) this.gone(dropped[i], RC_QUOTA_EXCEEDED, true);
      o.push(m);
      if (qos > 0 && this.events.queued !== undefined) this.events.queued(this, m);
      if (this.state === CONNECTED && !this.blocked) this.pump();
      return m.token;
    } catch (e) {
      this.faulted(e);
      return -1;
    }
  }

  /** SUBSCRIBE (only while connected); returns its packet id (events.subscribed), or -1. */
  subscribe(subscriptions: Subscription[], properties: Properties | null, nowMs: number): number {
    return this.request(SUBSCRIBE, subscriptions, null, properties, nowMs);
  }

  /** UNSUBSCRIBE (only while connected); returns its packet id (events.unsubscribed), or -1. */
  unsubscribe(topicFilters: string[], properties: Properties | null, nowMs: number): number {
    return this.request(UNSUBSCRIBE, null, topicFilters, properties, nowMs);
  }

  /** Ends the connection with DISCONNECT (5.0: with `reasonCode`); the session stays as the server keeps it. */
  disconnect(reasonCode: number, nowMs: number): void {
    this.setNow(nowMs);
    if (this.state === DISCONNECTED) return;
    try {
      this.blocked = false;   // the last frame goes to the port even if it said full
      this.write(encode({ type: DISCONNECT, reasonCode: reasonCode, properties: null }, this.version));
    } catch (e) {
      this.stats.errors++;
    }
    this.ended(null, true);
  }

  queuedMessages(): number {
    return this.outgoing.queued() + this.outgoing.inflight.length;
  }

  queuedBytes(): number {
    return this.outgoing.bytes;
  }

  // ---- inside the core ----

  setNow(nowMs: number): void {
    if (nowMs > this.nowMs) this.nowMs = nowMs;
  }

  /** Hands a frame to the transport, or holds it while the transport is full. */
  write(frame: Uint8Array): void {
    if (this.state === DISCONNECTED) return;
    this.sentAtMs = this.nowMs;
    if (this.blocked) {
      // Only our answers and requests wait here (PUBLISH waits in the queue): a server that
      // sends and never reads would grow them without end.
      if (this.heldBytes + frame.length > this.limits.maxOutboundBytes) {
        this.held = [];
        this.heldBytes = 0;
        this.fail(codecError(RC_QUOTA_EXCEEDED, '(limit)', 'the server is not reading: ' + this.limits.maxOutboundBytes + ' bytes of answers wait (maxOutboundBytes)'));
        return;
      }
      this.held.push(frame);
      this.heldBytes += frame.length;
      return;
    }
    if (!(this.transport as Transport).write(frame)) this.blocked = true;
  }

  /** Encodes and sends a packet other than PUBLISH. */
  send(p: Packet): void {
    this.write(encode(p, this.version));
  }

  /**
   * Sends what may go now, in order: first the in-flight messages not yet sent on this
   * connection (a resumed session: PUBLISH with DUP, or PUBREL where PUBREC came
   * [MQTT-4.4.0-1]), then queued ones while the window has room [5:MQTT-3.3.4-7]. Nothing
   * is sent while the transport is full.
   */
  pump(): void {
    const o = this.outgoing;
    const window = Math.min(this.limits.maxInflight, this.serverReceiveMaximum);
    for (let i = 0; i < o.inflight.length && !this.blocked; i++) {
      const m = o.inflight[i];
      if (m.sent) continue;
      if (i >= window) return;   // a smaller window than before the reconnect: the rest wait
      m.sent = true;
      if (m.state === AWAIT_PUBCOMP) this.send({ type: PUBREL, packetId: m.packetId, reasonCode: 0, properties: null });
      else this.sendPublish(m, true);
    }
    while (!this.blocked && this.state === CONNECTED) {
      const m = o.peek();
      if (m === null) return;
      if (m.qos > 0 && (o.inflight.length >= window || this.ids.count >= 65535)) return;
      o.shift();
      if (m.expiresAtMs >= 0 && m.expiresAtMs <= this.nowMs) {
        this.log('a message for ' + quote(m.topic) + ' expired while it waited (5.0 §3.3.2.3.3): dropped');
        this.gone(m, RC_QUOTA_EXCEEDED, true);
        continue;
      }
      // [5:MQTT-3.2.2-11] never above the server's Maximum QoS: sent at that QoS instead.
      const qos = (m.qos < this.serverMaximumQoS ? m.qos : this.serverMaximumQoS) as QoS;
      m.qos = qos;
      if (!this.fits(m)) continue;
      if (qos === 0) {
        this.sendPublish(m, false);
        this.gone(m, 0, false);
        continue;
      }
      o.enter(m, this.ids.take(), qos === 1 ? AWAIT_PUBACK : AWAIT_PUBREC);
      m.sent = true;
      if (this.events.inflight !== undefined) this.events.inflight(this, m);
      this.sendPublish(m, false);
    }
  }

  /** [5:MQTT-3.2.2-15] a message over the server's Maximum Packet Size is not sent: dropped, counted. */
  private fits(m: OutMessage): boolean {
    const max = this.serverMaximumPacketSize;
    if (max === 0) return true;
    const v5 = __MQTT5__ && this.version === MQTT_5;
    const propsLength = v5 ? propertiesLength(m.properties) + 3 : 0;   // + a Topic Alias we may add
    const rest = m.bytes - ENTRY_BYTES + 2 + (m.qos > 0 ? 2 : 0) + (v5 ? varintLength(propsLength) + propsLength : 0);
    if (1 + varintLength(rest) + rest <= max) return true;
    this.log('a message for ' + quote(m.topic) + ' dropped: over the server\'s Maximum Packet Size ' + max + ' [5:MQTT-3.2.2-15]');
    this.gone(m, RC_PACKET_TOO_LARGE, true);
    return false;
  }

  private publishPacket(m: OutMessage, dup: boolean): PublishPacket {
    // [5:MQTT-3.2.2-14] no RETAIN to a server without Retain Available.
    let props = this.version === MQTT_5 ? m.properties : null;
    if (props !== null && m.expiresAtMs >= 0) {
      // 5.0 §3.3.2.3.3: what is left of the Message Expiry Interval (at least 1 s: it was not expired when it went).
      props = Object.assign({}, props);
      const left = Math.ceil((m.expiresAtMs - this.nowMs) / 1000);
      props.messageExpiryInterval = left > 1 ? left : 1;
    }
    const p: PublishPacket = { type: PUBLISH, dup: dup, qos: m.qos, retain: m.retain && this.serverRetainAvailable, topic: m.topic,
      packetId: m.packetId, properties: props, payload: m.payload };
    if (__MQTT5__ && this.version === MQTT_5 && this.limits.topicAliasesOut > 0) this.alias(p);
    return p;
  }

  /** [5:MQTT-3.3.2-9] aliases only within the server's Topic Alias Maximum (and our option). */
  private alias(p: PublishPacket): void {
    const max = Math.min(this.limits.topicAliasesOut, this.serverTopicAliasMaximum);
    if (max === 0) return;
    if (this.aliasesOut === null) this.aliasesOut = new Map();
    const known = this.aliasesOut.get(p.topic);
    const props: Properties = p.properties === null ? {} : Object.assign({}, p.properties);
    if (known !== undefined) {
      props.topicAlias = known;
      p.topic = '';
    } else if (this.aliasesOut.size < max) {
      props.topicAlias = this.aliasesOut.size + 1;
      this.aliasesOut.set(p.topic, props.topicAlias);
    } else return;
    p.properties = props;
  }

  private sendPublish(m: OutMessage, dup: boolean): void {
    this.stats.messagesOut++;
    // [MQTT-3.3.1-1] DUP is set on a resend only, never on a QoS 0 message.
    this.write(encode(this.publishPacket(m, dup && m.qos > 0), this.version));
  }

  /** An outgoing message is done with: counted, its id freed, the application told. */
  gone(m: OutMessage, reasonCode: number, dropped: boolean): void {
    if (m.packetId !== 0) {
      this.ids.release(m.packetId);
      this.outgoing.leave(m);
    }
    this.outgoing.forget(m);
    if (dropped) this.stats.dropped++;
    else if (reasonCode >= 0x80) this.stats.refused++;
    else if (m.qos > 0) this.stats.completed++;
    if (this.events.published !== undefined) this.events.published(this, m.token, reasonCode);
  }

  /**
   * The server has no session for us (Session Present 0, or we asked for a clean start):
   * [5:MQTT-3.2.2-5] our session state goes too. Messages it never acknowledged are sent
   * again as new ones (so a bridge loses none); a QoS 2 message it sent PUBREC for was
   * already taken, and is complete. Incoming QoS 2 ids are forgotten.
   */
  sessionLost(): void {
    const o = this.outgoing;
    const again: OutMessage[] = [];
    const list = o.inflight.slice();
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (m.state === AWAIT_PUBCOMP) {
        this.gone(m, 0, false);
        continue;
      }
      this.ids.release(m.packetId);
      o.leave(m);
      m.sent = false;
      again.push(m);
    }
    this.stats.requeued += again.length;
    if (again.length > 0) o.requeueFront(again);
    this.qos2In.clear();
    this.qos2InCount = 0;
  }

  private request(type: number, subs: Subscription[] | null, filters: string[] | null, properties: Properties | null, nowMs: number): number {
    this.setNow(nowMs);
    if (this.state !== CONNECTED) return -1;
    try {
      const id = this.ids.take();
      if (id === 0) return -1;
      this.pendingAcks.set('' + id, type);
      const props = this.version === MQTT_5 ? properties : null;
      if (type === SUBSCRIBE) this.send({ type: SUBSCRIBE, packetId: id, properties: props, subscriptions: subs as Subscription[] });
      else this.send({ type: UNSUBSCRIBE, packetId: id, properties: props, topicFilters: filters as string[] });
      return id;
    } catch (e) {
      this.faulted(e);
      return -1;
    }
  }

  private sendConnect(): void {
    const l = this.limits;
    let props: Properties | null = null;
    if (__MQTT5__ && this.version === MQTT_5) {
      props = { receiveMaximum: l.receiveMaximum, maximumPacketSize: l.maximumPacketSize };
      if (l.sessionExpiryInterval > 0) props.sessionExpiryInterval = l.sessionExpiryInterval;
      if (l.topicAliasMaximum > 0) props.topicAliasMaximum = l.topicAliasMaximum;
      if (this.userProperties !== null) props.userProperties = this.userProperties;
    }
    this.send({
      // mosquitto's bridge flag: the server then sends us none of our own messages back and
      // keeps their retain flag (the 3.x way to what 5.0's No Local and Retain As Published say).
      type: CONNECT, protocolName: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version === MQTT_5 || !this.bridgeFlag ? this.version : this.version | 0x80,
      cleanStart: this.sentCleanStart, keepAlive: l.keepAliveMs / 1000, properties: props, clientId: this.clientId,
      will: this.will, username: this.username, password: this.password,
    });
  }

  /** A protocol error or a limit: 5.0 servers get DISCONNECT with the reason code first (5.0 §4.13). */
  fail(err: CodecError): void {
    if (this.state === DISCONNECTED) return;
    this.log('closing: ' + err.message + ' [' + err.rule + ']');
    if (__MQTT5__ && this.version === MQTT_5 && this.state === CONNECTED) {   // 5.0 §4.13: only after CONNACK 0
      this.blocked = false;
      try {
        this.write(encode({ type: DISCONNECT, reasonCode: disconnectReasonCode(err.rc), properties: null }, this.version));
      } catch (e) {
        this.stats.errors++;
      }
    }
    this.ended(err, true);
  }

  /** The connection is over: the transport closed (unless the port told us), the application told. */
  ended(err: CodecError | null, closeTransport: boolean): void {
    if (this.state === DISCONNECTED) return;
    this.state = DISCONNECTED;
    const t = this.transport;
    this.transport = null;
    this.decoder = null;
    this.held = [];
    this.heldBytes = 0;
    for (let i = 0; i < this.outgoing.inflight.length; i++) this.outgoing.inflight[i].sent = false;
    // A SUBSCRIBE or UNSUBSCRIBE of this connection is answered on no other.
    const ids = this.ids;
    this.pendingAcks.forEach(function (_type: number, id: string) { ids.release(+id); });
    this.pendingAcks.clear();
    try {
      if (closeTransport && t !== null) t.close();
    } catch (e) {
      this.stats.errors++;
    }
    try {
      this.events.closed(this, err);
    } catch (e) {
      this.stats.errors++;
      this.log('internal error in the closed event: ' + String(e));
    }
  }

  private guard(fn: () => void): void {
    try {
      fn.call(this);
    } catch (e) {
      this.faulted(e);
    }
  }

  /** An exception under an entry point (ours, the application's callback, the transport's): that connection ends. */
  private faulted(e: unknown): void {
    this.stats.errors++;
    const what = e !== null && typeof e === 'object' && typeof (e as Error).message === 'string' ? (e as Error).message : String(e);
    this.fail(codecError(RC_IMPLEMENTATION_SPECIFIC_ERROR, '(internal)', 'internal error: ' + what));
  }

  log(line: string): void {
    const l = this.events.log;
    if (l === undefined) return;
    try {
      l(line);
    } catch (e) {
      // a log callback that throws cannot be told so
    }
  }
}

export function createClient(options: ClientOptions, events: ClientEvents, nowMs: number): MqttClient {
  return new MqttClient(options, events, nowMs);
}
