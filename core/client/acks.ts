// Acknowledgements of our outgoing QoS 1/2 messages (4.3.2, 4.3.3 as the sender).

import type { AckPacket, CodecError } from '../codec/index.js';
import { MQTT_5, PUBREL, RC_PACKET_IDENTIFIER_NOT_FOUND, RC_PROTOCOL_ERROR, codecError } from '../codec/index.js';
import type { MqttClient } from './mqtt-client.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC } from './outgoing.js';

/**
 * PUBACK ends a QoS 1 exchange; its reason code (5.0, >= 0x80: refused) is the message's
 * outcome, and a refused message is not sent again [5:MQTT-4.4.0-2]. A PUBACK for an id we
 * do not hold is ignored (one that arrives twice); one for a QoS 2 message is an error.
 */
export function onPuback(c: MqttClient, p: AckPacket): CodecError | null {
  const m = c.outgoing.find(p.packetId);
  if (m === null) return ignored(c, 'PUBACK', p.packetId);
  if (m.state !== AWAIT_PUBACK) return codecError(RC_PROTOCOL_ERROR, '4:§4.3.3', 'PUBACK for QoS 2 message ' + p.packetId);
  c.gone(m, p.reasonCode, false);
  c.pump();   // a slot in the window is free [5:MQTT-3.3.4-7]
  return null;
}

/**
 * PUBREC: [4:MQTT-4.3.3-1] answered with PUBREL (again, for a repeated one); 5.0: a code >=
 * 0x80 ends the exchange there [5:MQTT-4.3.3-4]. An id we do not hold gets PUBREL 0x92 (3.x:
 * PUBREL), so the server can end its side.
 */
export function onPubrec(c: MqttClient, p: AckPacket): CodecError | null {
  const m = c.outgoing.find(p.packetId);
  const v5 = __MQTT5__ && c.version === MQTT_5;
  if (m === null) {
    c.send({ type: PUBREL, packetId: p.packetId, reasonCode: v5 ? RC_PACKET_IDENTIFIER_NOT_FOUND : 0, properties: null });
    return null;
  }
  if (m.state === AWAIT_PUBACK) return codecError(RC_PROTOCOL_ERROR, '4:§4.3.2', 'PUBREC for QoS 1 message ' + p.packetId);
  if (v5 && p.reasonCode >= 0x80) {
    c.gone(m, p.reasonCode, false);
    c.pump();
    return null;
  }
  if (m.state === AWAIT_PUBREC) {
    m.state = AWAIT_PUBCOMP;
    if (c.events.pubrec !== undefined) c.events.pubrec(c, m);
  }
  c.send({ type: PUBREL, packetId: p.packetId, reasonCode: 0, properties: null });
  return null;
}

/** PUBCOMP ends a QoS 2 exchange. */
export function onPubcomp(c: MqttClient, p: AckPacket): CodecError | null {
  const m = c.outgoing.find(p.packetId);
  if (m === null || m.state !== AWAIT_PUBCOMP) return ignored(c, 'PUBCOMP', p.packetId);
  c.gone(m, p.reasonCode, false);
  c.pump();
  return null;
}

function ignored(c: MqttClient, what: string, id: number): null {
  c.log('ignored: ' + what + ' for packet id ' + id + ', which is not in flight');
  return null;
}
