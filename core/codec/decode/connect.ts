// CONNECT (5.0 §3.1, 3.1.1 §3.1, 3.1 "MQIsdp") and CONNACK (5.0 §3.2, 3.1.1 §3.2).

import type { ConnackPacket, ConnectPacket, QoS, Will } from '../packets.js';
import { CONNACK, CONNECT, MQTT_3_1, MQTT_3_1_1, MQTT_5 } from '../packets.js';
import { IN_WILL, readProperties } from '../properties.js';
import type { Reader } from '../reader.js';
import { malformed } from '../reader.js';
import { codecError } from '../codec-error.js';
import { RC_TOPIC_NAME_INVALID, RC_UNSUPPORTED_PROTOCOL_VERSION } from '../reason-codes.js';
import { isValidTopicName } from '../topic.js';
import { quote } from '../peer-text.js';


export function decodeConnect(r: Reader): ConnectPacket {
  const protocolName = r.utf8();
  const protocolVersion = r.u8();
  if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp') {
    // [4:MQTT-3.1.2-1] [5:MQTT-3.1.2-1]: not MQTT at all; close without going on.
    throw codecError(RC_UNSUPPORTED_PROTOCOL_VERSION, '4:MQTT-3.1.2-1', 'protocol name ' + quote(protocolName));
  }
  // mosquitto's bridge flag: 0x80 in the level (0x83 MQIsdp, 0x84 MQTT 3.1.1), sent by a bridge
  // (mosquitto's try_private) so that it gets none of its own messages back and the retain flag
  // as published. Accepted as mosquitto's server accepts it (handle_connect.c: the level & 0x7F,
  // the bridge marked for 3.x; 0x85 is plain 5.0 there, which has No Local of its own). The
  // packet keeps the level as it came; the level proper is that & 0x7F.
  const level = protocolVersion & 0x7f;
  const supported = protocolName === 'MQIsdp' ? level === MQTT_3_1 :
    level === MQTT_3_1_1 || (__MQTT5__ && level === MQTT_5);
  if (!supported) {
    // [4:MQTT-3.1.2-2] [5:MQTT-3.1.2-2]: answered with CONNACK 0x01 / 0x84 by the broker.
    throw codecError(RC_UNSUPPORTED_PROTOCOL_VERSION, '4:MQTT-3.1.2-2',
      'protocol ' + quote(protocolName) + ' level ' + protocolVersion);
  }
  const v5 = (__MQTT5__ && level === MQTT_5);
  const flags = r.u8();
  if ((flags & 0x01) !== 0) throw malformed('4:MQTT-3.1.2-3', 'reserved Connect Flag bit 0 is set');
  const willFlag = (flags & 0x04) !== 0;
  const willQoS = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  const passwordFlag = (flags & 0x40) !== 0;
  const usernameFlag = (flags & 0x80) !== 0;
  if (willQoS === 3) throw malformed('4:MQTT-3.1.2-14', 'Will QoS 3');
  if (!willFlag && willQoS !== 0) throw malformed('4:MQTT-3.1.2-13', 'Will QoS set without the Will Flag');
  if (!willFlag && willRetain) throw malformed('4:MQTT-3.1.2-15', 'Will Retain set without the Will Flag');
  if (!v5 && passwordFlag && !usernameFlag) {
    throw malformed('4:MQTT-3.1.2-22', 'a Password without a User Name (allowed only in 5.0)');
  }
  const keepAlive = r.u16();
  const properties = __MQTT5__ && v5 ? readProperties(r, CONNECT) : null;

  // [MQTT-3.1.3-1] payload order: Client Identifier, Will, User Name, Password.
  const clientId = r.utf8();
  let will: Will | null = null;
  if (willFlag) {
    const willProperties = __MQTT5__ && v5 ? readProperties(r, IN_WILL) : null;
    const topic = r.utf8();
    // [4:MQTT-3.1.3-10] [5:MQTT-3.1.3-11]: the Will Topic is a Topic Name.
    if (!isValidTopicName(topic)) throw codecError(RC_TOPIC_NAME_INVALID, '4:MQTT-3.1.3-10', 'Will Topic ' + quote(topic));
    will = { topic: topic, payload: r.binary(), qos: willQoS as QoS, retain: willRetain, properties: willProperties };
  }
  // MQTT 3.1 lets the Remaining Length win over the flags: a flagged User Name or Password
  // missing at the end of the packet is not an error there (spec-checklist Part 4).
  const lenient = level === MQTT_3_1;
  const username = usernameFlag && !(lenient && r.remaining() === 0) ? r.utf8() : null;
  const password = passwordFlag && !(lenient && r.remaining() === 0) ? r.binary() : null;
  r.done('CONNECT');   // [4:MQTT-3.1.2-18] [4:MQTT-3.1.2-20]: nothing unflagged may follow
  return {
    type: CONNECT, protocolName: protocolName, protocolVersion: protocolVersion, cleanStart: (flags & 0x02) !== 0,
    keepAlive: keepAlive, properties: properties, clientId: clientId, will: will, username: username, password: password,
  };
}

export function decodeConnack(r: Reader, version: number): ConnackPacket {
  const flags = r.u8();
  // 5.0 §3.2.2.1: bits 7-1 are reserved and must be 0.
  if ((flags & 0xfe) !== 0) throw malformed('5:§3.2.2.1', 'reserved Connect Acknowledge Flags are set');
  const reasonCode = r.u8();
  const properties = (__MQTT5__ && version === MQTT_5) ? readProperties(r, CONNACK) : null;
  r.done('CONNACK');
  return { type: CONNACK, sessionPresent: (flags & 0x01) !== 0, reasonCode: reasonCode, properties: properties };
}
