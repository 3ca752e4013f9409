// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (5.0 §3.8-3.11, 3.1.1 §3.8-3.11).
// Filters are only checked as UTF-8 here: an invalid filter is refused one by one in the
// SUBACK / UNSUBACK (0x80 / 0x8F), not by closing the connection. The exception is 3.x's
// empty filter, which closes it [4:MQTT-4.7.3-1]; 5.0 refuses that one in the SUBACK too.

import type { QoS, SubackPacket, SubscribePacket, Subscription, UnsubackPacket, UnsubscribePacket } from '../packets.js';
import { MQTT_5, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../packets.js';
import { readProperties } from '../properties.js';
import type { Reader } from '../reader.js';
import { malformed, protocolError } from '../reader.js';


export function decodeSubscribe(r: Reader, version: number): SubscribePacket {
  const packetId = r.u16();
  if (packetId === 0) throw protocolError('4:MQTT-2.3.1-1', 'SUBSCRIBE with Packet Identifier 0');
  const properties = (__MQTT5__ && version === MQTT_5) ? readProperties(r, SUBSCRIBE) : null;
  const subscriptions: Subscription[] = [];
  while (r.remaining() > 0) {
    const topicFilter = r.utf8();
    if (topicFilter.length === 0 && version !== MQTT_5) throw protocolError('4:MQTT-4.7.3-1', 'an empty Topic Filter in SUBSCRIBE');
    const options = r.u8();
    const qos = options & 0x03;
    if ((__MQTT5__ && version === MQTT_5)) {
      if ((options & 0xc0) !== 0) throw malformed('5:MQTT-3.8.3-5', 'reserved Subscription Options bits are set');
      if (qos === 3) throw protocolError('5:§3.8.3.1', 'Maximum QoS 3');
      if (((options >> 4) & 0x03) === 3) throw protocolError('5:§3.8.3.1', 'Retain Handling 3');
    } else if ((options & 0xfc) !== 0 || qos === 3) {
      throw malformed('4:MQTT-3-8.3-4', 'requested QoS byte 0x' + options.toString(16));
    }
    const noLocal = (options & 0x04) !== 0;
    // [5:MQTT-3.8.3-4] No Local on a shared subscription is a Protocol Error.
    if (noLocal && topicFilter.slice(0, 7) === '$share/') throw protocolError('5:MQTT-3.8.3-4', 'No Local on a shared subscription');
    subscriptions.push({
      topicFilter: topicFilter, qos: qos as QoS, noLocal: noLocal,
      retainAsPublished: (options & 0x08) !== 0, retainHandling: (options >> 4) & 0x03,
    });
  }
  // [4:MQTT-3.8.3-3] [5:MQTT-3.8.3-2] at least one Topic Filter.
  if (subscriptions.length === 0) throw protocolError('4:MQTT-3.8.3-3', 'SUBSCRIBE without a Topic Filter');
  return { type: SUBSCRIBE, packetId: packetId, properties: properties, subscriptions: subscriptions };
}

export function decodeSuback(r: Reader, version: number): SubackPacket {
  const packetId = r.u16();
  const properties = (__MQTT5__ && version === MQTT_5) ? readProperties(r, SUBACK) : null;
  return { type: SUBACK, packetId: packetId, properties: properties, reasonCodes: restAsCodes(r) };
}

export function decodeUnsubscribe(r: Reader, version: number): UnsubscribePacket {
  const packetId = r.u16();
  if (packetId === 0) throw protocolError('4:MQTT-2.3.1-1', 'UNSUBSCRIBE with Packet Identifier 0');
  const properties = (__MQTT5__ && version === MQTT_5) ? readProperties(r, UNSUBSCRIBE) : null;
  const topicFilters: string[] = [];
  while (r.remaining() > 0) {
    const topicFilter = r.utf8();
    if (topicFilter.length === 0 && version !== MQTT_5) throw protocolError('4:MQTT-4.7.3-1', 'an empty Topic Filter in UNSUBSCRIBE');
    topicFilters.push(topicFilter);
  }
  // [4:MQTT-3.10.3-2] [5:MQTT-3.10.3-2] at least one Topic Filter.
  if (topicFilters.length === 0) throw protocolError('4:MQTT-3.10.3-2', 'UNSUBSCRIBE without a Topic Filter');
  return { type: UNSUBSCRIBE, packetId: packetId, properties: properties, topicFilters: topicFilters };
}

export function decodeUnsuback(r: Reader, version: number): UnsubackPacket {
  const packetId = r.u16();
  if (__MQTT5__ && version === MQTT_5) {
    const properties = readProperties(r, UNSUBACK);
    return { type: UNSUBACK, packetId: packetId, properties: properties, reasonCodes: restAsCodes(r) };
  }
  r.done('UNSUBACK');   // 3.1.1 §3.11.3: no payload
  return { type: UNSUBACK, packetId: packetId, properties: null, reasonCodes: [] };
}

function restAsCodes(r: Reader): number[] {
  const codes: number[] = [];
  while (r.remaining() > 0) codes.push(r.u8());
  return codes;
}
