// Acknowledgements of what we sent (5.0 §3.4-3.7): PUBACK ends a QoS 1 delivery, PUBREC
// moves a QoS 2 delivery on to PUBREL, PUBCOMP ends it. Each frees window for the queue.
// An id we do not know is ignored (no rule; a late duplicate).

import type { AckPacket, CodecError } from '../../codec/index.js';
import { PUBREL } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { AWAIT_PUBACK, AWAIT_PUBCOMP, AWAIT_PUBREC, findOutgoing } from '../session.js';
import { endInflight, pubrecReceived } from '../state/owner.js';
import { acknowledge } from './acks-in.js';

export function onPuback(c: Connection, p: AckPacket): CodecError | null {
  return complete(c, p.packetId, AWAIT_PUBACK);
}

export function onPubcomp(c: Connection, p: AckPacket): CodecError | null {
  return complete(c, p.packetId, AWAIT_PUBCOMP);
}

export function onPubrec(c: Connection, p: AckPacket): CodecError | null {
  const s = c.session;
  if (s === null) return null;
  const i = findOutgoing(s, p.packetId);
  if (i < 0 || s.inflight.item(i).state !== AWAIT_PUBREC) return null;
  // [5:MQTT-4.4.0-2] a PUBREC >= 0x80 ends the delivery.
  if (p.reasonCode >= 0x80) return complete(c, p.packetId, AWAIT_PUBREC);
  // [MQTT-4.3.3-1] answer with PUBREL and never send that PUBLISH again. On a durable store the
  // PUBREL waits until the PUBREC's record is stored: once the subscriber has its PUBREL it
  // forgets the packet id, and a broker restarted from records without the PUBREC would send
  // the PUBLISH again, a second delivery.
  pubrecReceived(c.broker, s, i);
  acknowledge(c, PUBREL, p.packetId, 0);
  return null;
}

function complete(c: Connection, packetId: number, expected: number): CodecError | null {
  const s = c.session;
  if (s === null) return null;
  const i = findOutgoing(s, packetId);
  if (i < 0 || s.inflight.item(i).state !== expected) return null;
  endInflight(c.broker, s, i);
  c.broker.pump(s);
  return null;
}
