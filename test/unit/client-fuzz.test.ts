// The client role against a hostile server: seeded random sessions of server packets of every
// type, mostly valid and then mutated (bytes flipped, cut, repeated, lengths broken), split at
// random, with the clock moving, the transport filling and draining and the application
// publishing and subscribing between them. After every step: nothing was thrown out of the
// core, nothing was caught inside it (every bad input is a CodecError, not an exception), a
// closed connection was told why, what the client wrote decodes as client packets, and its
// window and queues are within their limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { CONNACK, Decoder, PUBLISH, encode } from '../../core/index.js';
import { ClientRig } from '../helpers/client-rig.js';
import { concat } from '../helpers/hex.js';
import { prng } from '../helpers/prng.js';

function serverPacket(rnd: () => number, version: number): Packet {
  const id = 1 + Math.floor(rnd() * 4);
  const k = Math.floor(rnd() * 12);
  const props = version === 5 && rnd() < 0.3 ? { topicAlias: Math.floor(rnd() * 4), reasonString: 'r' } : null;
  switch (k) {
    case 0: return { type: CONNACK, sessionPresent: rnd() < 0.2, reasonCode: rnd() < 0.8 ? 0 : 0x87, properties: version === 5 ? { receiveMaximum: 1 + Math.floor(rnd() * 3), maximumPacketSize: 20 + Math.floor(rnd() * 100) } : null };
    case 1: case 2: case 3: {
      const qos = Math.floor(rnd() * 3) as 0 | 1 | 2;
      return { type: PUBLISH, dup: rnd() < 0.2, qos, retain: rnd() < 0.2, topic: rnd() < 0.1 ? '' : 't/' + id, packetId: qos === 0 ? 0 : id, properties: props, payload: new Uint8Array(Math.floor(rnd() * 40)) };
    }
    case 4: return { type: 4, packetId: id, reasonCode: rnd() < 0.8 ? 0 : 0x80, properties: null };
    case 5: return { type: 5, packetId: id, reasonCode: rnd() < 0.8 ? 0 : 0x80, properties: null };
    case 6: return { type: 6, packetId: id, reasonCode: 0, properties: null };
    case 7: return { type: 7, packetId: id, reasonCode: 0, properties: null };
    case 8: return { type: 9, packetId: id, properties: null, reasonCodes: [1] };
    case 9: return { type: 11, packetId: id, properties: null, reasonCodes: version === 5 ? [0] : [] };
    case 10: return { type: 13 };
    default: return version === 5 ? { type: 14, reasonCode: 0x8b, properties: null } : { type: 12 };
  }
}

function mutate(rnd: () => number, b: Uint8Array): Uint8Array {
  const r = rnd();
  if (r < 0.8) return b;
  const c = b.slice();
  if (r < 0.75 && c.length > 0) c[Math.floor(rnd() * c.length)] ^= 1 << Math.floor(rnd() * 8);
  else if (r < 0.85) return c.subarray(0, Math.floor(rnd() * c.length));
  else if (r < 0.92 && c.length > 1) c[1] = Math.floor(rnd() * 256);
  else return concat([c, new Uint8Array([Math.floor(rnd() * 256), 0xff, 0xff, 0xff, 0x7f])]);
  return c;
}

function check(r: ClientRig, version: number, where: string): void {
  assert.is(r.client.stats.errors, 0, where + ': an exception was caught inside the core');
  for (const e of r.closes) if (e !== null) assert.ok(typeof e.rc === 'number' && e.message !== '', where + ': closed without a reason');
  const o = r.client.outgoing;
  const window = Math.min(r.client.limits.maxInflight, r.client.serverReceiveMaximum);
  assert.ok(o.inflight.filter((m) => m.sent).length <= window, where + ': window over its limit');
  assert.ok(o.queued() <= r.client.limits.maxQueued, where + ': queue over maxQueued');
  assert.ok(o.bytes <= r.client.limits.maxQueuedBytes, where + ': queue over maxQueuedBytes');
  assert.ok(r.client.qos2InCount <= r.client.limits.receiveMaximum, where + ': incoming QoS 2 over our Receive Maximum');
  // What the client wrote is client packets, each decodable.
  const d = new Decoder({ version: version, maxPacketSize: 1 << 20 });
  d.push(concat(r.transport.written));
  for (let p = d.next(); p !== null; p = d.next()) assert.ok([1, 3, 4, 5, 6, 7, 8, 10, 12, 14].includes(p.type), where + ': wrote a packet of type ' + p.type);
  assert.is(d.error, null, where + ': wrote bytes that do not decode');
}

for (const [seed, version] of [[1, 4], [2, 5], [3, 5]]) {
  test(`(design) fuzz seed ${seed}, MQTT ${version === 5 ? '5.0' : '3.1.1'}: 300 sessions of hostile server input, nothing thrown, every limit kept`, () => {
    const rnd = prng(seed);
    let connects = 0, delivered = 0, completed = 0;
    const codes = new Set<number>();
    for (let session = 0; session < 300; session++) {
      const r = new ClientRig({ version, cleanStart: rnd() < 0.5, keepAlive: 5, receiveMaximum: 2, topicAliasMaximum: 2, maxInflight: 3, maxQueued: 5, maxQueuedBytes: 600, queueQoS0: rnd() < 0.5, maxOutboundBytes: 64 });
      r.connected();
      for (let step = 0; step < 40; step++) {
        const where = `seed ${seed} session ${session} step ${step}`;
        const a = rnd();
        try {
          if (a < 0.15 && r.client.state === 0) {
            if (rnd() < 0.7) r.connected(rnd() < 0.5); else r.open();
          }
          else if (a < 0.5) {
            const bytes = mutate(rnd, encode(serverPacket(rnd, version), version));
            const cut = Math.floor(rnd() * (bytes.length + 1));
            r.feed(bytes.subarray(0, cut));
            r.feed(bytes.subarray(cut));
          } else if (a < 0.65) r.publish('p/' + Math.floor(rnd() * 3), 'x'.repeat(Math.floor(rnd() * 120)), Math.floor(rnd() * 3) as 0 | 1 | 2);
          else if (a < 0.7) r.client.subscribe([{ topicFilter: 's/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, r.now);
          else if (a < 0.8) r.advance(Math.floor(rnd() * 8000));
          else if (a < 0.87) r.transport.full = !r.transport.full;
          else if (a < 0.92) r.client.writable(r.now);
          else if (a < 0.96) r.client.closed(r.now);
          else r.client.disconnect(0, r.now);
        } catch (e) {
          throw new Error(where + ': thrown out of the core: ' + String((e as Error).stack));
        }
        check(r, version, where);
      }
      connects += r.client.stats.connects;
      delivered += r.client.stats.messagesIn;
      completed += r.client.stats.completed;
      for (const e of r.closes) if (e !== null) codes.add(e.rc);
    }
    // The sessions got somewhere: connected, messages both ways, closed for many reasons.
    assert.ok(connects > 300 && delivered > 100 && completed >= 5 && codes.size >= 5, JSON.stringify({ connects, delivered, completed, codes: [...codes] }));
  });
}

test.run();
