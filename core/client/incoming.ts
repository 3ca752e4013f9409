// Application Messages from the server: QoS 0, 1 and 2 as the receiver (4.3.1-4.3.3), the
// server's Topic Aliases (5.0 §3.3.2.3.4) and our Receive Maximum (5.0 §3.3.4).

import type { AckPacket, CodecError, PublishPacket } from '../codec/index.js';
import {
  MQTT_5, PUBACK, PUBCOMP, PUBREC, RC_PACKET_IDENTIFIER_NOT_FOUND, RC_PROTOCOL_ERROR, RC_RECEIVE_MAXIMUM_EXCEEDED,
  RC_TOPIC_ALIAS_INVALID, codecError,
} from '../codec/index.js';
import type { MqttClient } from './mqtt-client.js';

export function onPublish(c: MqttClient, p: PublishPacket): CodecError | null {
  if (__MQTT5__ && c.version === MQTT_5 && p.properties !== null && p.properties.topicAlias !== undefined) {
    const err = resolveAlias(c, p);
    if (err !== null) return err;
  } else if (p.topic === '') {
    return codecError(RC_PROTOCOL_ERROR, '5:§3.3.2.3.4', 'a PUBLISH with neither a Topic Name nor a Topic Alias');
  }
  if (p.qos === 0) {
    deliver(c, p);
    return null;
  }
  if (p.qos === 1) {
    // [4:MQTT-4.3.2-2] the receiver takes ownership and answers PUBACK with the same id.
    deliver(c, p);
    c.send({ type: PUBACK, packetId: p.packetId, reasonCode: 0, properties: null });
    return null;
  }
  const key = '' + p.packetId;
  if (!c.qos2In.has(key)) {
    // 5.0 §3.3.4: more QoS 2 messages awaiting PUBREL than the Receive Maximum we sent.
    // 3.x has no such signal; the same bound closes the connection, as the broker does.
    if (c.qos2InCount >= c.limits.receiveMaximum) {
      return codecError(RC_RECEIVE_MAXIMUM_EXCEEDED, '5:§3.3.4', 'more than ' + c.limits.receiveMaximum + ' QoS 2 messages awaiting PUBREL');
    }
    c.qos2In.set(key, true);
    c.qos2InCount++;
    deliver(c, p);
  }
  // [4:MQTT-4.3.3-2] PUBREC with the same id; a repeated PUBLISH is not delivered again.
  c.send({ type: PUBREC, packetId: p.packetId, reasonCode: 0, properties: null });
  return null;
}

/** PUBREL: the QoS 2 exchange ends; PUBCOMP with the same id (5.0: 0x92 for an id we do not hold). */
export function onPubrel(c: MqttClient, p: AckPacket): CodecError | null {
  const key = '' + p.packetId;
  const known = c.qos2In.has(key);
  if (known) {
    c.qos2In.delete(key);
    c.qos2InCount--;
  }
  const rc = known || !(__MQTT5__ && c.version === MQTT_5) ? 0 : RC_PACKET_IDENTIFIER_NOT_FOUND;
  c.send({ type: PUBCOMP, packetId: p.packetId, reasonCode: rc, properties: null });
  return null;
}

function deliver(c: MqttClient, p: PublishPacket): void {
  c.stats.messagesIn++;
  c.events.message(c, p);
}

/**
 * [5:MQTT-3.3.2-10] aliases 1..our Topic Alias Maximum are accepted (0 or above it: 0x94,
 * 5.0 §3.3.2.3.4); a PUBLISH with a Topic Name sets the alias, one without uses it (an
 * alias never set is a Protocol Error). The packet leaves with its Topic Name filled in.
 */
function resolveAlias(c: MqttClient, p: PublishPacket): CodecError | null {
  const alias = p.properties === null ? 0 : (p.properties.topicAlias as number);
  if (alias === 0 || alias > c.limits.topicAliasMaximum) {
    return codecError(RC_TOPIC_ALIAS_INVALID, '5:MQTT-3.3.2-10', 'Topic Alias ' + alias + ', our maximum ' + c.limits.topicAliasMaximum);
  }
  if (p.topic !== '') {
    c.aliasesIn[alias] = p.topic;
    return null;
  }
  const topic = c.aliasesIn[alias];
  if (topic === undefined) return codecError(RC_PROTOCOL_ERROR, '5:§3.3.2.3.4', 'Topic Alias ' + alias + ' was never set');
  p.topic = topic;
  return null;
}
