// The end of a CONNECT (5.0 §3.2, 3.1.1 §3.2): accepted (session opened or resumed, CONNACK with
// what this server supports, then what the session had waiting) or refused with its code.
// Reached from CONNECT (connect.ts) and from the last step of enhanced authentication (auth.ts).

import type { ConnectPacket, CodecError, Properties } from '../../codec/index.js';
import {
  CONNACK, CONNACK_BAD_USER_NAME_OR_PASSWORD, CONNACK_NOT_AUTHORIZED, CONNACK_SERVER_UNAVAILABLE, RC_BAD_USER_NAME_OR_PASSWORD,
  RC_NOT_AUTHORIZED, RC_QUOTA_EXCEEDED, RC_SERVER_BUSY, RC_SERVER_UNAVAILABLE, RC_SUCCESS,
} from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { ACTIVE } from '../connection.js';
import type { Session } from '../session.js';
import { willArmed } from '../state/owner.js';
import { MQTT_3_1, MQTT_5 } from './common.js';
import { LOG_CONNECTED, LOG_DENIED, LOG_REFUSED } from '../log-events.js';

// `ok`: true to accept, false for "bad user name or password", or a 5.0 reason code.
export function finish(c: Connection, p: ConnectPacket, clientId: string, ok: boolean | number, authData?: Uint8Array): void {
  if (ok !== true) {
    c.broker.stats.authFailures++;
    const rc = ok === false ? RC_BAD_USER_NAME_OR_PASSWORD : ok as number;
    // 3.x has fewer return codes: "busy" and "unavailable" are its 3, Server unavailable.
    refuse(c, rc, rc === RC_NOT_AUTHORIZED ? CONNACK_NOT_AUTHORIZED
      : rc === RC_SERVER_BUSY || rc === RC_SERVER_UNAVAILABLE ? CONNACK_SERVER_UNAVAILABLE : CONNACK_BAD_USER_NAME_OR_PASSWORD);
    return;
  }
  const b = c.broker;
  if (!b.mayOpenSession(clientId, c.username)) {
    // The session belongs to another identity: refused before anything is touched, so the
    // connected owner stays connected and its session keeps its messages.
    b.log(c, 'not authorized: the session is another user\'s', LOG_DENIED);
    refuse(c, RC_NOT_AUTHORIZED, CONNACK_NOT_AUTHORIZED);
    return;
  }
  // Checked again: clients accepted while this one's hook was deciding count too.
  if (!b.roomForClient(clientId)) {
    refuse(c, RC_SERVER_BUSY, CONNACK_SERVER_UNAVAILABLE);
    return;
  }
  // maxSessions: past it the session away longest ends; none away: refused (0x97 / 3).
  if (!b.roomForSession(clientId)) {
    refuse(c, RC_QUOTA_EXCEEDED, CONNACK_SERVER_UNAVAILABLE);
    return;
  }
  const sessionPresent = b.openSession(c, clientId, p.cleanStart);
  willArmed(b, c.session as Session, c);   // kept with a stored session: a restart loses the connection
  c.state = ACTIVE;
  b.accepted(c);
  b.keepAliveStarted(c);
  let props: Properties | null = null;
  if ((__MQTT5__ && c.version === MQTT_5)) {
    props = b.connackProperties(c);
    // 5.0 §3.2.2.3.14 [5:MQTT-3.2.2-22] Server Keep Alive only when it changes the client's value.
    if (c.keepAliveMs !== p.keepAlive * 1000) props.serverKeepAlive = c.keepAliveMs / 1000;
    if (clientId !== p.clientId) props.assignedClientIdentifier = clientId;   // [MQTT-3.1.3-7]
    if (c.authenticationMethod !== '') {
      props.authenticationMethod = c.authenticationMethod;
      if (authData !== undefined) props.authenticationData = authData;
    }
  }
  c.sendPacket({ type: CONNACK, sessionPresent: sessionPresent, reasonCode: RC_SUCCESS, properties: props });
  if (c.state !== ACTIVE) return;   // the CONNACK did not fit the client's Maximum Packet Size
  b.log(c, 'connected (MQTT ' + ((__MQTT5__ && c.version === MQTT_5) ? '5.0' : c.version === MQTT_3_1 ? '3.1' : '3.1.1') + ')', LOG_CONNECTED);
  b.resumeSession(c);
  if (b.hooks.connected !== undefined) b.hooks.connected(c);
}

/**
 * Refuses the connection with a CONNACK carrying `rc5` (5.0) or `rc3` (3.x return code),
 * then closes it [MQTT-3.2.2-6]. No will is published for a refused connection.
 */
export function refuse(c: Connection, rc5: number, rc3: number, props?: Properties): CodecError | null {
  c.sendPacket({ type: CONNACK, sessionPresent: false, reasonCode: (__MQTT5__ && c.version === MQTT_5) ? rc5 : rc3, properties: (__MQTT5__ && c.version === MQTT_5) && props !== undefined ? props : null });
  const code = (__MQTT5__ && c.version === MQTT_5) ? rc5 : rc3;
  c.broker.log(c, 'refused: CONNACK 0x' + code.toString(16), LOG_REFUSED, code);
  c.will = null;
  c.broker.connectionEnded(c, false);
  return null;
}
