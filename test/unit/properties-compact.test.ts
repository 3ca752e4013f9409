// The two shapes of the MQTT 5.0 property codec (core/codec/properties.ts): the named
// functions the Node and XS builds use, and the loop over the property table the Espruino
// builds use (__COMPACT__ true, build.mjs). The codec is bundled here a second time with
// __COMPACT__ true; both must give the same bytes for the same properties, the same packets
// for the same bytes, and the same error for the same bad bytes [5:§2.2.2.2].
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import * as named from '../../core/codec/index.js';
import type { Packet, Properties } from '../../core/codec/index.js';
import { hex } from '../helpers/hex.js';
import { prng } from '../helpers/prng.js';

type Codec = typeof named;
const root = fileURLToPath(new URL('../../', import.meta.url));
const out = await build({
  entryPoints: ['core/codec/index.ts'], absWorkingDir: root, bundle: true, write: false, format: 'esm', platform: 'neutral',
  target: 'es2020', logLevel: 'silent', define: { __MQTT5__: 'true', __SYS__: 'true', __STORE__: 'true', __COMPACT__: 'true', __AUTH__: 'true', __CLIENT__: 'true' },
});
const compact: Codec = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));

const BYTE = ['payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation', 'maximumQoS',
  'retainAvailable', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable'];
const TWO = ['serverKeepAlive', 'receiveMaximum', 'topicAliasMaximum', 'topicAlias'];
const FOUR = ['messageExpiryInterval', 'sessionExpiryInterval', 'willDelayInterval', 'maximumPacketSize'];
const BINARY = ['correlationData', 'authenticationData'];

// Where each may appear (5.0 §2.2.2.2), for the packets built below.
const PUBLISH = ['payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData',
  'subscriptionIdentifier', 'topicAlias', 'userProperties'];
const CONNACK = ['sessionExpiryInterval', 'assignedClientIdentifier', 'serverKeepAlive', 'authenticationMethod',
  'authenticationData', 'responseInformation', 'serverReference', 'reasonString', 'receiveMaximum', 'topicAliasMaximum',
  'maximumQoS', 'retainAvailable', 'userProperties', 'maximumPacketSize', 'wildcardSubscriptionAvailable',
  'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable'];
const DISCONNECT = ['sessionExpiryInterval', 'serverReference', 'reasonString', 'userProperties'];

const TEXTS = ['', 'a', 't/1', '\u00fc/\u{1F600}', 'x'.repeat(300)];
const TOPICS = ['a', 't/1', '\u00fc/\u{1F600}'];

function properties(rnd: () => number, allowed: string[]): Properties | null {
  const p: { [name: string]: unknown } = {};
  const int = (n: number): number => 1 + Math.floor(rnd() * n);
  for (const name of allowed) {
    if (rnd() < 0.5) continue;
    if (BYTE.includes(name)) p[name] = int(2) - 1;
    else if (TWO.includes(name)) p[name] = int(65535);
    else if (FOUR.includes(name)) p[name] = int(0xffffffff);
    else if (BINARY.includes(name)) p[name] = new Uint8Array(int(5) - 1).map(() => int(256) - 1);
    else if (name === 'subscriptionIdentifier') p[name] = [int(268435455), int(127)].slice(0, int(2));
    else if (name === 'userProperties') p[name] = [['k', 'v'], ['k', TEXTS[int(TEXTS.length) - 1]], [TEXTS[int(4) - 1], '']].slice(0, int(3));
    else if (name === 'responseTopic') p[name] = TOPICS[int(TOPICS.length) - 1];   // a Topic Name [5:MQTT-3.3.2-14]
    else p[name] = TEXTS[int(TEXTS.length) - 1];
  }
  // Authentication Data needs its method [5:§3.1.2.11.10].
  if (p.authenticationData !== undefined && p.authenticationMethod === undefined) p.authenticationMethod = 'm';
  return Object.keys(p).length === 0 ? null : p as Properties;
}

function packets(rnd: () => number): Packet[] {
  return [
    { type: 3, dup: false, qos: 1, retain: false, topic: 't', packetId: 7, properties: properties(rnd, PUBLISH), payload: new Uint8Array([1, 2]) },
    { type: 2, sessionPresent: false, reasonCode: 0, properties: properties(rnd, CONNACK) },
    { type: 14, reasonCode: 0x8b, properties: properties(rnd, DISCONNECT) },
    { type: 15, reasonCode: 0x18, properties: properties(rnd, ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']) },
  ];
}

test('5:§2.2.2.2 the same properties give the same bytes and decode to the same packets in both shapes', () => {
  const rnd = prng(18);
  for (let round = 0; round < 300; round++) {
    for (const p of packets(rnd)) {
      const bytes = named.encode(p, 5);
      assert.equal(compact.encode(p, 5), bytes, 'round ' + round + ', packet type ' + p.type);
      const a = named.decodeAll(bytes, 5);
      const b = compact.decodeAll(bytes, 5);
      assert.is(a.error, null);
      assert.equal(b, a, 'round ' + round + ', packet type ' + p.type);
    }
  }
});

test('5:§2.2.2.2 a property twice, one not allowed in the packet, or an unknown one: the same error in both shapes', () => {
  const bad = [
    hex('30 08 00 01 74 04 01 01 01 01'),   // PUBLISH with Payload Format Indicator twice
    hex('30 06 00 01 74 02 24 01'),         // Maximum QoS in a PUBLISH
    hex('30 06 00 01 74 02 05 00'),         // unknown identifier 0x05
    hex('30 07 00 01 74 03 23 00 00'),      // Topic Alias 0 [5:§3.3.2.3.4]
    hex('30 06 00 01 74 02 01 02'),         // Payload Format Indicator 2
    hex('E0 04 8B 02 01 01'),               // Payload Format Indicator in a DISCONNECT
    hex('20 06 00 00 03 21 00 00'),         // CONNACK with Receive Maximum 0 [5:§3.1.2.11.3]
  ];
  for (const bytes of bad) {
    const a = named.decodeAll(bytes, 5);
    const b = compact.decodeAll(bytes, 5);
    assert.ok(a.error !== null, 'an error');
    assert.equal({ rc: b.error?.rc, rule: b.error?.rule }, { rc: a.error?.rc, rule: a.error?.rule });
  }
});

test.run();
