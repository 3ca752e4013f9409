// CONNECT (5.0 §3.1.4, 3.1.1 §3.1.4): client identifier rules, authentication through the
// embedding application's hook, session takeover and resumption, then CONNACK.

import type { CodecError, ConnectPacket } from '../../codec/index.js';
import { utf8Length } from '../../codec/index.js';
import {
  CONNACK_IDENTIFIER_REJECTED, CONNACK_NOT_AUTHORIZED, CONNACK_SERVER_UNAVAILABLE, RC_BAD_AUTHENTICATION_METHOD,
  RC_CLIENT_IDENTIFIER_NOT_VALID, RC_SERVER_BUSY, RC_USE_ANOTHER_SERVER, RC_QOS_NOT_SUPPORTED, RC_RETAIN_NOT_SUPPORTED,
  RC_PAYLOAD_FORMAT_INVALID, RC_IMPLEMENTATION_SPECIFIC_ERROR,
} from '../../codec/index.js';
import { payloadFormatValid } from './payload-format.js';
import { startEnhancedAuth } from './auth.js';
import { finish, refuse } from './connack.js';
import type { Connection } from '../connection.js';
import { CONNECTING } from '../connection.js';
import { MQTT_3_1, MQTT_5, isThenable } from './common.js';
import { hookFailed } from '../fault.js';
import { ownWill } from '../will.js';
import { LOG_LIMIT } from '../log-events.js';


export function onConnect(c: Connection, p: ConnectPacket): CodecError | null {
  const b = c.broker;
  c.version = p.protocolVersion & 0x7f;
  c.state = CONNECTING;
  const v5 = (__MQTT5__ && c.version === MQTT_5);
  // mosquitto's bridge flag (0x80 in the level, decode/connect.ts): a 3.x bridge's
  // subscriptions get No Local and Retain As Published (handlers/subscribe.ts), as mosquitto
  // gives them; 5.0 asks for those itself, and there the flag means nothing (as in mosquitto).
  c.bridge = !v5 && (p.protocolVersion & 0x80) !== 0;
  let clientId = p.clientId;
  if (clientId.length === 0) {
    // 3.1 has no empty identifier; 3.1.1 allows one only with Clean Session [4:MQTT-3.1.3-8].
    if (c.version === MQTT_3_1 || (!v5 && !p.cleanStart)) return refuse(c, RC_CLIENT_IDENTIFIER_NOT_VALID, CONNACK_IDENTIFIER_REJECTED);
    clientId = b.assignClientId();   // [MQTT-3.1.3-6]
  } else if (c.version === MQTT_3_1 && utf8Length(clientId) > b.limits.maxClientIdLength31) {
    // 3.1: 1..23 characters, counted as UTF-8 bytes: the one count every engine gives alike
    // (`length` counts UTF-16 units on Node, code points in the device's XS).
    return refuse(c, RC_CLIENT_IDENTIFIER_NOT_VALID, CONNACK_IDENTIFIER_REJECTED);
  }
  if (!b.roomForClient(clientId)) return refuse(c, RC_SERVER_BUSY, CONNACK_SERVER_UNAVAILABLE);
  const limits = b.limits;
  if (limits.serverReference !== '') {
    // 5.0 §4.11 server redirection: "use another server", and which.
    return refuse(c, RC_USE_ANOTHER_SERVER, CONNACK_SERVER_UNAVAILABLE, { serverReference: limits.serverReference });
  }
  const props = p.properties;
  c.clientId = clientId;
  c.username = p.username;
  c.will = p.will === null ? null : ownWill(p.will);   // outlives this call: a copy, not a view
  const keepAlive = keepAliveFor(c, p.keepAlive);
  if (keepAlive < 0) {
    b.log(c, 'Keep Alive ' + p.keepAlive + ' is over maxKeepAlive ' + limits.maxKeepAlive + ' (maxKeepAlivePolicy3x "refuse")', LOG_LIMIT);
    return refuse(c, RC_CLIENT_IDENTIFIER_NOT_VALID, CONNACK_IDENTIFIER_REJECTED);
  }
  c.keepAliveMs = keepAlive * 1000;
  if (v5) {
    const will = p.will;
    // [5:MQTT-3.2.2-12] [5:MQTT-3.2.2-13] a will beyond what we support is refused in CONNACK.
    if (will !== null && will.qos > limits.maximumQoS) return refuse(c, RC_QOS_NOT_SUPPORTED, 0);
    if (will !== null && will.retain && !limits.retainAvailable) return refuse(c, RC_RETAIN_NOT_SUPPORTED, 0);
    if (will !== null && !payloadFormatValid(b, will.payload, will.properties)) return refuse(c, RC_PAYLOAD_FORMAT_INVALID, 0);
  }
  if (__MQTT5__ && props !== null) {
    if (props.receiveMaximum !== undefined) c.receiveMaximum = props.receiveMaximum;
    if (props.maximumPacketSize !== undefined) c.maximumPacketSize = props.maximumPacketSize;
    if (props.requestProblemInformation !== undefined) c.requestProblemInformation = props.requestProblemInformation === 1;
    if (props.requestResponseInformation !== undefined) c.requestResponseInformation = props.requestResponseInformation === 1;
    if (props.sessionExpiryInterval !== undefined) c.sessionExpiryFromConnect = props.sessionExpiryInterval;
    // [5:MQTT-3.1.2-26] [5:MQTT-3.1.2-27] never more aliases than the client allows, none if it set none.
    if (props.topicAliasMaximum !== undefined) c.aliasOutMaximum = Math.min(props.topicAliasMaximum, limits.topicAliasesOut);
    if (props.authenticationMethod !== undefined) {
      // 5.0 §4.12 enhanced authentication: the application's hook runs the exchange. A build
      // without it (__AUTH__ false: the small Espruino bundles) refuses every method.
      if (__AUTH__ && b.hooks.authenticateEnhanced !== undefined) {
        c.authenticationMethod = props.authenticationMethod;
        startEnhancedAuth(c, p, clientId, props.authenticationData);
        return null;
      }
      return refuse(c, RC_BAD_AUTHENTICATION_METHOD, CONNACK_NOT_AUTHORIZED);
    }
  }
  const answer = b.hooks.authenticate(c, p.username, p.password);
  if (!isThenable(answer)) {
    finish(c, p, clientId, answer);
    return null;
  }
  c.waiting++;   // read nothing more until the application has answered
  b.whenAnswered(c, answer, function (ok: boolean | number) {
    c.waiting--;
    if (c.state !== CONNECTING) return;
    finish(c, p, clientId, ok);
    c.process();
  }, function (reason: unknown) {
    c.waiting--;
    if (c.state !== CONNECTING) return;
    // The application could not answer: refused as a server fault, not as bad credentials.
    hookFailed(b, c, 'authenticate', reason, false);
    refuse(c, RC_IMPLEMENTATION_SPECIFIC_ERROR, CONNACK_SERVER_UNAVAILABLE);
  });
  return null;
}

/**
 * The Keep Alive the server holds the client to, in seconds (0: none), or -1 when a 3.x
 * client asks for more than maxKeepAlive and maxKeepAlivePolicy3x is 'refuse'. 5.0 is told
 * the value in CONNACK's Server Keep Alive, which it must follow (5.0 §3.2.2.3.14), so
 * serverKeepAlive and maxKeepAlive apply; 3.x has no way to tell a client, so its own value
 * stands (or it is refused): closing a client that pings as it said it would looks to it
 * like a broken network.
 */
function keepAliveFor(c: Connection, asked: number): number {
  const l = c.broker.limits;
  const v5 = (__MQTT5__ && c.version === MQTT_5);
  const k = v5 && l.serverKeepAlive > 0 ? l.serverKeepAlive : asked;
  if (l.maxKeepAlive === 0 || (k !== 0 && k <= l.maxKeepAlive)) return k;   // Keep Alive 0 is more than any maximum
  if (v5) return l.maxKeepAlive;
  return l.maxKeepAlivePolicy3x === 'refuse' ? -1 : asked;
}
