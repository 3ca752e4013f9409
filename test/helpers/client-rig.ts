// The client role with a fake transport and a fake clock, for tests that speak bytes as
// the server: feed the server's bytes in, read back exactly what the client wrote. advance()
// moves the clock as a port's one timer would, calling timeout() exactly at each
// nextDeadline() on the way.
import type { ClientOptions, CodecError, Properties, PublishPacket } from '../../core/index.js';
import { MqttClient } from '../../core/index.js';
import { FakeTransport } from './rig.js';
import { concat, hex, toHex } from './hex.js';

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  properties: Properties | null;
}

export class ClientRig {
  now = 0;
  client: MqttClient;
  transport: FakeTransport = new FakeTransport();
  transports: FakeTransport[] = [];
  read = 0;                                    // frames of the current transport already returned by sent()
  connects: Array<{ sessionPresent: boolean; properties: Properties | null }> = [];
  messages: Received[] = [];
  published: Array<[number, number]> = [];    // [token, reason code]
  subscribed: Array<[number, number[]]> = [];
  closes: Array<CodecError | null> = [];
  logs: string[] = [];
  throwOnMessage = false;

  constructor(options: Partial<ClientOptions> = {}) {
    const self = this;
    this.client = new MqttClient({ clientId: 'c', ...options }, {
      connected(_c, sessionPresent, properties) { self.connects.push({ sessionPresent, properties }); },
      message(_c, p: PublishPacket) {
        if (self.throwOnMessage) throw new Error('application bug');
        self.messages.push({ topic: p.topic, payload: new TextDecoder().decode(p.payload), qos: p.qos, retain: p.retain, dup: p.dup, properties: p.properties });
      },
      published(_c, token, rc) { self.published.push([token, rc]); },
      subscribed(_c, id, codes) { self.subscribed.push([id, codes]); },
      closed(_c, err) { self.closes.push(err); },
      log(line) { self.logs.push(line); },
    }, 0);
  }

  /** A new network connection: CONNECT goes out on a fresh transport. */
  open(): this {
    this.transport = new FakeTransport();
    this.transports.push(this.transport);
    this.read = 0;
    this.client.connect(this.transport, this.now);
    return this;
  }

  /** open() and a CONNACK (3.x: `20 02 SP 00`; 5.0: with `props5` hex, default none); the CONNECT is read. */
  connected(sessionPresent = false, props5 = '00'): this {
    this.open();
    this.sent();
    const sp = sessionPresent ? '01' : '00';
    if (this.client.version === 5) {
      const body = hex(sp + ' 00 ' + props5);
      this.feed(concat([new Uint8Array([0x20, body.length]), body]));
    } else this.feed('20 02 ' + sp + ' 00');
    return this;
  }

  feed(bytes: string | Uint8Array): void {
    this.client.receive(typeof bytes === 'string' ? hex(bytes) : bytes, this.now);
  }

  /** Everything the client wrote since the last call, as hex. */
  sent(): string {
    const frames = this.transport.written.slice(this.read);
    this.read = this.transport.written.length;
    return toHex(concat(frames));
  }

  /** Moves the clock by `ms`, firing the client's deadlines at their exact times on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const at = this.client.nextDeadline();
      if (at < 0 || at > end) break;
      this.now = Math.max(this.now, at);
      this.client.timeout(this.now);
      if (this.client.nextDeadline() === at) break;   // nothing changed: do not spin
    }
    this.now = end;
  }

  publish(topic: string, payload: string, qos: 0 | 1 | 2, retain = false, properties: Properties | null = null): number {
    return this.client.publish(topic, payload, qos, retain, properties, this.now);
  }

  isOpen(): boolean {
    return !this.transport.closed && this.client.state !== 0;
  }

  lastError(): string {
    const e = this.closes[this.closes.length - 1];
    return e === undefined ? 'not closed' : e === null ? 'null' : '0x' + e.rc.toString(16) + ' ' + e.rule;
  }
}
