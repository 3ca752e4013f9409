// One client connection: bytes in through receive(), frames out through the port's
// transport, time with every call (nowMs). No I/O of its own (design.md §1).

import type { CodecError, ConnectPacket, FramePool, DecoderBudget, Packet, Properties, PublishPacket, Subscription, Will } from '../codec/index.js';
import { CONNACK, Decoder, DISCONNECT, MQTT_5, RC_PACKET_TOO_LARGE, RC_QUOTA_EXCEEDED, RC_RECEIVE_MAXIMUM_EXCEEDED, REASON_STRING_MAX, disconnectReasonCode, encode, truncateUtf8 } from '../codec/index.js';
import type { Hooks } from './hooks.js';
import type { Message } from './message.js';
import type { PendingHost } from './pending.js';
import type { WillHost } from './will.js';
import type { Session } from './session.js';
import type { Matches } from './routing.js';
import { NONE } from './session.js';
import { ACTIVE, AWAIT_CONNECT, CLOSED } from './connection-state.js';
import { failLater, faulted, settle } from './fault.js';
import { pendingHeldNow, reservePending } from './pending.js';
import type { Timed } from './deadlines.js';
import { DUE_CONNECTION } from './deadlines.js';
import { LOG_CLOSED, LOG_LIMIT } from './log-events.js';

/** A publisher held unacknowledged under slowSubscriberPolicy 'hold' (handlers/publish.ts). */
export interface Held {
  connection: Connection;
  packet: PublishPacket;
  message: Message;
  sinceMs: number;
}

/**
 * The broker as a connection and its packet handlers (handlers/) see it: the broker.ts class
 * is one. Declared here, below broker.ts, so that nothing under it imports broker.ts.
 */
export interface ConnectionHost extends WillHost, PendingHost {
  hooks: Hooks;
  stringScratch: number[][];        // shared by every connection's decoder (codec/reader.ts)
  spareMessage: Message | null;     // a routed message nothing kept, reused for the next PUBLISH
  framePool: FramePool;             // frame buffers no transport holds, for reuse (codec/frame-pool.ts)
  messageFramesHeld: number;        // sends that held a message's shared frame (delivery.ts)
  held: Held[];                     // publishers held by slowSubscriberPolicy 'hold'
  holding: boolean;
  /** Handles one packet of a connection (handlers/dispatch.ts). */
  dispatch: (c: Connection, p: Packet) => CodecError | null;
  setNow(nowMs: number): void;
  heldUntil(atMs: number): void;
  keepAliveStarted(c: Connection): void;
  roomForClient(clientId: string): boolean;
  roomForSession(clientId: string): boolean;
  mayOpenSession(clientId: string, username: string | null): boolean;
  assignClientId(): string;
  openSession(c: Connection, clientId: string, cleanStart: boolean): boolean;
  resumeSession(c: Connection): void;
  connackProperties(c: Connection): Properties;
  accepted(c: Connection): void;
  sendRetained(s: Session, sub: Subscription): void;
  route(m: Message, from: Connection | null, force: boolean): number;
  pump(s: Session): void;
  log(c: Connection | null, line: string, event: number, code?: number): void;
}


/**
 * What a port gives the core for each connection (PORT.md is the whole contract). The core
 * calls these synchronously from inside its entry points, for this connection or while
 * serving another (routing): the port never calls back into the core from inside them.
 */
export interface Transport {
  /**
   * Sends `frame` (a whole packet or one piece of one), in order. The frame is the port's
   * until sent: the core never writes into it again, and the same bytes may go to other
   * connections, so the port never writes into it either. false: full; the core holds what
   * follows (bounded) until the port calls connection.writable().
   */
  write(frame: Uint8Array): boolean;
  /**
   * true: write() has copied (or sent) the bytes when it returns, whatever it answers, and keeps
   * no reference to `frame`: the core may then write a later frame into the same buffer
   * (codec/frame-pool.ts). Absent or false: a frame stays the port's until it is sent, and the
   * core never writes into it again (PORT.md, "Who owns which bytes").
   */
  readonly writeCopies?: boolean;
  /** The core is done: send what was written, then close. Idempotent (a fault may repeat it). */
  close(): void;
  /** Stop reading from the peer: the connection's own backlog, or a hook deciding (never another client). */
  pause?(): void;
  /** Read again; input held meanwhile goes to receive() on a later turn, not from inside this call. */
  resume?(): void;
}

const UNACCEPTABLE_PROTOCOL_VERSION = new Uint8Array([0x20, 0x02, 0x00, 0x01]);

export { AWAIT_CONNECT, CONNECTING, ACTIVE, CLOSED } from './connection-state.js';

export class Connection implements DecoderBudget, Timed {
  broker: ConnectionHost;
  transport: Transport;
  decoder: Decoder;
  state: number;
  version: number;
  bridge: boolean;               // a 3.x CONNECT with mosquitto's bridge flag (handlers/connect.ts)
  clientId: string;
  username: string | null;
  session: Session | null;
  will: Will | null;
  keepAliveMs: number;
  openedAtMs: number;
  lastPacketMs: number;          // when the last whole Control Packet was taken [MQTT-3.1.2-24]
  waiting: number;               // reasons packets are not being read now (auth, hooks, room)
  paused: boolean;               // the port was asked to stop reading
  pausedByUs: boolean;           // ... because of `waiting` (our hooks or a hold), not the client
  dueAtMs: number;               // this connection's entry in the broker's deadlines (deadlines.ts)
  dueSlot: number;
  dueKind: number;
  blocked: boolean;              // the transport said it is full
  outbound: Uint8Array[];        // frames held while blocked (NONE when there are none)
  outboundBytes: number;
  gatedUntil: number;            // frames wait in `outbound` for this journal batch; 0: none
  sessionExpiryFromConnect: number;
  receiveMaximum: number;        // the client's (5.0), caps our in-flight window
  maximumPacketSize: number;     // the client's (5.0)
  requestProblemInformation: boolean;
  requestResponseInformation: boolean;
  topicAliases: Array<string | undefined> | null;   // client-to-server aliases of this connection
  aliasesOut: Map<string, number> | null;          // server-to-client: topic -> alias we assigned
  aliasOutMaximum: number;                         // how many we may assign (client's and ours)
  aliasPending: string;                            // a topic whose new alias rides on the frame being sent
  authenticationMethod: string;                    // enhanced authentication in use ('' for none)
  pendingConnect: ConnectPacket | null;            // a CONNECT waiting for enhanced authentication
  disconnectReceived: boolean;                     // the client ended with a DISCONNECT
  faulty: boolean;                                 // a write threw: closed when the entry point returns (fault.ts)
  acksHeld: number;                                // our PUBACK/PUBREC/PUBCOMP waiting for a durable store (handlers/acks-in.ts)
  acksFull: boolean;                               // ... maxInflightIn of them: not read until some go out
  // Until CONNECT completes (pending.ts): the broker's chain of pending connections, oldest
  // first, and the bytes this one's decoder holds, counted against maxPendingBytes.
  older: Connection | null;
  newer: Connection | null;
  linked: boolean;
  pendingHeld: number;
  // The topic this connection last published to and its folded match list (routing.ts),
  // good while lastMatchEpoch is the broker's matchEpoch.
  lastTopic: string;
  lastMatches: Matches | null;
  lastMatchEpoch: number;

  constructor(broker: ConnectionHost, transport: Transport, nowMs: number) {
    this.broker = broker;
    this.transport = transport;
    // Before CONNACK only a CONNECT (or AUTH) can come, bounded by maxConnectSize on its fixed
    // header; maxPacketSize applies from acceptance on (handlers/connect.ts finish).
    const l = broker.limits;
    // reuseQoS0: a packet is kept past process() only while `waiting` stops it reading.
    this.decoder = new Decoder({ maxPacketSize: Math.min(l.maxConnectSize, l.maxPacketSize), scratch: broker.stringScratch, budget: this, reuseQoS0: true });
    this.state = AWAIT_CONNECT;
    this.version = 0;
    this.bridge = false;
    this.clientId = '';
    this.username = null;
    this.session = null;
    this.will = null;
    this.keepAliveMs = 0;
    this.openedAtMs = nowMs;
    this.lastPacketMs = nowMs;
    this.waiting = 0;
    this.paused = false;
    this.pausedByUs = false;
    this.dueAtMs = -1;
    this.dueSlot = -1;
    this.dueKind = DUE_CONNECTION;
    this.blocked = false;
    this.outbound = NONE;
    this.outboundBytes = 0;
    this.gatedUntil = 0;
    this.sessionExpiryFromConnect = 0;
    this.receiveMaximum = 65535;
    this.maximumPacketSize = 0;
    this.requestProblemInformation = true;
    this.requestResponseInformation = false;
    this.topicAliases = null;
    this.aliasesOut = null;
    this.aliasOutMaximum = 0;
    this.aliasPending = '';
    this.authenticationMethod = '';
    this.pendingConnect = null;
    this.disconnectReceived = false;
    this.faulty = false;
    this.acksHeld = 0;
    this.acksFull = false;
    this.older = null;
    this.newer = null;
    this.linked = false;
    this.pendingHeld = 0;
    this.lastTopic = '';
    this.lastMatches = null;
    this.lastMatchEpoch = -1;
  }

  // The three entry points a port calls. Whatever is thrown under one of them (a bug, a
  // hook, a transport) ends this connection only (fault.ts); nothing leaves the core.

  /**
   * Bytes from the peer, split anywhere, received at `nowMs`. The core never writes into
   * `chunk` and may keep a view of it after returning (the unread rest while paused, a payload
   * until it is copied): hand over bytes that will not be written to again (PORT.md).
   */
  receive(chunk: Uint8Array, nowMs: number): void {
    try {
      if (this.state === CLOSED) return;
      this.broker.setNow(nowMs);
      this.broker.stats.bytesIn += chunk.length;
      this.decoder.push(chunk);
      this.process();
      if (this.linked) pendingHeldNow(this.broker, this, this.decoder.held());
    } catch (e) {
      faulted(this.broker, this, e);
    }
    settle(this.broker);
  }

  /** The decoder's question before it holds a body that spans reads (pending.ts). */
  reserve(bytes: number): boolean {
    return reservePending(this.broker, this, bytes);
  }

  /** The transport has room again (at `nowMs`). */
  writable(nowMs: number): void {
    try {
      this.broker.setNow(nowMs);
      this.drain();
    } catch (e) {
      faulted(this.broker, this, e);
    }
    settle(this.broker);
  }

  /** The peer went away without a DISCONNECT: the will is published (3.1.1 §3.1.2.5). */
  closed(nowMs: number): void {
    try {
      if (this.state === CLOSED) return;
      this.broker.setNow(nowMs);
      this.broker.connectionEnded(this, true);
    } catch (e) {
      faulted(this.broker, this, e);
    }
    settle(this.broker);
  }

  private drain(): void {
    if (this.state === CLOSED || this.faulty) return;
    this.blocked = false;
    // Frames held while blocked go out in order; an index, not shift(), so a long backlog
    // costs one pass (shift moves every remaining frame each time).
    const held = this.outbound;
    let i = 0;
    while (i < held.length && !this.blocked && this.gatedUntil === 0) {
      const f = held[i++];
      this.outboundBytes -= f.length;
      this.send(f);   // not blocked: written now (and blocked again if the transport is full)
    }
    if (i > 0) this.outbound = i === held.length ? NONE : held.slice(i);
    if (this.session !== null && !this.blocked) this.broker.pump(this.session);
    this.process();
  }

  /** The journal batch the frames waited for is answered: they go out. */
  ungate(): void {
    this.gatedUntil = 0;
    if (!this.blocked) this.drain();
  }

  /** Reads and handles the packets the decoder holds, unless something makes us wait. */
  process(): void {
    while (this.state !== CLOSED && this.waiting === 0 && !this.congested()) {
      const p = this.decoder.next();
      if (p === null) break;
      // [MQTT-3.1.2-24] a whole Control Packet, not a byte, restarts the keep-alive period.
      this.lastPacketMs = this.broker.nowMs;
      this.broker.stats.packetsIn++;
      const err = this.broker.dispatch(this, p);   // handlers/dispatch.ts, given by the broker
      if (err !== null) {
        this.fail(err);
        return;
      }
    }
    if (this.state === CLOSED) return;
    if (this.decoder.error !== null) {
      if (this.linked && this.decoder.error.rc === RC_PACKET_TOO_LARGE) this.broker.stats.connectTooLarge++;
      this.fail(this.decoder.error);
      return;
    }
    // Stop the port from reading while we cannot take more (hooks pending, or our answers
    // to this client piling up unsent).
    const shouldPause = this.waiting > 0 || this.congested();
    if (this.pausedByUs !== (this.waiting > 0)) {
      // While we hold the client unread (a hook deciding, a full subscriber) its keep-alive
      // does not run: the silence is ours. It starts again when we read again.
      this.pausedByUs = this.waiting > 0;
      if (!this.pausedByUs) this.lastPacketMs = this.broker.nowMs;
    }
    if (shouldPause !== this.paused) {
      this.paused = shouldPause;
      if (shouldPause) { if (this.transport.pause) this.transport.pause(); } else if (this.transport.resume) this.transport.resume();
    }
  }

  // ESPRUINO LOCK DEPTH: Espruino never frees an object that 15 references from the running
  // code held at once (a 4-bit lock count, espruino/Espruino#2616), and each method of this
  // connection on the stack holds about two. fail -> disconnect -> sendPacket -> sendFrame ->
  // send -> writeNow leaked every 5.0 connection closed for a malformed packet (issue 18 §2).
  // Keep send paths at most 5 connection methods deep (test/unit/espruino-lock-depth.test.ts).
  /**
   * Sends `frame` now, or holds it while the transport is full. true: nothing holds the frame
   * once this returns (a transport that copies took it, or the connection is closed), so the
   * caller may give its buffer back to the broker's frame pool; false: it is held (by a
   * transport that keeps frames, or in `outbound`) and must never be written again.
   */
  send(frame: Uint8Array): boolean {
    if (this.state === CLOSED) return true;
    if (this.blocked || this.gatedUntil !== 0) {
      if (this.outbound === NONE) this.outbound = [];
      this.outbound.push(frame);
      this.outboundBytes += frame.length;
      return false;
    }
    this.broker.stats.bytesOut += frame.length;
    let ok = false;
    let copied = false;
    try {
      ok = this.transport.write(frame);
      copied = this.transport.writeCopies === true;
    } catch (e) {
      failLater(this.broker, this, 'a write', e);   // closed when the entry point returns (fault.ts)
    }
    if (!ok) this.blocked = true;
    return copied;   // after a throw: the port may still hold it
  }

  /**
   * Encodes and sends a packet other than an Application Message. [5:MQTT-3.1.2-24] nothing
   * larger than the client's Maximum Packet Size is sent: the Reason String and User
   * Properties are left out first, as each packet allows (CONNACK [5:MQTT-3.2.2-19]
   * [5:MQTT-3.2.2-20], the acknowledgements [5:MQTT-3.4.2-2] [5:MQTT-3.4.2-3], DISCONNECT
   * [5:MQTT-3.14.2-3] [5:MQTT-3.14.2-4]), and a packet that still does not fit is not sent:
   * the connection is closed instead.
   */
  sendPacket(p: Packet): void {
    if (this.state === CLOSED) return;
    const max = this.maximumPacketSize;
    let frame = encode(p, this.version, this.broker.alloc);
    if (max > 0 && frame.length > max) {
      const lean = withoutOptionalProperties(p);
      if (lean !== null) frame = encode(lean, this.version, this.broker.alloc);
      if (frame.length > max) {
        this.oversize(frame.length, p.type === CONNACK);
        return;
      }
    }
    // Not through sendFrame: see ESPRUINO LOCK DEPTH. The frame was encoded for this send
    // alone: once the transport has copied it, the pool may hand its buffer out again.
    if (this.send(frame)) this.broker.framePool.release(frame);
  }

  /**
   * A whole Control Packet that is not an Application Message: sent if it fits the client's
   * Maximum Packet Size, else the connection is closed (a refused CONNACK: without a will).
   */
  sendFrame(frame: Uint8Array, isConnack: boolean): void {
    if (this.state === CLOSED) return;
    if (this.maximumPacketSize > 0 && frame.length > this.maximumPacketSize) {
      this.oversize(frame.length, isConnack);
      return;
    }
    this.send(frame);
  }

  /** A packet of `bytes` does not fit the client's Maximum Packet Size: close instead. */
  private oversize(bytes: number, isConnack: boolean): void {
    this.broker.log(this, 'closing: a packet of ' + bytes + ' bytes is over the client\'s Maximum Packet Size ' +
      this.maximumPacketSize + ' [5:MQTT-3.1.2-24]', LOG_LIMIT);
    if (isConnack) this.will = null;
    this.broker.connectionEnded(this, !isConnack);
  }

  /**
   * The client is not reading what we send: stop reading what it sends until it does. A full
   * transport alone is not enough (a client may be busy writing), only answers over the limit.
   */
  congested(): boolean {
    return this.blocked && this.outboundBytes > this.broker.limits.maxOutboundBytes;
  }

  /** Room for a QoS 0 frame that may be dropped when the client is slow. */
  hasRoom(bytes: number): boolean {
    return !this.blocked || this.outboundBytes + bytes <= this.broker.limits.maxOutboundBytes;
  }

  /**
   * Sends a 5.0 DISCONNECT; the reason string (at most REASON_STRING_MAX bytes) goes with it
   * only when the client asked for problem information, and sendPacket leaves it out when
   * it would not fit the client's Maximum Packet Size [5:MQTT-3.14.2-3].
   */
  disconnect(rc: number, reason: string): void {
    // The connection closes next, and frames held unsent go with it: this last one is handed
    // to the port even though its transport said full (the port sends what it can).
    this.blocked = false;
    this.gatedUntil = 0;   // frames held for the store are dropped
    this.sendPacket(disconnectPacket(rc, reason, this.requestProblemInformation));
  }

  /**
   * A protocol violation or a refused limit: 5.0 clients get a DISCONNECT with the reason
   * code first (only after CONNACK, 5.0 §4.13); 3.x has none, so the connection just closes
   * [4:MQTT-4.8.0-1]. The will is published (the close is not the client's DISCONNECT).
   */
  fail(err: CodecError): void {
    if (this.state === CLOSED) return;
    // Closed by a limit (a packet too large, a quota, too many QoS 2 in flight) or for what
    // the client did: the port logs the first as a limit (log-events.ts).
    const rc = err.rc;
    this.broker.log(this, 'closing: ' + err.message + ' [' + err.rule + ']', rc === RC_PACKET_TOO_LARGE || rc === RC_QUOTA_EXCEEDED || rc === RC_RECEIVE_MAXIMUM_EXCEEDED ? LOG_LIMIT : LOG_CLOSED);
    // [4:MQTT-3.1.2-2] an unsupported protocol level is answered with CONNACK 0x01 in the
    // 3.1.1 form (the only one such a client can be expected to read), then closed.
    if (this.state === AWAIT_CONNECT && err.rule === '4:MQTT-3.1.2-2') this.transport.write(UNACCEPTABLE_PROTOCOL_VERSION);
    // Not through disconnect(): one method less on the stack (ESPRUINO LOCK DEPTH).
    if ((__MQTT5__ && this.version === MQTT_5) && this.state === ACTIVE) {
      this.blocked = false;   // as disconnect(): the last frame goes to the port even if it is full
      this.gatedUntil = 0;
      this.sendPacket(disconnectPacket(err.rc, err.message, this.requestProblemInformation));
    }
    this.broker.connectionEnded(this, true);
  }
}

/** A 5.0 DISCONNECT, with the reason string only when the client asked for problem information. */
function disconnectPacket(rc: number, reason: string, problemInformation: boolean): Packet {
  let props: Properties | null = null;
  if (problemInformation && reason !== '') props = { reasonString: truncateUtf8(reason, REASON_STRING_MAX) };
  return { type: DISCONNECT, reasonCode: disconnectReasonCode(rc), properties: props };
}

/** `p` without its Reason String and User Properties, or null when it has neither. */
function withoutOptionalProperties(p: Packet): Packet | null {
  const props = (p as { properties?: Properties | null }).properties;
  if (props === undefined || props === null || (props.reasonString === undefined && props.userProperties === undefined)) return null;
  const lean: Properties = Object.assign({}, props);
  delete lean.reasonString;
  delete lean.userProperties;
  const out = Object.assign({}, p) as Packet;
  (out as { properties: Properties | null }).properties = Object.keys(lean).length === 0 ? null : lean;
  return out;
}
