// The port kit's adapter for the Moddable port (ports/moddable/broker-server.js) over the fake
// ECMA-419 sockets, timer and time of test/xs/fake-moddable/ (on Node; test/ts-hooks.mjs maps
// the SDK's module names to the fakes). The stack has PCBs to spare, so the port's own socket
// cap is what acts; a peer that stops reading stops acknowledging (the send buffer fills).
import type { BrokerOptions } from '../../core/index.js';
import { BrokerServer } from '../../ports/moddable/broker-server.js';
import type { FakePeer } from '../xs/fake-moddable/world.js';
import { resetWorld } from '../xs/fake-moddable/world.js';
import type { KitPeer, KitRig } from './kit.js';

const SEND_BUFFER = 8192;   // lwIP's TCP_SND_BUF on the SDK's ESP32 targets (moddable.md)
const PCBS = 32;

class ModdablePeer implements KitPeer {
  peer: FakePeer;
  constructor(peer: FakePeer) {
    this.peer = peer;
  }
  send(bytes: Uint8Array): void {
    this.peer.send(bytes.slice());   // the stack keeps its own copy
  }
  take(): Uint8Array {
    return this.peer.take();
  }
  reading(on: boolean): void {
    this.peer.autoAck = on;
    if (on) this.peer.ack(this.peer.waitingAck);
  }
  end(): void {
    this.peer.end();
  }
  reset(): void {
    this.peer.end();   // ECMA-419 tells FIN and RST alike: onError once the input is read
  }
  closed(): boolean {
    return this.peer.closedByServer;
  }
}

export async function startModdable(options: BrokerOptions): Promise<KitRig> {
  const world = resetWorld(SEND_BUFFER, PCBS, 0);
  const errors: string[] = [];
  const server = new BrokerServer({ port: 1883, limits: options, log: (line: string) => { if (line.indexOf('internal error') >= 0) errors.push(line); } });
  return {
    name: 'moddable',
    broker: server.broker,
    socketCap: server.maxSockets,
    open() {
      const p = world.connect(1883, 2);
      return p === null ? null : new ModdablePeer(p);
    },
    async until(cond) {
      world.run();
      return cond();
    },
    async settle() {
      world.run();
    },
    async advance(ms) {
      world.advance(ms, ms);
    },
    now() {
      return server.clock.read();
    },
    async close() {
      server.close();
      world.run();
    },
    sockets() {
      return server.transports.length;
    },
    timers() {
      return world.timers.filter((t) => t.active).length;
    },
    publish(topic, payload, qos, retain) {
      return server.publish(topic, payload, qos, retain);
    },
    subscribe(filter, onMessage) {
      server.subscribe(filter, onMessage);
    },
    problems() {
      return errors.concat(world.violations.list);
    },
    async dispose() {
      // nothing outside the fake
    },
  };
}
