// Issue 5: "a 3.1.1 subscriber and a 5.0 subscriber of the same message each get their own
// correct wire form (encoded once per form)" (design.md §2, §4: encode once per wire form).
// The rig's FakeTransport keeps the frames handed to write() as they were (`originals`), so
// identity (===) shows that one encoding was shared.
//
// Frames (hand-derived): the message "a/b" "hi" with User Property ("k", "v"), QoS 0:
//   30 0F 00 03 61 2F 62 07 26 00 01 6B 00 01 76 68 69   5.0 form (property length 7)
//   30 07 00 03 61 2F 62 68 69                           3.1.1 / 3.1 form (no properties)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex, toHex } from '../helpers/hex.js';
import { rig } from '../helpers/rig.js';

const IN_5 = '30 0F 00 03 61 2F 62 07 26 00 01 6B 00 01 76 68 69';
const OUT_4 = '30 07 00 03 61 2F 62 68 69';

function setup() {
  const t = rig();
  for (const [name, version] of [['v4a', 4], ['v4b', 4], ['v5a', 5], ['v5b', 5], ['v3', 3]] as const) {
    t.connected(name, { version });
    t.subscribe(name, 'a/b', 0);
  }
  t.connected('p', { version: 5 });
  return t;
}

test('(mixed versions) issue 5: a 3.1.1 and a 5.0 subscriber of the same message each get their own correct wire form', () => {
  const t = setup();
  t.feed('p', hex(IN_5));
  assert.is(toHex(t.client('v4a').transport.written[0]), OUT_4);
  assert.is(toHex(t.client('v5a').transport.written[0]), IN_5);
  assert.is(t.client('v4a').transport.written.length, 1);
  assert.is(t.client('v5a').transport.written.length, 1);
});

test('(design) §2 issue 5: two 3.1.1 subscribers are handed the very same frame object (encoded once for that form)', () => {
  const t = setup();
  t.feed('p', hex(IN_5));
  const a = t.client('v4a').transport.originals;
  const b = t.client('v4b').transport.originals;
  assert.is(a.length, 1);
  assert.is(b.length, 1);
  assert.ok(a[0] === b[0], 'the same Uint8Array');
  assert.is(toHex(a[0]), OUT_4);
});

test('(design) §2 issue 5: two 5.0 subscribers are handed the very same frame object, which is not the 3.1.1 one', () => {
  const t = setup();
  t.feed('p', hex(IN_5));
  const a = t.client('v5a').transport.originals[0];
  const b = t.client('v5b').transport.originals[0];
  assert.ok(a === b, 'the same Uint8Array');
  assert.ok(a !== t.client('v4a').transport.originals[0]);
  assert.is(toHex(a), IN_5);
});

test('(design) §2 Part 4: a 3.1 subscriber shares the 3.1.1 frame (the PUBLISH form is the same)', () => {
  const t = setup();
  t.feed('p', hex(IN_5));
  const v3 = t.client('v3').transport.originals[0];
  assert.is(toHex(v3), OUT_4);
  assert.ok(v3 === t.client('v4a').transport.originals[0]);
});

test('(design) §2 5:MQTT-3.3.4-3: a 5.0 subscriber with a Subscription Identifier gets its own frame; the others still share theirs', () => {
  const t = setup();
  t.connected('v5id', { version: 5 });
  t.subscribe5('v5id', 'a/b', 0, { id: 3 });
  t.feed('p', hex(IN_5));
  // property length 9: 0B 03 then the User Property
  assert.is(toHex(t.client('v5id').transport.originals[0]), '30 11 00 03 61 2F 62 09 0B 03 26 00 01 6B 00 01 76 68 69');
  assert.ok(t.client('v5a').transport.originals[0] === t.client('v5b').transport.originals[0]);
});

test('(design) §1 issue 5: a shared frame is never modified after it was handed over (later messages do not touch it)', () => {
  const t = setup();
  t.feed('p', hex(IN_5));
  const first = t.client('v4a').transport.originals[0];
  const copy = first.slice();
  t.client('v4a').transport.written = [];
  t.feed('p', hex('30 0F 00 03 61 2F 62 07 26 00 01 6B 00 01 76 79 6F'));
  assert.equal(first, copy);
  assert.is(toHex(t.client('v4a').transport.written[0]), '30 07 00 03 61 2F 62 79 6F');
});

test.run();
