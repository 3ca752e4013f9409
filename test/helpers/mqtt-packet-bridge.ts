// Conversion between mqtt-packet's packet objects (node_modules/mqtt-packet, v9) and ours
// (core/codec/packets.ts), so interop tests can hand the same packet to both codecs.
//
// mqtt-packet's shapes, read from its generate/parser source (writeToStream.js, parser.js):
//   every packet       { cmd: 'connect' | 'connack' | ... }; the parser also adds `length`,
//                      and `retain`, `qos`, `dup` (from the header bits) and `topic`/`payload`
//                      (null unless PUBLISH) to every packet
//   CONNECT            protocolId, protocolVersion, clean, keepalive, clientId, will
//                      { topic, payload, qos, retain, properties? }, username?, password?
//   CONNACK            sessionPresent, returnCode (3.x) / reasonCode (5.0)
//   PUBLISH            topic, payload (Buffer), qos, dup, retain, messageId (QoS > 0 only)
//   PUBACK..PUBCOMP    messageId, reasonCode (5.0)
//   SUBSCRIBE          messageId, subscriptions [{ topic, qos, nl, rap, rh }]
//   SUBACK, UNSUBACK   messageId, granted (reason codes; UNSUBACK only in 5.0)
//   UNSUBSCRIBE        messageId, unsubscriptions (topic filters)
//   DISCONNECT, AUTH   reasonCode (5.0)
//   properties         absent when empty; byte-valued properties are booleans except
//                      maximumQoS (a number); Binary Data is a Buffer; a property that occurs
//                      several times (subscriptionIdentifier) is a number, or an array when
//                      repeated; userProperties is an object name -> value | value[].
//
// Where mqtt-packet deviates from the specification (callers exclude these cases):
//   - userProperties as an object loses the wire order across different names (the spec
//     says the order is kept, 5.0 MQTT-3.3.2-18), and integer-like names sort first. Compare
//     user properties as a multiset: `sortUserProperties`.
//   - its parser keeps a repeated user property only if the first value is truthy: a name
//     whose first value is "" and that repeats loses the "" (`userPropertiesLostByParser`).

import { Buffer } from 'node:buffer';
import type { Packet, QoS, Will } from '../../core/codec/packets.js';
import type { Properties } from '../../core/codec/properties.js';

// mqtt-packet objects are loosely typed here on purpose: the bridge is where shapes meet.
export type MqttPacketObject = any;

export const CMD_NAMES: ReadonlyArray<string> = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
];

// Properties whose value is one byte 0/1 in the spec and a boolean in mqtt-packet.
const BOOLEAN_PROPERTIES: ReadonlyArray<string> = [
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation',
  'retainAvailable', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable',
  'sharedSubscriptionAvailable',
];
const BINARY_PROPERTIES: ReadonlyArray<string> = ['correlationData', 'authenticationData'];

function buf(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.length);
}

function u8(b: Uint8Array | string): Uint8Array {
  if (typeof b === 'string') return new Uint8Array(Buffer.from(b, 'utf8'));
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

// ---- ours -> mqtt-packet ----------------------------------------------------------------

export function propertiesToMqtt(p: Properties | null): MqttPacketObject | undefined {
  if (p === null) return undefined;
  const out: MqttPacketObject = {};
  const bag = p as { [k: string]: unknown };
  for (const name of Object.keys(bag)) {
    const v = bag[name];
    if (v === undefined) continue;
    if (name === 'userProperties') {
      const up: { [k: string]: string | string[] } = Object.create(null);
      for (const [k, val] of v as Array<[string, string]>) {
        const cur = up[k];
        if (cur === undefined) up[k] = val;
        else if (Array.isArray(cur)) cur.push(val);
        else up[k] = [cur, val];
      }
      out.userProperties = up;
    } else if (name === 'subscriptionIdentifier') {
      const ids = v as number[];
      out.subscriptionIdentifier = ids.length === 1 ? ids[0] : ids.slice();
    } else if (BOOLEAN_PROPERTIES.indexOf(name) >= 0) {
      out[name] = v !== 0;
    } else if (BINARY_PROPERTIES.indexOf(name) >= 0) {
      out[name] = buf(v as Uint8Array);
    } else {
      out[name] = v;
    }
  }
  return out;
}

function withProps(o: MqttPacketObject, p: Properties | null): MqttPacketObject {
  const mp = propertiesToMqtt(p);
  if (mp !== undefined) o.properties = mp;
  return o;
}

/** Our packet as an object for `mqttPacket.generate(obj, { protocolVersion: version })`. */
export function toMqttPacket(p: Packet, version: number): MqttPacketObject {
  const cmd = CMD_NAMES[p.type];
  switch (p.type) {
    case 1: {
      const o: MqttPacketObject = {
        cmd, protocolId: p.protocolName, protocolVersion: p.protocolVersion, clean: p.cleanStart,
        keepalive: p.keepAlive, clientId: p.clientId,
      };
      if (p.will !== null) {
        const w: MqttPacketObject = { topic: p.will.topic, payload: buf(p.will.payload), qos: p.will.qos, retain: p.will.retain };
        withProps(w, p.will.properties);
        o.will = w;
      }
      if (p.username !== null) o.username = p.username;
      if (p.password !== null) o.password = buf(p.password);
      return withProps(o, p.properties);
    }
    case 2: {
      const o: MqttPacketObject = { cmd, sessionPresent: p.sessionPresent };
      if (version === 5) o.reasonCode = p.reasonCode;
      else o.returnCode = p.reasonCode;
      return withProps(o, p.properties);
    }
    case 3: {
      const o: MqttPacketObject = { cmd, topic: p.topic, payload: buf(p.payload), qos: p.qos, dup: p.dup, retain: p.retain };
      if (p.qos > 0) o.messageId = p.packetId;
      return withProps(o, p.properties);
    }
    case 4: case 5: case 6: case 7: {
      const o: MqttPacketObject = { cmd, messageId: p.packetId };
      if (version === 5) o.reasonCode = p.reasonCode;
      return withProps(o, p.properties);
    }
    case 8:
      return withProps({
        cmd, messageId: p.packetId,
        subscriptions: p.subscriptions.map((s) => version === 5
          ? { topic: s.topicFilter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling }
          : { topic: s.topicFilter, qos: s.qos }),
      }, p.properties);
    case 9:
      return withProps({ cmd, messageId: p.packetId, granted: p.reasonCodes.slice() }, p.properties);
    case 10:
      return withProps({ cmd, messageId: p.packetId, unsubscriptions: p.topicFilters.slice() }, p.properties);
    case 11: {
      const o: MqttPacketObject = { cmd, messageId: p.packetId };
      if (version === 5) o.granted = p.reasonCodes.slice();
      return withProps(o, p.properties);
    }
    case 12: case 13:
      return { cmd };
    case 14: case 15: {
      const o: MqttPacketObject = { cmd };
      if (version === 5) o.reasonCode = p.reasonCode;
      return withProps(o, p.properties);
    }
  }
  throw new Error('toMqttPacket: unknown packet type');
}

// ---- mqtt-packet -> ours ----------------------------------------------------------------

export function propertiesFromMqtt(mp: MqttPacketObject | undefined): Properties | null {
  if (mp === undefined || mp === null) return null;
  const out: { [k: string]: unknown } = {};
  for (const name of Object.keys(mp)) {
    const v = mp[name];
    if (v === undefined) continue;
    if (name === 'userProperties') {
      const pairs: Array<[string, string]> = [];
      for (const k of Object.getOwnPropertyNames(v)) {
        const val = v[k];
        if (Array.isArray(val)) for (const x of val) pairs.push([k, String(x)]);
        else pairs.push([k, String(val)]);
      }
      out.userProperties = pairs;
    } else if (name === 'subscriptionIdentifier') {
      out.subscriptionIdentifier = Array.isArray(v) ? v.slice() : [v];
    } else if (BOOLEAN_PROPERTIES.indexOf(name) >= 0) {
      out[name] = v ? 1 : 0;
    } else if (BINARY_PROPERTIES.indexOf(name) >= 0) {
      out[name] = u8(v);
    } else {
      out[name] = v;
    }
  }
  return Object.keys(out).length === 0 ? null : (out as Properties);
}

/** A packet parsed by `mqttPacket.parser({ protocolVersion: version })`, in our shape. */
export function fromMqttPacket(o: MqttPacketObject, version: number): Packet {
  const props = propertiesFromMqtt(o.properties);
  switch (o.cmd) {
    case 'connect': {
      let will: Will | null = null;
      if (o.will) {
        will = {
          topic: o.will.topic, payload: u8(o.will.payload), qos: o.will.qos as QoS, retain: !!o.will.retain,
          properties: propertiesFromMqtt(o.will.properties),
        };
      }
      return {
        type: 1, protocolName: o.protocolId, protocolVersion: o.protocolVersion, cleanStart: !!o.clean,
        keepAlive: o.keepalive, properties: props, clientId: o.clientId, will,
        username: o.username === undefined ? null : o.username,
        password: o.password === undefined ? null : u8(o.password),
      };
    }
    case 'connack':
      return { type: 2, sessionPresent: !!o.sessionPresent, reasonCode: version === 5 ? o.reasonCode : o.returnCode, properties: props };
    case 'publish':
      return {
        type: 3, dup: !!o.dup, qos: o.qos as QoS, retain: !!o.retain, topic: o.topic,
        packetId: o.qos > 0 ? o.messageId : 0, properties: props, payload: u8(o.payload),
      };
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      return {
        type: CMD_NAMES.indexOf(o.cmd) as 4 | 5 | 6 | 7, packetId: o.messageId,
        reasonCode: version === 5 ? (o.reasonCode || 0) : 0, properties: props,
      };
    case 'subscribe':
      return {
        type: 8, packetId: o.messageId, properties: props,
        subscriptions: o.subscriptions.map((s: MqttPacketObject) => ({
          topicFilter: s.topic, qos: s.qos as QoS, noLocal: version === 5 ? !!s.nl : false,
          retainAsPublished: version === 5 ? !!s.rap : false, retainHandling: version === 5 ? (s.rh || 0) : 0,
        })),
      };
    case 'suback':
      return { type: 9, packetId: o.messageId, properties: props, reasonCodes: o.granted.slice() };
    case 'unsubscribe':
      return { type: 10, packetId: o.messageId, properties: props, topicFilters: o.unsubscriptions.slice() };
    case 'unsuback':
      return { type: 11, packetId: o.messageId, properties: props, reasonCodes: version === 5 ? o.granted.slice() : [] };
    case 'pingreq':
      return { type: 12 };
    case 'pingresp':
      return { type: 13 };
    case 'disconnect':
      return { type: 14, reasonCode: version === 5 ? (o.reasonCode || 0) : 0, properties: props };
    case 'auth':
      return { type: 15, reasonCode: o.reasonCode || 0, properties: props };
  }
  throw new Error('fromMqttPacket: unknown cmd ' + o.cmd);
}

// ---- comparison helpers -----------------------------------------------------------------

/**
 * A deep copy of a packet of ours with every userProperties list sorted (name, then value),
 * so two packets compare equal when their user properties are the same multiset. Used only
 * where mqtt-packet's object form has lost the order.
 */
export function sortUserProperties<T>(p: T): T {
  return walk(p) as T;
  function walk(x: unknown): unknown {
    if (x === null || typeof x !== 'object') return x;
    if (x instanceof Uint8Array) return x;
    if (Array.isArray(x)) return x.map(walk);
    const out: { [k: string]: unknown } = {};
    for (const k of Object.keys(x as object)) {
      const v = (x as { [k: string]: unknown })[k];
      if (k === 'userProperties' && Array.isArray(v)) {
        out[k] = (v as Array<[string, string]>).map((e) => [e[0], e[1]]).sort((a, b) =>
          a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      } else out[k] = walk(v);
    }
    return out;
  }
}

/** True when mqtt-packet's parser would drop one of these user properties (see above). */
export function userPropertiesLostByParser(pairs: Array<[string, string]> | undefined): boolean {
  if (pairs === undefined) return false;
  const first = new Map<string, string>();
  const count = new Map<string, number>();
  for (const [k, v] of pairs) {
    if (!first.has(k)) first.set(k, v);
    count.set(k, (count.get(k) || 0) + 1);
  }
  for (const [k, v] of first) if (v === '' && (count.get(k) as number) > 1) return true;
  return false;
}

/** All the user-property lists a packet carries (packet properties and will properties). */
export function allUserProperties(p: Packet): Array<Array<[string, string]>> {
  const out: Array<Array<[string, string]>> = [];
  const props = (p as { properties?: Properties | null }).properties;
  if (props && props.userProperties) out.push(props.userProperties);
  if (p.type === 1 && p.will !== null && p.will.properties && p.will.properties.userProperties) {
    out.push(p.will.properties.userProperties);
  }
  return out;
}
