// A bridge from this broker to a bigger one (issue 16 §2) on Node: the core's Bridge
// (core/bridge: rules, states, failover, backoff, queue, counters) driven over Node's
// sockets. This file keeps only what is I/O: the outgoing TCP / TLS socket (client-socket.ts),
// the reachability check of the first address, one timer for the bridge's deadlines, the
// clock, the random source and the log. The call order is core/bridge/PORT.md.
import type { Broker } from '../../core/index.js';
import type { BridgeOptions, BridgeStats } from '../../core/bridge/index.js';
import { Bridge as CoreBridge, QueueRecords } from '../../core/bridge/index.js';
import type { ServerAddress, TlsClientOptions } from './client-socket.js';
import { ClientSocket, parseServerUrl } from './client-socket.js';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { portNow } from './deadline-timer.js';
import type { Level, Logger } from './logger.js';

export type { BridgeStats } from '../../core/bridge/index.js';

/** A bridge as the config file gives it: the core's options (core/bridge/options.ts), with the
 * version under the config's name, the password as text, TLS for mqtts:// addresses, and no
 * $SYS interval (the broker's applies to every bridge). */
export interface BridgeConfig extends Omit<BridgeOptions, 'version' | 'password' | 'sysIntervalMs' | 'maxOutboundBytes'> {
  protocolVersion: 4 | 5;
  password: string | null;
  tls: TlsClientOptions | null;   // for mqtts:// addresses
}

export class Bridge {
  readonly core: CoreBridge;
  private readonly sock: ClientSocket;
  private readonly addresses: ServerAddress[];
  private probe: Socket | null = null;

  /** `after` re-arms the broker's timer (the bridge publishes into the broker). */
  constructor(readonly config: BridgeConfig, broker: Broker, logger: Logger, after: () => void, sysIntervalMs: number) {
    this.addresses = config.addresses.map((a) => parseServerUrl(a, config.tls));
    const addresses = this.addresses;
    let sock: ClientSocket | null = null;
    this.core = new CoreBridge({
      name: config.name, addresses: config.addresses, version: config.protocolVersion, clientId: config.clientId,
      username: config.username, password: config.password === null ? null : Buffer.from(config.password),
      keepAlive: config.keepAlive, cleanStart: config.cleanStart, sessionExpiryInterval: config.sessionExpiryInterval,
      tryPrivate: config.tryPrivate, topics: config.topics, maxQueued: config.maxQueued, maxQueuedBytes: config.maxQueuedBytes,
      queueQoS0: config.queueQoS0, maxInflight: config.maxInflight, backoffMinMs: config.backoffMinMs, backoffMaxMs: config.backoffMaxMs,
      connectTimeoutMs: config.connectTimeoutMs, primaryRetryMs: config.primaryRetryMs, sysIntervalMs,
    }, broker, {
      dial: (i) => (sock as ClientSocket).open(addresses[i], config.connectTimeoutMs),
      hangUp: () => (sock as ClientSocket).abort(),
      probe: (i) => {
        // A TCP connect and close: the first address takes connections again, or not.
        if (this.probe !== null) this.probe.destroy();
        const p = netConnect({ host: addresses[i].host, port: addresses[i].port });
        this.probe = p;
        let reachable = false;
        p.setTimeout(config.connectTimeoutMs, () => p.destroy());
        p.once('error', () => {});
        p.once('connect', () => { reachable = true; p.destroy(); });
        p.once('close', () => {
          if (this.probe !== p) return;   // stopped, or a newer check
          this.probe = null;
          this.core.probed(reachable, portNow());
          this.settle(after);
        });
      },
      log: (level, line) => logger.log(level as Level, line),
      wake: () => this.settle(after),
    }, Math.random, portNow(), new QueueRecords(broker, config.name));   // kept through the store when persistence is on
    sock = new ClientSocket(this.core, (e) => { this.core.dialFailed(e.message, portNow()); after(); });
    this.sock = sock;
  }

  /** The core's MqttClient (its stats, its queue). */
  get client(): CoreBridge['client'] {
    return this.core.client;
  }

  /** Subscribes locally for the rules going out, and connects. */
  start(): void {
    this.core.start(portNow());
    this.settle(() => {});
  }

  stop(): void {
    this.core.stop(portNow());
    this.sock.stop();
    const p = this.probe;
    this.probe = null;
    if (p !== null) p.destroy();
  }

  stats(): BridgeStats {
    return this.core.stats();
  }

  /** After a call into the bridge from outside a socket event: both timers re-armed. */
  private settle(after: () => void): void {
    this.sock.after();
    after();
  }
}
