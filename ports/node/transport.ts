// One client socket as the core's Transport (TCP and TLS; WebSocket wraps the same idea in
// websocket-listener.ts). Bytes in: receive(), timed for latency. Bytes out: the frames of
// one tick are held and go out together after the current I/O callback, copied into one
// buffer (so a burst to one client is one write of one buffer); write() answers false past
// the socket's high-water mark and the socket's 'drain' tells the core writable(). Port
// facts about the connection (listener, remote address, certificate CN) hang on the
// transport for the hooks.
import type { Socket } from 'node:net';
import type { Broker, Connection, Transport } from '../../core/index.js';
import { CLOSED, LOG_CLOSED } from '../../core/index.js';
import type { PendingGuard } from './pending-guard.js';
import type { LatencyHistogram } from './latency.js';
import type { Logger } from './logger.js';
import type { Client } from './client.js';
import type { ListenerConfig } from './config.js';
import type { DeadlineTimer } from './deadline-timer.js';
import { portNow } from './deadline-timer.js';
import type { ListenerCounts } from './monitor.js';
import { portFault, socketFault } from './socket-guard.js';
import type { Trace } from './packet-trace.js';
import { traceOf } from './packet-trace.js';

export interface Flushable {
  flush(): void;
}

/** Uncorks every socket written to during this tick, once, after the current I/O callback. */
export class Flusher {
  private list: Flushable[] = [];
  private scheduled = false;
  broker: Broker | null = null;   // where a throw in a flush is counted and logged (socket-guard.ts)
  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.list;
    // flush() can write more (a WebSocket close frame): take the list as it is now.
    for (let i = 0; i < list.length; i++) {
      try {
        list[i].flush();
      } catch (e) {
        if (this.broker !== null) portFault(this.broker, 'flush', e);   // that socket's frames only
      }
    }
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
  timer: DeadlineTimer;   // re-armed after every call into the core
  counts: Map<ListenerConfig, ListenerCounts>;   // per listener, for /metrics and the status page
  guard: PendingGuard;    // sockets without a CONNECT yet, per remote address
}

/** The facts a hook can read from `connection.transport`. */
export interface PortTransport extends Transport {
  listener: ListenerConfig;
  readonly remoteAddress: string;   // "address:port" of the peer
  certificateCN: string | null;
  connection: Connection | null;
  client: Client | null;            // what the application's hooks see, made when first asked for
  trace: Trace | null;              // debug level: a log line per packet in and out (packet-trace.ts)
}

/** Bytes from the peer into the core, with the latency clock running. */
export function receive(ctx: PortContext, c: Connection, chunk: Uint8Array): void {
  const trace = (c.transport as PortTransport).trace;
  if (trace !== null) trace.in.push(chunk);
  const lat = ctx.latency;
  const now = portNow();
  lat.t0 = now;
  try {
    // A plain Uint8Array view of the Buffer: the core's subarray views of it then skip
    // Buffer's slower species path, and nothing of the core sees a Buffer.
    c.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), now);
  } finally {
    lat.t0 = -1;
  }
  ctx.timer.after();
}

/** The socket can take more: the core is told, then the timer re-armed. */
export function writable(ctx: PortContext, c: Connection): void {
  c.writable(portNow());
  ctx.timer.after();
}

/** The peer is gone: the core is told (the will goes out), then the timer re-armed. */
export function lost(ctx: PortContext, c: Connection): void {
  c.closed(portNow());
  ctx.timer.after();
}

/** A new connection in the core, its connect timeout armed. */
export function connectToCore(ctx: PortContext, t: Transport): Connection {
  const c = ctx.broker.connect(t, portNow());
  ctx.timer.after();
  return c;
}

export function remoteOf(socket: Socket): string {
  const a = socket.remoteAddress ?? '?';
  return `${a.includes(':') ? `[${a}]` : a}:${socket.remotePort ?? '?'}`;
}

// The socket's own link to its transport. Idle connections are what a broker holds most of,
// so each holds as little as it can: one property on the socket and the four listeners
// below, shared by every socket (Node calls them with `this` set to the socket), instead of
// four closures and their context per connection.
const TRANSPORT = Symbol('ganglion.transport');
interface ServedSocket extends Socket {
  [TRANSPORT]: SocketTransport;
}

// One buffer for the whole port that a tick's frames for one socket are copied into, to go
// out in one write; replaced when a socket could not take a write at once and keeps it.
const BATCH_BYTES = 65536;
let batch: Buffer | null = null;

function batchBuffer(): Buffer {
  if (batch === null) batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  return batch;
}

export class SocketTransport implements PortTransport, Flushable {
  connection: Connection | null = null;
  client: Client | null = null;
  trace: Trace | null = null;
  private remote: string | null = null;
  private closing = false;
  // The frames written during this tick: most ticks write one, so the list is made only for a second.
  private first: Uint8Array | null = null;
  private rest: Uint8Array[] | null = null;
  private pendingBytes = 0;

  constructor(
    private socket: Socket,
    readonly ctx: PortContext,
    public listener: ListenerConfig,
    public certificateCN: string | null,
  ) {}

  /**
   * The peer's "address:port", for hooks and log lines, made when first asked for: most
   * connections never need it, and asking also makes Node keep a peer-name object. Once the
   * socket is closed Node no longer knows it (attachSocket asks early when info lines are on).
   */
  get remoteAddress(): string {
    if (this.remote === null) this.remote = remoteOf(this.socket);
    return this.remote;
  }

  write(frame: Uint8Array): boolean {
    const s = this.socket;
    if (this.closing || s.destroyed) return true;
    if ((frame[0] & 0xf0) === 0x30) this.ctx.latency.sample();   // a PUBLISH copy handed over
    if (this.trace !== null) this.trace.out.push(frame);
    if (this.first === null) {
      this.first = frame;
      this.ctx.flusher.add(this);
    } else {
      if (this.rest === null) this.rest = [];
      this.rest.push(frame);
    }
    this.pendingBytes += frame.length;
    // Past the high-water mark: out now, and the socket's 'drain' says when to go on.
    if (this.pendingBytes >= s.writableHighWaterMark) return this.send();
    return !s.writableNeedDrain;
  }

  flush(): void {
    if (this.first !== null) this.send();
  }

  /**
   * The frames of this tick as one write: copied into one buffer when they fit the port's
   * batch buffer (one system call and no per-frame stream bookkeeping: a run of small
   * frames costs a third of a writev of them), else corked into one writev. False: the
   * socket is past its high-water mark.
   */
  private send(): boolean {
    const s = this.socket;
    const first = this.first as Uint8Array;
    const rest = this.rest;
    const n = rest === null ? 0 : rest.length;
    const total = this.pendingBytes;
    this.first = null;
    this.pendingBytes = 0;
    if (s.destroyed) {
      if (rest !== null) rest.length = 0;
      return true;
    }
    let ok: boolean;
    if (n === 0) {
      ok = s.write(first);
    } else if (total <= BATCH_BYTES) {
      const b = batchBuffer();
      b.set(first, 0);
      let at = first.length;
      for (let i = 0; i < n; i++) {
        const f = (rest as Uint8Array[])[i];
        b.set(f, at);
        at += f.length;
      }
      ok = s.write(b.subarray(0, total));
      // Written at once, the socket keeps nothing of it; else the buffer is the socket's now.
      if (s.writableLength > 0) batch = null;
    } else {
      s.cork();
      s.write(first);
      for (let i = 0; i < n - 1; i++) s.write((rest as Uint8Array[])[i]);
      ok = s.write((rest as Uint8Array[])[n - 1]);
      s.uncork();
    }
    if (rest !== null) rest.length = 0;
    return ok;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    // Nothing more is read while the last frames drain: a peer still sending (the rest of a
    // CONNECT refused on its header) fills its TCP window, not our memory.
    this.socket.pause();
    endSocket(this.socket, this.ctx.closeTimeoutMs);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The peer went away: the core hears it once, whichever of 'error' and 'close' comes first. */
  lost(reason: string): void {
    const c = this.connection as Connection;
    if (c.state === CLOSED) return;
    this.ctx.broker.log(c, `connection lost (${reason})`, LOG_CLOSED);   // the log hook adds who and where
    lost(this.ctx, c);
  }
}

/** Ends a socket after its pending writes; destroys it if the peer has not closed in time. */
export function endSocket(socket: Socket, timeoutMs: number): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), timeoutMs).unref();
}

// Each callback guards itself (socket-guard.ts): a throw ends that socket, never the process.
function onData(this: Socket, chunk: Buffer): void {
  const t = (this as ServedSocket)[TRANSPORT];
  try {
    receive(t.ctx, t.connection as Connection, chunk);
  } catch (e) {
    socketFault(t.ctx.broker, this, t.connection, 'data', e);
  }
}

function onDrain(this: Socket): void {
  const t = (this as ServedSocket)[TRANSPORT];
  try {
    writable(t.ctx, t.connection as Connection);
  } catch (e) {
    socketFault(t.ctx.broker, this, t.connection, 'drain', e);
  }
}

// An error always ends the socket and a 'close' follows: the connection is reported lost
// here, with the error as the reason, so no reason is kept per connection in the meantime.
function onError(this: Socket, err: Error): void {
  const t = (this as ServedSocket)[TRANSPORT];
  try {
    t.lost(err.message);
  } catch (e) {
    socketFault(t.ctx.broker, this, t.connection, 'error', e);
  }
  this.destroy();
}

function onClose(this: Socket): void {
  const t = (this as ServedSocket)[TRANSPORT];
  t.ctx.sockets.delete(this);
  countClosed(t.ctx, t.listener);
  try {
    t.lost('closed by the client');
  } catch (e) {
    socketFault(t.ctx.broker, this, t.connection, 'close', e);
  }
}

/** At debug level, a trace of every packet of the transport's connection; else null. */
export function tracing(ctx: PortContext, t: PortTransport): Trace | null {
  if (!ctx.logger.enabled('debug')) return null;
  return traceOf(() => t.connection, (line) => ctx.logger.log('debug', `${line}; peer ${t.remoteAddress} on ${t.listener.name}`));
}

export function countOpened(ctx: PortContext, listener: ListenerConfig): void {
  const n = ctx.counts.get(listener);
  if (n !== undefined) {
    n.open++;
    n.accepted++;
  }
}

export function countClosed(ctx: PortContext, listener: ListenerConfig): void {
  const n = ctx.counts.get(listener);
  if (n !== undefined) n.open--;
}

/** Serves one accepted TCP or TLS socket. */
export function attachSocket(ctx: PortContext, socket: Socket, listener: ListenerConfig, certificateCN: string | null): void {
  try {
    socket.setNoDelay(true);
    ctx.sockets.add(socket);
    countOpened(ctx, listener);
    const t = new SocketTransport(socket, ctx, listener, certificateCN);
    // Info lines name the peer, also after the socket has closed: learn it while it is open.
    if (ctx.logger.enabled('info')) void t.remoteAddress;
    t.trace = tracing(ctx, t);
    t.connection = connectToCore(ctx, t);
    ctx.guard.attached(socket, t.connection);
    (socket as ServedSocket)[TRANSPORT] = t;
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('error', onError);
    socket.on('close', onClose);
  } catch (e) {
    socketFault(ctx.broker, socket, null, 'accept', e);
  }
}
