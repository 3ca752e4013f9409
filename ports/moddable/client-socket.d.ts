// Types of client-socket.js (a plain ES module, compiled by mcconfig as is), for the tests.
import type { Transport } from '../../core/index.js';

/** What the socket feeds: MqttClient (core/client) and the core's Bridge both have these. */
export interface ClientSink {
  connect(transport: Transport, nowMs: number): void;
  receive(chunk: Uint8Array, nowMs: number): void;
  writable(nowMs: number): void;
  closed(nowMs: number): void;
  nextDeadline(): number;
  timeout(nowMs: number): void;
}

export declare class UpstreamTransport implements Transport {
  link: ClientSocket;
  tcp: { read(): ArrayBuffer | undefined; write(b: Uint8Array): number | undefined; close(): void } | null;
  space: number;
  tail: Uint8Array | null;
  blocked: boolean;
  up: boolean;
  ended: boolean;
  write(frame: Uint8Array): boolean;
  close(): void;
}

export interface ClientSocketOwner {
  failed(why: string): void;
  faulted(where: string, e: unknown): void;
}

export declare class ClientSocket {
  constructor(client: ClientSink, owner: ClientSocketOwner, clock: { read(): number }, connectTimeoutMs: number);
  client: ClientSink;
  current: UpstreamTransport | null;
  connectBy: number;
  open(address: string, port: number): void;
  busy(): boolean;
  after(): void;
  hangUp(): void;
  stop(): void;
}
