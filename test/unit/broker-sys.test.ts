// $SYS parity with mosquitto (core/broker/sys-topics.ts) and drops counted by cause
// (core/broker/drops.ts): bytes in, fake clock, values read back by a $SYS subscriber.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PublishPacket } from '../../core/index.js';
import { DROP_CAUSES } from '../../core/index.js';
import type { Rig } from '../helpers/rig.js';
import { rig } from '../helpers/rig.js';

/** The retained $SYS values under `filter`, read by a fresh subscriber. */
function sys(t: Rig, filter: string): Map<string, string> {
  const name = 'sys' + t.clients.size;
  t.connected(name);
  t.subscribe(name, filter, 0);
  const out = new Map<string, string>();
  for (const p of t.packets(name)) if (p.type === 3) out.set((p as PublishPacket).topic, new TextDecoder().decode((p as PublishPacket).payload));
  return out;
}

const cause = (name: string): number => DROP_CAUSES.indexOf(name);

test('(design) $SYS/broker/clients/total counts offline persistent sessions; clients/maximum the most connections at once', () => {
  const t = rig({ sysIntervalMs: 1000 });
  t.connected('p1', { clean: false });
  t.connected('p2', { clean: false });
  t.connected('c1');
  t.drop('p1');
  t.drop('c1');
  t.advance(1000);
  const v = sys(t, '$SYS/broker/clients/+');
  assert.is(v.get('$SYS/broker/clients/connected'), '1');   // p2
  assert.is(v.get('$SYS/broker/clients/total'), '2');       // p2 connected, p1 offline; c1's session ended with it
  assert.is(v.get('$SYS/broker/clients/maximum'), '3');
});

test('(design) $SYS/broker/load/messages/received/{1min,5min,15min}: per-minute rates averaged as mosquitto does', () => {
  const t = rig({ sysIntervalMs: 60000 });
  t.advance(0);                          // the first round: the averages start at 0
  t.connected('pub');
  for (let i = 0; i < 60; i++) t.publish('pub', 'load/x', 'y');
  t.advance(60000);                      // 60 messages in 60 s: 60 a minute
  const v = sys(t, '$SYS/broker/load/messages/received/+');
  // new = rate + e^(-dt/window) * (old - rate), old 0: 60 * (1 - e^(-60/window))
  assert.is(v.get('$SYS/broker/load/messages/received/1min'), (60 * (1 - Math.exp(-1))).toFixed(2));     // 37.93
  assert.is(v.get('$SYS/broker/load/messages/received/5min'), (60 * (1 - Math.exp(-0.2))).toFixed(2));   // 10.88
  assert.is(v.get('$SYS/broker/load/messages/received/15min'), (60 * (1 - Math.exp(-1 / 15))).toFixed(2)); // 3.87
  const bytes = sys(t, '$SYS/broker/load/bytes/received/1min');
  assert.ok(Number(bytes.get('$SYS/broker/load/bytes/received/1min')) > 0);
});

test('(design) $SYS/broker/store/messages/{count,bytes}: retained plus queued messages, topic and payload bytes', () => {
  const t = rig({ sysIntervalMs: 1000 });
  t.advance(1000);   // $SYS's own retained messages are in the store from here on
  t.connected('pub');
  t.publish('pub', 'r', 'abc', 0, 0, true);              // retained: 1 + 3 bytes
  t.connected('away', { clean: false });
  t.subscribe('away', 'q/#', 1);
  t.drop('away');
  t.publish('pub', 'q/1', 'xy', 1, 1);                   // queued for away: 3 + 2 bytes
  t.publish('pub', 'q/1', 'xy', 1, 2);
  // The round counts the store as it is when it starts: $SYS's own retained values of the
  // last round, 'r', and the two queued copies.
  const retained = t.broker.retained.count;
  const retainedBytes = t.broker.retained.bytes;
  t.advance(1000);
  const v = sys(t, '$SYS/broker/store/messages/+');
  assert.is(v.get('$SYS/broker/store/messages/count'), String(retained + 2));
  assert.is(v.get('$SYS/broker/store/messages/bytes'), String(retainedBytes + 10));
  assert.is(sys(t, '$SYS/broker/subscriptions/count').get('$SYS/broker/subscriptions/count'), '1');   // away's, at the last round
});

test('(design) a full offline queue drops and counts by cause (backlog_full) and per session', () => {
  const t = rig({ maxQueued: 2 });
  t.connected('pub');
  t.connected('away', { clean: false });
  t.subscribe('away', 'q/#', 1);
  t.drop('away');
  for (let i = 1; i <= 5; i++) t.publish('pub', 'q/1', 'm' + i, 1, i);
  assert.is(t.broker.stats.dropped, 3);
  assert.is(t.broker.stats.drops[cause('backlog_full')], 3);
  assert.is(t.broker.sessions.get('away')!.dropped, 3);
});

test('(design) QoS 0 to a client that is not reading is dropped as backlog_full, counted on its session', () => {
  const t = rig({ maxOutboundBytes: 64 });
  t.connected('pub');
  t.connected('slow');
  t.subscribe('slow', 's/#', 0);
  t.client('slow').transport.full = true;
  for (let i = 0; i < 20; i++) t.publish('pub', 's/x', 'a payload of some length');
  const drops = t.broker.stats.drops[cause('backlog_full')];
  assert.ok(drops > 0 && drops === t.broker.stats.dropped, `${drops} of ${t.broker.stats.dropped}`);
  assert.is(t.broker.sessions.get('slow')!.dropped, drops);
});

test('(design) a retained message that does not fit the store is counted as retained_full', () => {
  const t = rig({ maxRetainedCount: 1 });
  t.connected('pub');
  t.publish('pub', 'r/1', 'a', 0, 0, true);
  t.publish('pub', 'r/2', 'b', 0, 0, true);
  assert.is(t.broker.stats.drops[cause('retained_full')], 1);
  assert.is(t.broker.stats.dropped, 1);
});

test('(design) 5:MQTT-3.1.2-25 a message over the client\'s Maximum Packet Size is dropped as too_large', () => {
  const t = rig();
  t.connected('pub');
  t.connected('small', { version: 5, properties: { maximumPacketSize: 20 } });
  t.subscribe('small', 'big/#', 0);
  t.publish('pub', 'big/x', 'x'.repeat(40));
  assert.is(t.broker.stats.drops[cause('too_large')], 1);
  assert.is(t.broker.sessions.get('small')!.dropped, 1);
});

test.run();
