// DISCONNECT from the client (5.0 §3.14.4, 3.1.1 §3.14.4): a normal close discards the
// will [MQTT-3.1.2-10]; 5.0 reason 0x04 asks for it to be published anyway.

import type { CodecError, DisconnectPacket } from '../../codec/index.js';
import { RC_DISCONNECT_WITH_WILL } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { setSessionExpiry, willDropped } from '../state/owner.js';
import { MQTT_5, RC_PROTOCOL_ERROR, codecError } from './common.js';
import { LOG_CLOSED } from '../log-events.js';


export function onDisconnect(c: Connection, p: DisconnectPacket): CodecError | null {
  const withWill = (__MQTT5__ && c.version === MQTT_5) && p.reasonCode === RC_DISCONNECT_WITH_WILL;
  const expiry = p.properties !== null ? p.properties.sessionExpiryInterval : undefined;
  if (expiry !== undefined) {
    // [5:MQTT-3.14.2-2] a session that was to end with the connection cannot be extended here.
    if (c.sessionExpiryFromConnect === 0 && expiry !== 0) {
      return codecError(RC_PROTOCOL_ERROR, '5:MQTT-3.14.2-2', 'DISCONNECT sets a Session Expiry Interval after CONNECT had 0');
    }
    if (c.session !== null) setSessionExpiry(c.broker, c.session, expiry);
  }
  if (!withWill && c.will !== null) {
    c.will = null;
    if (c.session !== null) willDropped(c.broker, c.session);   // recorded with it, or on its own (state/owner.ts willArmed)
  }
  c.disconnectReceived = true;
  c.broker.log(c, 'disconnected', LOG_CLOSED);
  c.broker.connectionEnded(c, withWill);
  return null;
}
