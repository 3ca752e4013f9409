// PUBLISH (5.0 §3.3, 3.1.1 §3.3). The payload is a view of the received bytes.

import type { PublishPacket, QoS } from '../packets.js';
import { MQTT_5, PUBLISH } from '../packets.js';
import { readProperties } from '../properties.js';
import type { Reader } from '../reader.js';
import { malformed, protocolError } from '../reader.js';
import { quote } from '../peer-text.js';
import { InPlacePublish } from '../in-place-publish.js';


/** An empty PUBLISH packet object, for a decoder to fill again (DecoderOptions.reuseQoS0). */
export function publishPacket(): InPlacePublish {
  return new InPlacePublish();
}

/**
 * `qos0` (optional): the object a QoS 0 PUBLISH is written into instead of a new one; its
 * payload is left a range of the received bytes (no view made: in-place-publish.ts).
 */
export function decodePublish(r: Reader, flags: number, version: number, qos0?: InPlacePublish | null): PublishPacket {
  const qos = ((flags >> 1) & 0x03) as QoS;   // QoS 3 was refused on the fixed header
  // [MQTT-3.3.1-2] DUP is 0 in every QoS 0 message: a flag that cannot be right (5.0 §2.1.3).
  if (qos === 0 && (flags & 0x08) !== 0) throw malformed('4:MQTT-3.3.1-2', 'QoS 0 PUBLISH with DUP set');
  const topic = r.topic();
  let packetId = 0;
  if (qos > 0) {
    packetId = r.u16();
    if (packetId === 0) throw protocolError('4:MQTT-2.3.1-1', 'QoS ' + qos + ' PUBLISH with Packet Identifier 0');
  }
  const properties = (__MQTT5__ && version === MQTT_5) ? readProperties(r, PUBLISH) : null;
  // 5.0 §3.3.2.1: an empty Topic Name is allowed only with a Topic Alias. [4:MQTT-4.7.3-1]
  // (Wildcards were refused by r.topic(), on the bytes.)
  if (r.lastTopicLength === 0 && (properties === null || properties.topicAlias === undefined)) {
    throw protocolError((__MQTT5__ && version === MQTT_5) ? '5:§3.3.2.1' : '4:MQTT-4.7.3-1', 'empty Topic Name');
  }
  if (properties !== null && properties.responseTopic !== undefined &&
    (properties.responseTopic.length === 0 || hasWildcard(properties.responseTopic))) {
    throw protocolError('5:MQTT-3.3.2-14', 'Response Topic ' + quote(properties.responseTopic) + ' is not a Topic Name');
  }
  if (qos === 0 && qos0) {
    qos0.dup = false;   // [MQTT-3.3.1-2], checked above
    qos0.retain = (flags & 0x01) !== 0;
    qos0.topic = topic;
    qos0.properties = properties;
    qos0.setPayload(r.buf, r.pos, r.end);
    r.pos = r.end;
    return qos0;
  }
  return {
    type: PUBLISH, dup: (flags & 0x08) !== 0, qos: qos, retain: (flags & 0x01) !== 0, topic: topic,
    packetId: packetId, properties: properties, payload: r.rest(),
  };
}

function hasWildcard(topic: string): boolean {
  return topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0;
}
