// A fake of the Moddable SDK's ECMA-419 sockets (`embedded:io/socket/listener`,
// `embedded:io/socket/tcp`) and of its `timer` and `time` modules, for running the Moddable
// port (ports/moddable/broker-server.js) inside real XS (xsnap) and on Node with no SDK.
//
// It follows what shared/moddable.md and the SDK's lwIP implementation
// (modules/io/socket/lwip/tcp.c) describe, including the parts a port gets wrong first:
//   - callbacks are never called from inside a method: events are queued and delivered by
//     run() (the device's run loop), per socket, with the same order as tcpDeliver:
//     onReadable, then onWritable, and onError only once the input has been read;
//   - onWritable(n) fires once after adoption (`new TCP({ from })`) and after every ACK, with
//     n = free send-buffer bytes; write() returns the bytes still free; a write() larger
//     than that throws "would block" and sends nothing; write() before the socket is ready
//     throws "not ready"; on a dead socket it returns undefined;
//   - read() returns a new ArrayBuffer of everything buffered (read(n): exactly n, throws
//     when n is more than buffered), undefined when nothing is buffered; unread input stays
//     in the stack (inbound backpressure);
//   - a TCP stack with a fixed number of PCBs (`maxActive`, 8 on the SDK's ESP32 defaults):
//     a connection attempt when all are in use is refused by the stack and never reaches JS;
//   - Time.ticks is a signed 32-bit millisecond counter that wraps; Time.delta handles it.
// The peer side (FakePeer) is the test's MQTT client: send() bytes, read what arrived,
// acknowledge (auto or by hand, so a slow consumer can keep the send buffer full), end().
//
// ECMAScript built-ins only (it runs in XS). Module state (`world`) is test-only: the port
// under test keeps none.

export type Callback = (this: unknown, n?: number) => void;

export interface TcpOptions {
  from?: FakeTCP;
  address?: string;
  port?: number;
  onReadable?: (this: FakeTCP, n: number) => void;
  onWritable?: (this: FakeTCP, n: number) => void;
  onError?: (this: FakeTCP) => void;
  target?: unknown;
  format?: string;
  nodelay?: boolean;
}

export interface ListenerOptions {
  port: number;
  onReadable?: (this: FakeListener, n: number) => void;
  target?: unknown;
}

const READABLE = 1, WRITABLE = 2, ERROR = 4, OUTPUT = 8;

/** What went wrong inside the fake: the port broke the API's rules. */
export class Violations {
  list: string[];
  constructor() {
    this.list = [];
  }
  add(s: string): void {
    if (this.list.length < 50) this.list.push(s);
  }
}

export class FakeTCP {
  target: unknown;
  peer: FakePeer | null;
  rx: Uint8Array[];            // received, not yet read
  rxBytes: number;
  sendBuffer: number;
  unacked: number;             // written, not yet acknowledged by the peer
  ready: boolean;
  error: boolean;              // the peer closed or reset
  closed: boolean;             // close() called
  adopted: boolean;            // a `from` socket whose native part moved to a new TCP
  triggered: number;
  queued: boolean;
  onReadable: ((this: FakeTCP, n: number) => void) | null;
  onWritable: ((this: FakeTCP, n: number) => void) | null;
  onError: ((this: FakeTCP) => void) | null;
  remoteAddress: string;
  remotePort: number;
  writes: number;              // write() calls that sent bytes
  largestWrite: number;

  constructor(options?: TcpOptions) {
    const w = world;
    this.target = undefined;
    this.peer = null;
    this.rx = [];
    this.rxBytes = 0;
    this.sendBuffer = w.sendBuffer;
    this.unacked = 0;
    this.ready = false;
    this.error = false;
    this.closed = false;
    this.adopted = false;
    this.triggered = 0;
    this.queued = false;
    this.onReadable = null;
    this.onWritable = null;
    this.onError = null;
    this.remoteAddress = '';
    this.remotePort = 0;
    this.writes = 0;
    this.largestWrite = 0;
    if (options === undefined) return;   // the listener's raw socket
    const from = options.from;
    if (from === undefined) {
      this.dial(options);
      return;
    }
    if (from.adopted || from.closed) throw new Error('invalid from');
    if (options.format !== undefined && options.format !== 'buffer') throw new RangeError('unimplemented');
    if (options.target !== undefined) this.target = options.target;
    this.onReadable = options.onReadable || null;
    this.onWritable = options.onWritable || null;
    this.onError = options.onError || null;
    // Take over the native socket.
    this.peer = from.peer;
    this.rx = from.rx;
    this.rxBytes = from.rxBytes;
    this.unacked = from.unacked;
    this.ready = from.ready;
    this.error = from.error;
    this.remoteAddress = from.remoteAddress;
    this.remotePort = from.remotePort;
    from.adopted = true;
    from.peer = null;
    from.rx = [];
    from.rxBytes = 0;
    if (this.peer !== null) this.peer.socket = this;
    let t = from.triggered;
    from.triggered = 0;
    if (this.onWritable !== null && this.free() > 0) t |= WRITABLE;
    if (this.onReadable !== null && this.rxBytes > 0) t |= READABLE;
    if (this.error) t |= ERROR;
    if (t !== 0) this.trigger(t);
  }

  /**
   * An outgoing connection (`new TCP({ address, port })`): the address must be an IPv4 address
   * (the SDK parses it with inet_aton and throws "invalid address"); the fake's listeners
   * listen on every address. Connected: the first onWritable; refused (nothing listens, or no
   * PCB): onError, and a write before then throws "not ready".
   */
  private dial(options: TcpOptions): void {
    const address = options.address;
    if (typeof address !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) throw new Error('invalid address');
    const port = options.port as number;
    if (!(port >= 0 && port <= 65535)) throw new RangeError('invalid port');
    if (options.format !== undefined && options.format !== 'buffer') throw new RangeError('unimplemented');
    if (options.target !== undefined) this.target = options.target;
    this.onReadable = options.onReadable || null;
    this.onWritable = options.onWritable || null;
    this.onError = options.onError || null;
    this.remoteAddress = address;
    this.remotePort = port;
    const w = world;
    w.active++;
    if (w.unreachable.indexOf(port) >= 0) return;   // no answer: neither onWritable nor onError
    const far = w.accept(port);
    if (far === null) {
      this.error = true;
      this.trigger(ERROR);
      return;
    }
    const near = new LinkPeer(this, 0);
    this.peer = near;
    near.other = far;
    far.other = near;
    w.links.push(near);
    this.ready = true;
    this.trigger(WRITABLE);
  }

  free(): number {
    return this.sendBuffer - this.unacked;
  }

  read(n?: number): ArrayBuffer | undefined {
    if (this.closed || this.adopted) throw new Error('closed');
    if (this.rxBytes === 0) return undefined;
    const want = n === undefined ? this.rxBytes : n;
    if (want <= 0 || want > this.rxBytes) throw new Error('invalid');
    let out: ArrayBuffer;
    const first = this.rx[0];
    if (first.length === want) {
      // One received segment read whole: one new ArrayBuffer, as the native read() makes.
      out = first.buffer.slice(first.byteOffset, first.byteOffset + want) as ArrayBuffer;
      this.rx.shift();
    } else {
      out = new ArrayBuffer(want);
      const view = new Uint8Array(out);
      let o = 0;
      while (o < want) {
        const seg = this.rx[0];
        const take = Math.min(seg.length, want - o);
        view.set(take === seg.length ? seg : seg.subarray(0, take), o);
        o += take;
        if (take === seg.length) this.rx.shift();
        else this.rx[0] = seg.subarray(take);
      }
    }
    this.rxBytes -= want;
    if (this.rxBytes === 0 && this.error) this.trigger(ERROR);   // delivered once input is drained
    return out;
  }

  write(data: ArrayBuffer | Uint8Array): number | undefined {
    if (this.closed || this.adopted) throw new Error('closed');
    if (!this.ready) throw new Error('not ready');
    if (this.error || this.peer === null) return undefined;
    const view = data instanceof Uint8Array ? data : new Uint8Array(data);
    const n = view.length;
    if (n > this.free()) {
      world.violations.add('write of ' + n + ' bytes with ' + this.free() + ' free (would block)');
      throw new Error('would block');
    }
    if (n === 0) return this.free();
    this.unacked += n;
    this.writes++;
    if (n > this.largestWrite) this.largestWrite = n;
    this.peer.arrive(view);   // the bytes are copied, as lwIP copies them (TCP_WRITE_FLAG_COPY)
    this.trigger(OUTPUT);
    return this.free();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onReadable = null;
    this.onWritable = null;
    this.onError = null;
    this.triggered = 0;
    if (!this.adopted) world.release(this);
    const p = this.peer;
    this.peer = null;
    if (p !== null) p.serverClosed();
  }

  trigger(bits: number): void {
    this.triggered |= bits;
    if (!this.queued) {
      this.queued = true;
      world.queue.push(this);
    }
  }

  /** One delivery, as tcpDeliver does it. */
  deliver(): void {
    this.queued = false;
    let t = this.triggered;
    this.triggered = 0;
    if (this.closed || this.adopted) return;
    if ((t & OUTPUT) !== 0 && this.peer !== null) this.peer.flushed();
    if ((t & ERROR) !== 0 && this.rxBytes === 0) t &= ~WRITABLE;
    if ((t & READABLE) !== 0 && this.rxBytes > 0 && this.onReadable !== null) {
      this.onReadable(this.rxBytes);
      if (this.closed) return;
    }
    if (this.error && this.rxBytes > 0) return;   // error delivered after the input is read
    if (!this.error) {
      if ((t & WRITABLE) !== 0 && this.onWritable !== null) this.onWritable(this.free());
    } else if ((t & ERROR) !== 0 && this.onError !== null) {
      this.onError();
    }
  }
}

export class FakeListener {
  target: unknown;
  port: number;
  pending: FakeTCP[];
  onReadable: ((this: FakeListener, n: number) => void) | null;
  queued: boolean;
  closed: boolean;

  constructor(options: ListenerOptions) {
    this.port = options.port;
    this.target = options.target;
    this.onReadable = options.onReadable || null;
    this.pending = [];
    this.queued = false;
    this.closed = false;
    if (world.listeners.has(String(this.port))) throw new Error('socket bind');
    world.listeners.set(String(this.port), this);
  }

  read(): FakeTCP | undefined {
    const t = this.pending.shift();
    if (t === undefined) return undefined;
    t.ready = true;
    return t;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    world.listeners.delete(String(this.port));
    while (this.pending.length > 0) (this.pending.shift() as FakeTCP).close();
  }

  deliver(): void {
    this.queued = false;
    if (!this.closed && this.pending.length > 0 && this.onReadable !== null) this.onReadable(this.pending.length);
  }
}

/** The test's side of one TCP connection. */
export class FakePeer {
  socket: FakeTCP;
  autoAck: boolean;            // acknowledge everything as soon as it arrives (a fast reader)
  keepAll: boolean;            // keep every byte received (else only the last write, in `last`)
  keepLast: boolean;           // keep the last write in `last` (neither: count bytes only)
  received: Uint8Array[];      // copies, in order, when keepAll
  taken: number;               // received chunks already read by take()
  last: Uint8Array;            // the last write's bytes (first `lastLength`) when !keepAll
  lastLength: number;
  bytesIn: number;             // everything that arrived from the broker
  waitingAck: number;          // arrived, not yet acknowledged
  closedByServer: boolean;
  ended: boolean;

  /** capture: 2 keep everything, 1 keep the last write, 0 count bytes only. */
  constructor(socket: FakeTCP, capture: number) {
    this.socket = socket;
    this.autoAck = true;
    this.keepAll = capture === 2;
    this.keepLast = capture === 1;
    this.received = [];
    this.taken = 0;
    this.last = new Uint8Array(capture === 1 ? 4096 : 0);
    this.lastLength = 0;
    this.bytesIn = 0;
    this.waitingAck = 0;
    this.closedByServer = false;
    this.ended = false;
  }

  /** Bytes to the broker (they wait in the stack until the port reads them). */
  send(bytes: Uint8Array): void {
    const s = this.socket;
    if (this.ended || this.closedByServer) return;
    s.rx.push(bytes);
    s.rxBytes += bytes.length;
    s.trigger(READABLE);
  }

  arrive(view: Uint8Array): void {
    this.bytesIn += view.length;
    this.waitingAck += view.length;
    if (this.keepAll) this.received.push(view.slice(0));
    else if (this.keepLast) {
      this.last.set(view, 0);
      this.lastLength = view.length;
    }
  }

  /** The stack sent what was written: a fast peer acknowledges it at once. */
  flushed(): void {
    if (this.autoAck) this.ack(this.waitingAck);
  }

  /** The peer acknowledges `n` bytes: send-buffer space returns, onWritable follows. */
  ack(n: number): void {
    const s = this.socket;
    if (n > this.waitingAck) n = this.waitingAck;
    if (n <= 0) return;
    this.waitingAck -= n;
    s.unacked -= n;
    s.trigger(WRITABLE);
  }

  /** Everything received since the last take(), as one byte array. */
  take(): Uint8Array {
    let n = 0;
    for (let i = this.taken; i < this.received.length; i++) n += this.received[i].length;
    const out = new Uint8Array(n);
    let o = 0;
    for (let i = this.taken; i < this.received.length; i++) {
      out.set(this.received[i], o);
      o += this.received[i].length;
    }
    this.taken = this.received.length;
    return out;
  }

  /** The peer closes (FIN) or resets: onError once the port has read what is buffered. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const s = this.socket;
    if (s.closed) return;
    s.error = true;
    s.trigger(ERROR);
  }

  serverClosed(): void {
    this.closedByServer = true;
  }
}

/**
 * One end of a connection between two sockets of the fake (an outgoing TCP to a fake
 * listener): what its socket writes arrives at the other socket, and its socket closing is a
 * FIN for the other one.
 */
export class LinkPeer extends FakePeer {
  other: LinkPeer | null;
  stalled: boolean;            // the network holds what this socket writes (unacknowledged) until resume()
  held: Uint8Array[];

  constructor(socket: FakeTCP, capture: number) {
    super(socket, capture);
    this.other = null;
    this.stalled = false;
    this.held = [];
  }

  arrive(view: Uint8Array): void {
    if (this.stalled) {
      this.bytesIn += view.length;
      this.held.push(view.slice(0));
      return;
    }
    super.arrive(view);
    if (this.other !== null) this.other.send(view.slice(0));
  }

  /** The stalled network moves again: what it held arrives. */
  resume(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      this.bytesIn -= held[i].length;
      this.arrive(held[i]);
    }
    this.flushed();
  }

  serverClosed(): void {
    super.serverClosed();
    if (this.other !== null) this.other.end();
  }

  /** The network between the two fails: each socket gets onError (once its input is read). */
  cut(): void {
    this.held = [];
    if (this.other !== null) this.other.held = [];
    this.end();
    if (this.other !== null) this.other.end();
  }
}

export interface TimerRecord {
  callback: (t: TimerRecord) => void;
  due: number;
  interval: number;     // 0: one-shot
  active: boolean;
}

export class World {
  sendBuffer: number;
  maxActive: number;
  active: number;                   // PCBs in use (accepted, pending or open)
  listeners: Map<string, FakeListener>;
  queue: Array<FakeTCP | FakeListener>;
  timers: TimerRecord[];
  nowMs: number;                    // the fake clock
  tickBase: number;                 // Time.ticks = (tickBase + nowMs) as signed 32-bit
  violations: Violations;
  refused: number;                  // connection attempts the stack refused (no PCB)
  nextPort: number;
  links: LinkPeer[];                // outgoing connections, the dialling socket's end of each
  unreachable: number[];            // ports whose host never answers: an outgoing TCP never connects

  constructor(sendBuffer: number, maxActive: number, tickBase: number) {
    this.sendBuffer = sendBuffer;
    this.maxActive = maxActive;
    this.active = 0;
    this.listeners = new Map();
    this.queue = [];
    this.timers = [];
    this.nowMs = 0;
    this.tickBase = tickBase;
    this.violations = new Violations();
    this.refused = 0;
    this.nextPort = 50000;
    this.links = [];
    this.unreachable = [];
  }

  /**
   * An outgoing connection arriving at `port`: the listener's end (a raw socket pending in
   * it, whose peer is returned), or null when nothing listens there or no PCB is left.
   */
  accept(port: number): LinkPeer | null {
    const l = this.listeners.get(String(port));
    if (l === undefined || this.active >= this.maxActive) {
      this.refused++;
      return null;
    }
    this.active++;
    const raw = new FakeTCP();
    raw.remoteAddress = '10.0.0.' + (2 + (this.nextPort % 200));
    raw.remotePort = this.nextPort++;
    const peer = new LinkPeer(raw, 0);
    raw.peer = peer;
    l.pending.push(raw);
    if (!l.queued) {
      l.queued = true;
      this.queue.push(l);
    }
    return peer;
  }

  /**
   * A client connects to `port`: its peer, or null when nothing listens or no PCB is free.
   * capture: what the peer keeps of what it receives (FakePeer).
   */
  connect(port: number, capture: number): FakePeer | null {
    const l = this.listeners.get(String(port));
    if (l === undefined || this.active >= this.maxActive) {
      this.refused++;
      return null;
    }
    this.active++;
    const raw = new FakeTCP();
    raw.remoteAddress = '192.168.4.' + (2 + (this.nextPort % 200));
    raw.remotePort = this.nextPort++;
    const peer = new FakePeer(raw, capture);
    raw.peer = peer;
    l.pending.push(raw);
    if (!l.queued) {
      l.queued = true;
      this.queue.push(l);
    }
    return peer;
  }

  release(_t: FakeTCP): void {
    this.active--;
  }

  /** Delivers queued events (and due timers) until nothing is left: the run loop. */
  run(): void {
    for (let guard = 0; guard < 1000000; guard++) {
      if (this.queue.length > 0) {
        (this.queue.shift() as FakeTCP | FakeListener).deliver();
        continue;
      }
      if (!this.fireDue()) return;
    }
    throw new Error('fake run loop: events never settle');
  }

  /**
   * Moves the clock `ms` forward in steps of at most `stepMs`, stopping at each timer's due
   * time exactly (a timer fires on time, never early or late), running events on the way.
   */
  advance(ms: number, stepMs: number): void {
    const end = this.nowMs + ms;
    this.run();
    while (this.nowMs < end) {
      let next = Math.min(end, this.nowMs + stepMs);
      for (let i = 0; i < this.timers.length; i++) {
        const t = this.timers[i];
        if (t.active && t.due > this.nowMs && t.due < next) next = t.due;
      }
      this.nowMs = next;
      this.run();
    }
  }

  private fireDue(): boolean {
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i];
      if (t.active && t.due <= this.nowMs) {
        if (t.interval > 0) t.due = this.nowMs + t.interval;
        else {
          t.active = false;
          this.timers.splice(i, 1);
        }
        t.callback(t);
        return true;
      }
    }
    return false;
  }

  ticks(): number {
    return (this.tickBase + this.nowMs) | 0;
  }
}

export let world = new World(8192, 8, 0);

/** A fresh world: send buffer bytes per connection, PCBs, and where Time.ticks starts. */
export function resetWorld(sendBuffer: number, maxActive: number, tickBase: number): World {
  world = new World(sendBuffer, maxActive, tickBase);
  return world;
}

// ---- the `timer` and `time` modules ----

export const FakeTimer = {
  set(callback: (t: TimerRecord) => void, ms?: number, interval?: number): TimerRecord {
    const t: TimerRecord = { callback: callback, due: world.nowMs + (ms || 0), interval: interval || 0, active: true };
    world.timers.push(t);
    return t;
  },
  repeat(callback: (t: TimerRecord) => void, ms: number): TimerRecord {
    const t: TimerRecord = { callback: callback, due: world.nowMs + ms, interval: ms, active: true };
    world.timers.push(t);
    return t;
  },
  schedule(t: TimerRecord, ms?: number, interval?: number): void {
    if (ms === undefined) {
      t.active = false;
      return;
    }
    t.active = true;
    t.due = world.nowMs + ms;
    t.interval = interval || 0;
    if (world.timers.indexOf(t) < 0) world.timers.push(t);
  },
  clear(t: TimerRecord | null | undefined): void {
    if (t === null || t === undefined) return;
    t.active = false;
    const i = world.timers.indexOf(t);
    if (i >= 0) world.timers.splice(i, 1);
  },
};

export const FakeTime = {
  get ticks(): number {
    return world.ticks();
  },
  delta(start: number, end?: number): number {
    const e = end === undefined ? world.ticks() : end;
    return (e - start) | 0;
  },
};
