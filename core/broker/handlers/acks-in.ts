// Our acknowledgements of what a client publishes: PUBACK (QoS 1), PUBREC and PUBCOMP (QoS 2),
// and the PUBREL that answers its PUBREC of what we sent it (QoS 2, acks-out.ts). On a durable
// store each waits in the journal (state/journal.ts) until the records it depends on are
// stored, and they go out in the order their packets came [MQTT-4.6.0-2] [MQTT-4.6.0-3]. A
// client with maxInflightIn of them waiting is read no further until some go out: what it
// can make the broker hold is bounded, whatever its protocol version.
// When the store could not keep the records, nothing is acknowledged as a success: 5.0 gets
// PUBACK / PUBREC 0x97 (Quota exceeded, 5.0 §3.4.2.1), 3.x no acknowledgement (it sends again
// when it reconnects), and no PUBCOMP goes out (the client sends its PUBREL again). No PUBREL
// goes out either (no PUBREL reason code says "not stored"): the delivery waits in its PUBREC
// state, and its PUBREL is sent when the client comes back [MQTT-4.4.0-1].

import type { Packet } from '../../codec/index.js';
import { PUBCOMP, PUBREC, PUBREL } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { CLOSED } from '../connection.js';
import type { HeldAck } from '../state/journal.js';
import { qos2Released } from '../state/owner.js';
import { MQTT_5, RC_QUOTA_EXCEEDED } from './common.js';

/** Sends PUBACK, PUBREC, PUBCOMP or PUBREL for `packetId`, at once in memory, after its records on a durable store. */
export function acknowledge(c: Connection, type: number, packetId: number, reasonCode: number): void {
  const j = c.broker.journal;
  if (j === null) {
    c.sendPacket({ type: type, packetId: packetId, reasonCode: reasonCode, properties: null } as Packet);
    return;
  }
  j.acks.push({ connection: c, type: type, packetId: packetId, reasonCode: reasonCode });
  c.acksHeld++;
  if (!c.acksFull && c.acksHeld >= c.broker.limits.maxInflightIn) {
    c.acksFull = true;
    c.waiting++;   // read nothing more from it until its acknowledgements go out
  }
}

/** The journal's answer for one held acknowledgement: its records were stored, or not. */
export function releaseAck(a: HeldAck, stored: boolean): void {
  const c = a.connection;
  c.acksHeld--;
  const resume = c.acksFull && c.acksHeld * 2 < c.broker.limits.maxInflightIn;
  if (resume) {
    c.acksFull = false;
    c.waiting--;
  }
  if (c.state === CLOSED) return;
  if (stored || a.reasonCode >= 0x80) {
    c.sendPacket({ type: a.type, packetId: a.packetId, reasonCode: a.reasonCode, properties: null } as Packet);
  } else if (a.type !== PUBCOMP && a.type !== PUBREL) {
    // The id of a QoS 2 message not acknowledged is free: its PUBLISH, sent again, is new.
    if (a.type === PUBREC && c.session !== null) qos2Released(c.broker, c.session, a.packetId);
    if (__MQTT5__ && c.version === MQTT_5) {
      c.sendPacket({ type: a.type, packetId: a.packetId, reasonCode: RC_QUOTA_EXCEEDED, properties: null } as Packet);
    }
  }
  if (resume) c.process();
}

