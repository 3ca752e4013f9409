// Enhanced authentication (5.0 §4.12): a challenge/response exchange of AUTH packets run
// by the application's authenticateEnhanced hook, at CONNECT and again whenever the client
// asks to re-authenticate (AUTH 0x19).

import type { AuthPacket, CodecError, ConnectPacket } from '../../codec/index.js';
import { AUTH, RC_CONTINUE_AUTHENTICATION, RC_REAUTHENTICATE, RC_SUCCESS } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { ACTIVE, CONNECTING } from '../connection.js';
import type { AuthAnswer } from '../hooks.js';
import { RC_IMPLEMENTATION_SPECIFIC_ERROR, RC_PROTOCOL_ERROR, codecError, isThenable } from './common.js';
import { finish, refuse } from './connack.js';
import { hookFailed } from '../fault.js';

/** The first step, from the CONNECT's Authentication Method and Data. */
export function startEnhancedAuth(c: Connection, p: ConnectPacket, clientId: string, data: Uint8Array | undefined): void {
  c.pendingConnect = p;
  c.clientId = clientId;
  step(c, data === undefined ? null : data, false);
}

export function onAuth(c: Connection, p: AuthPacket): CodecError | null {
  const method = p.properties !== null ? p.properties.authenticationMethod : undefined;
  // 5.0 §4.12: AUTH only within an exchange the CONNECT started, and with the same method.
  if (c.authenticationMethod === '' || method !== c.authenticationMethod) {
    return codecError(RC_PROTOCOL_ERROR, '5:§4.12', 'AUTH without the Authentication Method of the CONNECT');
  }
  const data = p.properties !== null && p.properties.authenticationData !== undefined ? p.properties.authenticationData : null;
  if (c.state === CONNECTING && c.pendingConnect !== null && p.reasonCode === RC_CONTINUE_AUTHENTICATION) {
    step(c, data, false);
    return null;
  }
  if (c.state === ACTIVE && (p.reasonCode === RC_REAUTHENTICATE || p.reasonCode === RC_CONTINUE_AUTHENTICATION)) {
    step(c, data, true);
    return null;
  }
  return codecError(RC_PROTOCOL_ERROR, '5:§4.12', 'AUTH with reason 0x' + p.reasonCode.toString(16) + ' out of place');
}

function step(c: Connection, data: Uint8Array | null, reauthenticating: boolean): void {
  const hook = c.broker.hooks.authenticateEnhanced;
  if (hook === undefined) return;
  const answer = hook(c, c.authenticationMethod, data, reauthenticating);
  if (!isThenable(answer)) {
    apply(c, answer, reauthenticating);
    return;
  }
  c.waiting++;
  const b = c.broker;
  b.whenAnswered(c, answer, function (a: AuthAnswer) {
    c.waiting--;
    apply(c, a, reauthenticating);
    c.process();
  }, function (reason: unknown) {
    c.waiting--;
    hookFailed(b, c, 'authenticateEnhanced', reason, false);
    apply(c, { reasonCode: RC_IMPLEMENTATION_SPECIFIC_ERROR }, reauthenticating);
  });
}

function apply(c: Connection, a: AuthAnswer, reauthenticating: boolean): void {
  if (c.state !== CONNECTING && c.state !== ACTIVE) return;
  if (a.reasonCode === RC_CONTINUE_AUTHENTICATION) {
    sendAuth(c, RC_CONTINUE_AUTHENTICATION, a.data);
  } else if (a.reasonCode === RC_SUCCESS) {
    if (!reauthenticating && c.pendingConnect !== null) {
      const p = c.pendingConnect;
      c.pendingConnect = null;
      finish(c, p, c.clientId, true, a.data);
    } else {
      sendAuth(c, RC_SUCCESS, a.data);
    }
  } else if (!reauthenticating) {
    c.broker.stats.authFailures++;
    c.pendingConnect = null;
    refuse(c, a.reasonCode, 0x05);
  } else {
    // 5.0 §4.12.1: a failed re-authentication ends the connection.
    c.broker.stats.authFailures++;
    c.fail(codecError(a.reasonCode, '5:§4.12.1', 're-authentication failed'));
  }
}

function sendAuth(c: Connection, reasonCode: number, data: Uint8Array | undefined): void {
  const props = data === undefined
    ? { authenticationMethod: c.authenticationMethod }
    : { authenticationMethod: c.authenticationMethod, authenticationData: data };
  c.sendPacket({ type: AUTH, reasonCode: reasonCode, properties: props });
}
