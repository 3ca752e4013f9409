// The port kit's adapter for the Espruino port over the fake Espruino (test/espruino/
// fake-espruino.ts): from the TypeScript sources or from the built bundle, as the Env says.
import type { BrokerOptions, Message } from '../../core/index.js';
import type { Env } from '../espruino/harness.js';
import { World } from '../espruino/harness.js';
import type { ClientEnd } from '../espruino/fake-espruino.js';
import type { KitBroker, KitPeer, KitRig, StartRig } from './kit.js';

class EspruinoPeer implements KitPeer {
  end0: ClientEnd;
  constructor(end: ClientEnd) {
    this.end0 = end;
  }
  send(bytes: Uint8Array): void {
    this.end0.send(bytes);
  }
  take(): Uint8Array {
    return this.end0.take();
  }
  reading(on: boolean): void {
    this.end0.reading = on;
  }
  end(): void {
    this.end0.fin();
  }
  reset(): void {
    this.end0.reset();
  }
  closed(): boolean {
    return this.end0.closed;
  }
}

export function espruinoStarter(env: Env): StartRig {
  return async function start(options: BrokerOptions): Promise<KitRig> {
    const w = new World(env, options);
    const l = w.listener as unknown as { broker: KitBroker & { subscribe(f: string, fn: (m: Message) => void, now: number): unknown }; maxSockets: number; sockets: number; close(): void;
      publish(topic: string, payload: string, qos: number, retain: boolean): number };
    return {
      name: 'espruino ' + env.name,
      broker: l.broker,
      socketCap: l.maxSockets,
      open() {
        try {
          return new EspruinoPeer(w.dial().end);
        } catch (e) {
          return null;   // nothing listens: "Connect failed"
        }
      },
      async until(cond) {
        w.run();
        return cond();
      },
      async settle() {
        w.run();
      },
      async advance(ms) {
        w.advance(ms);
      },
      now() {
        return Math.floor(w.fake.loop.now);   // as the port's nowMs() reads it
      },
      async close() {
        w.in(() => l.close());
        w.run();
      },
      sockets() {
        return l.sockets;
      },
      timers() {
        return w.fake.loop.timers.length;
      },
      publish(topic, payload, qos, retain) {
        return w.in(() => l.publish(topic, payload, qos, retain));
      },
      subscribe(filter, onMessage) {
        w.in(() => l.broker.subscribe(filter, onMessage, Math.floor(w.fake.loop.now)));
      },
      problems() {
        const out = w.fake.loop.errors.map(String);
        if (w.fake.E.mutatedViews() > 0) out.push(w.fake.E.mutatedViews() + ' received views written through');
        return out;
      },
      async dispose() {
        // nothing outside the fake
      },
    };
  };
}
