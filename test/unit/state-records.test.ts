// The byte form of the state records a store keeps (core/broker/state/record-codec.ts): every
// kind goes through bytes and back unchanged, and bytes that are not a record (torn, flipped,
// random, hostile) decode to a BadRecord with a reason, never to a throw.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StateRecord, StoredMessage } from '../../core/broker/state/records.js';
import { REC_LAST } from '../../core/broker/state/records.js';
import { RecordFrames, decodeRecord, encodeRecord } from '../../core/broker/state/record-codec.js';
import { crc32, frameRecords, scanSegment } from '../../core/store/journal-frame.js';

const te = new TextEncoder();

function msg(over: Partial<StoredMessage> = {}): StoredMessage {
  return {
    topic: 'home/kitchen/temp', payload: te.encode('21.5 °C'), qos: 1, retain: false, properties: null, publisher: 'sensor-1',
    expiresAtMs: -1, ...over,
  };
}

// One record of every kind, with values at the edges of each field.
const EVERY_KIND: StateRecord[] = [
  { kind: 1, clientId: 'c1', username: 'alice', version: 5, expiryMs: 3600_000 },
  { kind: 1, clientId: 'c2', username: null, version: 4, expiryMs: -1 },
  { kind: 2, clientId: 'c1', username: 'alice', version: 4 },
  { kind: 2, clientId: 'ü-ñ', username: null, version: 3 },
  { kind: 3, clientId: 'c1', expiresAtMs: 1_764_000_000_000 },
  { kind: 3, clientId: 'c1', expiresAtMs: -1 },
  { kind: 4, clientId: 'c1' },
  { kind: 5, clientId: 'c1', expiryMs: 0 },
  { kind: 6, clientId: 'c1', topicFilter: '$share/g/a/+/#', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 268_435_455 },
  { kind: 6, clientId: 'c1', topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: 0 },
  { kind: 7, clientId: 'c1', topicFilter: 'a/#' },
  { kind: 8, messageId: 4_294_967_295, message: msg() },
  { kind: 8, messageId: 1, message: msg({ payload: new Uint8Array(70_000), qos: 2, retain: true, publisher: '', expiresAtMs: 2 ** 52 }) },
  {
    kind: 8, messageId: 7, message: msg({
      properties: {
        payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'r/t',
        correlationData: new Uint8Array([1, 2, 3]), userProperties: [['k', 'v'], ['k', 'w']],
      },
    }),
  },
  { kind: 9, clientId: 'c1', messageId: 7, qos: 1, retain: true, subscriptionIds: [1, 268_435_455], shareKey: 'g\u0000a/+' },
  { kind: 9, clientId: 'c1', messageId: 8, qos: 0, retain: false, subscriptionIds: null, shareKey: '' },
  { kind: 10, clientId: 'c1', index: 99_999 },
  { kind: 11, clientId: 'c1', packetId: 65_535 },
  { kind: 12, clientId: 'c1', messageId: 9, packetId: 1, qos: 2, retain: false, subscriptionIds: [3], shareKey: '' },
  { kind: 13, clientId: 'c1', packetId: 2 },
  { kind: 14, clientId: 'c1', packetId: 3 },
  { kind: 15, clientId: 'c1', packetId: 4 },
  { kind: 16, clientId: 'c1', packetId: 5 },
  { kind: 17, clientId: 'c1', message: msg({ topic: 'will/c1', qos: 2, retain: true, publisher: 'c1' }), delayMs: 30_000, atMs: -1 },
  { kind: 17, clientId: 'c1', message: msg({ topic: 'will/c1', publisher: 'c1' }), delayMs: 30_000, atMs: 1_764_000_030_000 },
  { kind: 18, clientId: 'c1' },
  { kind: 19, message: msg({ retain: true, qos: 0, payload: new Uint8Array(0) }) },
  { kind: 20, topic: 'home/kitchen/temp' },
  { kind: 21, clientId: 'c1', username: 'alice', version: 5, message: msg({ topic: 'will/c1', qos: 1, retain: true, publisher: 'c1' }) },
  { kind: 21, clientId: 'ü-ñ', username: null, version: 3, message: msg({ topic: 'will/ü', publisher: 'ü-ñ' }) },
  // A bridge's queue (core/bridge/queue-records.ts).
  { kind: 22, bridge: 'cloud', seq: 1, message: msg({ topic: 'site-a/s/t', qos: 2, publisher: '' }) },
  { kind: 22, bridge: 'ü', seq: 2 ** 52, message: msg({ properties: { userProperties: [['k', 'v']], contentType: 'text/plain' }, publisher: '' }) },
  { kind: 23, bridge: 'cloud', seq: 1, packetId: 65_535 },
  { kind: 24, bridge: 'cloud', seq: 1 },
  { kind: 25, bridge: 'cloud', seq: 9_007_199_254_740_991 },
];

test('every record kind goes through bytes and back unchanged', () => {
  const kinds = new Set<number>();
  for (const r of EVERY_KIND) {
    const back = decodeRecord(encodeRecord(r));
    assert.equal(back, r, 'kind ' + r.kind);
    kinds.add(r.kind);
  }
  assert.is(kinds.size, REC_LAST);   // none left out
});

test('a batch framed straight into one buffer is the bytes of each record framed one by one, across every growth of its buffer', () => {
  const frames = new RecordFrames(crc32);
  const all: StateRecord[] = [];
  for (let round = 0; round < 3; round++) for (const r of EVERY_KIND) all.push(r);
  for (const r of all) frames.add(r);
  assert.is(frames.count, all.length);
  const bytes = frames.take();
  assert.equal(bytes, frameRecords(all.map(encodeRecord), 0, all.length));
  assert.is(frames.count, 0);
  frames.add(EVERY_KIND[0]);   // the next batch begins in a buffer of its own
  assert.equal(frames.take(), frameRecords([encodeRecord(EVERY_KIND[0])], 0, 1));
});

test('a record that cannot be encoded throws, and the batch holds only the records before it', () => {
  const frames = new RecordFrames(crc32);
  frames.add(EVERY_KIND[0]);
  assert.throws(() => frames.add({ kind: 4, clientId: 'x'.repeat(70_000) }));
  assert.is(frames.count, 1);
  assert.equal(frames.take(), frameRecords([encodeRecord(EVERY_KIND[0])], 0, 1));
});

test('a batched RecordFrames is one batch frame: every record back, in order, through the scan', () => {
  const frames = new RecordFrames(crc32, true);
  const all: StateRecord[] = [];
  for (let round = 0; round < 3; round++) for (const r of EVERY_KIND) all.push(r);
  for (const r of all) frames.add(r);
  const bytes = frames.take();
  assert.ok(bytes[0] >= 128, 'the batch flag');
  const back: StateRecord[] = [];
  const s = scanSegment(bytes, 1 << 20, null, (b, start, end) => { back.push(decodeRecord(b.slice(start, end)) as StateRecord); });
  assert.is(s.count, all.length);
  assert.is(s.validEnd, bytes.length);
  assert.equal(back, all);
  assert.equal(frames.take().length, 0);   // nothing added: no frame at all, not an empty batch
});

test('a record that cannot be encoded first in a batch leaves no batch behind', () => {
  const frames = new RecordFrames(crc32, true);
  assert.throws(() => frames.add({ kind: 4, clientId: 'x'.repeat(70_000) }));
  assert.is(frames.count, 0);
  assert.equal(frames.take().length, 0);
  frames.add(EVERY_KIND[0]);
  const back: StateRecord[] = [];
  scanSegment(frames.take(), 1 << 20, null, (b, start, end) => { back.push(decodeRecord(b.slice(start, end)) as StateRecord); });
  assert.equal(back, [EVERY_KIND[0]]);
});

test('a record\'s bytes begin with its kind', () => {
  for (const r of EVERY_KIND) assert.is(encodeRecord(r)[0], r.kind);
});

test('a decoded payload is a copy, not a view of the bytes the store handed in', () => {
  const bytes = encodeRecord({ kind: 19, message: msg({ payload: te.encode('abc') }) });
  const back = decodeRecord(bytes);
  bytes.fill(0);
  assert.is(back.kind, 19);
  if (back.kind === 19) assert.equal([...back.message.payload], [...te.encode('abc')]);
});

// Every cut of the small records; the 70,000-byte payload's record around its fields and its end.
function cuts(length: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < length; n++) if (length < 1000 || n < 100 || n > length - 100) out.push(n);
  return out;
}

test('every record cut short, at every length, is a BadRecord, never a throw', () => {
  for (const r of EVERY_KIND) {
    const bytes = encodeRecord(r);
    for (const n of cuts(bytes.length)) {
      const back = decodeRecord(bytes.subarray(0, n));
      assert.is(back.kind, 0, 'kind ' + r.kind + ' cut at ' + n);
    }
  }
});

test('a record with bytes after its last field is a BadRecord', () => {
  for (const r of EVERY_KIND) {
    const bytes = encodeRecord(r);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes, 0);
    const back = decodeRecord(longer);
    assert.is(back.kind, 0, 'kind ' + r.kind);
    if (back.kind === 0) assert.match(back.error, 'bytes after', 'kind ' + r.kind + ': ' + back.error);
  }
});

test('an unknown kind, QoS 3, bad flags, a zero packet id or a time past 2^53 is a BadRecord with its reason', () => {
  const cases: Array<[Uint8Array, string]> = [
    [new Uint8Array([0]), 'unknown record kind 0'],
    [new Uint8Array([REC_LAST + 1]), 'unknown record kind'],
    [new Uint8Array([255, 0, 0]), 'unknown record kind'],
  ];
  // SUBSCRIBED with QoS 3
  const sub = encodeRecord({ kind: 6, clientId: 'c', topicFilter: 'a', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: 0 });
  sub[1 + 3 + 3] = 3;
  cases.push([sub, 'QoS 3']);
  // QUEUED with QoS bits 3
  const q = encodeRecord({ kind: 9, clientId: 'c', messageId: 1, qos: 1, retain: false, subscriptionIds: null, shareKey: '' });
  q[1 + 3 + 4] = 3;
  cases.push([q, 'message flags']);
  // ACKED with packet id 0
  const a = encodeRecord({ kind: 14, clientId: 'c', packetId: 1 });
  a[a.length - 1] = 0;
  cases.push([a, 'packet id 0']);
  // SESSION_OFFLINE at a time past 2^53
  const o = encodeRecord({ kind: 3, clientId: 'c', expiresAtMs: 0 });
  o[1 + 3] = 0x7f;
  cases.push([o, '2^53']);
  // a username flag that is neither 0 nor 1
  const s = encodeRecord({ kind: 2, clientId: 'c', username: null, version: 4 });
  s[1 + 3] = 2;
  cases.push([s, 'string flag']);
  for (const [bytes, reason] of cases) {
    const back = decodeRecord(bytes);
    assert.is(back.kind, 0, reason);
    if (back.kind === 0) assert.match(back.error, reason);
  }
});

test('a client id that is not valid UTF-8, or holds U+0000, is a BadRecord', () => {
  const bytes = encodeRecord({ kind: 4, clientId: 'abc' });
  bytes[3] = 0xff;
  assert.is(decodeRecord(bytes).kind, 0);
  bytes[3] = 0x00;
  assert.is(decodeRecord(bytes).kind, 0);
});

test('a payload length larger than the bytes left is a BadRecord, before anything that size is made', () => {
  const bytes = encodeRecord({ kind: 19, message: msg({ payload: new Uint8Array(4) }) });
  // the payload's four-byte length sits just before its four bytes at the end
  const at = bytes.length - 8;
  bytes[at] = 0xff; bytes[at + 1] = 0xff; bytes[at + 2] = 0xff; bytes[at + 3] = 0xff;
  const back = decodeRecord(bytes);
  assert.is(back.kind, 0);
});

test('random bytes and every single flipped byte of every kind decode without a throw', () => {
  let seed = 12345;
  function next(): number {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  }
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(next() % 64);
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    if (b.length > 0) b[0] = 1 + (next() % REC_LAST);   // mostly a known kind, to reach the fields
    const back = decodeRecord(b);
    assert.ok(back.kind >= 0 && back.kind <= REC_LAST);
  }
  for (const r of EVERY_KIND) {
    const bytes = encodeRecord(r);
    for (const i of cuts(bytes.length)) {
      const copy = bytes.slice();
      copy[i] ^= 0xff;
      const back = decodeRecord(copy);
      assert.ok(back.kind >= 0 && back.kind <= REC_LAST);
    }
  }
});

test.run();
