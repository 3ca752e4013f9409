// The Espruino port's outgoing side for the core's client role: one
// `require("net").connect({ host, port })` socket per network connection, its bytes fed to a
// sink (an MqttClient of core/client, or the core's Bridge, which drives one), and one timer
// armed for the earlier of sink.nextDeadline() and the connect timeout, re-armed after every
// call into the sink, on the port's integer clock.
//
// Out: as the listener's sockets (socket-transport.ts), write() takes strings only, always
// returns false and queues without a cap, so this counts the bytes queued since the last
// 'drain' itself: past the send budget write() answers false, the client holds its frames
// (bounded: maxOutboundBytes; PUBLISH waits in its queue) and 'drain' tells it writable().
// In: data events are binary strings (<= 536 bytes each); new Uint8Array(E.toArrayBuffer(s))
// views the string's bytes without copying and is only read.
// A connection that fails before CONNECT goes (refused: on Linux net.connect throws at once;
// unreachable: no 'connect' within connectTimeoutMs, if one is set; 'error' / 'close' first)
// is reported to owner.failed() once, on a later turn of the event loop; one that got that
// far ends through sink.closed(). hangUp() gives up a dial with no report. Espruino has no
// half-close: 'end' and 'close' both mean gone.
import type { ClientEntryPoints, Transport } from '../../core/index.js';
import type { EspruinoNet, EspruinoSocket } from './espruino-api.js';

/** Whole milliseconds (Espruino's Date.now() is fractional). */
function now(): number {
  return Math.floor(Date.now());
}

/** One outgoing socket as the client's Transport. */
export class UpstreamTransport implements Transport {
  socket: EspruinoSocket | null;
  link: ClientSocket;
  queued: number;           // bytes written since the last 'drain'
  full: boolean;            // write() said false; 'drain' calls writable()
  up: boolean;              // 'connect' seen: the client was handed this transport
  ended: boolean;           // closed by us, or the socket is gone

  constructor(link: ClientSocket) {
    this.socket = null;
    this.link = link;
    this.queued = 0;
    this.full = false;
    this.up = false;
    this.ended = false;
  }

  write(frame: Uint8Array): boolean {
    if (this.ended || this.socket === null) return true;   // nowhere to go: dropped
    this.queued += frame.length;
    try {
      this.socket.write(E.toString(frame));
    } catch (e) {
      // "This socket is closed": its 'close' event is on its way.
      return true;
    }
    if (this.queued < this.link.sendBudget) return true;
    this.full = true;
    return false;
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.socket !== null) {
      try { this.socket.end(); } catch (e) { /* closed already */ }
    }
    this.link.gone(this);
  }
}

/** What the client socket tells its owner (a bridge). */
export interface ClientSocketOwner {
  /** The connection ended before CONNECT could go (refused, unreachable, timed out). */
  failed(why: string): void;
  /** A socket callback threw: counted and logged by the owner; the connection is ended. */
  faulted(where: string, e: unknown): void;
}

export class ClientSocket {
  client: ClientEntryPoints;
  net: EspruinoNet;
  owner: ClientSocketOwner;
  sendBudget: number;          // bytes queued on the socket before the client is told "full"
  connectTimeoutMs: number;   // 0: none (the core's Bridge keeps its own)
  current: UpstreamTransport | null;
  connectBy: number;           // the connect timeout's deadline; -1: none
  private timer: unknown;
  private armedAt: number;
  private stopped: boolean;
  private fire: () => void;

  constructor(client: ClientEntryPoints, net: EspruinoNet, owner: ClientSocketOwner, sendBudget: number, connectTimeoutMs: number) {
    this.client = client;
    this.net = net;
    this.owner = owner;
    this.sendBudget = sendBudget;
    this.connectTimeoutMs = connectTimeoutMs;
    this.current = null;
    this.connectBy = -1;
    this.timer = null;
    this.armedAt = -1;
    this.stopped = false;
    const self = this;
    this.fire = function () {
      self.timer = null;
      self.armedAt = -1;
      try {
        self.timeout();
      } catch (e) {
        self.owner.faulted('timer', e);
      }
      self.after();
    };
  }

  /** Opens a connection to host:port; the client sends CONNECT once it is up. */
  open(host: string, port: number): void {
    if (this.current !== null) throw new Error('ganglion: open() while a connection is open');
    this.stopped = false;
    const t = new UpstreamTransport(this);
    this.current = t;
    this.connectBy = this.connectTimeoutMs > 0 ? now() + this.connectTimeoutMs : -1;
    let s: EspruinoSocket;
    try {
      s = this.net.connect({ host: host, port: port });
    } catch (e) {
      // Linux: "Unable to create socket" for a refused connection, thrown at once.
      this.lost(t, 'cannot connect to ' + host + ':' + port + ' (' + String(e) + ')');
      return;
    }
    t.socket = s;
    const link = this;
    // One 'connect' listener and no callback argument: both at once hang Espruino (espruino.md).
    s.on('connect', function () { link.guard(t, 'connect', function () { link.connected(t); }); });
    s.on('data', function (data: string) { link.guard(t, 'data', function () { link.data(t, data); }); });
    s.on('drain', function () { link.guard(t, 'drain', function () { link.drained(t); }); });
    s.on('end', function () { link.guard(t, 'end', function () { link.lost(t, 'closed by ' + host + ':' + port); }); });
    s.on('close', function () { link.guard(t, 'close', function () { link.lost(t, 'closed by ' + host + ':' + port); }); });
    s.on('error', function (err: { code: number; message: string }) {
      link.guard(t, 'error', function () { link.lost(t, 'socket error ' + (err ? err.code + ' ' + err.message : '')); });
    });
    this.after();
  }

  /** Whether a socket is open or opening. */
  busy(): boolean {
    return this.current !== null;
  }

  /** After every call into the client: the timer follows the earliest deadline. */
  after(): void {
    let at = this.stopped ? -1 : this.client.nextDeadline();
    if (!this.stopped && this.connectBy >= 0 && (at < 0 || this.connectBy < at)) at = this.connectBy;
    if (at === this.armedAt) return;
    this.disarm();
    this.armedAt = at;
    if (at < 0) return;
    const ms = at - now();
    this.timer = setTimeout(this.fire, ms < 1 ? 1 : ms > 0x7fffffff ? 0x7fffffff : ms);
  }

  /** Gives up the dial in progress: its socket ended, nothing reported (the sink asked for it). */
  hangUp(): void {
    const t = this.current;
    if (t !== null) t.close();
  }

  /** Ends for good (after the sink's own disconnect): any socket closed, no timer left. */
  stop(): void {
    this.stopped = true;
    const t = this.current;
    if (t !== null && !t.ended) t.close();
    this.current = null;
    this.connectBy = -1;
    this.disarm();
  }

  // ---- inside ----

  timeout(): void {
    const t = this.current;
    if (t !== null && !t.up && this.connectBy >= 0 && now() >= this.connectBy) {
      this.lost(t, 'no connection within ' + this.connectTimeoutMs + ' ms');
      if (t.socket !== null) {
        try { t.socket.end(); } catch (e) { /* gone already */ }
      }
      return;
    }
    this.client.timeout(now());
  }

  connected(t: UpstreamTransport): void {
    if (t.ended || t !== this.current) return;
    t.up = true;
    this.connectBy = -1;
    this.client.connect(t, now());
    this.after();
  }

  data(t: UpstreamTransport, data: string): void {
    if (t.ended || !t.up) return;
    this.client.receive(new Uint8Array(E.toArrayBuffer(data)), now());
    this.after();
  }

  drained(t: UpstreamTransport): void {
    t.queued = 0;
    if (!t.full || t.ended) return;
    t.full = false;
    this.client.writable(now());
    this.after();
  }

  /** The socket is gone (or never came): the client told, or the owner when CONNECT never went. */
  lost(t: UpstreamTransport, why: string): void {
    if (t.ended) return;
    t.ended = true;
    this.gone(t);
    if (t.up) this.client.closed(now());
    else {
      const owner = this.owner;
      // On a later turn: the owner may open the next connection from failed().
      setTimeout(function () {
        try { owner.failed(why); } catch (e) { owner.faulted('failed', e); }
      }, 0);
    }
    this.after();
  }

  /** The transport is done with (closed by the client, or lost). */
  gone(t: UpstreamTransport): void {
    if (this.current !== t) return;
    this.current = null;
    this.connectBy = -1;
  }

  /** A socket callback that throws ends that connection, never the board. */
  guard(t: UpstreamTransport, where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.owner.faulted(where, e);
      try {
        if (!t.ended) {
          const up = t.up;
          t.close();
          if (up) this.client.closed(now());
        }
      } catch (e2) {
        // nothing more can be done for this socket
      }
      this.after();
    }
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    this.timer = null;
    this.armedAt = -1;
  }
}
