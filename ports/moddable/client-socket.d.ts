// Types of client-socket.js (a plain ES module, compiled by mcconfig as is), for the tests.
import type { ClientEntryPoints, Transport } from '../../core/index.js';

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
  constructor(client: ClientEntryPoints, owner: ClientSocketOwner, clock: { read(): number }, connectTimeoutMs: number);
  client: ClientEntryPoints;
  current: UpstreamTransport | null;
  connectBy: number;
  open(address: string, port: number): void;
  busy(): boolean;
  after(): void;
  hangUp(): void;
  stop(): void;
}
