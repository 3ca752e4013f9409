// A fake of the Espruino runtime pieces the port touches, behaving as
// shared/espruino.md ("Socket API") describes the real one:
//   - require("net"): createServer(cb) + listen(port); the server emits nothing itself;
//   - received data are binary strings, at most 536 bytes per 'data' event;
//   - socket.write(x) converts x with String(x) (so a Uint8Array goes out as "1,2,255"),
//     appends to an unbounded send queue and always returns false; it throws
//     "This socket is closed" after close;
//   - the event loop sends at most 536 bytes per socket per pass, only while the peer
//     reads; 'drain' fires when a send empties the queue, never while bytes wait;
//   - no half-close: a peer FIN gives 'end' then 'close' at once and drops what is queued;
//     end() closes after the queue has gone out; no pause/resume/destroy on sockets;
//   - events are queued (emit is asynchronous), timers run from a fake clock whose
//     Date.now() is fractional, as on Espruino;
//   - E.toString(u8) / E.toArrayBuffer(str): binary strings <-> bytes. toArrayBuffer views
//     alias the string on Espruino, so the fake remembers every view it handed out and
//     `mutatedViews()` reports any that were written through;
//   - process.memory().usage: variables in use, counted the way Espruino stores things (see
//     countVariables) over what the program keeps: the `roots` a test registers (the
//     listener) and each open socket's event listeners. Closures are opaque to it, so state
//     held only in a closure is not seen.
//   - require("Storage"): a test gives the board a FakeStorage (fake-storage.ts) on a fake
//     flash; when that flash loses power (FakeFlash.onCut), the board stops: the loop runs
//     nothing more and socket writes never reach the wire (what a client saw before the cut
//     is all it ever sees);
//   - require(name) of a module the test registered in `modules` (Modules.addCached);
//   - net.connect({ host, port }) (outgoing sockets): 'connect' fires on the loop once the
//     connection is up; nothing listening on that port throws at once, as Espruino's Linux
//     build does ("Unable to create socket"); a connection to a fake server on the same
//     fake is a linked pair of FakeSockets (LinkEnd), so the board's bridge can talk to a
//     broker listening on the fake (an "upstream"); cut() resets both ends, as a network
//     failure does.
// Nothing here is a real socket: a test drives it with run() and advance(ms).

export const CHUNK = 536;

type Listener = (...args: unknown[]) => void;

class Emitter {
  private listeners: { [event: string]: Listener[] } = {};
  loop: Loop;
  constructor(loop: Loop) {
    this.loop = loop;
  }
  on(event: string, fn: Listener): void {
    (this.listeners[event] ||= []).push(fn);
  }
  /** Espruino's emit is asynchronous: queued to the event loop. */
  emit(event: string, ...args: unknown[]): void {
    const fns = this.listeners[event];
    if (!fns) return;
    this.loop.queue(() => { for (const f of fns.slice()) f(...args); });
  }
  count(event: string): number {
    return (this.listeners[event] || []).length;
  }
  listenerCount(): number {
    let n = 0;
    for (const e of Object.keys(this.listeners)) n += this.listeners[e].length;
    return n;
  }
}

interface Timer {
  id: number;
  at: number;
  every: number;   // 0: once
  fn: () => void;
}

export class Loop {
  events: Array<() => void> = [];
  timers: Timer[] = [];
  now = 1000000.375;      // fractional, like Espruino's Date.now()
  nextId = 1;
  sockets: FakeSocket[] = [];
  errors: unknown[] = [];  // exceptions thrown by handlers (Espruino prints "Uncaught …" and goes on)
  powered = true;          // false once the board's flash lost power: nothing runs any more

  queue(fn: () => void): void {
    this.events.push(fn);
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + (ms || 0), every: 0, fn });
    return id;
  }

  setInterval(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + ms, every: ms, fn });
    return id;
  }

  clearTimer(id: number): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Runs events and network passes until nothing more happens (timers due now included). */
  run(): void {
    for (let guard = 0; guard < 100000; guard++) {
      if (!this.powered) return;
      if (this.events.length > 0) {
        const e = this.events.shift() as () => void;
        try { e(); } catch (err) { this.errors.push(err); }
        continue;
      }
      const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at)[0];
      if (due) {
        if (due.every > 0) due.at += due.every; else this.clearTimer(due.id);
        try { due.fn(); } catch (err) { this.errors.push(err); }
        continue;
      }
      let moved = false;
      for (const s of this.sockets.slice()) if (s.pass()) moved = true;
      if (!moved) return;
    }
    throw new Error('fake event loop: no quiescence after 100000 steps');
  }

  /** Moves the clock forward, firing timers in order, then runs to quiescence. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.run();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.now = Math.max(this.now, next.at);
    }
    this.now = end;
    this.run();
  }
}

function toBinaryString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error('not a binary string: char ' + c + ' at ' + i);
    out[i] = c;
  }
  return out;
}

/** The server side of one TCP connection, as the port sees it. */
export class FakeSocket extends Emitter {
  sendQueue = '';            // what write() appended and the loop has not sent yet
  maxQueued = 0;             // the longest sendQueue ever was
  closed = false;            // closed (events fired); writes throw
  wantClose = false;         // end() called: close once the queue is empty
  peer: ClientEnd;
  inbound = '';              // bytes from the client not yet delivered as 'data'
  drains = 0;

  constructor(loop: Loop, peer: ClientEnd) {
    super(loop);
    this.peer = peer;
  }

  write(data: unknown): boolean {
    if (this.closed) throw new Error('This socket is closed');
    if (!this.loop.powered) return false;   // the board is off: nothing leaves it
    const s = typeof data === 'string' ? data : String(data);
    fromBinaryString(s);   // throws on a char > 255, which a real socket would mangle
    this.sendQueue += s;
    if (this.sendQueue.length > this.maxQueued) this.maxQueued = this.sendQueue.length;
    return false;
  }

  end(): void {
    if (this.closed) return;
    this.wantClose = true;
  }

  /** One pass of the event loop for this socket: deliver, send, close. true if anything moved. */
  pass(): boolean {
    if (this.closed) return false;
    let moved = false;
    if (this.inbound.length > 0) {
      const chunk = this.inbound.slice(0, CHUNK);
      this.inbound = this.inbound.slice(chunk.length);
      this.emit('data', chunk);
      moved = true;
    }
    if (this.sendQueue.length > 0 && this.peer.reading && !this.peer.finSent) {
      const chunk = this.sendQueue.slice(0, CHUNK);
      this.sendQueue = this.sendQueue.slice(chunk.length);
      this.peer.deliver(chunk);
      moved = true;
      if (this.sendQueue.length === 0 && !this.wantClose) {
        this.drains++;
        this.emit('drain');
      }
    }
    if (this.peer.finSent && this.inbound.length === 0) {
      this.shut(false);   // no half-close: end + close now, queued data dropped
      return true;
    }
    if (this.wantClose && this.sendQueue.length === 0 && this.inbound.length === 0) {
      this.shut(false);
      return true;
    }
    return moved;
  }

  /** The peer reset the connection: 'error', then 'close', and what was queued is dropped. */
  resetByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    this.sendQueue = '';
    this.inbound = '';
    this.emit('error', { code: -104, message: 'reset' });
    this.emit('close', true);
  }

  private shut(hadError: boolean): void {
    this.closed = true;
    this.sendQueue = '';
    this.peer.shutByServer();
    this.emit('end');
    this.emit('close', hadError);
  }
}

/** The client side: what a test uses as the MQTT client's TCP connection. */
export class ClientEnd {
  socket!: FakeSocket;
  receivedText = '';
  reading = true;            // false: a slow consumer, nothing leaves the server's queue
  finSent = false;
  closedByServer = false;

  send(bytes: Uint8Array): void {
    if (this.finSent || this.socket.closed) return;
    this.socket.inbound += toBinaryString(bytes);
  }

  /** Bytes the socket's event loop sent to this end. */
  deliver(chunk: string): void {
    this.receivedText += chunk;
  }

  /** The socket closed its side (end() done, or FIN seen). */
  shutByServer(): void {
    this.closedByServer = !this.finSent;
  }

  /** Everything received since the last call. */
  take(): Uint8Array {
    const out = fromBinaryString(this.receivedText);
    this.receivedText = '';
    return out;
  }

  /** The client closes its socket (FIN, no DISCONNECT). */
  fin(): void {
    this.finSent = true;
  }

  /** The connection is reset, whatever the server still had to send. */
  reset(): void {
    this.finSent = true;
    this.socket.resetByPeer();
  }

  get closed(): boolean {
    return this.socket.closed;
  }
}

/**
 * One end of a connection between two sockets of the fake (an outgoing net.connect to a
 * fake server): what its socket sends arrives at the other socket, and its socket closing
 * is a FIN for the other one.
 */
export class LinkEnd extends ClientEnd {
  other!: LinkEnd;

  deliver(chunk: string): void {
    if (this.other.socket.closed || this.other.finSent) return;
    this.other.socket.inbound += chunk;
  }

  shutByServer(): void {
    super.shutByServer();
    this.other.fin();
  }

  /** The network between the two fails: both sockets get 'error' and 'close'. */
  cut(): void {
    this.finSent = true;
    this.other.finSent = true;
    this.socket.resetByPeer();
    this.other.socket.resetByPeer();
  }
}

export class FakeServer {
  net: FakeNet;
  onConnection: (s: FakeSocket) => void;
  port = -1;
  constructor(net: FakeNet, cb: (s: FakeSocket) => void) {
    this.net = net;
    this.onConnection = cb;
  }
  listen(port: number): FakeServer {
    this.port = port;
    this.net.servers.set(port, this);
    return this;
  }
  close(): void {
    if (this.net.servers.get(this.port) !== this) throw new Error('WARNING: Server not found!');
    this.net.servers.delete(this.port);
  }
}

/** The `net` module. */
export class FakeNet {
  loop: Loop;
  servers = new Map<number, FakeServer>();
  constructor(loop: Loop) {
    this.loop = loop;
  }
  createServer(cb: (s: FakeSocket) => void): FakeServer {
    return new FakeServer(this, cb);
  }
  /** Outgoing connections made with connect(), the board's end of each. */
  outgoing: LinkEnd[] = [];
  /** Ports whose host never answers: connect() gives a socket that never connects. */
  unreachable: number[] = [];

  /**
   * net.connect({ host, port }) from the board: the board's socket, 'connect' queued. The
   * host is not looked at: every fake server listens on every address.
   */
  connect(options: { host: string; port: number }, cb?: unknown): FakeSocket {
    if (cb !== undefined) throw new Error('fake net.connect: use .on("connect") (a callback and a listener at once hang Espruino)');
    if (this.unreachable.indexOf(options.port) >= 0) {
      const lost = new ClientEnd();
      const s = new FakeSocket(this.loop, lost);
      lost.socket = s;
      lost.reading = false;
      return s;
    }
    const server = this.servers.get(options.port);
    if (!server) throw new Error('Unable to create socket');   // Linux: after "ERROR: Connect failed (err 111)"
    const near = new LinkEnd();
    const far = new LinkEnd();
    near.other = far;
    far.other = near;
    const mine = new FakeSocket(this.loop, near);   // the board's socket; its peer is the far end
    const theirs = new FakeSocket(this.loop, far);
    near.socket = mine;
    far.socket = theirs;
    this.loop.sockets.push(mine, theirs);
    this.outgoing.push(near);
    this.loop.queue(() => server.onConnection(theirs));
    this.loop.queue(() => mine.emit('connect'));   // the program's listener is on by then
    return mine;
  }

  /** A client connects to `port` (test side). The server callback runs on the loop. */
  dial(port: number): ClientEnd {
    const server = this.servers.get(port);
    if (!server) throw new Error('ERROR: Connect failed (err 111)');
    const c = new ClientEnd();
    const s = new FakeSocket(this.loop, c);
    c.socket = s;
    this.loop.sockets.push(s);
    this.loop.queue(() => server.onConnection(s));
    return c;
  }
}

/** Espruino's `E`, with the aliasing of toArrayBuffer made checkable. */
export class FakeE {
  views: Array<{ original: string; buffer: ArrayBuffer }> = [];
  toStringCalls = 0;

  toString(u8: Uint8Array): string {
    if (!(u8 instanceof Uint8Array) && !(u8 && typeof u8 === 'object' && 'byteLength' in u8)) throw new Error('E.toString: not bytes');
    this.toStringCalls++;
    return toBinaryString(u8);
  }

  toArrayBuffer(str: string): ArrayBuffer {
    if (typeof str !== 'string') throw new Error('E.toArrayBuffer: not a string');
    const bytes = fromBinaryString(str);
    this.views.push({ original: str, buffer: bytes.buffer as ArrayBuffer });
    return bytes.buffer as ArrayBuffer;
  }

  /** Views of received strings that were written through (each mutates a string on Espruino). */
  mutatedViews(): number {
    let n = 0;
    for (const v of this.views) if (toBinaryString(new Uint8Array(v.buffer)) !== v.original) n++;
    return n;
  }
}

// Espruino keeps everything in fixed-size variables (espruino.md, "Memory"): an object or
// array is one, plus one per property or element (name and small value packed), a string
// about one per 12 chars, a typed array one plus its bytes in 12-byte blocks. The fake's
// own objects count one each and are not walked into (on a board they are native).
const FAKE_TYPES: Function[] = [];

function countVariables(roots: unknown[]): number {
  const seen = new Set<unknown>();
  const stack: unknown[] = roots.slice();
  let n = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') { n += 1 + Math.floor(v.length / 12); continue; }
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) continue;
    if (seen.has(v)) continue;
    seen.add(v);
    n++;
    if (typeof v === 'function' || FAKE_TYPES.some((t) => v instanceof t)) continue;
    if (ArrayBuffer.isView(v)) {
      if (!seen.has(v.buffer)) { seen.add(v.buffer); n += Math.ceil(v.buffer.byteLength / 12); }
      continue;
    }
    if (v instanceof ArrayBuffer) { n += Math.ceil(v.byteLength / 12); continue; }
    if (v instanceof Map) {
      v.forEach((value, key) => { n += 2; stack.push(key, value); });
      continue;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      n++;
      if (k.length > 8) n++;   // long names take another variable (espruino.md)
      stack.push(o[k]);
    }
  }
  return n;
}

/** One fake Espruino: loop, net, E, timers and clock (and Storage, if a test gives one). */
export class FakeEspruino {
  loop = new Loop();
  net = new FakeNet(this.loop);
  E = new FakeE();
  /** require("Storage"), if the board has one (a FakeStorage). */
  storage: { flash: { onCut: (() => void) | null } } | null = null;
  /** Modules a test added (Modules.addCached): require(name) gives them. */
  modules: Record<string, unknown> = {};

  /** Gives the board a Storage; power goes off for the whole board when its flash is cut. */
  useStorage(storage: { flash: { onCut: (() => void) | null } }): void {
    this.storage = storage;
    const loop = this.loop;
    storage.flash.onCut = () => { loop.powered = false; };
  }
  /** What the program keeps, for process.memory(): a test registers the listener here. */
  roots: unknown[] = [];
  process = {
    memory: (): { usage: number } => {
      let listeners = 0;
      for (const s of this.loop.sockets) if (!s.closed) listeners += s.listenerCount();
      return { usage: countVariables(this.roots) + listeners };
    },
  };
  /** The globals a real Espruino has, as functions bound to this fake. */
  globals(): Record<string, unknown> {
    const loop = this.loop;
    const net = this.net;
    const self = this;
    return {
      E: this.E,
      setTimeout: (fn: () => void, ms: number) => loop.setTimeout(fn, ms),
      setInterval: (fn: () => void, ms: number) => loop.setInterval(fn, ms),
      clearTimeout: (id: number) => loop.clearTimer(id),
      clearInterval: (id: number) => loop.clearTimer(id),
      require: (name: string) => {
        if (name === 'net') return net;
        if (name === 'Storage' && self.storage !== null) return self.storage;
        if (Object.prototype.hasOwnProperty.call(self.modules, name)) return self.modules[name];
        throw new Error('Module "' + name + '" not found');
      },
      dateNow: () => loop.now,
    };
  }
}

FAKE_TYPES.push(Loop, FakeSocket, ClientEnd, FakeServer, FakeNet, FakeE, FakeEspruino);
