// A message's 5.0 properties across a bridge, both ways, where both sides speak 5.0
// (core/bridge/properties.ts): Payload Format Indicator, Message Expiry Interval (what is left),
// Content Type, Response Topic, Correlation Data, User Properties; never a Topic Alias or a
// Subscription Identifier. Through bytes, a fake port and a fake clock (test/helpers/bridge-rig.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Properties, PublishPacket } from '../../core/index.js';
import { PUBLISH, encode } from '../../core/index.js';
import { BridgeRig } from '../helpers/bridge-rig.js';

const te = new TextEncoder();

const ALL: Properties = {
  payloadFormatIndicator: 1, contentType: 'application/json', responseTopic: 'reply/here',
  correlationData: new Uint8Array([1, 2, 3]), userProperties: [['site', 'a'], ['site', 'b'], ['unit', '°C']],
};

function upstream5(topics: string[]): BridgeRig {
  const r = new BridgeRig({ version: 5, addresses: ['a0'], topics, connectTimeoutMs: 600_000 });
  r.bridge.start(r.now);
  return r;
}

/** Up and CONNACK (5.0): what the bridge sends then, queued messages included. */
function connackThen(r: BridgeRig): PublishPacket[] {
  r.up();
  r.packets();   // CONNECT
  r.feed('20 03 00 00 00');
  return publishOut(r);
}

function publishOut(r: BridgeRig): PublishPacket[] {
  return r.packets().filter((p) => p.type === PUBLISH) as PublishPacket[];
}

test('[5:MQTT-3.3.2-18] [5:MQTT-3.3.2-16] out: user properties (in order), content type, payload format, response topic and correlation data go to the upstream', () => {
  const r = upstream5(['s/# out 1']);
  r.connected();
  r.publishLocally('s/t', '{}', 1, false, ALL);
  assert.equal(publishOut(r)[0].properties, ALL);
});

test('[5:MQTT-3.3.2-6] out: what is left of the Message Expiry Interval when it goes, after waiting in the queue', () => {
  const r = upstream5(['s/# out 1']);
  r.publishLocally('s/t', 'x', 1, false, { messageExpiryInterval: 60 });
  r.advance(20_000);
  r.bridge.dialFailed('away', r.now);
  r.advance(r.bridge.nextDeadline() - r.now);   // the backoff ends, the first address again
  assert.equal(r.dials, [0, 0]);
  const p = connackThen(r);
  assert.is(p.length, 1);
  const left = (p[0].properties as Properties).messageExpiryInterval as number;
  assert.ok(left <= 40 && left >= 38, 'left ' + left);
});

test('[5:MQTT-3.3.2-5] out: a message that expires while it waits for the upstream is not sent, and counted', () => {
  const r = upstream5(['s/# out 1']);
  r.publishLocally('s/t', 'x', 1, false, { messageExpiryInterval: 5 });
  r.advance(6_000);
  r.bridge.dialFailed('away', r.now);
  r.advance(r.bridge.nextDeadline() - r.now);
  assert.equal(r.dials, [0, 0]);
  assert.equal(connackThen(r), []);
  assert.is(r.bridge.stats().state, 'connected');
  assert.is(r.bridge.stats().dropped, 1);
});

test('out: a 3.1.1 upstream gets none of them', () => {
  const r = new BridgeRig({ version: 4, addresses: ['a0'], topics: ['s/# out 1'] });
  r.bridge.start(r.now);
  r.connected();
  r.publishLocally('s/t', 'x', 1, false, ALL);
  const p = publishOut(r);
  assert.is(p.length, 1);
  assert.is(p[0].properties, null);
});

test('[5:MQTT-3.3.2-17] in: an upstream message\'s properties are published locally with it', () => {
  const r = upstream5(['cmd/# in 1']);
  const got = r.listen('cmd/#');
  r.connected();
  r.packets();
  r.feed(encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'cmd/led', packetId: 0, properties: { ...ALL, messageExpiryInterval: 30 }, payload: te.encode('on') }, 5));
  assert.is(got.length, 1);
  assert.equal(got[0].properties, { ...ALL, messageExpiryInterval: 30 });
});

test('[5:MQTT-3.3.4-6] in: the upstream\'s Subscription Identifier and Topic Alias are not carried', () => {
  const r = upstream5(['cmd/# in 1']);
  r.bridge.client.limits.topicAliasMaximum = 4;
  const got = r.listen('cmd/#');
  r.connected();
  r.packets();
  r.feed(encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'cmd/led', packetId: 0,
    properties: { subscriptionIdentifier: [7], userProperties: [['k', 'v']] }, payload: te.encode('on') }, 5));
  assert.is(got.length, 1);
  assert.equal(got[0].properties, { userProperties: [['k', 'v']] });
});

test('in: the correlation data published locally is a copy, not a view of the bytes received', () => {
  const r = upstream5(['cmd/# in 1']);
  const got = r.listen('cmd/#');
  r.connected();
  r.packets();
  const bytes = encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'cmd/led', packetId: 0, properties: { correlationData: new Uint8Array([9, 9]) }, payload: te.encode('on') }, 5);
  r.feed(bytes);
  bytes.fill(0);
  assert.equal(Array.from((got[0].properties as Properties).correlationData as Uint8Array), [9, 9]);
});

test.run();
