// The journal framing (core/store/journal-frame.ts): CRC-32, one frame per record, and the
// scan that keeps every intact record before a torn tail or a damaged frame (issue 15 §2, §3
// "Torn writes": truncated at every byte offset, loading gives a consistent prefix, never a throw).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  BATCH_FLAG, DAMAGE_CRC, DAMAGE_LENGTH, DAMAGE_NONE, FRAME_HEADER_BYTES, crc32, frameLength,
  frameRecords, scanSegment, visitFrames, writeFrame,
} from '../../core/store/journal-frame.js';
import type { FrameCrc, SegmentScan } from '../../core/store/journal-frame.js';

const MAX = 1 << 20;

/** scanSegment, with a copy of each record it gave its visitor (as many as it counted). */
function scan(bytes: Uint8Array, max: number, crc?: FrameCrc): SegmentScan & { records: Uint8Array[] } {
  const records: Uint8Array[] = [];
  const s = scanSegment(bytes, max, crc, (b, start, end) => { records.push(b.slice(start, end)); });
  assert.is(s.count, records.length);
  return { ...s, records };
}

function frameRecord(payload: Uint8Array): Uint8Array {
  return frameRecords([payload], 0, 1);
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Records of assorted lengths (1 byte up to a few hundred), each byte depending on its place.
function records(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let r = 0; r < count; r++) {
    const p = new Uint8Array(1 + ((r * 37) % 300));
    for (let i = 0; i < p.length; i++) p[i] = (r * 131 + i * 7 + 1) & 255;
    out.push(p);
  }
  return out;
}

/** Offsets where each frame of `recs` starts, plus the segment's end. */
function starts(recs: Uint8Array[]): number[] {
  const out = [0];
  for (let i = 0; i < recs.length; i++) out.push(out[i] + FRAME_HEADER_BYTES + recs[i].length);
  return out;
}

/** The scan found exactly the first `n` records of `recs`, byte for byte. */
function prefixOf(found: Uint8Array[], recs: Uint8Array[], n: number): void {
  assert.is(found.length, n);
  for (let i = 0; i < n; i++) assert.equal(Array.from(found[i]), Array.from(recs[i]), 'record ' + i);
}

const RECS = records(12);
const SEGMENT = frameRecords(RECS, 0, RECS.length);
const AT = starts(RECS);

test('crc32 is the standard CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
  assert.is(crc32(ascii('123456789'), 0, 9), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0), 0, 0), 0);
});

test('crc32 agrees with zlib on every record, and over a sub-range', () => {
  for (let i = 0; i < RECS.length; i++) assert.is(crc32(RECS[i], 0, RECS[i].length), zlibCrc32(RECS[i]));
  assert.is(crc32(SEGMENT, 5, 77), zlibCrc32(SEGMENT.subarray(5, 77)));
});

test('a frame is length (big endian), CRC-32 (big endian), then the payload', () => {
  const f = frameRecord(ascii('hi'));
  // 0x00000002 | crc32("hi") = 0xd8932aac | 'h' 'i'
  assert.equal(Array.from(f), [0, 0, 0, 2, 0xd8, 0x93, 0x2a, 0xac, 0x68, 0x69]);
});

test('writeFrame returns the offset after the frame; frameRecords puts frames back to back', () => {
  const out = new Uint8Array(30);
  assert.is(writeFrame(ascii('abc'), out, 4), 4 + FRAME_HEADER_BYTES + 3);
  assert.is(SEGMENT.length, AT[RECS.length]);
  const one = new Uint8Array(FRAME_HEADER_BYTES + RECS[3].length);
  writeFrame(RECS[3], one, 0);
  assert.equal(Array.from(frameRecords(RECS, 3, 4)), Array.from(one));
});

test('an intact segment gives every record in order, nothing torn or damaged', () => {
  const s = scan(SEGMENT, MAX);
  prefixOf(s.records, RECS, RECS.length);
  assert.is(s.validEnd, SEGMENT.length);
  assert.is(s.tornAt, -1);
  assert.is(s.damagedAt, -1);
  assert.is(s.damage, DAMAGE_NONE);
});

test('an empty segment is no records', () => {
  const s = scan(new Uint8Array(0), MAX);
  assert.is(s.records.length, 0);
  assert.is(s.validEnd, 0);
  assert.is(s.tornAt, -1);
});

test('cut at every byte offset of the last 4 records: the whole frames before the cut, the rest torn', () => {
  for (let cut = AT[RECS.length - 4]; cut <= SEGMENT.length; cut++) {
    let whole = 0;
    while (AT[whole + 1] <= cut) whole++;
    const s = scan(SEGMENT.subarray(0, cut), MAX);
    prefixOf(s.records, RECS, whole);
    assert.is(s.validEnd, AT[whole], 'cut ' + cut);
    assert.is(s.tornAt, cut === AT[whole] ? -1 : AT[whole], 'cut ' + cut);
    assert.is(s.damagedAt, -1, 'cut ' + cut);
  }
});

test('cut at every byte offset and the rest of the file zeros (a grown file never written): torn, not damage', () => {
  for (let cut = AT[RECS.length - 3]; cut < SEGMENT.length; cut++) {
    const b = new Uint8Array(SEGMENT.length + 64);
    b.set(SEGMENT.subarray(0, cut), 0);
    let whole = 0;
    while (AT[whole + 1] <= cut) whole++;
    const s = scan(b, MAX);
    prefixOf(s.records, RECS, whole);
    assert.is(s.tornAt, AT[whole], 'cut ' + cut);
    assert.is(s.damagedAt, -1, 'cut ' + cut);
  }
});

test('a wrong CRC in the last frame is a torn tail (its payload was not all written)', () => {
  const b = new Uint8Array(SEGMENT);
  b[SEGMENT.length - 1] ^= 0x40;
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, RECS.length - 1);
  assert.is(s.tornAt, AT[RECS.length - 1]);
  assert.is(s.damagedAt, -1);
});

test('a flipped payload byte in the middle is damage at that frame\'s offset; every record before it is kept', () => {
  const b = new Uint8Array(SEGMENT);
  b[AT[5] + FRAME_HEADER_BYTES + 2] ^= 1;
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 5);
  assert.is(s.damagedAt, AT[5]);
  assert.is(s.damage, DAMAGE_CRC);
  assert.is(s.validEnd, AT[5]);
  assert.is(s.tornAt, -1);
});

test('a flipped CRC byte in the middle is damage too', () => {
  const b = new Uint8Array(SEGMENT);
  b[AT[2] + 5] ^= 0x80;
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 2);
  assert.is(s.damagedAt, AT[2]);
  assert.is(s.damage, DAMAGE_CRC);
});

test('a huge length (0xFFFFFFFF) in the middle is refused as damage without reading past it', () => {
  const b = new Uint8Array(SEGMENT);
  b.fill(255, AT[4], AT[4] + 4);
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 4);
  assert.is(s.damagedAt, AT[4]);
  assert.is(s.damage, DAMAGE_LENGTH);
});

test('a zero length in the middle is damage (records are never empty), not an endless run of empty records', () => {
  const b = new Uint8Array(SEGMENT);
  b.fill(0, AT[3], AT[3] + 8);
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 3);
  assert.is(s.damagedAt, AT[3]);
  assert.is(s.damage, DAMAGE_LENGTH);
});

test('a length over the bound is refused even when that many bytes follow; the bound itself is allowed', () => {
  const big = new Uint8Array(100);
  const f = frameRecord(big);
  assert.is(scan(f, 100).records.length, 1);
  const s = scan(f, 99);
  assert.is(s.records.length, 0);
  assert.is(s.damagedAt, 0);
  assert.is(s.damage, DAMAGE_LENGTH);
  assert.is(frameLength(f, 0, 99), -1);
  assert.is(frameLength(f, 0, 100), 100);
});

test('a frame header alone claiming a huge length at the end is refused, never allocated', () => {
  const b = new Uint8Array(SEGMENT.length + 8);
  b.set(SEGMENT, 0);
  b.set([0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4], SEGMENT.length);
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, RECS.length);
  assert.is(s.damagedAt, SEGMENT.length);
  assert.is(s.damage, DAMAGE_LENGTH);
});

test('a given crc function (zlib.crc32) finds the same records and the same damage', () => {
  const b = new Uint8Array(SEGMENT);
  b[AT[7] + FRAME_HEADER_BYTES] ^= 4;
  const s = scan(b, MAX, (b, start, end) => zlibCrc32(b.subarray(start, end)));
  prefixOf(s.records, RECS, 7);
  assert.is(s.damagedAt, AT[7]);
  assert.is(scan(SEGMENT, MAX, (b, start, end) => zlibCrc32(b.subarray(start, end))).records.length, RECS.length);
});

test('each record is given as the segment itself and its bounds: no view or copy is made', () => {
  const given: Array<[Uint8Array, number, number]> = [];
  scanSegment(SEGMENT, MAX, null, (bytes, start, end) => { given.push([bytes, start, end]); });
  assert.is(given.length, RECS.length);
  for (let i = 0; i < RECS.length; i++) {
    assert.is(given[i][0], SEGMENT);
    assert.equal([given[i][1], given[i][2]], [AT[i] + FRAME_HEADER_BYTES, AT[i + 1]]);
  }
});

test('visitFrames gives the frames a scan found intact, up to its validEnd, and counts them', () => {
  const b = new Uint8Array(SEGMENT);
  b[AT[6] + FRAME_HEADER_BYTES] ^= 1;
  const s = scan(b, MAX);
  const again: Uint8Array[] = [];
  assert.is(visitFrames(b, s.validEnd, (bytes, start, end) => { again.push(bytes.slice(start, end)); }), 6);
  prefixOf(again, RECS, 6);
  assert.is(visitFrames(b, 0, () => { throw new Error('nothing to visit'); }), 0);
});

test('5,000 random corruptions (bytes flipped, cut, zeroed): never a throw, always a prefix of the records', () => {
  let seed = 12345;
  function rand(n: number): number {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  }
  for (let round = 0; round < 5000; round++) {
    const b = new Uint8Array(SEGMENT.subarray(0, rand(SEGMENT.length + 1)));
    const kind = rand(3);
    if (b.length > 0 && kind === 0) b[rand(b.length)] ^= 1 + rand(255);
    if (b.length > 0 && kind === 1) b.fill(0, rand(b.length));
    if (b.length > 0 && kind === 2) b[rand(b.length)] = 255;
    const s = scan(b, MAX);
    prefixOf(s.records, RECS, s.records.length);
    assert.is(s.validEnd, AT[s.records.length]);
    assert.ok(s.tornAt === -1 || s.damagedAt === -1, 'torn or damaged, not both');
  }
});

// ---- batch frames: BATCH_FLAG | length, one CRC of the body, then length | payload each ----

function u32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24; out[at + 1] = (v >>> 16) & 255; out[at + 2] = (v >>> 8) & 255; out[at + 3] = v & 255;
}

/** `payloads` as one batch frame, laid out byte by byte as the format says. */
function batchFrame(payloads: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of payloads) n += 4 + p.length;
  const out = new Uint8Array(FRAME_HEADER_BYTES + n);
  let at = FRAME_HEADER_BYTES;
  for (const p of payloads) { u32(out, at, p.length); out.set(p, at + 4); at += 4 + p.length; }
  u32(out, 0, BATCH_FLAG + n);
  u32(out, 4, crc32(out, FRAME_HEADER_BYTES, out.length));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// Three batches of four records, after two frames of their own (a log written before batches).
const B = [batchFrame(RECS.slice(2, 6)), batchFrame(RECS.slice(6, 10)), batchFrame(RECS.slice(10, 12))];
const MIXED = concat([frameRecords(RECS, 0, 2), ...B]);
const B_AT = [AT[2], AT[2] + B[0].length, AT[2] + B[0].length + B[1].length, MIXED.length];

test('batch frames and single frames in one segment: every record, in order', () => {
  const s = scan(MIXED, MAX);
  prefixOf(s.records, RECS, 12);
  assert.is(s.validEnd, MIXED.length);
  assert.is(s.tornAt, -1);
  assert.is(s.damagedAt, -1);
  const seen: number[] = [];
  assert.is(visitFrames(MIXED, MIXED.length, (b, start, end) => { seen.push(end - start); }), 12);
  assert.equal(seen, RECS.map((r) => r.length));
});

test('[torn writes] the last batch cut at every byte offset is dropped whole, as a torn tail; the ones before it load', () => {
  for (let cut = B_AT[2]; cut < MIXED.length; cut++) {
    const s = scan(MIXED.subarray(0, cut), MAX);
    prefixOf(s.records, RECS, 10);
    assert.is(s.validEnd, B_AT[2], 'cut at ' + cut);
    assert.is(s.tornAt, cut === B_AT[2] ? -1 : B_AT[2], 'cut at ' + cut);
    assert.is(s.damagedAt, -1, 'cut at ' + cut);
  }
});

test('a changed byte in a batch in the middle is damage at its start, reported; the records before it load', () => {
  const b = MIXED.slice();
  b[B_AT[1] + 20] ^= 1;
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 6);
  assert.is(s.damagedAt, B_AT[1]);
  assert.is(s.damage, DAMAGE_CRC);
});

test('a batch whose CRC holds but whose records do not fit its body is damage, none of its records given', () => {
  const bad = batchFrame(RECS.slice(2, 4));
  u32(bad, FRAME_HEADER_BYTES, RECS[2].length + 1000);   // the first record runs past the body
  u32(bad, 4, crc32(bad, FRAME_HEADER_BYTES, bad.length));
  const s = scan(concat([frameRecords(RECS, 0, 2), bad]), MAX);
  prefixOf(s.records, RECS, 2);
  assert.is(s.damagedAt, AT[2]);
  assert.is(s.damage, DAMAGE_LENGTH);
});

test('a batch length over the longest record is refused as damage without reading past it', () => {
  const b = MIXED.slice();
  u32(b, B_AT[1], BATCH_FLAG + MAX + 1);
  const s = scan(b, MAX);
  prefixOf(s.records, RECS, 6);
  assert.is(s.damagedAt, B_AT[1]);
  assert.is(s.damage, DAMAGE_LENGTH);
});

test.run();
