// Sockets that have not sent a CONNECT yet, per remote address: from the TCP accept (so TLS
// handshakes and WebSocket upgrades in progress count) until a whole CONNECT has arrived
// (what follows, authentication, is bounded by the login throttle and the connect
// timeout, and in a reconnect storm many honest clients wait there at once). Per address
// (an IPv4 address, or an IPv6 /64: one host is given a whole /64), at most `maxPerAddress`
// of them may be older than `graceMs`: a new socket from an address over that closes the
// address's oldest ones that are. The grace is for bursts: a client opening a hundred
// connections at once has them all accepted before the first CONNECT is read, and each
// sends its CONNECT within a round trip; a socket left silent on purpose grows old. So one
// address cannot keep more than that many silent sockets, nor crowd other addresses'
// aged connections out of the core's maxPending (core/broker/pending.ts).
import type { Socket } from 'node:net';
import type { Broker, Connection } from '../../core/index.js';
import { LOG_CLOSED } from '../../core/index.js';
import { portNow } from './deadline-timer.js';
import { addressKey } from './login-throttle.js';
import { socketFault } from './socket-guard.js';

const CONNECTING = 1;   // Connection state once a whole CONNECT has arrived

interface Entry {
  socket: Socket;                 // the accepted TCP socket (under TLS: the raw one)
  sinceMs: number;                // accepted at (portNow)
  connection: Connection | null;  // once the core has it
}

const ENTRY = Symbol('ganglion.pending');
const KEY = Symbol('ganglion.pendingKey');
// Set while the socket is pending; null and '' once it no longer is (a CONNECT arrived),
// so a logged-in connection keeps neither its entry nor its address key.
interface GuardedSocket extends Socket {
  [ENTRY]: Entry | null;
  [KEY]: string;
}

export class PendingGuard {
  private byAddress = new Map<string, Entry[]>();
  private readonly onClose: (this: Socket) => void;

  constructor(readonly maxPerAddress: number, readonly graceMs: number, private broker: Broker) {
    const lists = this.byAddress;
    // One listener shared by every socket (`this` is the socket), not a closure each.
    this.onClose = function (this: Socket): void {
      const s = this as GuardedSocket;
      const entry = s[ENTRY];
      if (entry === null) return;   // logged in: no longer counted
      const list = lists.get(s[KEY]);
      if (list === undefined) return;
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) lists.delete(s[KEY]);
    };
  }

  /** A TCP socket was just accepted, before anything is read from it. */
  admit(socket: Socket): void {
    try {
      this.count(socket);
    } catch (e) {
      socketFault(this.broker, socket, null, 'accept', e);   // that socket only (issue 13 §1)
    }
  }

  private count(socket: Socket): void {
    const key = addressKey(socket.remoteAddress ?? '?');
    let list = this.byAddress.get(key);
    if (list === undefined) {
      list = [];
      this.byAddress.set(key, list);
    } else {
      prune(list);
      const now = portNow();
      while (list.length >= this.maxPerAddress && now - list[0].sinceMs >= this.graceMs) {
        const oldest = list.shift() as Entry;
        this.broker.stats.pendingPerAddressClosed++;
        this.broker.log(oldest.connection, `closed before CONNACK: limit maxPendingPerAddress ${this.maxPerAddress} for ${key}`, LOG_CLOSED);
        oldest.socket.destroy();
      }
    }
    const entry: Entry = { socket, sinceMs: portNow(), connection: null };
    list.push(entry);
    (socket as GuardedSocket)[ENTRY] = entry;
    (socket as GuardedSocket)[KEY] = key;
    // `on`, not `once`: once() wraps the listener in a state object and a bound function
    // per socket, kept as long as the connection lives.
    socket.on('close', this.onClose);
  }

  /**
   * The core has the connection of `socket` (the accepted one, or the TLS socket over it:
   * found by its ports among this address's few pending entries).
   */
  attached(socket: Socket, connection: Connection): void {
    const own = (socket as Partial<GuardedSocket>)[ENTRY];
    if (own !== undefined && own !== null) {
      own.connection = connection;
      return;
    }
    const list = this.byAddress.get(addressKey(socket.remoteAddress ?? '?'));
    if (list === undefined) return;
    for (const e of list) {
      if (e.connection === null && e.socket.remotePort === socket.remotePort && e.socket.localPort === socket.localPort) {
        e.connection = connection;
        return;
      }
    }
  }

  /** Sockets from `address` not logged in yet (for tests and $SYS-like reports). */
  pendingFrom(address: string): number {
    const list = this.byAddress.get(addressKey(address));
    if (list === undefined) return 0;
    prune(list);
    return list.length;
  }
}

/** Takes out the entries that are no longer pending: a CONNECT arrived, or closed. */
function prune(list: Entry[]): void {
  let j = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e.socket.destroyed || (e.connection !== null && e.connection.state >= CONNECTING)) {
      release(e.socket as GuardedSocket);
      continue;
    }
    list[j++] = e;
  }
  list.length = j;
}

/** The socket is no longer pending: it lets go of its entry and its address key. */
function release(s: GuardedSocket): void {
  s[ENTRY] = null;
  s[KEY] = '';
}
