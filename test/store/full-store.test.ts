// A device store full to its byte budget (issue 19: "when it is full, new retained topics and
// queued messages are refused exactly as the in-memory limits refuse them (5.0 0x97), counted;
// never acknowledged and then lost"), through the broker on the Espruino store over the fakes
// (broker-board.ts). What fills it is live state, an offline persistent session's queue, so
// its snapshot does not fit the reserve either (README "What it guarantees, and what it does
// when full").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../core/index.js';
import { PUBLISH } from '../../core/index.js';
import { BrokerBoard } from './broker-board.js';

const PUBACK = 4;
// Room for the whole queue in memory: what fills up must be the store.
const ROOMY = { maxQueued: 1 << 20, maxQueuedBytes: 1 << 28, maxOfflineBytes: 1 << 28, maxInflight: 4 };

/** A 16 KiB store filled with QoS 1 messages for the offline session "s" until a PUBACK refuses one. */
function full(): { b: BrokerBoard; acked: string[]; refused: number } {
  const b = new BrokerBoard({ budgetBytes: 16384 }, ROOMY);
  const t = b.boot();
  t.connected('s', { clean: false });
  t.subscribe('s', 'q/#', 1);
  t.drop('s');
  t.connected('p', { version: 5 });
  b.tick();
  const acked: string[] = [];
  for (let i = 1; i < 5000; i++) {
    t.publish('p', 'q/x', 'm' + i, 1, i);
    b.tick();
    const ack = t.packets('p').filter((p: Packet) => p.type === PUBACK)[0] as { reasonCode: number };
    if (ack.reasonCode >= 0x80) return { b, acked, refused: ack.reasonCode };
    acked.push('m' + i);
  }
  throw new Error('the store never filled');
}

/** The session comes back and acknowledges everything it is sent; the payloads, in order. */
function drain(b: BrokerBoard): string[] {
  const t = b.t;
  t.connect('s', { clean: false });
  const got: string[] = [];
  for (let quiet = 0; quiet < 3;) {
    const ps = t.packets('s').filter((p: Packet) => p.type === PUBLISH) as unknown as Array<{ payload: Uint8Array; packetId: number }>;
    if (ps.length === 0) quiet++;
    for (const p of ps) {
      got.push(new TextDecoder().decode(p.payload));
      t.send('s', { type: PUBACK, packetId: p.packetId, reasonCode: 0, properties: null });
    }
    b.tick();
    t.advance(1000);   // while its store fails the broker tries a snapshot at most once a second (state/journal.ts)
  }
  return got;
}

test('5:MQTT-3.4.2-1 full: the message that does not fit gets PUBACK 0x97 (Quota exceeded), and none acknowledged before it is lost at a power cut', () => {
  const { b, acked, refused } = full();
  assert.is(refused, 0x97);
  assert.ok(acked.length > 50, acked.length + ' acknowledged');
  b.cut();
  assert.equal(drain(b), acked);
});

test('full of live state: the session still gets its whole queue, the failed snapshots are counted, and once it has shrunk the store keeps appends again', () => {
  const { b, acked } = full();
  b.cut();
  assert.equal(drain(b), acked);
  assert.ok(b.store.journal.stats.compactionsFailed > 0, 'snapshots that did not fit');
  assert.ok(b.store.journal.stats.compactions > 0, 'and one that did');
  const t = b.t;
  t.drop('s');
  t.connected('p', { version: 5 });
  t.publish('p', 'q/x', 'after', 1, 1);
  b.tick();
  assert.equal(t.packets('p').map((p) => [p.type, (p as { reasonCode: number }).reasonCode]), [[PUBACK, 0]]);
  b.cut();
  assert.equal(drain(b), ['after'], 'kept across a power cut');
});

test.run();
