// Issue 18 §2: Espruino keeps a 4-bit count of the references running code holds to an
// object and never frees one whose count reached 15 (espruino/Espruino#2616). Each method
// of a Connection on the stack holds about two, so in Espruino 2v29 a 5.0 connection closed
// for a malformed packet (receive -> process -> fail -> disconnect -> sendPacket -> sendFrame
// -> send -> writeNow: 8 methods of one connection nested) was never freed, about 183
// variables each, until the board ran out of memory. Measured there by hand: the same path
// at 6 nested methods did not leak, at 7 it did (notes in core/broker/connection.ts,
// "ESPRUINO LOCK DEPTH").
//
// No JS engine on this machine shows the bug, so this counts what causes it: every method
// of Connection.prototype is wrapped to count how many of them run nested on one connection
// (as `this`), over flows that send from deep inside the core, and the deepest must stay at
// LIMIT. Only Connection methods are counted; handlers and broker methods that are given
// the connection hold it too, which is why the limit keeps a margin below 6.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../core/index.js';
import { hex } from '../helpers/hex.js';
import { Rig } from '../helpers/rig.js';

const LIMIT = 5;

interface Deepest { depth: number; chain: string[] }

/** Runs fn with Connection methods counted; the deepest nesting on one connection. */
function measure(fn: () => void): Deepest {
  const proto = Connection.prototype as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  const stacks = new Map<object, string[]>();
  const deepest: Deepest = { depth: 0, chain: [] };
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (name === 'constructor' || !d || typeof d.value !== 'function') continue;
    const original = d.value as (...a: unknown[]) => unknown;
    saved.set(name, original);
    proto[name] = function (this: object, ...args: unknown[]): unknown {
      let stack = stacks.get(this);
      if (!stack) { stack = []; stacks.set(this, stack); }
      stack.push(name);
      if (stack.length > deepest.depth) { deepest.depth = stack.length; deepest.chain = stack.slice(); }
      try {
        return original.apply(this, args);
      } finally {
        stack.pop();
      }
    };
  }
  try {
    fn();
  } finally {
    saved.forEach((original, name) => { proto[name] = original; });
  }
  return deepest;
}

function check(name: string, fn: () => void): void {
  test(`Espruino lock depth: ${name} nests at most ${LIMIT} methods of one connection`, () => {
    const d = measure(fn);
    assert.ok(d.depth > 0, 'no Connection method ran: the wrapping did not take');
    assert.ok(d.depth <= LIMIT, `${d.depth} deep: ${d.chain.join(' -> ')}`);
  });
}

check('a 5.0 connection closed for a malformed packet (DISCONNECT 0x81 first)', () => {
  const t = new Rig();
  t.connected('m', { version: 5 });
  t.feed('m', hex('36 05 00 01 74 00 01'));   // PUBLISH with QoS 3 [MQTT-3.3.1-4]
  assert.is(t.isOpen('m'), false);
});

check('a 3.1.1 connection closed for a malformed packet', () => {
  const t = new Rig();
  t.connected('m');
  t.feed('m', hex('36 05 00 01 74 00 01'));
  assert.is(t.isOpen('m'), false);
});

check('5.0 QoS 1 and QoS 2 both ways, retained, and a subscriber draining', () => {
  const t = new Rig();
  t.connected('sub', { version: 5 });
  t.subscribe('sub', 'a/#', 2);
  t.connected('pub', { version: 5 });
  t.publish('pub', 'a/1', 'x', 1, 1, true);
  t.publish('pub', 'a/2', 'y', 2, 2);
  t.feed('pub', hex('62 02 00 02'));          // PUBREL 2
  t.client('sub').transport.full = true;
  t.publish('pub', 'a/3', 'z', 1, 3);
  t.client('sub').transport.full = false;
  t.writable('sub');
  t.connected('late', { version: 5 });
  t.subscribe('late', 'a/#', 1);
});

check('a session taken over (5.0 DISCONNECT 0x8E to the old connection)', () => {
  const t = new Rig();
  t.connected('a', { version: 5, clientId: 'same' });
  t.connected('b', { version: 5, clientId: 'same' });
});

check('a 5.0 keep-alive timeout', () => {
  const t = new Rig();
  t.connected('k', { version: 5, keepAlive: 1 });
  t.advance(5000);
  assert.is(t.isOpen('k'), false);
});

test.run();
