// The bridge on Espruino (issue 16 on devices): the core's Bridge (core/bridge: rules,
// states, failover, backoff, the queue, counters) driven over require("net"), with the broker
// of the broker bundle's listen() as the local side. This file keeps only what is I/O: the
// outgoing socket (client-socket.ts, which also arms the one timer for the bridge's
// deadlines), the reachability check of the first address, the clock, Math.random and the
// log. The call order is core/bridge/PORT.md.
//
//   var site = require("ganglion").listen({ port: 1883 }, {});
//   var up = require("ganglion-bridge").bridge(site, {
//     addresses: ["192.168.1.10:1883"], clientId: "site-1",
//     topics: ["sensors/# out 1 \"\" site-1/", "cmd/# in 1 \"\" site-1/"],
//   });
import type { Broker } from '../../core/index.js';
import type { BridgePort, BridgeStats } from '../../core/bridge/index.js';
import { Bridge, QueueRecords } from '../../core/bridge/index.js';
import type { DeviceBridgeOptions, HostPort } from '../../core/bridge/device-options.js';
import { deviceBridgeOptions, hostPort } from '../../core/bridge/device-options.js';
import type { EspruinoNet, EspruinoSocket } from './espruino-api.js';
import type { ClientSocketOwner } from './client-socket.js';
import { ClientSocket } from './client-socket.js';

/** What the bridge uses of the Listener that require("ganglion").listen() gives. */
export interface Site {
  broker: Broker;
  after(): void;            // re-arms the broker's timer after a call into it
}

export interface BridgeStartOptions extends DeviceBridgeOptions {
  sendBudget?: number;      // bytes queued on the upstream socket before the client is told "full", 1024
  log?: (line: string) => void;   // one line per change of state (and the client's debug lines when debug is true)
  debug?: boolean;
  net?: EspruinoNet;        // the net module (default: require("net"))
}

/** Espruino's clock is fractional: the core gets whole milliseconds, as listen()'s broker does. */
function now(): number {
  return Math.floor(Date.now());
}

export class EspruinoBridge implements BridgePort, ClientSocketOwner {
  site: Site;
  core: Bridge;
  sock: ClientSocket;
  net: EspruinoNet;
  hosts: HostPort[];
  connectTimeoutMs: number;
  logLine: ((line: string) => void) | null;
  debug: boolean;
  probing: EspruinoSocket | null;   // the reachability check of the first address in progress
  private probeTimer: unknown;

  constructor(site: Site, o: BridgeStartOptions) {
    const options = deviceBridgeOptions(o);
    this.site = site;
    this.net = o.net !== undefined ? o.net : require('net') as EspruinoNet;
    this.hosts = [];
    for (let i = 0; i < options.addresses.length; i++) this.hosts.push(hostPort(options.addresses[i]));
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.logLine = o.log === undefined ? null : o.log;
    this.debug = o.debug === true;
    this.probing = null;
    this.probeTimer = null;
    // With a store (ganglion-full.js and ganglion-store.js) the queue is kept through it, as on
    // Node (core/bridge/queue-records.ts); the broker bundles without one have no journal.
    const b = site.broker;
    this.core = new Bridge(options, b, this, Math.random, now(), b.journal ? new QueueRecords(b, options.name) : null);
    // No connect timeout of the socket's own: the core gives up a dial (hangUp) after connectTimeoutMs.
    this.sock = new ClientSocket(this.core, this.net, this, o.sendBudget === undefined ? 1024 : o.sendBudget, 0);
  }

  start(): void {
    this.core.start(now());
    this.wake();
  }

  /** DISCONNECT to the upstream, local subscriptions ended, no socket or timer left. */
  stop(): void {
    this.core.stop(now());
    this.sock.stop();
    this.endProbe();
    this.site.after();
  }

  stats(): BridgeStats {
    return this.core.stats();
  }

  // ---- BridgePort (called by the core, never calling back into it from inside) ----

  dial(index: number): void {
    const a = this.hosts[index];
    this.sock.open(a.host, a.port);
  }

  hangUp(): void {
    this.sock.hangUp();
  }

  /** A TCP connect and close to the first address: the answer goes to core.probed() on a later turn. */
  probe(index: number): void {
    this.endProbe();
    const a = this.hosts[index];
    const self = this;
    let reachable = false;
    let answered = false;
    function answer(): void {
      if (answered) return;
      answered = true;
      self.endProbe();
      setTimeout(function () { self.core.probed(reachable, now()); self.wake(); }, 0);
    }
    let s: EspruinoSocket;
    try {
      s = this.net.connect({ host: a.host, port: a.port });
    } catch (e) {
      answer();   // refused (Linux throws at once)
      return;
    }
    this.probing = s;
    s.on('connect', function () { reachable = true; answer(); });
    s.on('close', answer);
    s.on('error', answer);
    this.probeTimer = setTimeout(function () { self.probeTimer = null; answer(); }, this.connectTimeoutMs);
  }

  log(level: string, line: string): void {
    if (this.logLine === null || (level === 'debug' && !this.debug)) return;
    this.logLine(line);
  }

  /** The bridge's deadline or the broker's may have moved: both timers re-armed. */
  wake(): void {
    this.sock.after();
    this.site.after();
  }

  // ---- ClientSocketOwner ----

  failed(why: string): void {
    this.core.dialFailed(why, now());
    this.wake();
  }

  faulted(where: string, e: unknown): void {
    this.site.broker.stats.errors++;
    this.log('warn', 'bridge ' + this.core.options.name + ': internal error in the port (' + where + '): ' + String(e));
  }

  private endProbe(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer as ReturnType<typeof setTimeout>);
    this.probeTimer = null;
    const s = this.probing;
    this.probing = null;
    if (s !== null) {
      try { s.end(); } catch (e) { /* closed already */ }
    }
  }
}

/** Starts a bridge from the broker of `site` (require("ganglion").listen()'s result) to a bigger one. */
export function bridge(site: Site, options: BridgeStartOptions): EspruinoBridge {
  const b = new EspruinoBridge(site, options);
  b.start();
  return b;
}
