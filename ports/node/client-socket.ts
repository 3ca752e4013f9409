// The Node port's glue for the core's client role (core/client): one outgoing TCP or TLS
// socket per network connection, its bytes fed to the MqttClient, and one timer armed for
// client.nextDeadline() and re-armed after every call into it. Writes of one tick are corked
// and go out together; write() answers false past the socket's high-water mark and 'drain'
// tells the client writable(). Used by `ganglion probe` (an MqttClient) and by the bridge
// (core/bridge's Bridge, which has the same entry points and wraps its MqttClient).
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Transport } from '../../core/index.js';
import { portNow } from './deadline-timer.js';

export interface TlsClientOptions {
  ca?: string | Buffer;            // PEM: the CA that signed the server's certificate (default: Node's)
  cert?: string | Buffer;          // PEM: our client certificate
  key?: string | Buffer;
  rejectUnauthorized?: boolean;    // false: accept any server certificate (tests only)
  servername?: string;             // SNI and the name checked (default: the host)
}

export interface ServerAddress {
  host: string;
  port: number;
  tls: TlsClientOptions | null;    // null: plain TCP
}

/** mqtt://host:port or mqtts://host:port (default ports 1883 / 8883) as an address. */
export function parseServerUrl(url: string, tls: TlsClientOptions | null): ServerAddress {
  const m = /^(mqtts?|tcp|ssl|tls):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (m === null) throw new Error(`not an MQTT server address: ${JSON.stringify(url)} (mqtt://host:port or mqtts://host:port)`);
  const secure = m[1] === 'mqtts' || m[1] === 'ssl' || m[1] === 'tls';
  const port = m[3] === undefined ? (secure ? 8883 : 1883) : Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`${url}: port must be 1 to 65535`);
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { host, port, tls: secure ? (tls ?? {}) : null };
}

/** What a ClientSocket drives: the core's MqttClient, or a core/bridge Bridge. */
export interface ClientDriver {
  connect(transport: Transport, nowMs: number): void;
  receive(chunk: Uint8Array, nowMs: number): void;
  writable(nowMs: number): void;
  closed(nowMs: number): void;
  nextDeadline(): number;
  timeout(nowMs: number): void;
  disconnect?(reasonCode: number, nowMs: number): void;
}

/** One socket as the client's Transport. */
class SocketTransport implements Transport {
  private corked = false;
  ended = false;
  handedOver = false;              // given to the client's connect()
  constructor(readonly socket: Socket, private readonly owner: ClientSocket) {}

  write(frame: Uint8Array): boolean {
    if (this.ended) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(frame);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
    // A server that never closes its side: gone after a second anyway.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.owner.after();
  }
}

export class ClientSocket {
  private timer: NodeJS.Timeout | null = null;
  private armedAt = -1;
  private current: SocketTransport | null = null;
  private stopped = false;

  /**
   * `onFailed` hears of a socket that closed before the client could send CONNECT on it
   * (ECONNREFUSED, a TLS error, a timeout), once, when it has closed; a connection that got
   * that far ends through the client's own closed event instead.
   */
  constructor(readonly client: ClientDriver, private readonly onFailed: (err: Error) => void = () => {}) {}

  /** Opens a connection to `addr`; the client sends CONNECT once the socket (and TLS) is up. */
  open(addr: ServerAddress, connectTimeoutMs = 10000): void {
    if (this.current !== null && !this.current.ended) throw new Error('ClientSocket.open: a connection is open');
    this.stopped = false;
    const socket = addr.tls === null
      ? netConnect({ host: addr.host, port: addr.port })
      : tlsConnect({ host: addr.host, port: addr.port, servername: addr.tls.servername ?? (/^[\d.:]+$/.test(addr.host) ? undefined : addr.host), ...addr.tls });
    const t = new SocketTransport(socket, this);
    this.current = t;
    socket.setNoDelay(true);
    socket.setTimeout(connectTimeoutMs);
    socket.on('timeout', () => socket.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)));
    socket.once(addr.tls === null ? 'connect' : 'secureConnect', () => {
      socket.setTimeout(0);
      if (t.ended) return;
      t.handedOver = true;
      this.client.connect(t, portNow());
      this.after();
    });
    socket.on('data', (b: Buffer) => {
      if (t.ended) return;
      this.client.receive(b, portNow());
      this.after();
    });
    socket.on('drain', () => {
      if (t.ended) return;
      this.client.writable(portNow());
      this.after();
    });
    let failure: Error | null = null;
    socket.on('error', (e) => { failure = e; });
    socket.on('close', () => {
      const wasOurs = !t.ended;
      t.ended = true;
      if (this.current === t) this.current = null;
      if (wasOurs) {
        if (t.handedOver) this.client.closed(portNow());
        else this.onFailed(failure ?? new Error('the connection closed before CONNECT'));
      }
      this.after();
    });
  }

  /** Whether a socket is open or opening. */
  busy(): boolean {
    return this.current !== null && !this.current.ended;
  }

  /** After every call into the client: arm the timer for its next deadline if it changed. */
  after(): void {
    const at = this.stopped ? -1 : this.client.nextDeadline();
    if (at === this.armedAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = at;
    if (at < 0) return;
    const ms = Math.ceil(at - portNow());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedAt = -1;
      this.client.timeout(portNow());
      this.after();
    }, ms < 1 ? 1 : ms);
  }

  /** Gives up a socket still opening (not yet handed to the client): destroyed, and nobody told. */
  abort(): void {
    const t = this.current;
    if (t === null || t.handedOver || t.ended) return;
    t.ended = true;
    t.socket.destroy();
  }

  /** Ends for good: DISCONNECT if connected (an MqttClient), the socket closed, no timer left. */
  stop(): void {
    this.stopped = true;
    if (this.client.disconnect !== undefined) this.client.disconnect(0, portNow());   // its DISCONNECT, then the socket's end()
    this.abort();
    this.after();
  }
}
