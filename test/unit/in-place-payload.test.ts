// Payloads kept as ranges of the received bytes (core/codec/in-place-payload.ts): the decoder's
// reused QoS 0 PUBLISH and the broker's messages make a view only when `payload` is read, and
// frames get the bytes copied from the range (copyRange).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder, InPlacePublish, MQTT_3_1_1, PUBLISH, copyRange, encode } from '../../core/index.js';
import type { Message, PublishPacket } from '../../core/index.js';
import { rig } from '../helpers/rig.js';

const te = new TextEncoder();
const td = new TextDecoder();

function publish0(topic: string, payload: string): Uint8Array {
  return encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic, packetId: 0, properties: null, payload: te.encode(payload) }, MQTT_3_1_1);
}

test('copyRange: short runs and long ones land byte for byte at the offset', () => {
  for (const n of [0, 1, 32, 33, 200]) {
    const src = new Uint8Array(n + 10);
    for (let i = 0; i < src.length; i++) src[i] = (i * 7 + 3) & 255;
    const dst = new Uint8Array(n + 4).fill(0xee);
    copyRange(src, 5, 5 + n, dst, 2);
    assert.equal(Array.from(dst.subarray(2, 2 + n)), Array.from(src.subarray(5, 5 + n)), n + ' bytes');
    assert.equal([dst[0], dst[1], dst[n + 2], dst[n + 3]], [0xee, 0xee, 0xee, 0xee], n + ' bytes: nothing around them');
  }
});

test('the decoder\'s reused QoS 0 PUBLISH: the payload is the range of the chunk, read as a view, set as bytes', () => {
  const d = new Decoder({ version: MQTT_3_1_1, reuseQoS0: true });
  const chunk = new Uint8Array([...publish0('a', 'first'), ...publish0('b', 'second!')]);
  d.push(chunk);
  const p = d.next() as PublishPacket;
  assert.ok(p instanceof InPlacePublish);
  const range = p as InPlacePublish;
  assert.is(range.payloadSource, chunk);
  assert.is(td.decode(p.payload), 'first');
  assert.is(p.payload.buffer, chunk.buffer, 'a view of the chunk, not a copy');
  const q = d.next() as PublishPacket;
  assert.is(q, p, 'the same object, filled again');
  assert.equal([q.topic, td.decode(q.payload)], ['b', 'second!']);
  const own = te.encode('mine');
  q.payload = own;
  assert.is(q.payload, own);
  assert.equal([range.payloadSource, range.payloadStart, range.payloadEnd], [own, 0, 4]);
});

test('a routed QoS 0 message: subscribers and a local subscriber get its own bytes, though the next message reuses the packet and the chunk', () => {
  const r = rig();
  const local: string[] = [];
  r.broker.subscribe('t', (m: Message) => { local.push(td.decode(m.payload)); }, r.now);
  r.connected('sub');
  r.subscribe('sub', 't', 0);
  r.sent('sub');
  r.connected('pub');
  const chunk = new Uint8Array([...publish0('t', 'one'), ...publish0('t', 'two'), ...publish0('t', 'three, longer than thirty-two bytes')]);
  r.feed('pub', chunk);
  assert.equal(r.received('sub'), ['one', 'two', 'three, longer than thirty-two bytes']);
  assert.equal(local, ['one', 'two', 'three, longer than thirty-two bytes']);
});

test.run();
