// The one place that decides whether a packet is allowed now; each packet type then has
// its own small handler that checks the rules in spec order (mosquitto's handle_*.c,
// aedes' handlers/). A handler returns null or the error that closes the connection.

import type { AuthPacket, CodecError, Packet } from '../../codec/index.js';
import { AUTH } from '../../codec/index.js';
import { onAuth } from './auth.js';

import { CONNECT, codecError, RC_PROTOCOL_ERROR } from './common.js';
import type { Connection } from '../connection.js';
import { AWAIT_CONNECT, ACTIVE } from '../connection.js';
import { onConnect } from './connect.js';
import { onPublish } from './publish.js';
import { onPuback, onPubcomp, onPubrec } from './acks-out.js';
import { onPubrel } from './pubrel.js';
import { onSubscribe } from './subscribe.js';
import { onUnsubscribe } from './unsubscribe.js';
import { onPingreq } from './pingreq.js';
import { onDisconnect } from './disconnect.js';

type Handler = (c: Connection, p: Packet) => CodecError | null;

// Index = packet type. null: a type only a server sends (AUTH is handled above).
const HANDLERS: ReadonlyArray<Handler | null> = Object.freeze([
  null, null, null, onPublish as Handler, onPuback as Handler, onPubrec as Handler, onPubrel as Handler,
  onPubcomp as Handler, onSubscribe as Handler, null, onUnsubscribe as Handler, null, onPingreq as Handler,
  null, onDisconnect as Handler, null,
]);

export function handle(c: Connection, p: Packet): CodecError | null {
  if (p.type === CONNECT) {
    // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
    if (c.state !== AWAIT_CONNECT) return codecError(RC_PROTOCOL_ERROR, '4:MQTT-3.1.0-2', 'a second CONNECT');
    return onConnect(c, p);
  }
  // Without enhanced authentication (__AUTH__ false) an AUTH is out of place, as below.
  if (__MQTT5__ && __AUTH__ && p.type === AUTH) return onAuth(c, p as AuthPacket);
  // [MQTT-3.1.0-1] the first packet must be CONNECT.
  if (c.state !== ACTIVE) return codecError(RC_PROTOCOL_ERROR, '4:MQTT-3.1.0-1', 'a packet before CONNECT');
  const h = HANDLERS[p.type];
  if (h === null) return codecError(RC_PROTOCOL_ERROR, '5:§2.1.2', 'a client may not send packet type ' + p.type);
  return h(c, p);
}
