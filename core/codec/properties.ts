// MQTT 5.0 properties (5.0 §2.2.2): one table of identifier, name, wire type and the
// packets each may appear in; one reader and one writer driven by it.

import type { Reader } from './reader.js';
import { malformed, protocolError } from './reader.js';
import type { Writer } from './writer.js';
import { binaryFieldLength, stringFieldLength, varintLength } from './writer.js';

export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  subscriptionIdentifier?: number[];       // PUBLISH may carry several (5.0 §3.3.2.3.8)
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  userProperties?: Array<[string, string]>; // in wire order, names may repeat (5.0 §3.1.2.11.8)
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifiersAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

// Wire types (5.0 §1.5).
const BYTE = 1, TWO_BYTE = 2, FOUR_BYTE = 3, VARINT = 4, STRING = 5, BINARY = 6, PAIR = 7;

// Where a property may appear: a bit per packet type, bit 0 for the Will Properties of a
// CONNECT (packet type 0 is reserved, so the bit is free).
export const IN_WILL = 0;
const WILL = 1 << IN_WILL, CONNECT = 1 << 1, CONNACK = 1 << 2, PUBLISH = 1 << 3, PUBACK = 1 << 4,
  PUBREC = 1 << 5, PUBREL = 1 << 6, PUBCOMP = 1 << 7, SUBSCRIBE = 1 << 8, SUBACK = 1 << 9,
  UNSUBSCRIBE = 1 << 10, UNSUBACK = 1 << 11, DISCONNECT = 1 << 14, AUTH = 1 << 15;
const ACKS = PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK;
const ALL = WILL | CONNECT | CONNACK | PUBLISH | ACKS | SUBSCRIBE | UNSUBSCRIBE | DISCONNECT | AUTH;

interface PropertyDef { id: number; name: string; type: number; where: number }

function def(id: number, name: string, type: number, where: number): PropertyDef {
  return Object.freeze({ id: id, name: name, type: type, where: where });
}

// 5.0 §2.2.2.2, in identifier order (which is also the order they are written in).
const DEFS: ReadonlyArray<PropertyDef> = Object.freeze([
  def(0x01, 'payloadFormatIndicator', BYTE, PUBLISH | WILL),
  def(0x02, 'messageExpiryInterval', FOUR_BYTE, PUBLISH | WILL),
  def(0x03, 'contentType', STRING, PUBLISH | WILL),
  def(0x08, 'responseTopic', STRING, PUBLISH | WILL),
  def(0x09, 'correlationData', BINARY, PUBLISH | WILL),
  def(0x0b, 'subscriptionIdentifier', VARINT, PUBLISH | SUBSCRIBE),
  def(0x11, 'sessionExpiryInterval', FOUR_BYTE, CONNECT | CONNACK | DISCONNECT),
  def(0x12, 'assignedClientIdentifier', STRING, CONNACK),
  def(0x13, 'serverKeepAlive', TWO_BYTE, CONNACK),
  def(0x15, 'authenticationMethod', STRING, CONNECT | CONNACK | AUTH),
  def(0x16, 'authenticationData', BINARY, CONNECT | CONNACK | AUTH),
  def(0x17, 'requestProblemInformation', BYTE, CONNECT),
  def(0x18, 'willDelayInterval', FOUR_BYTE, WILL),
  def(0x19, 'requestResponseInformation', BYTE, CONNECT),
  def(0x1a, 'responseInformation', STRING, CONNACK),
  def(0x1c, 'serverReference', STRING, CONNACK | DISCONNECT),
  def(0x1f, 'reasonString', STRING, CONNACK | ACKS | DISCONNECT | AUTH),
  def(0x21, 'receiveMaximum', TWO_BYTE, CONNECT | CONNACK),
  def(0x22, 'topicAliasMaximum', TWO_BYTE, CONNECT | CONNACK),
  def(0x23, 'topicAlias', TWO_BYTE, PUBLISH),
  def(0x24, 'maximumQoS', BYTE, CONNACK),
  def(0x25, 'retainAvailable', BYTE, CONNACK),
  def(0x26, 'userProperties', PAIR, ALL),
  def(0x27, 'maximumPacketSize', FOUR_BYTE, CONNECT | CONNACK),
  def(0x28, 'wildcardSubscriptionAvailable', BYTE, CONNACK),
  def(0x29, 'subscriptionIdentifiersAvailable', BYTE, CONNACK),
  def(0x2a, 'sharedSubscriptionAvailable', BYTE, CONNACK),
]);

// Identifier -> definition, for decoding.
const BY_ID: ReadonlyArray<PropertyDef | null> = (function () {
  const t: Array<PropertyDef | null> = [];
  for (let i = 0; i <= 0x2a; i++) t.push(null);
  for (let i = 0; i < DEFS.length; i++) t[DEFS[i].id] = DEFS[i];
  return Object.freeze(t);
})();

const ID_USER_PROPERTY = 0x26;
const ID_SUBSCRIPTION_IDENTIFIER = 0x0b;

type PropertyBag = { [name: string]: unknown };

/**
 * Reads a property section (length, then properties) for packet type `where` (IN_WILL
 * for will properties). Returns null when it is empty.
 */
export function readProperties(r: Reader, where: number): Properties | null {
  const length = r.varint();
  r.need(length);
  if (length === 0) return null;
  const end = r.pos + length;
  // Read inside the Property Length only: a property running past it is malformed (5.0 §2.2.2.1),
  // whatever value the bytes beyond it would give.
  const packetEnd = r.end;
  r.end = end;
  const props: PropertyBag = {};
  while (r.pos < end) {
    const id = r.varint();
    const d = id <= 0x2a ? BY_ID[id] : null;
    // 5.0 §2.2.2.2: an unknown identifier, or one not allowed in this packet, is malformed.
    if (d === null) throw malformed('5:§2.2.2.2', 'unknown property 0x' + id.toString(16));
    if ((d.where & (1 << where)) === 0) throw malformed('5:§2.2.2.2', d.name + ' is not allowed in this packet');
    const value = readValue(r, d.type);
    if (id === ID_USER_PROPERTY || (id === ID_SUBSCRIPTION_IDENTIFIER && where === 3)) {
      const list = props[d.name] as unknown[] | undefined;
      if (list === undefined) props[d.name] = [value];
      else list.push(value);
      continue;
    }
    // A property that may appear once, appearing twice, is a Protocol Error (5.0 §2.2.2.2).
    if (props[d.name] !== undefined) throw protocolError('5:§2.2.2.2', d.name + ' appears twice');
    checkValue(d, value as number);
    props[d.name] = id === ID_SUBSCRIPTION_IDENTIFIER ? [value] : value;
  }
  r.end = packetEnd;
  if (props.subscriptionIdentifier !== undefined) checkSubscriptionIdentifiers(props.subscriptionIdentifier as number[]);
  // 5.0 §3.1.2.11.10, §3.2.2.3.17, §3.15.2.2.3: Authentication Data needs a method.
  if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    throw protocolError('5:§3.1.2.11.10', 'Authentication Data without Authentication Method');
  }
  return props as Properties;
}

function readValue(r: Reader, type: number): unknown {
  switch (type) {
    case BYTE: return r.u8();
    case TWO_BYTE: return r.u16();
    case FOUR_BYTE: return r.u32();
    case VARINT: return r.varint();
    case STRING: return r.utf8();
    case BINARY: return r.binary();
    default: {
      const name = r.utf8();               // a UTF-8 String Pair: both halves are UTF-8 [MQTT-1.5.7-1]
      return [name, r.utf8()];
    }
  }
}

// Values the specification makes a Protocol Error.
function checkValue(d: PropertyDef, v: number): void {
  // Every byte-valued property is a 0/1 switch, maximumQoS included (5.0 §3.2.2.3.4).
  if (d.type === BYTE && v > 1) throw protocolError('5:§2.2.2.2', d.name + ' must be 0 or 1, got ' + v);
  // 5.0 §3.1.2.11.3, §3.1.2.11.4, §3.3.2.3.4: Receive Maximum, Maximum Packet Size and Topic Alias are never 0.
  if (v === 0 && (d.name === 'receiveMaximum' || d.name === 'maximumPacketSize' || d.name === 'topicAlias')) {
    throw protocolError('5:§3.1.2.11.3', d.name + ' of 0');
  }
}

function checkSubscriptionIdentifiers(ids: number[]): void {
  for (let i = 0; i < ids.length; i++) {
    // 5.0 §3.8.2.1.2: 1 to 268,435,455; 0 is a Protocol Error.
    if (ids[i] === 0) throw protocolError('5:§3.8.2.1.2', 'Subscription Identifier of 0');
  }
}

/** Bytes of the properties themselves, without the Property Length in front of them. */
export function propertiesLength(props: Properties | null): number {
  if (props === null) return 0;
  const bag = props as PropertyBag;
  let n = 0;
  for (let i = 0; i < DEFS.length; i++) {
    const d = DEFS[i];
    const v = bag[d.name];
    if (v === undefined) continue;
    if (d.type === PAIR) {
      const pairs = v as Array<[string, string]>;
      for (let j = 0; j < pairs.length; j++) n += 1 + stringFieldLength(pairs[j][0]) + stringFieldLength(pairs[j][1]);
    } else if (d.id === ID_SUBSCRIPTION_IDENTIFIER) {
      const ids = v as number[];
      for (let j = 0; j < ids.length; j++) n += 1 + varintLength(ids[j]);
    } else {
      n += 1 + valueLength(d.type, v);
    }
  }
  return n;
}

function valueLength(type: number, v: unknown): number {
  switch (type) {
    case BYTE: return 1;
    case TWO_BYTE: return 2;
    case FOUR_BYTE: return 4;
    case VARINT: return varintLength(v as number);
    case STRING: return stringFieldLength(v as string);
    default: return binaryFieldLength(v as Uint8Array);
  }
}

/** Writes the Property Length and the properties; `length` is propertiesLength(props). */
export function writeProperties(w: Writer, props: Properties | null, length: number): void {
  w.varint(length);
  if (props === null) return;
  const bag = props as PropertyBag;
  for (let i = 0; i < DEFS.length; i++) {
    const d = DEFS[i];
    const v = bag[d.name];
    if (v === undefined) continue;
    if (d.type === PAIR) {
      const pairs = v as Array<[string, string]>;
      for (let j = 0; j < pairs.length; j++) {
        w.u8(d.id);
        w.utf8(pairs[j][0]);
        w.utf8(pairs[j][1]);
      }
    } else if (d.id === ID_SUBSCRIPTION_IDENTIFIER) {
      const ids = v as number[];
      for (let j = 0; j < ids.length; j++) {
        w.u8(d.id);
        w.varint(ids[j]);
      }
    } else {
      w.u8(d.id);
      writeValue(w, d.type, v);
    }
  }
}

function writeValue(w: Writer, type: number, v: unknown): void {
  switch (type) {
    case BYTE: w.u8(v as number); break;
    case TWO_BYTE: w.u16(v as number); break;
    case FOUR_BYTE: w.u32(v as number); break;
    case VARINT: w.varint(v as number); break;
    case STRING: w.utf8(v as string); break;
    default: w.binary(v as Uint8Array);
  }
}
