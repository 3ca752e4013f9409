// One client socket as the core's Transport (TCP and TLS; WebSocket wraps the same idea in
// websocket-listener.ts). Bytes in: receive(), timed for latency. Bytes out: written with
// the socket corked, and uncorked once per tick for every socket written to (so a burst to
// one client becomes one writev); write() answers false past the socket's high-water mark
// and the socket's 'drain' tells the core writable(). Port facts about the connection
// (listener, remote address, certificate CN) hang on the transport for the hooks.
import type { Socket } from 'node:net';
import type { Broker, Connection, Transport } from '../../core/index.js';
import type { LatencyHistogram } from './latency.js';
import type { Logger } from './logger.js';
import type { ListenerConfig } from './config.js';

const CLOSED = 3;   // Connection state after the core has let go

export interface Flushable {
  flush(): void;
}

/** Uncorks every socket written to during this tick, once, after the current I/O callback. */
export class Flusher {
  private list: Flushable[] = [];
  private scheduled = false;
  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.list;
    // flush() can write more (a WebSocket close frame): take the list as it is now.
    for (let i = 0; i < list.length; i++) list[i].flush();
    list.length = 0;
  };

  add(t: Flushable): void {
    this.list.push(t);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.run);
    }
  }

  /** Flushes now (shutdown). */
  now(): void {
    if (this.scheduled) this.run();
  }
}

/** What every listener shares: the broker and the port's machinery. */
export interface PortContext {
  broker: Broker;
  latency: LatencyHistogram;
  logger: Logger;
  flusher: Flusher;
  sockets: Set<Socket>;
  closeTimeoutMs: number;
}

/** The facts a hook can read from `connection.transport`. */
export interface PortTransport extends Transport {
  listener: ListenerConfig;
  remoteAddress: string;
  certificateCN: string | null;
  connection: Connection | null;
}

/** Bytes from the peer into the core, with the latency clock running. */
export function receive(ctx: PortContext, c: Connection, chunk: Uint8Array): void {
  const lat = ctx.latency;
  lat.t0 = performance.now();
  try {
    // A plain Uint8Array view of the Buffer: the core's subarray views of it then skip
    // Buffer's slower species path, and nothing of the core sees a Buffer.
    c.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  } finally {
    lat.t0 = -1;
  }
}

export function remoteOf(socket: Socket): string {
  const a = socket.remoteAddress ?? '?';
  return `${a.includes(':') ? `[${a}]` : a}:${socket.remotePort ?? '?'}`;
}

export class SocketTransport implements PortTransport, Flushable {
  connection: Connection | null = null;
  remoteAddress: string;
  private corked = false;
  private closing = false;

  constructor(
    private socket: Socket,
    private ctx: PortContext,
    public listener: ListenerConfig,
    public certificateCN: string | null,
  ) {
    this.remoteAddress = remoteOf(socket);
  }

  write(frame: Uint8Array): boolean {
    const s = this.socket;
    if (this.closing || s.destroyed) return true;
    if ((frame[0] & 0xf0) === 0x30) this.ctx.latency.sample();   // a PUBLISH copy handed over
    if (!this.corked) {
      this.corked = true;
      s.cork();
      this.ctx.flusher.add(this);
    }
    return s.write(frame);
  }

  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    endSocket(this.socket, this.ctx.closeTimeoutMs);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

/** Ends a socket after its pending writes; destroys it if the peer has not closed in time. */
export function endSocket(socket: Socket, timeoutMs: number): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), timeoutMs).unref();
}

/** Serves one accepted TCP or TLS socket. */
export function attachSocket(ctx: PortContext, socket: Socket, listener: ListenerConfig, certificateCN: string | null): void {
  socket.setNoDelay(true);
  ctx.sockets.add(socket);
  const t = new SocketTransport(socket, ctx, listener, certificateCN);
  const c = ctx.broker.connect(t);
  t.connection = c;
  let reason = 'closed by the client';
  socket.on('data', (chunk: Buffer) => receive(ctx, c, chunk));
  socket.on('drain', () => c.writable());
  socket.on('error', (err) => {
    reason = err.message;
    socket.destroy();
  });
  socket.on('close', () => {
    ctx.sockets.delete(socket);
    if (c.state !== CLOSED) {
      ctx.broker.log(c, `connection lost (${reason}) from ${t.remoteAddress} on ${listener.name}`);
      c.closed();
    }
  });
}
