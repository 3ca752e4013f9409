// The Espruino port: a broker on `require("net")`. One server socket, one Connection per
// client socket, and a timer that gives the core an integer clock. Every protocol rule
// lives in the core; this file only moves bytes and signals.
//
//   var g = require("ganglion");
//   var b = g.listen({ port: 1883 }, { log: function (c, line) { print(line); } });
import type { Broker, BrokerOptions, Connection, Hooks } from '../../core/index.js';
import { createBroker } from '../../core/index.js';
import type { EspruinoNet, EspruinoServer, EspruinoSocket } from './espruino-api.js';
import type { TransportOwner } from './socket-transport.js';
import { SocketTransport } from './socket-transport.js';
import { PORT, RECEIVE_BUDGET, SEND_BUDGET, TICK_MS, boardLimits } from './defaults.js';

export interface ListenOptions extends BrokerOptions {
  port?: number;            // TCP port, 1883
  tickMs?: number;          // how often broker.tick() runs; 0: the application calls tick()
  sendBudget?: number;      // bytes queued on one socket before the core is told it is full
  receiveBudget?: number;   // bytes held from a client while the core is not reading it
  net?: EspruinoNet;        // the net module (default: require("net"))
}

export interface ListenHooks extends Partial<Hooks> {
  /** A client's CONNECT was accepted (its CONNACK has gone out). */
  onConnect?(c: Connection): void;
  /** A client's socket closed (after onConnect). */
  onDisconnect?(c: Connection): void;
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
  private hooks: ListenHooks;
  private timer: unknown;

  constructor(net: EspruinoNet, o: ListenOptions, hooks: ListenHooks) {
    const limits = boardLimits(o);
    this.broker = createBroker(limits, hooks, nowMs());
    this.hooks = hooks;
    this.sendBudget = o.sendBudget === undefined ? SEND_BUDGET : o.sendBudget;
    this.receiveBudget = o.receiveBudget === undefined ? RECEIVE_BUDGET : o.receiveBudget;
    this.sockets = 0;
    this.maxSockets = this.broker.limits.maxConnections + 1;
    this.refused = 0;
    const self = this;
    this.server = net.createServer(function (socket: EspruinoSocket) { self.accept(socket); });
    this.server.listen(o.port === undefined ? PORT : o.port);
    const tickMs = o.tickMs === undefined ? TICK_MS : o.tickMs;
    this.timer = tickMs > 0 ? setInterval(function () { self.tick(); }, tickMs) : null;
  }

  /** A new client socket. */
  accept(socket: EspruinoSocket): void {
    if (this.sockets >= this.maxSockets) {
      // Every slot is taken, including the one kept for refusing with CONNACK 0x03/0x89.
      this.refused++;
      this.broker.log(null, 'refused a socket: ' + this.sockets + ' open');
      socket.end();
      return;
    }
    this.sockets++;
    const t = new SocketTransport(socket, this);
    t.attach(this.broker.connect(t));
  }

  tick(): void {
    this.broker.tick(nowMs());
  }

  /** Stops listening and the timer, and closes every client (their wills go out). */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer as ReturnType<typeof setInterval>);
    this.timer = null;
    this.server.close();
    const list = this.broker.connections.slice();
    for (let i = 0; i < list.length; i++) list[i].closed();
  }

  // ---- TransportOwner ----

  opened(t: SocketTransport): void {
    if (this.hooks.onConnect) this.hooks.onConnect(t.connection as Connection);
  }

  ended(t: SocketTransport): void {
    this.sockets--;
    if (t.accepted && this.hooks.onDisconnect) this.hooks.onDisconnect(t.connection as Connection);
  }

  later(fn: () => void): void {
    setTimeout(fn, 0);
  }
}

/** Starts a broker listening on `options.port` (1883) with the board's limits. */
export function listen(options: ListenOptions, hooks: ListenHooks): Listener {
  const o = options || {};
  const net = o.net !== undefined ? o.net : require('net') as EspruinoNet;
  return new Listener(net, o, hooks || {});
}
