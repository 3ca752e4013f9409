// Types of broker-server.js (a plain ES module, compiled by mcconfig as is), for the tests.
import type { Broker, BrokerOptions, Connection, Hooks, LocalSubscription, Message, QoS, Transport } from '../../core/index.js';

export declare const DEVICE_LIMITS: Readonly<BrokerOptions>;

export declare class MonotonicClock {
  last: number;
  now: number;
  read(): number;
}

export interface BrokerServerOptions {
  port?: number;
  limits?: BrokerOptions;
  hooks?: Partial<Hooks>;
  log?: (line: string) => void;
  lingerMs?: number;
}

export declare class SocketTransport implements Transport {
  server: BrokerServer;
  connection: Connection;
  space: number;
  tail: Uint8Array | null;
  blocked: boolean;
  paused: boolean;
  unread: number;
  closing: boolean;
  closed: boolean;
  remote: string;
  readonly writeCopies: boolean;
  write(frame: Uint8Array): boolean;
  close(): void;
  pause(): void;
  resume(): void;
  faulted(where: string, e: unknown): void;   // a callback of this socket threw
}

export declare class BrokerServer {
  constructor(options?: BrokerServerOptions);
  clock: MonotonicClock;
  broker: Broker;
  maxSockets: number;
  transports: SocketTransport[];
  tick(): void;
  after(): void;
  publish(topic: string, payload: Uint8Array | string, qos: QoS, retain: boolean): number;
  subscribe(topicFilter: string, onMessage: (m: Message) => void): LocalSubscription;
  close(): void;
  fault(c: Connection | null, where: string, e: unknown): void;   // counted in stats.errors and logged
}
