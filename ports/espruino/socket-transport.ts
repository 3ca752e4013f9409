// One Espruino socket as the core's Transport.
//
// Out: Espruino's write() takes strings only, always returns false and queues without a
// cap, so this counts the bytes it has queued itself: past the send budget write()
// answers false (the core then queues, bounded, and drops QoS 0 first) and the socket's
// 'drain' (fired when its send queue has emptied) resets the count and tells the core
// writable(). E.toString(frame) may hand back the frame's own backing string, but
// write() appends its bytes to the socket's send queue (clientRequestWrite in Espruino's
// libs/network/socketserver.c), so no reference to the frame is kept: writeCopies, and the
// core may write its next frame of the same size into the same buffer (PORT.md).
//
// In: data events are binary strings; new Uint8Array(E.toArrayBuffer(s)) views the
// string's bytes without copying. The view is only read: writing through it would change
// the "immutable" string. Espruino sockets cannot pause, so while the core asks for a
// pause the strings are held here, and a client that sends more than the receive budget
// meanwhile is dropped.
import type { Connection, Transport } from '../../core/index.js';
import { CLOSED } from '../../core/index.js';
import type { EspruinoSocket } from './espruino-api.js';

/** What a transport reports back to its listener. */
export interface TransportOwner {
  sendBudget: number;
  receiveBudget: number;
  ended(t: SocketTransport): void;     // the socket is gone
  now(): number;                       // the port's clock, for every call into the core
  after(): void;                       // re-arm the timer after a call into the core
  later(fn: () => void): void;         // run fn on a later turn of the event loop
  faulted(t: SocketTransport, where: string, e: unknown): void;   // a callback threw: end that socket only
}

export class SocketTransport implements Transport {
  socket: EspruinoSocket;
  owner: TransportOwner;
  connection: Connection | null;
  queued: number;           // bytes written to the socket since its last 'drain'
  full: boolean;            // write() said false; 'drain' calls writable()
  closing: boolean;
  paused: boolean;
  held: string[];           // data received while paused
  heldBytes: number;
  gone: boolean;            // the socket cannot be written to any more
  ended: boolean;           // 'end', 'close' or 'error' seen and reported
  readonly writeCopies: boolean;   // write() copies the frame into the send queue (see above)

  constructor(socket: EspruinoSocket, owner: TransportOwner) {
    this.socket = socket;
    this.owner = owner;
    this.connection = null;
    this.queued = 0;
    this.full = false;
    this.closing = false;
    this.paused = false;
    this.held = [];
    this.heldBytes = 0;
    this.gone = false;
    this.ended = false;
    this.writeCopies = true;
  }

  /** Wires the socket's events to the connection. */
  attach(c: Connection): void {
    this.connection = c;
    const t = this;
    const s = this.socket;
    // Each callback guards itself: a throw ends this socket (owner.faulted), never the board.
    s.on('data', function (data: string) { try { t.data(data); } catch (e) { t.owner.faulted(t, 'data', e); } });
    s.on('drain', function () { try { t.drained(); } catch (e) { t.owner.faulted(t, 'drain', e); } });
    s.on('end', function () { try { t.lost(); } catch (e) { t.owner.faulted(t, 'end', e); } });
    s.on('close', function () { try { t.lost(); } catch (e) { t.owner.faulted(t, 'close', e); } });
    s.on('error', function () { try { t.lost(); } catch (e) { t.owner.faulted(t, 'error', e); } });
  }

  /** After a fault: the socket is ended and the core told, each step on its own guard. */
  abandon(): void {
    const wasEnded = this.ended;
    this.ended = true;
    this.gone = true;
    this.closing = true;
    this.held = [];
    this.heldBytes = 0;
    try { this.socket.end(); } catch (e) { /* already closed */ }
    const c = this.connection;
    if (c !== null && c.state !== CLOSED) {
      try { c.closed(this.owner.now()); } catch (e) { /* the core guards closed() itself */ }
    }
    if (!wasEnded) this.owner.ended(this);
  }

  write(frame: Uint8Array): boolean {
    if (this.closing || this.gone) return true;   // nowhere to go: dropped
    this.queued += frame.length;
    try {
      this.socket.write(E.toString(frame));
    } catch (e) {
      // "This socket is closed": its 'close' event is on its way.
      this.gone = true;
      return true;
    }
    if (this.queued < this.owner.sendBudget) return true;
    this.full = true;
    return false;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.held = [];
    this.heldBytes = 0;
    if (!this.gone) this.socket.end();   // after what is queued has gone out
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // Not now: the core is in the middle of its own processing.
    if (this.held.length > 0) {
      const t = this;
      this.owner.later(function () { try { t.feedHeld(); } catch (e) { t.owner.faulted(t, 'held data', e); } });
    }
  }

  private data(data: string): void {
    const c = this.connection as Connection;
    if (c.state === CLOSED || this.closing || this.ended) return;
    if (this.paused || this.held.length > 0) {
      this.held.push(data);
      this.heldBytes += data.length;   // binary string: one char per byte
      if (this.heldBytes > this.owner.receiveBudget) {
        c.closed(this.owner.now());   // floods while not reading: dropped
        this.owner.after();
      }
      return;
    }
    c.receive(new Uint8Array(E.toArrayBuffer(data)), this.owner.now());
    this.owner.after();
  }

  private feedHeld(): void {
    const c = this.connection as Connection;
    while (!this.paused && this.held.length > 0 && c.state !== CLOSED) {
      const data = this.held.shift() as string;
      this.heldBytes -= data.length;
      c.receive(new Uint8Array(E.toArrayBuffer(data)), this.owner.now());
    }
    this.owner.after();
  }

  private drained(): void {
    this.queued = 0;
    if (!this.full) return;
    this.full = false;
    const c = this.connection as Connection;
    if (c.state !== CLOSED) c.writable(this.owner.now());
    this.owner.after();
  }

  /** The socket is gone: 'end', 'close' or 'error' (Espruino has no half-close). */
  private lost(): void {
    if (this.ended) return;
    this.ended = true;
    this.gone = true;
    this.held = [];
    this.heldBytes = 0;
    const c = this.connection as Connection;
    if (c.state !== CLOSED) c.closed(this.owner.now());   // not after DISCONNECT or our own close: the will goes out
    this.owner.ended(this);
    this.owner.after();
  }
}
