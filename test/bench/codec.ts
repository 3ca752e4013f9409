// npm run bench:codec
//
// Our codec against mqtt-packet, measured in the same run on the same bytes. A benchmark,
// not a test: it prints figures and asserts nothing about time. (It does stop if a codec
// fails to decode the bytes it is timed on, because such a figure would mean nothing.)
//
// Sections, top to bottom:
//   1. the packets: each case in our shape and in mqtt-packet's shape; the wire bytes
//      every decoder is fed are mqtt-packet's encoding of the case
//   2. decode: many packets back to back in one chunk, and one packet per chunk
//   3. encode: encode(packet, version) vs mqttPacket.generate(obj, { protocolVersion })
//   4. fan-out: the per-receiver cost of one PUBLISH sent to many QoS 1 subscribers
//   5. allocation: heap bytes per decoded PUBLISH (needs --expose-gc), and whether the
//      decoded payload is a view of the chunk or a copy
// Rates are packets per second, the median of ROUNDS rounds; ours and theirs run in
// alternate rounds and the ratio is the median of the paired rounds' ratios.
// Targets (reported, not asserted): decode >= 5x and encode >= 3x mqtt-packet.

import { createRequire } from 'node:module';
import os from 'node:os';
import * as mqttPacket from 'mqtt-packet';
import { Decoder, SlabAllocator, decodeAll, encode, encodePublishFrame, CONNECT, PUBLISH, SUBSCRIBE } from '../../core/index.js';
import type { Packet, PublishPacket } from '../../core/index.js';
import {
  rate, compareRates, allocation, canMeasureAllocation, machineFacts, formatRate, formatSpread, printTable,
} from './measure.js';
import type { Rate } from './measure.js';

const ROUNDS = 11;
const ROUND_MS = 50;
const BATCH = 1000;              // packets per timed call (and per chunk, for the batch variant)
const MAX_PACKET_SIZE = 65536;
const DECODE_TARGET = 5;
const ENCODE_TARGET = 3;

const started = Date.now();
console.log('ganglion codec benchmark: ours vs mqtt-packet ' + mqttPacketVersion());
console.log(machineFacts());
console.log(`method:  median of ${ROUNDS} rounds of ~${ROUND_MS} ms, ${BATCH} packets per timed call; ours and mqtt-packet`);
console.log('         alternate rounds, ratio = median of paired-round ratios; spread = half the interquartile range of the rounds;');
console.log('         timed by process CPU time (user+sys), so other processes on the machine are not counted');
console.log('');

// ---- 1. the packets -----------------------------------------------------------------

const text = (s: string) => Buffer.from(s, 'utf8');
function bytesOf(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 13) & 0xff;
  return b;
}

const TOPIC = 'sensors/device-17/temperature';
const PAYLOAD_64 = bytesOf(64);
const PAYLOAD_1K = bytesOf(1024);
const CORRELATION = bytesOf(16);

interface Case {
  name: string;
  version: 4 | 5;
  ours: Packet;                 // our shape, encoded by encode()
  theirs: mqttPacket.Packet;    // mqtt-packet's shape, encoded by generate()
  perConnection: boolean;       // CONNECT: one per connection, so one fresh decoder each
}

function publishV4(payload: Buffer, name: string): Case {
  return {
    name, version: 4, perConnection: false,
    ours: { type: PUBLISH, dup: false, qos: 0, retain: false, topic: TOPIC, packetId: 0, properties: null, payload },
    theirs: { cmd: 'publish', dup: false, qos: 0, retain: false, topic: TOPIC, payload },
  };
}

function publishV5(payload: Buffer, name: string): Case {
  return {
    name, version: 5, perConnection: false,
    ours: {
      type: PUBLISH, dup: false, qos: 1, retain: false, topic: TOPIC, packetId: 42, payload,
      properties: {
        messageExpiryInterval: 3600,
        contentType: 'application/octet-stream',
        responseTopic: 'replies/device-17',
        correlationData: CORRELATION,
        userProperties: [['site', 'lab-3'], ['unit', 'celsius']],
      },
    },
    theirs: {
      cmd: 'publish', dup: false, qos: 1, retain: false, topic: TOPIC, messageId: 42, payload,
      properties: {
        messageExpiryInterval: 3600,
        contentType: 'application/octet-stream',
        responseTopic: 'replies/device-17',
        correlationData: CORRELATION,
        userProperties: { site: 'lab-3', unit: 'celsius' },
      },
    },
  };
}

const connectV4: Case = {
  name: 'CONNECT v4 user/pass + will', version: 4, perConnection: true,
  ours: {
    type: CONNECT, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 60,
    properties: null, clientId: 'device-17',
    will: { topic: 'devices/device-17/status', payload: text('offline'), qos: 1, retain: true, properties: null },
    username: 'device-17', password: text('correct horse battery staple'),
  },
  theirs: {
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60,
    clientId: 'device-17',
    will: { topic: 'devices/device-17/status', payload: text('offline'), qos: 1, retain: true },
    username: 'device-17', password: text('correct horse battery staple'),
  },
};

const connectV5: Case = {
  name: 'CONNECT v5 props + will props', version: 5, perConnection: true,
  ours: {
    type: CONNECT, protocolName: 'MQTT', protocolVersion: 5, cleanStart: false, keepAlive: 60,
    properties: {
      sessionExpiryInterval: 3600, receiveMaximum: 100, maximumPacketSize: 65536, topicAliasMaximum: 10,
      userProperties: [['fw', '1.4.2']],
    },
    clientId: 'device-17',
    will: {
      topic: 'devices/device-17/status', payload: text('offline'), qos: 1, retain: true,
      properties: { willDelayInterval: 30, messageExpiryInterval: 600, contentType: 'text/plain' },
    },
    username: 'device-17', password: text('correct horse battery staple'),
  },
  theirs: {
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: false, keepalive: 60,
    properties: {
      sessionExpiryInterval: 3600, receiveMaximum: 100, maximumPacketSize: 65536, topicAliasMaximum: 10,
      userProperties: { fw: '1.4.2' },
    },
    clientId: 'device-17',
    will: {
      topic: 'devices/device-17/status', payload: text('offline'), qos: 1, retain: true,
      properties: { willDelayInterval: 30, messageExpiryInterval: 600, contentType: 'text/plain' },
    },
    username: 'device-17', password: text('correct horse battery staple'),
  },
};

const subscribeV4: Case = {
  name: 'SUBSCRIBE v4 3 filters', version: 4, perConnection: false,
  ours: {
    type: SUBSCRIBE, packetId: 7, properties: null,
    subscriptions: [
      { topicFilter: 'sensors/+/temperature', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: 'devices/device-17/commands/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: '$SYS/broker/uptime', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
  },
  theirs: {
    cmd: 'subscribe', messageId: 7,
    subscriptions: [
      { topic: 'sensors/+/temperature', qos: 1 },
      { topic: 'devices/device-17/commands/#', qos: 2 },
      { topic: '$SYS/broker/uptime', qos: 0 },
    ],
  },
};

const subscribeV5: Case = {
  name: 'SUBSCRIBE v5 options + sub id', version: 5, perConnection: false,
  ours: {
    type: SUBSCRIBE, packetId: 7, properties: { subscriptionIdentifier: [12] },
    subscriptions: [
      { topicFilter: 'sensors/+/temperature', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 1 },
      { topicFilter: 'devices/device-17/commands/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 2 },
      { topicFilter: '$share/workers/jobs/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
  },
  theirs: {
    cmd: 'subscribe', messageId: 7, properties: { subscriptionIdentifier: 12 },
    subscriptions: [
      { topic: 'sensors/+/temperature', qos: 1, nl: true, rap: true, rh: 1 },
      { topic: 'devices/device-17/commands/#', qos: 2, nl: false, rap: false, rh: 2 },
      { topic: '$share/workers/jobs/#', qos: 1, nl: false, rap: false, rh: 0 },
    ],
  },
};

const publish64V4 = publishV4(PAYLOAD_64, 'PUBLISH v4 QoS0 64 B');
const publish1kV4 = publishV4(PAYLOAD_1K, 'PUBLISH v4 QoS0 1 KB');
const publish64V5 = publishV5(PAYLOAD_64, 'PUBLISH v5 QoS1 64 B + props');
const publish1kV5 = publishV5(PAYLOAD_1K, 'PUBLISH v5 QoS1 1 KB + props');

const CASES: Case[] = [publish64V4, publish1kV4, publish64V5, publish1kV5, connectV4, connectV5, subscribeV4, subscribeV5];
const PUBLISH_CASES: Case[] = [publish64V4, publish1kV4, publish64V5, publish1kV5];

// The wire bytes of each case, from mqtt-packet (an independent encoder). Before any
// timing, each codec must decode the other's bytes to one packet without error, and what
// we decode must re-encode to what we encode from the case itself (nothing dropped).
const wire = new Map<Case, Buffer>();
for (const c of CASES) {
  const theirs = mqttPacket.generate(c.theirs, { protocolVersion: c.version });
  wire.set(c, theirs);
  const mine = decodeAll(theirs, c.perConnection ? 0 : c.version, MAX_PACKET_SIZE);
  if (mine.error !== null || mine.packets.length !== 1) {
    throw new Error(`${c.name}: our decoder rejects mqtt-packet's bytes ${theirs.toString('hex')}: ${mine.error && mine.error.message}`);
  }
  const ours = Buffer.from(encode(c.ours, c.version));
  if (!ours.equals(encode(mine.packets[0], c.version))) {
    throw new Error(`${c.name}: decoding mqtt-packet's bytes and re-encoding gives other bytes than encoding the case`);
  }
  if (theirParse(ours, c.version).length !== 1) {
    throw new Error(`${c.name}: mqtt-packet rejects our bytes ${ours.toString('hex')}`);
  }
  if (ours.length !== theirs.length) {
    console.log(`note: ${c.name}: our encoding is ${ours.length} bytes, mqtt-packet's ${theirs.length}`);
  }
}

// ---- 2. decode ----------------------------------------------------------------------
//
// batch:     BATCH copies of the packet back to back in one chunk, one push/parse
// per chunk: each packet in its own chunk (separate Buffers), one push/parse each
// CONNECT:   a connection sends one CONNECT, so each gets a fresh Decoder / parser

// One Buffer holding `count` copies of `packet`. Buffer.alloc: never from the shared
// pool, so a payload view can be told from a copy by its ArrayBuffer.
function repeated(packet: Uint8Array, count: number): Buffer {
  const b = Buffer.alloc(packet.length * count);
  for (let i = 0; i < count; i++) b.set(packet, i * packet.length);
  return b;
}

function separate(packet: Uint8Array, count: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++) chunks.push(repeated(packet, 1));
  return chunks;
}

function oursDecodeBatch(c: Case, chunk: Buffer): () => number {
  const d = new Decoder({ maxPacketSize: MAX_PACKET_SIZE, version: c.version });
  return () => {
    d.push(chunk);
    let n = 0;
    for (let p = d.next(); p !== null; p = d.next()) n++;
    return n;
  };
}

function theirsDecodeBatch(c: Case, chunk: Buffer): () => number {
  const parser = mqttPacket.parser({ protocolVersion: c.version });
  let n = 0;
  parser.on('packet', () => { n++; });
  parser.on('error', (e) => { throw e; });
  return () => {
    n = 0;
    parser.parse(chunk);
    return n;
  };
}

function oursDecodeEach(c: Case, chunks: Buffer[]): () => number {
  const d = new Decoder({ maxPacketSize: MAX_PACKET_SIZE, version: c.version });
  return () => {
    let n = 0;
    for (let i = 0; i < chunks.length; i++) {
      d.push(chunks[i]);
      for (let p = d.next(); p !== null; p = d.next()) n++;
    }
    return n;
  };
}

function theirsDecodeEach(c: Case, chunks: Buffer[]): () => number {
  const parser = mqttPacket.parser({ protocolVersion: c.version });
  let n = 0;
  parser.on('packet', () => { n++; });
  parser.on('error', (e) => { throw e; });
  return () => {
    n = 0;
    for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i]);
    return n;
  };
}

function oursDecodePerConnection(chunks: Buffer[]): () => number {
  return () => {
    let n = 0;
    for (let i = 0; i < chunks.length; i++) {
      const d = new Decoder({ maxPacketSize: MAX_PACKET_SIZE, version: 0 });
      d.push(chunks[i]);
      if (d.next() !== null) n++;
    }
    return n;
  };
}

function theirsDecodePerConnection(chunks: Buffer[]): () => number {
  let n = 0;
  const onPacket = () => { n++; };
  const onError = (e: unknown) => { throw e; };
  return () => {
    n = 0;
    for (let i = 0; i < chunks.length; i++) {
      const parser = mqttPacket.parser();
      parser.on('packet', onPacket);
      parser.on('error', onError);
      parser.parse(chunks[i]);
    }
    return n;
  };
}

// Each row: [case, variant, bytes, ours, theirs, ratio, spread ours/theirs]
const HEADER = ['case', 'variant', 'bytes', 'ours pkt/s', 'mqtt-packet pkt/s', 'ours/theirs', 'spread'];
const decodeRatios: number[] = [];
const encodeRatios: number[] = [];

function compare(caseName: string, variant: string, bytes: number, ours: () => number, theirs: () => number, expected: number, ratios: number[]): string[] {
  // Check once what each side does per call, so the figure is for the work we claim.
  const gotOurs = ours();
  const gotTheirs = theirs();
  if (gotOurs !== expected || gotTheirs !== expected) {
    throw new Error(`${caseName} ${variant}: expected ${expected} packets per call, ours gave ${gotOurs}, mqtt-packet ${gotTheirs}`);
  }
  const m = compareRates(ours, theirs, expected, { rounds: ROUNDS, roundMs: ROUND_MS });
  ratios.push(m.ratio);
  return [caseName, variant, String(bytes), formatRate(m.a.median), formatRate(m.b.median), m.ratio.toFixed(2) + 'x', spreads(m.a, m.b)];
}

function spreads(a: Rate, b: Rate): string {
  return formatSpread(a) + ' / ' + formatSpread(b);
}

console.log('DECODE (packets/s; ours: Decoder push + next(), theirs: parser.parse + "packet" events)');
const decodeRows: string[][] = [HEADER];
for (const c of CASES) {
  const bytes = wire.get(c)!;
  if (c.perConnection) {
    const chunks = separate(bytes, BATCH);
    decodeRows.push(compare(c.name, 'new decoder each', bytes.length,
      oursDecodePerConnection(chunks), theirsDecodePerConnection(chunks), BATCH, decodeRatios));
    continue;
  }
  const chunk = repeated(bytes, BATCH);
  decodeRows.push(compare(c.name, `${BATCH} in 1 chunk`, bytes.length,
    oursDecodeBatch(c, chunk), theirsDecodeBatch(c, chunk), BATCH, decodeRatios));
  const chunks = separate(bytes, BATCH);
  decodeRows.push(compare(c.name, '1 per chunk', bytes.length,
    oursDecodeEach(c, chunks), theirsDecodeEach(c, chunks), BATCH, decodeRatios));
}
printTable(decodeRows);
console.log('');

// ---- 3. encode ----------------------------------------------------------------------

// Ours encodes into 64 KB slabs, as the broker does on Node (options.slabSize); mqtt-packet's
// generate() likewise takes its buffers from Node's pool (Buffer.allocUnsafe).
function oursEncode(c: Case): () => number {
  const slab = new SlabAllocator(65536);
  return () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) if (encode(c.ours, c.version, slab).length > 0) n++;
    return n;
  };
}

function theirsEncode(c: Case): () => number {
  const opts = { protocolVersion: c.version };
  return () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) if (mqttPacket.generate(c.theirs, opts).length > 0) n++;
    return n;
  };
}

console.log('ENCODE (packets/s; ours: encode(packet, version, slab), theirs: generate(obj, { protocolVersion }))');
const encodeRows: string[][] = [HEADER];
for (const c of CASES) {
  encodeRows.push(compare(c.name, 'encode', encode(c.ours, c.version).length,
    oursEncode(c), theirsEncode(c), BATCH, encodeRatios));
}
printTable(encodeRows);
console.log('');

// ---- 4. fan-out ---------------------------------------------------------------------
//
// One PUBLISH delivered to BATCH QoS 1 subscribers, each with its own packet id. Ours
// encodes the frame once (encodePublishFrame) and then per receiver either copies it
// with the id set (withPacketId) or writes a small head before the shared body (head).
// A broker on mqtt-packet generates the packet again per receiver with its messageId.

console.log(`FAN-OUT (per-receiver cost, QoS 1 v5; ours: frame encoded once outside the loop)`);
const fanRows: string[][] = [['case', 'ours: per receiver', 'ours rec/s', 'mqtt-packet rec/s', 'ours/theirs']];
for (const c of [publish64V5, publish1kV5]) {
  const packet = c.ours as PublishPacket;
  const frame = encodePublishFrame(packet, c.version);
  const theirsPacket = Object.assign({}, c.theirs) as mqttPacket.IPublishPacket;
  const opts = { protocolVersion: c.version };
  const theirs = () => {
    let n = 0;
    for (let i = 1; i <= BATCH; i++) {
      theirsPacket.messageId = i;
      n += mqttPacket.generate(theirsPacket, opts).length > 0 ? 1 : 0;
    }
    return n;
  };
  const withId = compareRates(() => {
    let n = 0;
    for (let i = 1; i <= BATCH; i++) n += frame.withPacketId(i, false).length > 0 ? 1 : 0;
    return n;
  }, theirs, BATCH, { rounds: ROUNDS, roundMs: ROUND_MS });
  const head = compareRates(() => {
    let n = 0;
    for (let i = 1; i <= BATCH; i++) n += frame.head(i, false).length + frame.body.length > 0 ? 1 : 0;
    return n;
  }, theirs, BATCH, { rounds: ROUNDS, roundMs: ROUND_MS });
  const once = rate(() => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) n += encodePublishFrame(packet, c.version).bytes.length > 0 ? 1 : 0;
    return n;
  }, BATCH, { rounds: ROUNDS, roundMs: ROUND_MS });
  fanRows.push([c.name, 'withPacketId(id, false)', formatRate(withId.a.median), formatRate(withId.b.median), withId.ratio.toFixed(2) + 'x']);
  fanRows.push([c.name, 'head(id, false) + body', formatRate(head.a.median), formatRate(head.b.median), head.ratio.toFixed(2) + 'x']);
  fanRows.push([c.name, '(encodePublishFrame, once/msg)', formatRate(once.median), '-', '-']);
}
printTable(fanRows);
console.log('');

// ---- 5. allocation and payload copies -----------------------------------------------
//
// Heap bytes per decoded PUBLISH: heapUsed before and after a loop of decodes, after a
// full gc(), in a loop short enough that no GC runs inside it (checked with a 'gc'
// PerformanceObserver; the loop is halved and retried if one did). The empty loop's
// growth is subtracted. ALLOC_BATCH packets per chunk keeps the loop small.

const ALLOC_BATCH = 100;

console.log('ALLOCATION (heap bytes per decoded PUBLISH, batch chunk; payload: view of the chunk or a copy)');
if (!canMeasureAllocation()) {
  console.log('skipped: run with node --expose-gc (npm run bench:codec does)');
} else {
  const allocRows: string[][] = [['case', 'ours B/pkt', 'mqtt-packet B/pkt', 'packets measured', 'ours payload', 'theirs payload']];
  for (const c of PUBLISH_CASES) {
    const chunk = repeated(wire.get(c)!, ALLOC_BATCH);
    const ours = await allocation(oursDecodeBatch(c, chunk), ALLOC_BATCH);
    const theirs = await allocation(theirsDecodeBatch(c, chunk), ALLOC_BATCH);
    allocRows.push([
      c.name,
      ours ? ours.bytesPerOp.toFixed(0) : 'GC every try',
      theirs ? theirs.bytesPerOp.toFixed(0) : 'GC every try',
      (ours ? ours.ops : 0) + ' / ' + (theirs ? theirs.ops : 0),
      payloadKind(oursPayloads(c, chunk), chunk),
      payloadKind(theirsPayloads(c, chunk), chunk),
    ]);
  }
  printTable(allocRows);
  console.log('');

  // Payloads when each packet arrives in its own chunk (ours should still be views).
  const eachRows: string[][] = [['case (1 packet per chunk)', 'ours payload', 'theirs payload']];
  for (const c of PUBLISH_CASES) {
    const chunk = repeated(wire.get(c)!, 1);
    eachRows.push([c.name, payloadKind(oursPayloads(c, chunk), chunk), payloadKind(theirsPayloads(c, chunk), chunk)]);
  }
  printTable(eachRows);
  console.log('');
}

function oursPayloads(c: Case, chunk: Buffer): Uint8Array[] {
  const d = new Decoder({ maxPacketSize: MAX_PACKET_SIZE, version: c.version });
  d.push(chunk);
  const out: Uint8Array[] = [];
  for (let p = d.next(); p !== null; p = d.next()) if (p.type === PUBLISH) out.push(p.payload);
  return out;
}

function theirsPayloads(c: Case, chunk: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  const parser = mqttPacket.parser({ protocolVersion: c.version });
  parser.on('packet', (p) => { if (p.cmd === 'publish') out.push(p.payload as Buffer); });
  parser.parse(chunk);
  return out;
}

// "view" if every payload shares the chunk's ArrayBuffer, "copy" if none does.
function payloadKind(payloads: Uint8Array[], chunk: Buffer): string {
  let views = 0;
  for (const p of payloads) if (p.buffer === chunk.buffer) views++;
  if (payloads.length === 0) return 'none decoded';
  if (views === payloads.length) return 'view (.buffer === chunk.buffer)';
  if (views === 0) return 'COPY';
  return `${views}/${payloads.length} views`;
}

// ---- summary ------------------------------------------------------------------------

const minDecode = Math.min(...decodeRatios);
const minEncode = Math.min(...encodeRatios);
console.log(`SUMMARY  decode: ours/theirs ${minDecode.toFixed(2)}x .. ${Math.max(...decodeRatios).toFixed(2)}x ` +
  `(target >= ${DECODE_TARGET}x: ${minDecode >= DECODE_TARGET ? 'met in every row' : 'NOT met in ' + decodeRatios.filter((r) => r < DECODE_TARGET).length + ' of ' + decodeRatios.length + ' rows'})`);
console.log(`         encode: ours/theirs ${minEncode.toFixed(2)}x .. ${Math.max(...encodeRatios).toFixed(2)}x ` +
  `(target >= ${ENCODE_TARGET}x: ${minEncode >= ENCODE_TARGET ? 'met in every row' : 'NOT met in ' + encodeRatios.filter((r) => r < ENCODE_TARGET).length + ' of ' + encodeRatios.length + ' rows'})`);
const cpu = process.cpuUsage();
console.log(`         run time ${((Date.now() - started) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; load now ${os.loadavg()[0].toFixed(2)}`);

// ---- helpers ------------------------------------------------------------------------

function theirParse(bytes: Buffer, version: number): mqttPacket.Packet[] {
  const out: mqttPacket.Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', (p) => { out.push(p); });
  parser.on('error', () => { out.length = 0; });
  parser.parse(bytes);
  return out;
}

function mqttPacketVersion(): string {
  return (createRequire(import.meta.url)('mqtt-packet/package.json') as { version: string }).version;
}
