// Types of bridge.js (a plain ES module, bundled into dist/xs/ganglion-bridge.js), for the tests.
import type { Bridge, BridgeStats } from '../../core/bridge/index.js';
import type { DeviceBridgeOptions } from '../../core/bridge/device-options.js';
import type { BrokerServer } from './broker-server.js';
import type { ClientSocket } from './client-socket.js';

export interface BridgeStartOptions extends DeviceBridgeOptions {
  log?: (line: string) => void;
  debug?: boolean;
}

export declare class DeviceBridge {
  constructor(server: BrokerServer, options: BridgeStartOptions);
  core: Bridge;
  sock: ClientSocket;
  start(): void;
  stop(): void;
  stats(): BridgeStats;
}

export declare function bridge(server: BrokerServer, options: BridgeStartOptions): DeviceBridge;
