// PUBREL (5.0 §3.6.4, 3.1.1 §3.6.4): release an incoming QoS 2 packet id and answer
// PUBCOMP [MQTT-4.3.3-2]. The message itself was routed when its PUBLISH arrived.

import type { AckPacket, CodecError } from '../../codec/index.js';
import { PUBCOMP } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { MQTT_5, RC_PACKET_IDENTIFIER_NOT_FOUND } from './common.js';


export function onPubrel(c: Connection, p: AckPacket): CodecError | null {
  const s = c.session;
  if (s === null) return null;
  const key = '' + p.packetId;
  const awaiting = s.awaitingRelease;
  const known = awaiting !== null && awaiting.has(key);
  if (known) (awaiting as Map<string, boolean>).delete(key);
  // 5.0 §3.7.2.1: an id we are not holding gets 0x92; 3.1.1 answers every PUBREL.
  const rc = !known && (__MQTT5__ && c.version === MQTT_5) ? RC_PACKET_IDENTIFIER_NOT_FOUND : 0;
  c.sendPacket({ type: PUBCOMP, packetId: p.packetId, reasonCode: rc, properties: null });
  return null;
}
