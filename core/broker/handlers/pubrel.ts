// PUBREL (5.0 §3.6.4, 3.1.1 §3.6.4): release an incoming QoS 2 packet id and answer
// PUBCOMP [MQTT-4.3.3-2]. The message itself was routed when its PUBLISH arrived.

import type { AckPacket, CodecError } from '../../codec/index.js';
import { PUBCOMP } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { MQTT_5, RC_PACKET_IDENTIFIER_NOT_FOUND } from './common.js';
import { qos2Released } from '../state/owner.js';
import { acknowledge } from './acks-in.js';


export function onPubrel(c: Connection, p: AckPacket): CodecError | null {
  const s = c.session;
  if (s === null) return null;
  const known = qos2Released(c.broker, s, p.packetId);
  // 5.0 §3.7.2.1: an id we are not holding gets 0x92; 3.1.1 answers every PUBREL.
  const rc = !known && (__MQTT5__ && c.version === MQTT_5) ? RC_PACKET_IDENTIFIER_NOT_FOUND : 0;
  acknowledge(c, PUBCOMP, p.packetId, rc);
  return null;
}
