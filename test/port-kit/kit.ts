// The port test kit: what every port's adapter gives the shared scenarios (scenarios.ts), so
// the same bytes go through Node's real loopback sockets, the Espruino port over its fake
// `net` (sources and the built bundle) and the Moddable port over its fake ECMA-419 sockets,
// and every port is held to core/broker/PORT.md the same way. An adapter is one file per
// port (node-rig.ts, espruino-rig.ts, moddable-rig.ts).
import type { BrokerOptions, Message } from '../../core/index.js';

/** The client's end of one TCP connection. */
export interface KitPeer {
  send(bytes: Uint8Array): void;
  /** Everything received since the last take(). */
  take(): Uint8Array;
  /** false: stop reading (a slow consumer: the server's sends back up); true: read again. */
  reading(on: boolean): void;
  /** The client closes (FIN), without DISCONNECT. */
  end(): void;
  /** The connection is reset (RST), whatever is still in flight. */
  reset(): void;
  /** The server closed it (or it is gone). */
  closed(): boolean;
}

/** The parts of the core's Broker the scenarios read (the same in every build). */
export interface KitBroker {
  stats: { dropped: number; errors: number; pendingClosed: number };
  clientCount: number;
  connectionCount: number;
  nextDeadline(): number;
}

export interface KitRig {
  name: string;
  broker: KitBroker;
  /** Sockets the port keeps open at most (a device's spare included); Infinity: no cap of its own. */
  socketCap: number;
  /** A new TCP connection to the port; null when the network stack refused it. */
  open(): KitPeer | null;
  /** Lets the port run until `cond` holds or nothing more happens (fakes) or a few seconds passed (real sockets); returns cond(). */
  until(cond: () => boolean): Promise<boolean>;
  /** Lets what is under way happen (fakes: to quiescence; real sockets: a few ms of the event loop). */
  settle(): Promise<void>;
  /** Moves time on by `ms`, the port's timer firing on the way (real time: at least `ms`, more under load). */
  advance(ms: number): Promise<void>;
  /** The port's clock: what it passes the core as nowMs. */
  now(): number;
  /** The port's shutdown. */
  close(): Promise<void>;
  /** Server-side sockets open now. */
  sockets(): number;
  /** Timers the port has armed now; -1 when the adapter cannot see them. */
  timers(): number;
  /** An in-process publish (the port's publish: broker.publish at its clock, the timer re-armed). */
  publish(topic: string, payload: string, qos: 0 | 1 | 2, retain: boolean): number;
  /** An in-process subscription (broker.subscribe at the port's clock). */
  subscribe(filter: string, onMessage: (m: Message) => void): void;
  /** What went wrong under the port that a scenario did not ask for: socket API breaches, handler throws. */
  problems(): string[];
  /** Ends the rig (after close()): sockets, timers, listeners. */
  dispose(): Promise<void>;
}

/** Starts the port with `options` over its board's (or Node's) defaults. */
export type StartRig = (options: BrokerOptions) => Promise<KitRig>;
