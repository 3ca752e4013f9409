// The Moddable port's outgoing side for the core's client role: one ECMA-419 TCP client
// (`new TCP({ address, port })`, embedded:io/socket/tcp) per network connection, its bytes fed
// to a sink (an MqttClient of core/client, or the core's Bridge, which drives one: both have
// connect / receive / writable / closed / nextDeadline / timeout), and one timer armed for the
// earlier of sink.nextDeadline() and the connect timeout, re-armed after every call into it.
//
// The TCP client takes an IPv4 address, not a host name (the SDK's lin and lwIP
// implementations both parse `address` with inet_aton / ipaddr_aton).
// Connected: the socket's first onWritable(n) (the stack connected it); CONNECT goes then.
// Out: as the listener's sockets (broker-server.js): write() never exceeds the free
// send-buffer count onWritable(n) or the last write() gave; the unsent tail of a frame is kept
// as a view and the client told writable() once it has drained.
// In: every onReadable reads what the stack holds (one ArrayBuffer) into client.receive().
// A connection that fails before CONNECT went (refused, unreachable: onError, or no
// onWritable within connectTimeoutMs if one is set) is reported to owner.failed(why) once, on
// a later turn; one that got that far ends through sink.closed(). hangUp() gives up a dial
// with no report.
//
// Module scope holds only functions and classes (it can be preloaded); the socket callbacks
// are shared functions that find their transport through `target`.

import TCP from "embedded:io/socket/tcp";
import Timer from "timer";

const REPEAT_MS = 0x3fffffff;   // never a one-shot timer (the SDK frees those once fired)
const REARM = -2;

function onReadable(count) {
  const t = this.target;
  t.link.guard(t, "read", count);
}

function onWritable(count) {
  const t = this.target;
  t.link.guard(t, "write", count);
}

function onError() {
  const t = this.target;
  t.link.guard(t, "error", 0);
}

/** One outgoing TCP socket as the client's Transport. */
export class UpstreamTransport {
  constructor(link) {
    this.link = link;
    this.tcp = null;
    this.space = 0;          // free send-buffer bytes as the socket last said
    this.tail = null;        // Uint8Array view of a frame not yet handed to the socket
    this.blocked = false;    // write() answered false; the client waits for writable()
    this.up = false;         // the first onWritable came: the client was handed this transport
    this.ended = false;      // closed by us, or the socket is gone
  }

  write(frame) {
    if (this.ended) return true;   // nowhere to go: dropped
    this.tail = frame;
    if (this.flush()) return true;
    this.blocked = true;
    return false;
  }

  close() {
    if (this.ended) return;
    this.shut();
    this.link.gone(this);
  }

  /** Hands the socket as much of the tail as it can take; true when nothing is left. */
  flush() {
    let tail = this.tail;
    while (tail !== null && this.space > 0) {
      const n = tail.byteLength;
      const take = n <= this.space ? n : this.space;
      const left = this.tcp.write(take === n ? tail : tail.subarray(0, take));
      tail = take === n ? null : tail.subarray(take);
      if (left === undefined) {       // the socket is dead: onError follows
        this.space = 0;
        tail = null;
      } else {
        this.space = left;
      }
    }
    this.tail = tail;
    return tail === null;
  }

  shut() {
    this.ended = true;
    this.tail = null;
    if (this.tcp !== null) {
      try { this.tcp.close(); } catch (e) { /* closed already */ }
    }
  }
}

/**
 * The sink's connections to one server at a time. `owner` gets failed(why) for a connection
 * that ended before CONNECT, and faulted(where, e) when a callback threw. `clock` is the
 * port's monotonic clock (BrokerServer.clock); connectTimeoutMs 0: none.
 */
export class ClientSocket {
  constructor(client, owner, clock, connectTimeoutMs) {
    const self = this;
    this.client = client;
    this.owner = owner;
    this.clock = clock;
    this.connectTimeoutMs = connectTimeoutMs;
    this.current = null;
    this.connectBy = -1;      // the connect timeout's deadline; -1: none
    this.timer = null;
    this.armedAt = -1;
    this.stopped = false;
    this.timerCallback = function () {
      self.armedAt = REARM;
      try { self.timeout(); } catch (e) { self.owner.faulted("timer", e); }
      self.after();
    };
  }

  /** Opens a connection to address:port (an IPv4 address); CONNECT goes once it is up. */
  open(address, port) {
    if (this.current !== null) throw new Error("ganglion: open() while a connection is open");
    this.stopped = false;
    const t = new UpstreamTransport(this);
    this.current = t;
    this.connectBy = this.connectTimeoutMs > 0 ? this.clock.read() + this.connectTimeoutMs : -1;
    try {
      t.tcp = new TCP({ address, port, nodelay: true, onReadable, onWritable, onError, target: t });
    } catch (e) {
      this.lost(t, "cannot connect to " + address + ":" + port + " (" + String(e) + ")");
      return;
    }
    this.after();
  }

  busy() {
    return this.current !== null;
  }

  /** After every call into the client: the one timer follows the earliest deadline. */
  after() {
    let at = this.stopped ? -1 : this.client.nextDeadline();
    if (!this.stopped && this.connectBy >= 0 && (at < 0 || this.connectBy < at)) at = this.connectBy;
    if (at === this.armedAt) return;
    this.armedAt = at;
    if (at < 0) {
      if (this.timer !== null) Timer.schedule(this.timer);
      return;
    }
    const now = this.clock.read();
    const ms = at <= now ? 0 : at - now > REPEAT_MS ? REPEAT_MS : at - now;
    if (this.timer === null) this.timer = Timer.set(this.timerCallback, ms, REPEAT_MS);
    else Timer.schedule(this.timer, ms, REPEAT_MS);
  }

  /** Gives up the dial in progress: its socket closed, nothing reported (the sink asked for it). */
  hangUp() {
    const t = this.current;
    if (t !== null) t.close();
  }

  /** Ends for good (after the sink's own disconnect): any socket closed, no timer left. */
  stop() {
    this.stopped = true;
    const t = this.current;
    if (t !== null && !t.ended) t.close();
    this.current = null;
    this.connectBy = -1;
    Timer.clear(this.timer);
    this.timer = null;
    this.armedAt = -1;
  }

  // ---- inside ----

  timeout() {
    const t = this.current;
    const now = this.clock.read();
    if (t !== null && !t.up && this.connectBy >= 0 && now >= this.connectBy) {
      t.shut();
      this.lost(t, "no connection within " + this.connectTimeoutMs + " ms");
      return;
    }
    this.client.timeout(now);
  }

  /** One socket event: a throw in it ends that connection only. */
  guard(t, what, count) {
    try {
      if (what === "read") this.readable(t);
      else if (what === "write") this.writable(t, count);
      else this.lost(t, "closed by the server or the network");
    } catch (e) {
      this.owner.faulted(what, e);
      try {
        if (!t.ended) {
          const up = t.up;
          t.close();
          if (up) this.client.closed(this.clock.read());
        }
      } catch (e2) {
        // nothing more can be done for this socket
      }
      this.after();
    }
  }

  readable(t) {
    if (t.ended) return;
    const buffer = t.tcp.read();
    if (buffer === undefined || !t.up) return;
    this.client.receive(new Uint8Array(buffer), this.clock.read());
    this.after();
  }

  writable(t, count) {
    if (t.ended) return;
    t.space = count;
    if (!t.up) {
      t.up = true;
      this.connectBy = -1;
      this.client.connect(t, this.clock.read());
      this.after();
      return;
    }
    if (t.tail !== null && !t.flush()) return;
    if (t.blocked) {
      t.blocked = false;
      this.client.writable(this.clock.read());
      this.after();
    }
  }

  /** The socket is gone (or never came up): the client told, or the owner when CONNECT never went. */
  lost(t, why) {
    if (t.ended && this.current !== t) return;
    const up = t.up;
    t.shut();
    this.gone(t);
    if (up) this.client.closed(this.clock.read());
    else {
      const owner = this.owner;
      Timer.set(function () {
        try { owner.failed(why); } catch (e) { owner.faulted("failed", e); }
      });
    }
    this.after();
  }

  gone(t) {
    if (this.current !== t) return;
    this.current = null;
    this.connectBy = -1;
  }
}
