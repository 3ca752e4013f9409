// UNSUBSCRIBE (5.0 §3.10.4, 3.1.1 §3.10.4): filters are compared literally with the
// session's [MQTT-3.10.4-1]; UNSUBACK answers even when nothing matched [MQTT-3.10.4-5].

import type { CodecError, UnsubscribePacket } from '../../codec/index.js';
import { RC_NO_SUBSCRIPTION_EXISTED, UNSUBACK } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { removeSubscription } from '../state/owner.js';

export function onUnsubscribe(c: Connection, p: UnsubscribePacket): CodecError | null {
  const session = c.session;
  if (session === null) return null;
  const codes: number[] = [];
  for (let i = 0; i < p.topicFilters.length; i++) {
    codes.push(removeSubscription(c.broker, session, p.topicFilters[i]) ? 0 : RC_NO_SUBSCRIPTION_EXISTED);
  }
  c.sendPacket({ type: UNSUBACK, packetId: p.packetId, properties: null, reasonCodes: codes });
  return null;
}
