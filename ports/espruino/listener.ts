// The Espruino port: a broker on `require("net")`. One server socket, one Connection per
// client socket, and one timer armed for the core's next deadline (re-armed after every
// call into the core), on an integer clock. Every protocol rule lives in the core; this
// file only moves bytes and signals.
//
//   var g = require("ganglion");
//   var b = g.listen({ port: 1883 }, { log: function (c, line) { print(line); } });
import type { Broker, BrokerOptions, Connection, Hooks, QoS } from '../../core/index.js';
import { LOG_FAULT, LOG_LIMIT, createBroker } from '../../core/index.js';
import type { EspruinoNet, EspruinoServer, EspruinoSocket } from './espruino-api.js';
import type { TransportOwner } from './socket-transport.js';
import { SocketTransport } from './socket-transport.js';
import { PORT, RECEIVE_BUDGET, SEND_BUDGET, boardLimits } from './defaults.js';

export interface ListenOptions extends BrokerOptions {
  port?: number;            // TCP port, 1883
  sendBudget?: number;      // bytes queued on one socket before the core is told it is full
  receiveBudget?: number;   // bytes held from a client while the core is not reading it
  net?: EspruinoNet;        // the net module (default: require("net"))
}

/** The core's hooks (core/broker/broker.ts): `connected` and `disconnected` say when a client is in and out. */
export interface ListenHooks extends Partial<Hooks> {
  // nothing of the port's own: one name per concept, the core's
}

/** Espruino's clock is fractional: the core gets whole milliseconds. */
export function nowMs(): number {
  return Math.floor(Date.now());
}

export class Listener implements TransportOwner {
  broker: Broker;
  server: EspruinoServer;
  sendBudget: number;
  receiveBudget: number;
  sockets: number;          // open client sockets
  maxSockets: number;       // one more than maxConnections: room to refuse with a CONNACK
  refused: number;          // sockets closed at once because all slots were taken
  private timer: unknown;   // the one timer, or null
  private armedAt: number;  // the deadline it is set for; -1: none
  private stopped: boolean;
  private fire: () => void;

  constructor(net: EspruinoNet, o: ListenOptions, hooks: ListenHooks) {
    const limits = boardLimits(o);
    this.broker = createBroker(limits, hooks, nowMs());
    this.sendBudget = o.sendBudget === undefined ? SEND_BUDGET : o.sendBudget;
    this.receiveBudget = o.receiveBudget === undefined ? RECEIVE_BUDGET : o.receiveBudget;
    this.sockets = 0;
    this.maxSockets = this.broker.limits.maxConnections + 1;
    this.refused = 0;
    this.timer = null;
    this.armedAt = -1;
    this.stopped = false;
    const self = this;
    this.fire = function () {
      self.timer = null;
      self.armedAt = -1;
      try {
        self.tick();
      } catch (e) {
        self.fault(null, 'timer', e);   // the core guards timeout(); this is the last line
        self.after();
      }
    };
    // A hook's late answer is handled now, at the port's clock, and the timer re-armed.
    this.broker.wake = function () {
      try { self.tick(); } catch (e) { self.fault(null, 'wake', e); }
    };
    this.server = net.createServer(function (socket: EspruinoSocket) {
      try {
        self.accept(socket);
      } catch (e) {
        self.fault(null, 'accept', e);
        try { socket.end(); } catch (e2) { /* gone already */ }
      }
    });
    this.server.listen(o.port === undefined ? PORT : o.port);
    this.after();
  }

  /** A new client socket. */
  accept(socket: EspruinoSocket): void {
    // Every slot is taken, including the one kept for refusing with CONNACK 0x03/0x89: the
    // oldest socket that has sent no CONNECT makes room (as the core's maxPending), else
    // this one is refused.
    if (this.sockets >= this.maxSockets && !this.broker.closeOldestPending(nowMs(), 'sockets ' + this.maxSockets)) {
      this.refused++;
      this.broker.log(null, 'refused a socket: ' + this.sockets + ' open', LOG_LIMIT);
      socket.end();
      return;
    }
    this.sockets++;
    const t = new SocketTransport(socket, this);
    t.attach(this.broker.connect(t, nowMs()));
    this.after();
  }

  /** Runs what is due now (the timer does this at each deadline), then re-arms the timer. */
  tick(): void {
    this.broker.timeout(nowMs());
    this.after();
  }

  /** In-process publish at the port's clock (broker.publish with the time). */
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean): number {
    const n = this.broker.publish(topic, payload, qos, retain, nowMs());
    this.after();
    return n;
  }

  /**
   * Stops listening and the timer; the core ends every client (broker.close: 5.0 clients get
   * DISCONNECT 0x8B, wills go out) and each socket closes once its last frame has gone.
   */
  close(): void {
    if (this.stopped) return;   // once: a second server.close() fails ("Server not found")
    this.stopped = true;
    this.disarm();
    this.server.close();
    this.broker.close(nowMs());
  }

  /** After every call into the core: the timer follows the core's next deadline. */
  after(): void {
    const at = this.broker.nextDeadline();
    if (at === this.armedAt || this.stopped) return;
    this.disarm();
    this.armedAt = at;
    if (at < 0) return;
    // A far deadline is approached in steps a timer surely holds: woken early, the core
    // finds nothing due and the timer is set again for the rest.
    const ms = at - nowMs();
    this.timer = setTimeout(this.fire, ms < 1 ? 1 : ms > 0x7fffffff ? 0x7fffffff : ms);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    this.timer = null;
    this.armedAt = -1;
  }

  // ---- TransportOwner ----

  ended(): void {
    this.sockets--;
  }

  now(): number {
    return nowMs();
  }

  later(fn: () => void): void {
    setTimeout(fn, 0);
  }

  /** A socket's callback threw: counted in $SYS/broker/errors, logged, that socket ended. */
  faulted(t: SocketTransport, where: string, e: unknown): void {
    this.fault(t.connection, where, e);
    try {
      t.abandon();
    } catch (e2) {
      // nothing more can be done for this socket
    }
    this.after();
  }

  private fault(c: Connection | null, where: string, e: unknown): void {
    this.broker.stats.errors++;
    const stack = e !== null && typeof e === 'object' ? (e as { stack?: unknown }).stack : undefined;
    this.broker.log(c, 'internal error in the port (' + where + '): ' + String(e) + (typeof stack === 'string' ? '\n' + stack : ''), LOG_FAULT);
  }
}

/** Starts a broker listening on `options.port` (1883) with the board's limits. */
export function listen(options: ListenOptions, hooks: ListenHooks): Listener {
  const o = options || {};
  const net = o.net !== undefined ? o.net : require('net') as EspruinoNet;
  return new Listener(net, o, hooks || {});
}
