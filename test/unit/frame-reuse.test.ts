// Who owns a frame after transport.write() (core/broker/PORT.md, "Who owns which bytes"): a
// transport with writeCopies gives the buffer back, and the broker writes its next frame of
// the same size into it; any other holder (a transport without writeCopies, the core's own
// queue of frames held while a transport is full, a message kept for later) keeps its bytes
// unchanged. The rig's transports keep a copy of each frame as written (`written`) beside the
// frame itself (`originals`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUBLISH } from '../../core/index.js';
import type { PublishPacket } from '../../core/index.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';

function subscriber(r: Rig, name: string, copies: boolean, qos: 0 | 1 = 0, clean = true) {
  const c = r.connected(name, { clean });
  c.transport.writeCopies = copies;
  r.subscribe(name, 't', qos);
  r.sent(name);
  return c;
}

/** The PUBLISH frames handed to `name` since the last read, as handed over (not copied). */
function handed(r: Rig, name: string): Uint8Array[] {
  return r.client(name).transport.originals.filter((f) => (f[0] >> 4) === PUBLISH);
}

test('PORT.md: a transport with writeCopies gets the next QoS 0 message of the same size in the same buffer, each with its own bytes', () => {
  const r = rig();
  subscriber(r, 'a', true);
  r.connected('pub');
  r.publish('pub', 't', 'one');
  r.publish('pub', 't', 'two');
  const frames = handed(r, 'a');
  assert.is(frames.length, 2);
  assert.is(frames[1], frames[0], 'the second frame reuses the first one\'s buffer');
  assert.equal(r.received('a'), ['one', 'two'], 'as written, each had its own payload');
});

test('PORT.md: a frame handed to a transport without writeCopies is never written again, though a copying one got it too', () => {
  const r = rig();
  subscriber(r, 'copies', true);
  subscriber(r, 'keeps', false);
  r.connected('pub');
  for (let i = 0; i < 20; i++) r.publish('pub', 't', 'm' + (i % 10));
  const t = r.client('keeps').transport;
  const frames = t.originals.slice();
  const copies = t.written.slice();
  assert.is(frames.length, 20);
  for (let i = 0; i < frames.length; i++) {
    assert.equal(Array.from(frames[i]), Array.from(copies[i]), 'frame ' + i + ' unchanged since it was handed over');
    for (let j = 0; j < i; j++) assert.is.not(frames[i], frames[j], 'a buffer it holds is not reused');
  }
  assert.is(r.received('copies').length, 20);
});

test('PORT.md: frames the core holds while a copying transport is full are sent later as they were made', () => {
  const r = rig();
  const a = subscriber(r, 'a', true);
  r.connected('pub');
  a.transport.full = true;                 // the next write answers false: later frames wait in the core
  for (let i = 0; i < 5; i++) r.publish('pub', 't', 'p' + i);
  a.transport.full = false;
  r.writable('a');
  r.publish('pub', 't', 'p5');
  assert.equal(r.received('a'), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
});

test('PORT.md: a message queued for an offline session keeps its frame: sent on reconnect with its own bytes', () => {
  const r = rig({ queueQoS0Offline: true });
  subscriber(r, 'a', true);
  subscriber(r, 'away', true, 0, false);
  r.drop('away');
  r.connected('pub');
  r.publish('pub', 't', 'q1');            // to 'a' now, and queued for 'away' (the message is kept)
  r.publish('pub', 't', 'q2');            // same size: must not land in q1's frame
  r.publish('pub', 't', 'q3');
  assert.equal(r.received('a'), ['q1', 'q2', 'q3']);
  r.connect('away', { clean: false });   // the queue goes out right after the CONNACK
  const got = r.packets('away').filter((p) => p.type === PUBLISH).map((p) => new TextDecoder().decode((p as PublishPacket).payload));
  assert.equal(got, ['q1', 'q2', 'q3']);
});

test('PORT.md: QoS 1 per-subscriber copies and the publisher\'s PUBACKs reuse buffers between copying transports, ids intact', () => {
  const r = rig();
  subscriber(r, 's1', true, 1);
  subscriber(r, 's2', true, 1);
  const pub = r.connected('pub');
  pub.transport.writeCopies = true;
  r.publish('pub', 't', 'x', 1, 7);
  r.publish('pub', 't', 'y', 1, 8);
  const f1 = handed(r, 's1');
  const f2 = handed(r, 's2');
  assert.is(f2[0], f1[0], 's2\'s copy of the first message is written into s1\'s, given back');
  const acks = pub.transport.originals;
  assert.is(acks.length, 2);
  assert.is(acks[1], acks[0], 'the second PUBACK reuses the first one\'s buffer');
  assert.equal(r.frames('pub'), ['40 02 00 07', '40 02 00 08']);
  const ids = (name: string) => r.packets(name).map((p) => (p as PublishPacket).packetId + ':' + new TextDecoder().decode((p as PublishPacket).payload));
  assert.equal(ids('s1'), ['1:x', '2:y']);
  assert.equal(ids('s2'), ['1:x', '2:y']);
});

test.run();
