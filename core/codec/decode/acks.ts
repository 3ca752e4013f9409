// The small packets: PUBACK, PUBREC, PUBREL, PUBCOMP (5.0 §3.4-3.7), PINGREQ, PINGRESP,
// DISCONNECT (5.0 §3.14) and AUTH (5.0 §3.15). In 5.0 the reason code and the properties
// may be left off the end: a shorter packet means reason 0x00 and no properties.

import type { AckPacket, AuthPacket, DisconnectPacket, PingPacket } from '../packets.js';
import { AUTH, DISCONNECT, MQTT_5 } from '../packets.js';
import { readProperties } from '../properties.js';
import type { Reader } from '../reader.js';


export function decodeAck(r: Reader, type: 4 | 5 | 6 | 7, version: number): AckPacket {
  const packetId = r.u16();
  let reasonCode = 0;
  let properties = null;
  if ((__MQTT5__ && version === MQTT_5)) {
    if (r.remaining() > 0) reasonCode = r.u8();
    if (r.remaining() > 0) properties = readProperties(r, type);
  }
  r.done('acknowledgement');   // 3.1.1: Remaining Length is exactly 2
  return { type: type, packetId: packetId, reasonCode: reasonCode, properties: properties };
}

export function decodePing(r: Reader, type: 12 | 13): PingPacket {
  r.done(type === 12 ? 'PINGREQ' : 'PINGRESP');
  return { type: type };
}

export function decodeDisconnect(r: Reader, version: number): DisconnectPacket {
  let reasonCode = 0;
  let properties = null;
  if ((__MQTT5__ && version === MQTT_5)) {
    if (r.remaining() > 0) reasonCode = r.u8();
    if (r.remaining() > 0) properties = readProperties(r, DISCONNECT);
  }
  r.done('DISCONNECT');
  return { type: DISCONNECT, reasonCode: reasonCode, properties: properties };
}

export function decodeAuth(r: Reader): AuthPacket {
  let reasonCode = 0;
  let properties = null;
  if (r.remaining() > 0) reasonCode = r.u8();
  if (r.remaining() > 0) properties = readProperties(r, AUTH);
  r.done('AUTH');
  return { type: AUTH, reasonCode: reasonCode, properties: properties };
}
