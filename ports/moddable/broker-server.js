// The Moddable port: ganglion's broker core on ECMA-419 sockets (`embedded:io/socket/listener`
// + `embedded:io/socket/tcp`), with one `timer` for the core's next deadline and a monotonic
// clock from `time`.
//
//   import { BrokerServer } from "ganglion/server";
//   const server = new BrokerServer({ port: 1883, log: trace });
//   server.broker.publish("sensors/t", "21.5", 0, false);     // in-process API of the core
//
// Bytes in: every onReadable reads what the stack holds (one new ArrayBuffer) into
// connection.receive(). While the core has asked to pause (a client not reading its answers)
// nothing is read: the data stays in lwIP and the TCP window closes (inbound backpressure).
// Bytes out: write() never exceeds the free send-buffer count that onWritable(n) or the last
// write() gave (a bigger write throws "would block"); the unsent tail of a frame is copied and
// kept here, and connection.writable() is called once it has drained. So write() holds no
// frame once it returns (writeCopies): lwIP copies what it takes, and the core may write its
// next frame of the same size into the same buffer, allocating nothing per message (PORT.md).
// At most one tail is held here; the core queues the rest, bounded.
// Close: onError (delivered by the SDK after the input is read) closes the socket and tells
// the core; the core's close() waits for a pending tail (a CONNACK refusal, a DISCONNECT) to
// drain first, at most `lingerMs`.
// Time: every call into the core carries the time of a clock built with Time.ticks and
// Time.delta, so the 32-bit tick counter wrapping (every 24.8 days on ESP32) does not disturb
// keep-alive. One timer is armed for broker.nextDeadline() (or a lingering socket's end) and
// re-armed after each call into the core: nothing fires early, and an idle device does not
// wake until something is due.
//
// Module scope holds only constants (a frozen table, functions, classes): this module and the
// core can be preloaded (design.md §4). Per-socket callbacks are shared functions that find
// their transport through the socket's `target` (ECMA-419), not closures per connection.

import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import Time from "time";
import { CLOSED, LOG_FAULT, LOG_LIMIT, createBroker, label } from "ganglion";

/**
 * Broker limits for an ESP32 board target (about 150 KB for all of JS; lwIP allows 8 active
 * TCP connections and an 8 KB send buffer per connection by default). The README's "Moddable
 * (ESP32)" section gives the measured memory behind these numbers.
 */
export const DEVICE_LIMITS = Object.freeze({
  maxConnections: 7,            // 8 PCBs: 7 clients, and one left so an 8th gets a CONNACK refusal, not a dropped SYN
  maxPacketSize: 1024,          // whole packet: a queued message keeps a copy of its payload
  maxSubscriptionsPerClient: 4,
  maxInflight: 2,               // QoS 1/2 messages in flight per client
  maxInflightIn: 2,             // incoming QoS 2 messages awaiting PUBREL per client
  maxQueued: 4,                 // messages queued per session (offline, or over the window)
  maxQueuedBytes: 4096,         // a subscriber's backlog: queued topics + payloads, frames held unsent
  maxOutboundBytes: 2048,       // frames the core holds for a client whose 8 KB send buffer is full
  maxRetainedCount: 16,
  maxRetainedBytes: 4096,       // topics + payloads of all retained messages
  maxTopicLevels: 8,
  connectTimeoutMs: 10000,
  maxSessionExpirySeconds: 3600,
  sysIntervalMs: 0,             // no $SYS topics on the device
  matchCacheSize: 8,
  topicAliasMaximum: 4,
});

// The timer is scheduled with this repeat so that it is never a one-shot timer (which the SDK
// frees once it has fired); each firing schedules it again for the next deadline.
const REPEAT_MS = 0x3fffffff;
const REARM = -2;   // armedAt after the timer fired: matches no deadline, so after() always acts

/** A millisecond clock that never wraps, from the 32-bit Time.ticks and Time.delta. */
export class MonotonicClock {
  constructor() {
    this.last = Time.ticks;
    this.now = 0;
  }

  read() {
    const t = Time.ticks;
    this.now += Time.delta(this.last, t);
    this.last = t;
    return this.now;
  }
}

function merge(base, extra) {
  const out = {};
  Object.assign(out, base);
  if (extra) Object.assign(out, extra);
  return out;
}

// Each callback guards itself (issue 13 §1): a throw in one socket's handler ends that
// socket, is counted in $SYS/broker/errors and logged, and never reaches the host.
function onListenerReadable(count) {
  const server = this.target;
  while (count-- > 0) {
    let raw;
    try {
      raw = this.read();
      if (raw === undefined) return;
      server.accept(raw);
    } catch (e) {
      server.fault(null, "accept", e);
      if (raw !== undefined) {
        try { raw.close(); } catch (e2) { /* gone already */ }
      }
    }
  }
}

function onSocketReadable(count) {
  try { this.target.readable(count); } catch (e) { this.target.faulted("read", e); }
}

function onSocketWritable(count) {
  try { this.target.writableCount(count); } catch (e) { this.target.faulted("write", e); }
}

function onSocketError() {
  try { this.target.peerClosed(); } catch (e) { this.target.faulted("error", e); }
}

/** One TCP connection: the core's Transport. */
export class SocketTransport {
  constructor(server) {
    this.server = server;
    this.tcp = null;
    this.connection = null;
    this.space = 0;          // free send-buffer bytes as the socket last said
    this.tail = null;        // Uint8Array view of a frame not yet handed to the socket
    this.blocked = false;    // write() answered false; the core waits for writable()
    this.paused = false;     // the core asked us to stop reading
    this.unread = 0;         // bytes the socket holds that we have not read
    this.closing = false;    // the core closed it; a tail is still draining
    this.closingSinceMs = 0;
    this.closed = false;
    this.remote = "";
    this.writeCopies = true;  // write() keeps no reference to a frame (the tail is a copy)
  }

  // ---- Transport (called by the core) ----

  write(frame) {
    if (this.closed || this.closing) return true;
    this.tail = frame;
    if (this.flush()) return true;
    // Not all of it fitted: keep a copy of the rest, since the core may reuse `frame`.
    const rest = new Uint8Array(this.tail.byteLength);
    rest.set(this.tail, 0);
    this.tail = rest;
    this.blocked = true;
    return false;
  }

  close() {
    if (this.closed || this.closing) return;
    if (this.tail !== null && this.space === 0 && !this.server.stopping) {
      this.closing = true;          // let the last frame (a refusal, a DISCONNECT) go out first
      this.closingSinceMs = this.server.clock.now;
      this.server.lingering++;
      return;
    }
    this.shut("closed by broker");
  }

  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
    if (this.unread > 0) this.server.readLater(this);
  }

  // ---- from the socket ----

  readable(count) {
    this.unread = count;
    if (this.closed) return;
    if (this.closing) {
      this.tcp.read();      // discard: unread input would turn the close into a reset
      this.unread = 0;
      return;
    }
    if (!this.paused) this.readNow();
  }

  readNow() {
    const buffer = this.tcp.read();
    this.unread = 0;
    if (buffer === undefined) return;
    this.connection.receive(new Uint8Array(buffer), this.server.clock.read());
    this.server.after();
  }

  writableCount(count) {
    this.space = count;
    if (this.tail !== null && !this.flush()) return;
    if (this.closing) {
      this.shut("closed by broker");
      return;
    }
    if (this.blocked) {
      this.blocked = false;
      this.connection.writable(this.server.clock.read());
      this.server.after();
    }
  }

  peerClosed() {
    if (this.closed) return;
    const wasClosing = this.closing;
    this.shut("closed by peer");
    if (!wasClosing) this.connection.closed(this.server.clock.read());
    this.server.after();
  }

  /** One of this socket's callbacks threw: counted, logged, the socket shut and the core told. */
  faulted(where, e) {
    const c = this.connection;
    this.server.fault(c, where, e);
    try { this.shut("closed after an internal error"); } catch (e2) { this.closed = true; }
    if (c !== null && c.state !== CLOSED) {
      try { c.closed(this.server.clock.read()); } catch (e3) { /* the core guards closed() itself */ }
    }
    this.server.after();
  }

  // ---- inside ----

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

  shut(why) {
    if (this.closed) return;
    if (this.closing) this.server.lingering--;
    this.closed = true;
    this.closing = false;
    this.tail = null;
    this.tcp.close();
    this.server.removed(this, why);
  }
}

/**
 * The broker on a TCP port. Options:
 *   port      1883
 *   limits    broker options over DEVICE_LIMITS (core/broker/options.ts lists them all)
 *   hooks     the core's hooks (authenticate, authorizePublish, authorizeSubscribe, log)
 *   log       function(line) for socket events and, unless hooks.log is given, the core's
 *             log lines (on the device: trace with a newline)
 *   lingerMs  5000: how long a socket the core closed may keep draining its last frame
 */
export class BrokerServer {
  constructor(options) {
    const o = options || {};
    const self = this;
    this.clock = new MonotonicClock();
    this.log = o.log || null;
    this.lingerMs = o.lingerMs === undefined ? 5000 : o.lingerMs;
    const hooks = merge(null, o.hooks);
    if (!hooks.log && this.log !== null) {
      hooks.log = function (client, line) { self.log(line); };
    }
    this.broker = createBroker(merge(DEVICE_LIMITS, o.limits), hooks, this.clock.read());
    // Sockets allowed at once: the core's connections plus one, through which a client over the
    // limit still gets its CONNACK refusal. Any more are closed as soon as they are accepted.
    this.maxSockets = this.broker.limits.maxConnections + 1;
    this.transports = [];
    this.toRead = [];
    this.readTimer = null;
    this.stopping = false;
    this.lingering = 0;       // sockets closed by the core whose last frame is still draining
    this.timer = null;        // the one deadline timer (made at the first deadline)
    this.armedAt = -1;        // the time it is set for; -1: not set
    this.readCallback = function () {
      self.readTimer = null;
      try { self.readResumed(); } catch (e) { self.fault(null, "resumed read", e); }
    };
    this.timerCallback = function () {
      self.armedAt = REARM;   // it fired and re-armed itself with its repeat: after() sets it either way
      try {
        self.tick();
      } catch (e) {
        self.fault(null, "timer", e);   // the core guards timeout(); this is the last line
        self.after();
      }
    };
    // A hook's late answer is handled now, at the port's clock, and the timer re-armed.
    this.broker.wake = function () { self.tick(); };
    this.listener = new Listener({ port: o.port === undefined ? 1883 : o.port, onReadable: onListenerReadable, target: this });
    this.after();
  }

  /** Accepts one socket from the listener. */
  accept(raw) {
    // At the socket cap the oldest socket that has sent no CONNECT makes room (as the core's
    // maxPending), else this one is refused.
    if (this.stopping || (this.transports.length >= this.maxSockets && !this.broker.closeOldestPending(this.clock.read(), "sockets " + this.maxSockets))) {
      raw.close();
      this.broker.log(null, "refused a socket: " + this.transports.length + " open", LOG_LIMIT);
      return;
    }
    const t = new SocketTransport(this);
    t.remote = raw.remoteAddress + ":" + raw.remotePort;
    t.tcp = new TCP({ from: raw, onReadable: onSocketReadable, onWritable: onSocketWritable, onError: onSocketError, target: t });
    t.connection = this.broker.connect(t, this.clock.read());
    this.transports.push(t);
    this.say("socket from " + t.remote);
    this.after();
  }

  /** The timer: what the core has due now, and sockets lingering too long after the core closed them. */
  tick() {
    const now = this.clock.read();
    if (this.lingering > 0) {
      const list = this.transports;
      for (let i = list.length - 1; i >= 0; i--) {
        const t = list[i];
        if (t.closing && now - t.closingSinceMs >= this.lingerMs) t.shut("closed by broker (last frame not drained)");
      }
    }
    this.broker.timeout(now);
    this.after();
  }

  /** In-process publish at the port's clock (broker.publish with the time). */
  publish(topic, payload, qos, retain) {
    const n = this.broker.publish(topic, payload, qos, retain, this.clock.read());
    this.after();
    return n;
  }

  /** In-process subscription at the port's clock (broker.subscribe with the time). */
  subscribe(topicFilter, onMessage) {
    const s = this.broker.subscribe(topicFilter, onMessage, this.clock.read());
    this.after();
    return s;
  }

  /** After every call into the core: the one timer follows the earliest deadline. */
  after() {
    if (this.stopping) return;
    let at = this.broker.nextDeadline();
    if (this.lingering > 0) {
      const list = this.transports;
      for (let i = 0; i < list.length; i++) {
        const t = list[i];
        if (t.closing && (at < 0 || t.closingSinceMs + this.lingerMs < at)) at = t.closingSinceMs + this.lingerMs;
      }
    }
    if (at === this.armedAt) return;
    this.armedAt = at;
    if (at < 0) {
      if (this.timer !== null) Timer.schedule(this.timer);   // nothing due: the device sleeps
      return;
    }
    const now = this.clock.read();
    // A far deadline (a session expiring in weeks) is approached in steps the timer can hold:
    // woken early, the core finds nothing due and the timer is set again for the rest.
    const ms = at <= now ? 0 : at - now > REPEAT_MS ? REPEAT_MS : at - now;
    if (this.timer === null) this.timer = Timer.set(this.timerCallback, ms, REPEAT_MS);
    else Timer.schedule(this.timer, ms, REPEAT_MS);
  }

  readLater(t) {
    this.toRead.push(t);
    if (this.readTimer === null) this.readTimer = Timer.set(this.readCallback);
  }

  readResumed() {
    const list = this.toRead;
    while (list.length > 0) {
      const t = list.shift();
      if (!t.paused && !t.closed && !t.closing && t.unread > 0) {
        try { t.readNow(); } catch (e) { t.faulted("read", e); }
      }
    }
  }

  removed(t, why) {
    const i = this.transports.indexOf(t);
    if (i >= 0) this.transports.splice(i, 1);
    const id = t.connection !== null && t.connection.clientId !== "" ? label(t.connection.clientId) + " " : "";
    this.say(id + "(" + t.remote + ") " + why);
  }

  say(line) {
    if (this.log !== null) this.log(line);
  }

  /** A fault caught in the port: counted with the core's ($SYS/broker/errors) and logged. */
  fault(c, where, e) {
    this.broker.stats.errors++;
    const stack = e !== null && typeof e === "object" && typeof e.stack === "string" ? "\n" + e.stack : "";
    this.broker.log(c, "internal error in the port (" + where + "): " + String(e) + stack, LOG_FAULT);
  }

  /**
   * Stops listening and the timers; the core ends every client (broker.close: 5.0 clients get
   * DISCONNECT 0x8B, wills go out) and each socket is shut as soon as its last frame has been
   * handed to the stack: no timer runs to let one linger.
   */
  close() {
    this.stopping = true;
    this.listener.close();
    Timer.clear(this.timer);
    this.timer = null;
    if (this.readTimer !== null) Timer.clear(this.readTimer);
    this.readTimer = null;
    this.broker.close(this.clock.read());
    while (this.transports.length > 0) this.transports[this.transports.length - 1].shut("server closing");
  }
}
