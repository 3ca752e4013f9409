// MQTT 5.0 properties (5.0 §2.2.2): one table of identifier, name, wire type and the
// packets each may appear in; one reader and one writer driven by it.

import type { Reader } from './reader.js';
import { malformed, protocolError } from './reader.js';
import { codecError } from './codec-error.js';
import { RC_TOPIC_ALIAS_INVALID } from './reason-codes.js';
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
const DEFS: ReadonlyArray<PropertyDef> = /* @__PURE__ */ Object.freeze([
  /* @__PURE__ */ def(0x01, 'payloadFormatIndicator', BYTE, PUBLISH | WILL),
  /* @__PURE__ */ def(0x02, 'messageExpiryInterval', FOUR_BYTE, PUBLISH | WILL),
  /* @__PURE__ */ def(0x03, 'contentType', STRING, PUBLISH | WILL),
  /* @__PURE__ */ def(0x08, 'responseTopic', STRING, PUBLISH | WILL),
  /* @__PURE__ */ def(0x09, 'correlationData', BINARY, PUBLISH | WILL),
  /* @__PURE__ */ def(0x0b, 'subscriptionIdentifier', VARINT, PUBLISH | SUBSCRIBE),
  /* @__PURE__ */ def(0x11, 'sessionExpiryInterval', FOUR_BYTE, CONNECT | CONNACK | DISCONNECT),
  /* @__PURE__ */ def(0x12, 'assignedClientIdentifier', STRING, CONNACK),
  /* @__PURE__ */ def(0x13, 'serverKeepAlive', TWO_BYTE, CONNACK),
  /* @__PURE__ */ def(0x15, 'authenticationMethod', STRING, CONNECT | CONNACK | AUTH),
  /* @__PURE__ */ def(0x16, 'authenticationData', BINARY, CONNECT | CONNACK | AUTH),
  /* @__PURE__ */ def(0x17, 'requestProblemInformation', BYTE, CONNECT),
  /* @__PURE__ */ def(0x18, 'willDelayInterval', FOUR_BYTE, WILL),
  /* @__PURE__ */ def(0x19, 'requestResponseInformation', BYTE, CONNECT),
  /* @__PURE__ */ def(0x1a, 'responseInformation', STRING, CONNACK),
  /* @__PURE__ */ def(0x1c, 'serverReference', STRING, CONNACK | DISCONNECT),
  /* @__PURE__ */ def(0x1f, 'reasonString', STRING, CONNACK | ACKS | DISCONNECT | AUTH),
  /* @__PURE__ */ def(0x21, 'receiveMaximum', TWO_BYTE, CONNECT | CONNACK),
  /* @__PURE__ */ def(0x22, 'topicAliasMaximum', TWO_BYTE, CONNECT | CONNACK),
  /* @__PURE__ */ def(0x23, 'topicAlias', TWO_BYTE, PUBLISH),
  /* @__PURE__ */ def(0x24, 'maximumQoS', BYTE, CONNACK),
  /* @__PURE__ */ def(0x25, 'retainAvailable', BYTE, CONNACK),
  /* @__PURE__ */ def(0x26, 'userProperties', PAIR, ALL),
  /* @__PURE__ */ def(0x27, 'maximumPacketSize', FOUR_BYTE, CONNECT | CONNACK),
  /* @__PURE__ */ def(0x28, 'wildcardSubscriptionAvailable', BYTE, CONNACK),
  /* @__PURE__ */ def(0x29, 'subscriptionIdentifiersAvailable', BYTE, CONNACK),
  /* @__PURE__ */ def(0x2a, 'sharedSubscriptionAvailable', BYTE, CONNACK),
]);

// Identifier -> definition, for decoding.
const BY_ID: ReadonlyArray<PropertyDef | null> = /* @__PURE__ */ (function () {
  const t: Array<PropertyDef | null> = [];
  for (let i = 0; i <= 0x2a; i++) t.push(null);
  for (let i = 0; i < DEFS.length; i++) t[DEFS[i].id] = DEFS[i];
  return Object.freeze(t);
})();

const ID_USER_PROPERTY = 0x26;
const ID_SUBSCRIPTION_IDENTIFIER = 0x0b;


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
  const props: Properties = {};
  let seenLow = 0;    // identifiers 0..31 already read, one bit each
  let seenHigh = 0;   // identifiers 32..63
  while (r.pos < end) {
    const id = r.varint();
    const d = id <= 0x2a ? BY_ID[id] : null;
    // 5.0 §2.2.2.2: an unknown identifier, or one not allowed in this packet, is malformed.
    if (d === null) throw malformed('5:§2.2.2.2', 'unknown property 0x' + id.toString(16));
    if ((d.where & (1 << where)) === 0) throw malformed('5:§2.2.2.2', d.name + ' is not allowed in this packet');
    const value = readValue(r, d.type);
    const repeatable = id === ID_USER_PROPERTY || (id === ID_SUBSCRIPTION_IDENTIFIER && where === 3);
    if (!repeatable) {
      // A property that may appear once, appearing twice, is a Protocol Error (5.0 §2.2.2.2).
      const bit = 1 << (id & 31);
      const seen = id < 32 ? seenLow : seenHigh;
      if ((seen & bit) !== 0) throw protocolError('5:§2.2.2.2', d.name + ' appears twice');
      if (id < 32) seenLow |= bit;
      else seenHigh |= bit;
      checkValue(d, value as number);
    }
    if (__COMPACT__) put(props, d, id === ID_USER_PROPERTY || id === ID_SUBSCRIPTION_IDENTIFIER, value);
    else assign(props, id, value);
  }
  r.end = packetEnd;
  if (props.subscriptionIdentifier !== undefined) checkSubscriptionIdentifiers(props.subscriptionIdentifier);
  // 5.0 §3.1.2.11.10, §3.2.2.3.17, §3.15.2.2.3: Authentication Data needs a method.
  if (props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    throw protocolError('5:§3.1.2.11.10', 'Authentication Data without Authentication Method');
  }
  return props;
}

// Named stores, one per property: faster than props[name] on every engine, and the
// names stay greppable.
function assign(p: Properties, id: number, v: unknown): void {
  switch (id) {
    case 0x01: p.payloadFormatIndicator = v as number; break;
    case 0x02: p.messageExpiryInterval = v as number; break;
    case 0x03: p.contentType = v as string; break;
    case 0x08: p.responseTopic = v as string; break;
    case 0x09: p.correlationData = v as Uint8Array; break;
    case 0x0b:
      if (p.subscriptionIdentifier === undefined) p.subscriptionIdentifier = [v as number];
      else p.subscriptionIdentifier.push(v as number);
      break;
    case 0x11: p.sessionExpiryInterval = v as number; break;
    case 0x12: p.assignedClientIdentifier = v as string; break;
    case 0x13: p.serverKeepAlive = v as number; break;
    case 0x15: p.authenticationMethod = v as string; break;
    case 0x16: p.authenticationData = v as Uint8Array; break;
    case 0x17: p.requestProblemInformation = v as number; break;
    case 0x18: p.willDelayInterval = v as number; break;
    case 0x19: p.requestResponseInformation = v as number; break;
    case 0x1a: p.responseInformation = v as string; break;
    case 0x1c: p.serverReference = v as string; break;
    case 0x1f: p.reasonString = v as string; break;
    case 0x21: p.receiveMaximum = v as number; break;
    case 0x22: p.topicAliasMaximum = v as number; break;
    case 0x23: p.topicAlias = v as number; break;
    case 0x24: p.maximumQoS = v as number; break;
    case 0x25: p.retainAvailable = v as number; break;
    case 0x26:
      if (p.userProperties === undefined) p.userProperties = [v as [string, string]];
      else p.userProperties.push(v as [string, string]);
      break;
    case 0x27: p.maximumPacketSize = v as number; break;
    case 0x28: p.wildcardSubscriptionAvailable = v as number; break;
    case 0x29: p.subscriptionIdentifiersAvailable = v as number; break;
    default: p.sharedSubscriptionAvailable = v as number;   // 0x2a, the last identifier
  }
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
  if (v !== 0) return;
  // 5.0 §3.3.2.3.4: a Topic Alias of 0 is not permitted; the receiver answers 0x94.
  if (d.id === 0x23) throw codecError(RC_TOPIC_ALIAS_INVALID, '5:§3.3.2.3.4', 'Topic Alias 0');
  // 5.0 §3.1.2.11.3, §3.1.2.11.4: Receive Maximum and Maximum Packet Size are never 0.
  if (d.name === 'receiveMaximum' || d.name === 'maximumPacketSize') throw protocolError('5:§3.1.2.11.3', d.name + ' of 0');
}

function checkSubscriptionIdentifiers(ids: number[]): void {
  for (let i = 0; i < ids.length; i++) {
    // 5.0 §3.8.2.1.2: 1 to 268,435,455; 0 is a Protocol Error.
    if (ids[i] === 0) throw protocolError('5:§3.8.2.1.2', 'Subscription Identifier of 0');
  }
}

/** Bytes of the properties themselves, without the Property Length in front of them. */
export function propertiesLength(p: Properties | null): number {
  if (p === null) return 0;
  if (__COMPACT__) return tableWalk(p, null);
  let n = 0;
  // In identifier order, as writeProperties writes them; 1 byte of identifier each.
  if (p.payloadFormatIndicator !== undefined) n += 2;
  if (p.messageExpiryInterval !== undefined) n += 5;
  if (p.contentType !== undefined) n += 1 + stringFieldLength(p.contentType);
  if (p.responseTopic !== undefined) n += 1 + stringFieldLength(p.responseTopic);
  if (p.correlationData !== undefined) n += 1 + binaryFieldLength(p.correlationData);
  if (p.subscriptionIdentifier !== undefined) {
    for (let i = 0; i < p.subscriptionIdentifier.length; i++) n += 1 + varintLength(p.subscriptionIdentifier[i]);
  }
  if (p.sessionExpiryInterval !== undefined) n += 5;
  if (p.assignedClientIdentifier !== undefined) n += 1 + stringFieldLength(p.assignedClientIdentifier);
  if (p.serverKeepAlive !== undefined) n += 3;
  if (p.authenticationMethod !== undefined) n += 1 + stringFieldLength(p.authenticationMethod);
  if (p.authenticationData !== undefined) n += 1 + binaryFieldLength(p.authenticationData);
  if (p.requestProblemInformation !== undefined) n += 2;
  if (p.willDelayInterval !== undefined) n += 5;
  if (p.requestResponseInformation !== undefined) n += 2;
  if (p.responseInformation !== undefined) n += 1 + stringFieldLength(p.responseInformation);
  if (p.serverReference !== undefined) n += 1 + stringFieldLength(p.serverReference);
  if (p.reasonString !== undefined) n += 1 + stringFieldLength(p.reasonString);
  if (p.receiveMaximum !== undefined) n += 3;
  if (p.topicAliasMaximum !== undefined) n += 3;
  if (p.topicAlias !== undefined) n += 3;
  if (p.maximumQoS !== undefined) n += 2;
  if (p.retainAvailable !== undefined) n += 2;
  if (p.userProperties !== undefined) {
    for (let i = 0; i < p.userProperties.length; i++) {
      n += 1 + stringFieldLength(p.userProperties[i][0]) + stringFieldLength(p.userProperties[i][1]);
    }
  }
  if (p.maximumPacketSize !== undefined) n += 5;
  if (p.wildcardSubscriptionAvailable !== undefined) n += 2;
  if (p.subscriptionIdentifiersAvailable !== undefined) n += 2;
  if (p.sharedSubscriptionAvailable !== undefined) n += 2;
  return n;
}

/** Writes the Property Length and the properties, in identifier order; `length` is propertiesLength(p). */
export function writeProperties(w: Writer, p: Properties | null, length: number): void {
  w.varint(length);
  if (p === null) return;
  if (__COMPACT__) {
    tableWalk(p, w);
    return;
  }
  if (p.payloadFormatIndicator !== undefined) { w.u8(0x01); w.u8(p.payloadFormatIndicator); }
  if (p.messageExpiryInterval !== undefined) { w.u8(0x02); w.u32(p.messageExpiryInterval); }
  if (p.contentType !== undefined) { w.u8(0x03); w.utf8(p.contentType); }
  if (p.responseTopic !== undefined) { w.u8(0x08); w.utf8(p.responseTopic); }
  if (p.correlationData !== undefined) { w.u8(0x09); w.binary(p.correlationData); }
  if (p.subscriptionIdentifier !== undefined) {
    for (let i = 0; i < p.subscriptionIdentifier.length; i++) { w.u8(0x0b); w.varint(p.subscriptionIdentifier[i]); }
  }
  if (p.sessionExpiryInterval !== undefined) { w.u8(0x11); w.u32(p.sessionExpiryInterval); }
  if (p.assignedClientIdentifier !== undefined) { w.u8(0x12); w.utf8(p.assignedClientIdentifier); }
  if (p.serverKeepAlive !== undefined) { w.u8(0x13); w.u16(p.serverKeepAlive); }
  if (p.authenticationMethod !== undefined) { w.u8(0x15); w.utf8(p.authenticationMethod); }
  if (p.authenticationData !== undefined) { w.u8(0x16); w.binary(p.authenticationData); }
  if (p.requestProblemInformation !== undefined) { w.u8(0x17); w.u8(p.requestProblemInformation); }
  if (p.willDelayInterval !== undefined) { w.u8(0x18); w.u32(p.willDelayInterval); }
  if (p.requestResponseInformation !== undefined) { w.u8(0x19); w.u8(p.requestResponseInformation); }
  if (p.responseInformation !== undefined) { w.u8(0x1a); w.utf8(p.responseInformation); }
  if (p.serverReference !== undefined) { w.u8(0x1c); w.utf8(p.serverReference); }
  if (p.reasonString !== undefined) { w.u8(0x1f); w.utf8(p.reasonString); }
  if (p.receiveMaximum !== undefined) { w.u8(0x21); w.u16(p.receiveMaximum); }
  if (p.topicAliasMaximum !== undefined) { w.u8(0x22); w.u16(p.topicAliasMaximum); }
  if (p.topicAlias !== undefined) { w.u8(0x23); w.u16(p.topicAlias); }
  if (p.maximumQoS !== undefined) { w.u8(0x24); w.u8(p.maximumQoS); }
  if (p.retainAvailable !== undefined) { w.u8(0x25); w.u8(p.retainAvailable); }
  if (p.userProperties !== undefined) {
    for (let i = 0; i < p.userProperties.length; i++) {
      w.u8(0x26);
      w.utf8(p.userProperties[i][0]);
      w.utf8(p.userProperties[i][1]);
    }
  }
  if (p.maximumPacketSize !== undefined) { w.u8(0x27); w.u32(p.maximumPacketSize); }
  if (p.wildcardSubscriptionAvailable !== undefined) { w.u8(0x28); w.u8(p.wildcardSubscriptionAvailable); }
  if (p.subscriptionIdentifiersAvailable !== undefined) { w.u8(0x29); w.u8(p.subscriptionIdentifiersAvailable); }
  if (p.sharedSubscriptionAvailable !== undefined) { w.u8(0x2a); w.u8(p.sharedSubscriptionAvailable); }
}

// ---- the same by the table (__COMPACT__: the Espruino builds) ----
// One loop over DEFS instead of a line per property: less than half the code (7.2 KB to 3.2 KB
// in the Espruino bundle), slower (a lookup by name per property), which a board serving a
// handful of clients does not notice. The named
// functions above are the fast shape for Node and XS; both give the same bytes and objects
// (test/unit/properties-compact.test.ts).

type Bag = { [name: string]: unknown };

function put(p: Properties, d: PropertyDef, many: boolean, v: unknown): void {
  const o = p as Bag;
  const list = o[d.name] as unknown[] | undefined;
  if (!many) o[d.name] = v;
  else if (list === undefined) o[d.name] = [v];
  else list.push(v);
}

/** Writes the properties (when `w` is given) and gives their bytes, without the Property Length. */
function tableWalk(p: Properties, w: Writer | null): number {
  let n = 0;
  for (let i = 0; i < DEFS.length; i++) {
    const d = DEFS[i];
    const v = (p as Bag)[d.name];
    if (v === undefined) continue;
    if (d.type !== PAIR && d.id !== ID_SUBSCRIPTION_IDENTIFIER) {
      n += one(w, d, v);
      continue;
    }
    const list = v as unknown[];   // the ones that may repeat are kept as a list
    for (let k = 0; k < list.length; k++) n += one(w, d, list[k]);
  }
  return n;
}

/** One property: written after its identifier when `w` is given; its bytes, the identifier's included. */
function one(w: Writer | null, d: PropertyDef, x: unknown): number {
  const t = d.type;
  if (w === null) {
    return 1 + (t === BYTE ? 1 : t === TWO_BYTE ? 2 : t === FOUR_BYTE ? 4 : t === VARINT ? varintLength(x as number)
      : t === STRING ? stringFieldLength(x as string) : t === BINARY ? binaryFieldLength(x as Uint8Array)
      : stringFieldLength((x as [string, string])[0]) + stringFieldLength((x as [string, string])[1]));
  }
  w.u8(d.id);
  if (t === BYTE) w.u8(x as number);
  else if (t === TWO_BYTE) w.u16(x as number);
  else if (t === FOUR_BYTE) w.u32(x as number);
  else if (t === VARINT) w.varint(x as number);
  else if (t === STRING) w.utf8(x as string);
  else if (t === BINARY) w.binary(x as Uint8Array);
  else {
    w.utf8((x as [string, string])[0]);
    w.utf8((x as [string, string])[1]);
  }
  return 0;
}
