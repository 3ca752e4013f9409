// RFC 6455 framing for MQTT over WebSocket (ports/node/websocket.ts). Expected bytes come
// from RFC 6455 itself (§1.3 handshake example, §5.7 framing examples) or are derived by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FrameHandler } from '../../ports/node/websocket.js';
import {
  FrameParser, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, acceptKey, chooseProtocol, closePayload,
  controlFrame, frameHeader, maskedFrame, validCloseCode, validKey,
} from '../../ports/node/websocket.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

interface Events { data: number[]; pings: string[]; pongs: string[]; closes: Array<[number, string]>; errors: Array<[number, string]> }

function parser(maxFrameSize = 1 << 20): { p: FrameParser; ev: Events } {
  const ev: Events = { data: [], pings: [], pongs: [], closes: [], errors: [] };
  const h: FrameHandler = {
    data: (piece) => ev.data.push(...piece),
    ping: (b) => ev.pings.push(Buffer.from(b).toString()),
    pong: (b) => ev.pongs.push(Buffer.from(b).toString()),
    close: (code, reason) => ev.closes.push([code, reason]),
    error: (code, message) => ev.errors.push([code, message]),
  };
  return { p: new FrameParser(h, maxFrameSize), ev };
}

/** Feeds `bytes` split at every possible place (and byte by byte): the same events each time. */
function everySplit(bytes: Uint8Array, check: (ev: Events) => void, maxFrameSize?: number): void {
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { p, ev } = parser(maxFrameSize);
    const copy = Uint8Array.from(bytes);   // a copy: the parser unmasks in place (Buffer#slice would share)
    p.push(copy.subarray(0, cut));
    p.push(copy.subarray(cut));
    check(ev);
  }
  const { p, ev } = parser(maxFrameSize);
  const copy = Uint8Array.from(bytes);   // a copy: the parser unmasks in place (Buffer#slice would share)
  for (let i = 0; i < copy.length; i++) p.push(copy.subarray(i, i + 1));
  check(ev);
}

test('handshake: Sec-WebSocket-Accept for the RFC 6455 §1.3 example key', () => {
  assert.is(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.ok(validKey('dGhlIHNhbXBsZSBub25jZQ=='));
  assert.not.ok(validKey('short'));
  assert.not.ok(validKey(undefined));
});

test('handshake: the mqtt subprotocol is chosen [MQTT-6.0.0-4]', () => {
  assert.is(chooseProtocol('mqtt'), 'mqtt');
  assert.is(chooseProtocol('chat, MQTT'), 'mqtt');
  assert.is(chooseProtocol('mqttv3.1'), 'mqttv3.1');
  assert.is(chooseProtocol('chat'), null);
  assert.is(chooseProtocol(undefined), null);
});

test('RFC 6455 §5.7: a masked single-frame message, split anywhere', () => {
  // The RFC's masked "Hello" as a binary frame (opcode 2 instead of 1; same mask and bytes).
  everySplit(hex('82 85 37fa213d 7f9f4d5158'), (ev) => {
    assert.is(Buffer.from(ev.data).toString(), 'Hello');
    assert.equal(ev.errors, []);
  });
});

test('RFC 6455 §5.7: a masked pong "Hello"; a ping is reported with its payload', () => {
  everySplit(hex('8a 85 37fa213d 7f9f4d5158'), (ev) => assert.equal(ev.pongs, ['Hello']));
  everySplit(maskedFrame(OP_PING, Buffer.from('Hello')), (ev) => assert.equal(ev.pings, ['Hello']));
});

test('fragmented message: binary (FIN 0) + continuation (FIN 1) pass through in order', () => {
  const bytes = Buffer.concat([
    maskedFrame(OP_BINARY, Buffer.from('Hel'), false),
    maskedFrame(OP_PING, Buffer.from('p')),                // a control frame between fragments is allowed (§5.4)
    maskedFrame(OP_CONTINUATION, Buffer.from('lo'), false),
    maskedFrame(OP_CONTINUATION, Buffer.from(' world'), true),
    maskedFrame(OP_BINARY, Buffer.from('!')),
  ]);
  everySplit(bytes, (ev) => {
    assert.is(Buffer.from(ev.data).toString(), 'Hello world!');
    assert.equal(ev.pings, ['p']);
    assert.equal(ev.errors, []);
  });
});

test('16-bit and 64-bit payload lengths (RFC 6455 §5.2; §5.7: 256 bytes and 64 KiB)', () => {
  assert.equal([...frameHeader(OP_BINARY, 256)], [0x82, 0x7e, 0x01, 0x00]);
  assert.equal([...frameHeader(OP_BINARY, 65536)], [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal([...frameHeader(OP_BINARY, 125)], [0x82, 125]);
  assert.equal([...frameHeader(OP_BINARY, 126)], [0x82, 0x7e, 0, 126]);
  assert.equal([...frameHeader(OP_BINARY, 65535)], [0x82, 0x7e, 0xff, 0xff]);
  for (const n of [126, 65535, 65536, 70000]) {
    const payload = new Uint8Array(n).map((_, i) => i * 7);
    const { p, ev } = parser();
    p.push(maskedFrame(OP_BINARY, payload));
    assert.equal(ev.data.length, n);
    assert.ok(ev.data.every((b, i) => b === ((i * 7) & 0xff)));
  }
});

test('close frame: code and reason reported; nothing after it is read', () => {
  everySplit(Buffer.concat([maskedFrame(OP_CLOSE, closePayload(1000, 'bye')), maskedFrame(OP_BINARY, Buffer.from('late'))]), (ev) => {
    assert.equal(ev.closes, [[1000, 'bye']]);
    assert.equal(ev.data, []);
  });
  const { p, ev } = parser();
  p.push(maskedFrame(OP_CLOSE, new Uint8Array(0)));
  assert.equal(ev.closes, [[1005, '']]);   // no status code in the frame (§7.1.5)
});

test('server frames: unmasked, FIN set (RFC 6455 §5.1, §5.7 unmasked "Hello")', () => {
  assert.equal([...controlFrame(OP_TEXT, Buffer.from('Hello'))], [...hex('81 05 48656c6c6f')]);
  assert.equal([...controlFrame(OP_CLOSE, closePayload(1000, ''))], [0x88, 0x02, 0x03, 0xe8]);
  assert.equal([...controlFrame(OP_PONG, new Uint8Array(0))], [0x8a, 0x00]);
});

const failures: Array<[string, Uint8Array, number]> = [
  ['an unmasked client frame (§5.1)', hex('82 05 48656c6c6f'), 1002],
  ['RSV1 set with no extension (§5.2)', (() => { const f = maskedFrame(OP_BINARY, Buffer.from('x')); f[0] |= 0x40; return f; })(), 1002],
  ['a text frame [MQTT-6.0.0-1]', maskedFrame(OP_TEXT, Buffer.from('hi')), 1003],
  ['a continuation with no message open (§5.4)', maskedFrame(OP_CONTINUATION, Buffer.from('x')), 1002],
  ['a new binary message inside a fragmented one (§5.4)', Buffer.concat([maskedFrame(OP_BINARY, Buffer.from('a'), false), maskedFrame(OP_BINARY, Buffer.from('b'))]), 1002],
  ['a fragmented control frame (§5.5)', maskedFrame(OP_PING, Buffer.from('x'), false), 1002],
  ['a control frame over 125 bytes (§5.5)', hex('89 fe 007e 00000000'), 1002],
  ['an unknown opcode', maskedFrame(0x3, Buffer.from('x')), 1002],
  ['a 1-byte close body (§5.5.1)', maskedFrame(OP_CLOSE, Uint8Array.of(3)), 1002],
  ['close code 1005 sent on the wire (§7.4.1)', maskedFrame(OP_CLOSE, Uint8Array.of(0x03, 0xed)), 1002],
  ['a close reason that is not UTF-8 (§5.5.1)', maskedFrame(OP_CLOSE, Uint8Array.of(0x03, 0xe8, 0xff)), 1007],
];
for (const [what, bytes, code] of failures) {
  test(`refused: ${what} -> close ${code}`, () => {
    const { p, ev } = parser();
    p.push(Uint8Array.from(bytes));
    assert.is(ev.errors.length, 1, JSON.stringify(ev));
    assert.is(ev.errors[0][0], code);
    assert.ok(ev.data.length <= 1, 'data after the error');
  });
}

test('max frame size: a frame over it is refused with 1009 before its payload is read', () => {
  const { p, ev } = parser(100);
  p.push(maskedFrame(OP_BINARY, new Uint8Array(100)));
  assert.equal(ev.errors, []);
  assert.is(ev.data.length, 100);
  p.push(maskedFrame(OP_BINARY, new Uint8Array(101)).subarray(0, 8));   // only the header arrived
  assert.is(ev.errors.length, 1);
  assert.is(ev.errors[0][0], 1009);
  assert.is(ev.data.length, 100);
});

test('valid close codes (RFC 6455 §7.4)', () => {
  for (const c of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999]) assert.ok(validCloseCode(c), String(c));
  for (const c of [0, 999, 1004, 1005, 1006, 1015, 2000, 5000]) assert.not.ok(validCloseCode(c), String(c));
});

test.run();
