// The port kit's adapter for the Node port: the real server (ports/node/server.ts) on an
// ephemeral loopback port, real client sockets, real time. until() polls; advance() waits.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { BrokerOptions } from '../../core/index.js';
import { createServer } from '../../ports/node/server.js';
import { buildConfig } from '../../ports/node/config.js';
import { portNow } from '../../ports/node/deadline-timer.js';
import { ROOT } from '../integration/helpers.js';
import type { KitPeer, KitRig } from './kit.js';

const POLL_MS = 5;
const UNTIL_MS = 10000;
const SETTLE_MS = 20;   // a condition that holds at all holds long before this, even on a loaded machine

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class NodePeer implements KitPeer {
  socket: Socket;
  chunks: Buffer[] = [];
  gone = false;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (b: Buffer) => { this.chunks.push(b); });
    socket.on('error', () => { /* a reset by the server: 'close' follows */ });
    socket.on('close', () => { this.gone = true; });
    socket.on('end', () => { this.gone = true; });
  }
  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }
  take(): Uint8Array {
    const out = new Uint8Array(Buffer.concat(this.chunks));
    this.chunks = [];
    return out;
  }
  reading(on: boolean): void {
    if (on) this.socket.resume(); else this.socket.pause();
  }
  end(): void {
    this.socket.end();
  }
  reset(): void {
    this.socket.resetAndDestroy();
  }
  closed(): boolean {
    return this.gone;
  }
}

export async function startNode(options: BrokerOptions): Promise<KitRig> {
  const config = buildConfig({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }], logLevel: 'error', limits: { sysIntervalMs: 0, ...options } }, {}, ROOT);
  const errors: string[] = [];
  const server = createServer(config, { log: (level, line) => { if (level === 'error') errors.push(line); } });
  const bound = await server.listen();
  const port = bound[0].port;
  const peers: NodePeer[] = [];
  let closed = false;
  const b = server.broker;
  return {
    name: 'node',
    broker: b,
    socketCap: Infinity,
    open() {
      const p = new NodePeer(connect(port, '127.0.0.1'));
      peers.push(p);
      return p;
    },
    async until(cond) {
      for (const end = Date.now() + UNTIL_MS; !cond() && Date.now() < end;) await sleep(POLL_MS);
      return cond();
    },
    async settle() {
      await sleep(SETTLE_MS);
    },
    advance: sleep,
    now: portNow,
    async close() {
      closed = true;
      await server.close();
    },
    sockets() {
      return b.connectionCount;
    },
    timers() {
      return -1;
    },
    publish(topic, payload, qos, retain) {
      return server.publish(topic, payload, { qos, retain });
    },
    subscribe(filter, onMessage) {
      server.subscribe(filter, onMessage);
    },
    problems() {
      return errors;
    },
    async dispose() {
      for (const p of peers) p.socket.destroy();
      if (!closed) await server.close();
    },
  };
}
