// One client connection: bytes in through receive(), frames out through the port's
// transport, time from the broker's last tick. No I/O of its own (design.md §1).

import type { CodecError, ConnectPacket, Packet, Properties, Will } from '../codec/index.js';
import { Decoder, DISCONNECT, MQTT_5, encode, utf8Length } from '../codec/index.js';
import type { Broker } from './broker.js';
import type { Session } from './session.js';
import { NONE } from './session.js';
import { handle } from './handlers/dispatch.js';


/** What a port gives the core for each connection. */
export interface Transport {
  write(frame: Uint8Array): boolean;   // false: full; the core waits for connection.writable()
  close(): void;
  pause?(): void;                      // stop reading from the peer (inbound backpressure)
  resume?(): void;
}

const UNACCEPTABLE_PROTOCOL_VERSION = new Uint8Array([0x20, 0x02, 0x00, 0x01]);

// Connection states, in order.
export const AWAIT_CONNECT = 0, CONNECTING = 1, ACTIVE = 2, CLOSED = 3;

export class Connection {
  broker: Broker;
  transport: Transport;
  decoder: Decoder;
  state: number;
  version: number;
  clientId: string;
  username: string | null;
  session: Session | null;
  will: Will | null;
  keepAliveMs: number;
  openedAtMs: number;
  lastInMs: number;
  waiting: number;               // reasons packets are not being read now (auth, hooks, room)
  paused: boolean;               // the port was asked to stop reading
  blocked: boolean;              // the transport said it is full
  outbound: Uint8Array[];        // frames held while blocked (NONE when there are none)
  outboundBytes: number;
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

  constructor(broker: Broker, transport: Transport, nowMs: number) {
    this.broker = broker;
    this.transport = transport;
    this.decoder = new Decoder({ maxPacketSize: broker.limits.maxPacketSize, scratch: broker.stringScratch });
    this.state = AWAIT_CONNECT;
    this.version = 0;
    this.clientId = '';
    this.username = null;
    this.session = null;
    this.will = null;
    this.keepAliveMs = 0;
    this.openedAtMs = nowMs;
    this.lastInMs = nowMs;
    this.waiting = 0;
    this.paused = false;
    this.blocked = false;
    this.outbound = NONE;
    this.outboundBytes = 0;
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
  }

  /** Bytes from the peer, split anywhere. */
  receive(chunk: Uint8Array): void {
    if (this.state === CLOSED) return;
    this.lastInMs = this.broker.nowMs;
    this.broker.stats.bytesIn += chunk.length;
    this.decoder.push(chunk);
    this.process();
  }

  /** The transport has room again. */
  writable(): void {
    if (this.state === CLOSED) return;
    this.blocked = false;
    // Frames held while blocked go out in order; an index, not shift(), so a long backlog
    // costs one pass (shift moves every remaining frame each time).
    const held = this.outbound;
    let i = 0;
    while (i < held.length && !this.blocked) {
      const f = held[i++];
      this.outboundBytes -= f.length;
      this.writeNow(f);
    }
    if (i > 0) this.outbound = i === held.length ? NONE : held.slice(i);
    if (this.session !== null && !this.blocked) this.broker.pump(this.session);
    this.process();
  }

  /** The peer went away without a DISCONNECT: the will is published (3.1.1 §3.1.2.5). */
  closed(): void {
    if (this.state === CLOSED) return;
    this.broker.connectionEnded(this, true);
  }

  /** Reads and handles the packets the decoder holds, unless something makes us wait. */
  process(): void {
    while (this.state !== CLOSED && this.waiting === 0 && !this.congested()) {
      const p = this.decoder.next();
      if (p === null) break;
      this.broker.stats.packetsIn++;
      const err = handle(this, p);
      if (err !== null) {
        this.fail(err);
        return;
      }
    }
    if (this.state === CLOSED) return;
    if (this.decoder.error !== null) {
      this.fail(this.decoder.error);
      return;
    }
    // Stop the port from reading while we cannot take more (hooks pending, or our answers
    // to this client piling up unsent).
    const shouldPause = this.waiting > 0 || this.congested();
    if (shouldPause !== this.paused) {
      this.paused = shouldPause;
      if (shouldPause) { if (this.transport.pause) this.transport.pause(); } else if (this.transport.resume) this.transport.resume();
    }
  }

  send(frame: Uint8Array): void {
    if (this.state === CLOSED) return;
    if (this.blocked) {
      if (this.outbound === NONE) this.outbound = [];
      this.outbound.push(frame);
      this.outboundBytes += frame.length;
      return;
    }
    this.writeNow(frame);
  }

  sendPacket(p: Packet): void {
    this.send(encode(p, this.version, this.broker.alloc));
  }

  private writeNow(frame: Uint8Array): void {
    this.broker.stats.bytesOut += frame.length;
    if (!this.transport.write(frame)) this.blocked = true;
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
   * Sends a 5.0 DISCONNECT; the reason string goes with it only when the client asked for
   * problem information and it fits the client's Maximum Packet Size [5:MQTT-3.14.2-3].
   */
  disconnect(rc: number, reason: string): void {
    let props: Properties | null = null;
    if (this.requestProblemInformation && reason !== '' &&
      (this.maximumPacketSize === 0 || 8 + utf8Length(reason) <= this.maximumPacketSize)) {
      props = { reasonString: reason };
    }
    this.sendPacket({ type: DISCONNECT, reasonCode: rc, properties: props });
  }

  /**
   * A protocol violation or a refused limit: 5.0 clients get a DISCONNECT with the reason
   * code first (only after CONNACK, 5.0 §4.13); 3.x has none, so the connection just closes
   * [4:MQTT-4.8.0-1]. The will is published (the close is not the client's DISCONNECT).
   */
  fail(err: CodecError): void {
    if (this.state === CLOSED) return;
    this.broker.log(this, 'closing: ' + err.message + ' [' + err.rule + ']');
    // [4:MQTT-3.1.2-2] an unsupported protocol level is answered with CONNACK 0x01 in the
    // 3.1.1 form (the only one such a client can be expected to read), then closed.
    if (this.state === AWAIT_CONNECT && err.rule === '4:MQTT-3.1.2-2') this.transport.write(UNACCEPTABLE_PROTOCOL_VERSION);
    if ((__MQTT5__ && this.version === MQTT_5) && this.state === ACTIVE) this.disconnect(err.rc, err.message);
    this.broker.connectionEnded(this, true);
  }
}
