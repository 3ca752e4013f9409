// An MQTT client with a persistent session over a raw loopback socket, for the kill -9 loop
// (kill-loop.ts). It keeps its side of the session across reconnects exactly as the
// specification asks of a client, in this process (which is never killed), so that anything
// missing afterwards was lost by the broker. Packets are encoded and parsed by mqtt-packet,
// independent of ganglion's codec. Node only.
//
// - Outgoing QoS 1/2: a PUBLISH keeps its packet id until PUBACK (QoS 1) or PUBCOMP (QoS 2).
//   After a reconnect, every unacknowledged PUBLISH is sent again with its original id, DUP 1
//   when the broker says the session is present, and PUBREL for every message that had its
//   PUBREC [MQTT-4.4.0-1] [5:MQTT-4.4.0-1]. (When the session is gone, the same messages go
//   out again as new ones: the application still wants them delivered.)
// - "Acknowledged" is PUBACK for QoS 1 and PUBREC for QoS 2: from then on the broker owns the
//   message (a PUBCOMP comes later and only ends the exchange). A 5.0 acknowledgement with a
//   failure reason code (0x80 and up) is a refusal: the message was not taken.
// - Incoming QoS 2 (method B of MQTT 3.1.1 §4.3.3): the ids of messages delivered and awaiting
//   PUBREL; a PUBLISH with such an id is acknowledged and not delivered again. A CONNACK with
//   Session Present 0 empties it [5:MQTT-3.2.2-4].

import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export type Version = 4 | 5;

export interface Outgoing {
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
  retain: boolean;
  packetId: number;
  /** PUBREC received and PUBREL owed (QoS 2). */
  released: boolean;
  /** What the caller wants back in onAcked / onRefused (a sequence number, a retained op). */
  tag: number;
}

export interface SessionClientOptions {
  clientId: string;
  version: Version;
  /** 5.0 Session Expiry Interval, seconds (3.1.1: Clean Session 0 keeps the session). */
  sessionExpiryS: number;
  keepAliveS: number;
}

export interface Incoming {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

export class SessionClient {
  readonly options: SessionClientOptions;
  /** Unacknowledged outgoing messages by packet id, in the order they were first sent. */
  readonly outgoing = new Map<number, Outgoing>();
  /** Incoming QoS 2 ids delivered and awaiting PUBREL. */
  readonly awaitingRelease = new Map<number, boolean>();
  onMessage: ((m: Incoming) => void) | null = null;
  /** PUBACK (QoS 1) or PUBREC (QoS 2): the broker has taken the message. */
  onAcked: ((o: Outgoing) => void) | null = null;
  /** The exchange is over: PUBACK, PUBCOMP, or a refusal. Room in the window again. */
  onSettled: (() => void) | null = null;
  /** A 5.0 failure reason code in PUBACK / PUBREC: the broker did not take the message. */
  onRefused: ((o: Outgoing, reasonCode: number) => void) | null = null;
  /** The socket closed (the broker died, refused, or we closed it). */
  onDown: (() => void) | null = null;
  connected = false;
  /** Whether a session exists on the broker as far as this client knows. */
  hasSession = false;
  /** CONNACKs with Session Present 0 after the broker had given this client a session. */
  sessionsLost = 0;
  connects = 0;
  refused = 0;
  private socket: Socket | null = null;
  private nextId = 1;
  private corked = false;
  private waitSuback: { resolve(codes: number[]): void; reject(e: Error): void } | null = null;

  constructor(options: SessionClientOptions) {
    this.options = options;
  }

  /** Opens a socket, CONNECT (Clean Session / Clean Start 0), waits for CONNACK, then resends. */
  connect(port: number, timeoutMs: number): Promise<boolean> {
    if (this.socket !== null) return Promise.reject(new Error(`${this.options.clientId}: already connecting`));
    const o = this.options;
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: '127.0.0.1' });
      this.socket = socket;
      socket.setNoDelay(true);
      const parser = mqttPacket.parser({ protocolVersion: o.version });
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`${o.clientId}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no CONNACK within ${timeoutMs} ms`), timeoutMs);
      socket.on('error', (e) => fail(e.message));
      socket.on('close', () => {
        fail('closed before CONNACK');
        if (this.socket === socket) this.socket = null;
        const was = this.connected;
        this.connected = false;
        const w = this.waitSuback;
        this.waitSuback = null;
        if (w !== null) w.reject(new Error(`${o.clientId}: closed before SUBACK`));
        if (was && this.onDown !== null) this.onDown();
      });
      parser.on('error', (e: Error) => {
        fail(`unparsable packet from the broker: ${e.message}`);
        socket.destroy();
      });
      socket.on('data', (b: Buffer) => parser.parse(b));
      parser.on('packet', (p: mqttPacket.Packet) => {
        if (p.cmd === 'connack') {
          const ack = p as mqttPacket.IConnackPacket;
          const code = o.version === 5 ? ack.reasonCode ?? 0 : ack.returnCode ?? 0;
          if (code !== 0) return fail(`CONNACK refused (${code})`);
          settled = true;
          clearTimeout(timer);
          const present = ack.sessionPresent === true;
          this.sessionUp(present);
          resolve(present);
          return;
        }
        if (settled) this.packet(p);
      });
      socket.once('connect', () => {
        const connectPacket: mqttPacket.IConnectPacket = {
          cmd: 'connect', protocolId: 'MQTT', protocolVersion: o.version, clean: false,
          clientId: o.clientId, keepalive: o.keepAliveS,
        };
        if (o.version === 5) connectPacket.properties = { sessionExpiryInterval: o.sessionExpiryS };
        socket.write(this.encode(connectPacket));
      });
    });
  }

  private sessionUp(present: boolean): void {
    this.connects++;
    if (!present) {
      if (this.hasSession) this.sessionsLost++;
      this.awaitingRelease.clear();
    }
    this.hasSession = true;
    this.connected = true;
    // Resend in the order first sent: a message keeps its place in its publisher's stream.
    this.outgoing.forEach((m) => {
      if (m.released) this.send({ cmd: 'pubrel', messageId: m.packetId });
      else this.sendPublish(m, present);
    });
  }

  /** Subscribes (every filter in one SUBSCRIBE); resolves with the granted codes. */
  subscribe(filters: Array<{ topic: string; qos: 0 | 1 | 2 }>): Promise<number[]> {
    if (!this.connected) return Promise.reject(new Error(`${this.options.clientId}: not connected`));
    return new Promise((resolve, reject) => {
      this.waitSuback = { resolve, reject };
      this.send({ cmd: 'subscribe', messageId: this.freeId(), subscriptions: filters });
    });
  }

  /**
   * Publishes QoS 1/2 with a fresh packet id; the message is kept until acknowledged and
   * resent after a reconnect. Returns it, or null when no packet id is free.
   */
  publish(topic: string, payload: Buffer, qos: 1 | 2, retain: boolean, tag: number): Outgoing | null {
    if (this.outgoing.size >= 65535) return null;
    const m: Outgoing = { topic, payload, qos, retain, packetId: this.freeId(), released: false, tag };
    this.outgoing.set(m.packetId, m);
    if (this.connected) this.sendPublish(m, false);
    return m;
  }

  /** DISCONNECT (the session stays), then the socket ends. */
  disconnect(): Promise<void> {
    const s = this.socket;
    if (s === null) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      if (this.connected) s.end(this.encode({ cmd: 'disconnect' }));
      else s.destroy();
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }

  /** Closes the socket without DISCONNECT (as a network failure would). */
  drop(): void {
    if (this.socket !== null) this.socket.destroy();
  }

  private freeId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 65535 ? 1 : id + 1;
      if (!this.outgoing.has(id)) return id;
    }
  }

  private sendPublish(m: Outgoing, dup: boolean): void {
    this.send({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup, messageId: m.packetId });
  }

  private encode(p: mqttPacket.Packet): Buffer {
    return mqttPacket.generate(p, { protocolVersion: this.options.version });
  }

  /** Writes, corked until the end of this turn: a flood goes out in few writes. */
  private send(p: mqttPacket.Packet): void {
    const s = this.socket;
    if (s === null || !this.connected) return;
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(() => {
        this.corked = false;
        s.uncork();
      });
    }
    s.write(this.encode(p));
  }

  private packet(p: mqttPacket.Packet): void {
    switch (p.cmd) {
      case 'publish': {
        const m = p as mqttPacket.IPublishPacket;
        const id = m.messageId ?? 0;
        const msg: Incoming = { topic: m.topic, payload: m.payload as Buffer, qos: m.qos, retain: m.retain };
        if (m.qos === 1) {
          this.deliver(msg);
          this.send({ cmd: 'puback', messageId: id });
        } else if (m.qos === 2) {
          if (!this.awaitingRelease.has(id)) {
            this.awaitingRelease.set(id, true);
            this.deliver(msg);
          }
          this.send({ cmd: 'pubrec', messageId: id });
        } else this.deliver(msg);
        return;
      }
      case 'pubrel':
        this.awaitingRelease.delete(p.messageId ?? 0);
        this.send({ cmd: 'pubcomp', messageId: p.messageId ?? 0 });
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        this.ack(p.cmd, p.messageId ?? 0, (p as mqttPacket.IPubackPacket).reasonCode ?? 0);
        return;
      case 'suback': {
        const w = this.waitSuback;
        this.waitSuback = null;
        if (w !== null) w.resolve((p as mqttPacket.ISubackPacket).granted as number[]);
        return;
      }
      default:
        return;   // PINGRESP, a 5.0 DISCONNECT (the close follows)
    }
  }

  private deliver(m: Incoming): void {
    if (this.onMessage !== null) this.onMessage(m);
  }

  private ack(cmd: 'puback' | 'pubrec' | 'pubcomp', id: number, reasonCode: number): void {
    const m = this.outgoing.get(id);
    if (m === undefined) return;   // not ours (a late duplicate acknowledgement)
    if (cmd === 'pubcomp') {
      if (!m.released) return;
      this.outgoing.delete(id);
      if (this.onSettled !== null) this.onSettled();
      return;
    }
    if ((cmd === 'puback' && m.qos !== 1) || (cmd === 'pubrec' && m.qos !== 2) || m.released) return;
    if (reasonCode >= 0x80) {
      this.refused++;
      this.outgoing.delete(id);
      if (this.onRefused !== null) this.onRefused(m, reasonCode);
      if (this.onSettled !== null) this.onSettled();
      return;
    }
    if (cmd === 'puback') this.outgoing.delete(id);
    else {
      m.released = true;
      this.send({ cmd: 'pubrel', messageId: id });
    }
    if (this.onAcked !== null) this.onAcked(m);
    if (cmd === 'puback' && this.onSettled !== null) this.onSettled();
  }
}
