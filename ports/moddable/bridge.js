// The bridge on Moddable (issue 16 on devices): the core's Bridge (core/bridge: rules, states,
// failover, backoff, the queue, counters) driven over ECMA-419 TCP clients, with the broker of
// a BrokerServer (broker-server.js) as the local side. This file keeps only what is I/O: the
// outgoing socket (client-socket.js, which also arms the one timer for the bridge's
// deadlines), the reachability check of the first address, the clock (the server's),
// Math.random and the log. The call order is core/bridge/PORT.md.
//
//   import { BrokerServer } from "ganglion/server";
//   import { bridge } from "ganglion/bridge";
//   const server = new BrokerServer({ port: 1883, log: trace });
//   const up = bridge(server, {
//     addresses: ["192.168.1.10:1883"], clientId: "site-1",
//     topics: ["sensors/# out 1 \"\" site-1/", "cmd/# in 1 \"\" site-1/"],
//     log(line) { trace(line + "\n"); },
//   });
//
// Addresses are IPv4 addresses: the ECMA-419 TCP client takes no host name.
// Module scope holds only functions and classes (it can be preloaded).

import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { Bridge } from "../../core/bridge/bridge.js";
import { QueueRecords } from "../../core/bridge/queue-records.js";
import { deviceBridgeOptions, hostPort } from "../../core/bridge/device-options.js";
import { ClientSocket } from "./client-socket.js";

function onProbeWritable() {
  this.target.probeAnswer(this, true);
}

function onProbeError() {
  this.target.probeAnswer(this, false);
}

export class DeviceBridge {
  constructor(server, o) {
    const options = deviceBridgeOptions(o);
    const self = this;
    this.server = server;
    this.clock = server.clock;
    this.hosts = [];
    for (let i = 0; i < options.addresses.length; i++) this.hosts.push(hostPort(options.addresses[i]));
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.logLine = o.log === undefined ? null : o.log;
    this.debug = o.debug === true;
    this.probing = null;      // the reachability check's TCP in progress
    this.probeTimer = null;
    this.probeCallback = function () { self.probeTimer = null; if (self.probing !== null) self.probeAnswer(self.probing, false); };
    // With a store (limits.store, file-store.js) the queue is kept through it, as on Node
    // (core/bridge/queue-records.ts).
    const b = server.broker;
    this.core = new Bridge(options, b, this, Math.random, this.clock.read(), b.journal !== null ? new QueueRecords(b, options.name) : null);
    // No connect timeout of the socket's own: the core gives up a dial (hangUp) after connectTimeoutMs.
    this.sock = new ClientSocket(this.core, this, this.clock, 0);
  }

  start() {
    this.core.start(this.clock.read());
    this.wake();
  }

  /** DISCONNECT to the upstream, local subscriptions ended, no socket or timer left. */
  stop() {
    this.core.stop(this.clock.read());
    this.sock.stop();
    this.endProbe();
    this.server.after();
  }

  stats() {
    return this.core.stats();
  }

  // ---- BridgePort (called by the core, never calling back into it from inside) ----

  dial(index) {
    const a = this.hosts[index];
    this.sock.open(a.host, a.port);
  }

  hangUp() {
    this.sock.hangUp();
  }

  /** A TCP connect and close to the first address; the answer goes to core.probed() on a later turn. */
  probe(index) {
    this.endProbe();
    const a = this.hosts[index];
    try {
      this.probing = new TCP({ address: a.host, port: a.port, onWritable: onProbeWritable, onError: onProbeError, target: this });
    } catch (e) {
      this.later(false);
      return;
    }
    this.probeTimer = Timer.set(this.probeCallback, this.connectTimeoutMs);
  }

  probeAnswer(tcp, reachable) {
    if (tcp !== this.probing) return;
    this.endProbe();
    this.later(reachable);
  }

  later(reachable) {
    const self = this;
    Timer.set(function () {
      try { self.core.probed(reachable, self.clock.read()); } catch (e) { self.faulted("probe", e); }
      self.wake();
    });
  }

  log(level, line) {
    if (this.logLine === null || (level === "debug" && !this.debug)) return;
    this.logLine(line);
  }

  /** The bridge's deadline or the broker's may have moved: both timers re-armed. */
  wake() {
    this.sock.after();
    this.server.after();
  }

  // ---- the client socket's owner ----

  failed(why) {
    this.core.dialFailed(why, this.clock.read());
    this.wake();
  }

  faulted(where, e) {
    this.server.broker.stats.errors++;
    this.log("warn", "bridge " + this.core.options.name + ": internal error in the port (" + where + "): " + String(e));
  }

  endProbe() {
    if (this.probeTimer !== null) Timer.clear(this.probeTimer);
    this.probeTimer = null;
    const t = this.probing;
    this.probing = null;
    if (t !== null) {
      try { t.close(); } catch (e) { /* closed already */ }
    }
  }
}

/** Starts a bridge from the broker of `server` (a BrokerServer) to a bigger one. */
export function bridge(server, options) {
  const b = new DeviceBridge(server, options);
  b.start();
  return b;
}
