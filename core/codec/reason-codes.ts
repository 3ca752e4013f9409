// MQTT 5.0 reason codes (5.0 §2.4), one table. Codes below 0x80 report success.
// 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3) and SUBACK codes are listed after them.

export const RC_SUCCESS = 0x00;                       // also Normal disconnection, Granted QoS 0
export const RC_GRANTED_QOS_1 = 0x01;
export const RC_GRANTED_QOS_2 = 0x02;
export const RC_DISCONNECT_WITH_WILL = 0x04;
export const RC_NO_MATCHING_SUBSCRIBERS = 0x10;
export const RC_NO_SUBSCRIPTION_EXISTED = 0x11;
export const RC_CONTINUE_AUTHENTICATION = 0x18;
export const RC_REAUTHENTICATE = 0x19;
export const RC_UNSPECIFIED_ERROR = 0x80;
export const RC_MALFORMED_PACKET = 0x81;
export const RC_PROTOCOL_ERROR = 0x82;
export const RC_IMPLEMENTATION_SPECIFIC_ERROR = 0x83;
export const RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84;
export const RC_CLIENT_IDENTIFIER_NOT_VALID = 0x85;
export const RC_BAD_USER_NAME_OR_PASSWORD = 0x86;
export const RC_NOT_AUTHORIZED = 0x87;
export const RC_SERVER_UNAVAILABLE = 0x88;
export const RC_SERVER_BUSY = 0x89;
export const RC_BANNED = 0x8a;
export const RC_SERVER_SHUTTING_DOWN = 0x8b;
export const RC_BAD_AUTHENTICATION_METHOD = 0x8c;
export const RC_KEEP_ALIVE_TIMEOUT = 0x8d;
export const RC_SESSION_TAKEN_OVER = 0x8e;
export const RC_TOPIC_FILTER_INVALID = 0x8f;
export const RC_TOPIC_NAME_INVALID = 0x90;
export const RC_PACKET_IDENTIFIER_IN_USE = 0x91;
export const RC_PACKET_IDENTIFIER_NOT_FOUND = 0x92;
export const RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93;
export const RC_TOPIC_ALIAS_INVALID = 0x94;
export const RC_PACKET_TOO_LARGE = 0x95;
export const RC_MESSAGE_RATE_TOO_HIGH = 0x96;
export const RC_QUOTA_EXCEEDED = 0x97;
export const RC_ADMINISTRATIVE_ACTION = 0x98;
export const RC_PAYLOAD_FORMAT_INVALID = 0x99;
export const RC_RETAIN_NOT_SUPPORTED = 0x9a;
export const RC_QOS_NOT_SUPPORTED = 0x9b;
export const RC_USE_ANOTHER_SERVER = 0x9c;
export const RC_SERVER_MOVED = 0x9d;
export const RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9e;
export const RC_CONNECTION_RATE_EXCEEDED = 0x9f;
export const RC_MAXIMUM_CONNECT_TIME = 0xa0;
export const RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xa1;
export const RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xa2;

// 3.1.1 CONNACK return codes (3.1 uses the same values).
export const CONNACK_ACCEPTED = 0x00;
export const CONNACK_UNACCEPTABLE_PROTOCOL_VERSION = 0x01;
export const CONNACK_IDENTIFIER_REJECTED = 0x02;
export const CONNACK_SERVER_UNAVAILABLE = 0x03;
export const CONNACK_BAD_USER_NAME_OR_PASSWORD = 0x04;
export const CONNACK_NOT_AUTHORIZED = 0x05;

// 3.1.1 SUBACK failure return code (absent from 3.1).
export const SUBACK_FAILURE = 0x80;

const NAMES: ReadonlyArray<string> = Object.freeze([
  '00 Success', '01 Granted QoS 1', '02 Granted QoS 2', '04 Disconnect with Will Message',
  '10 No matching subscribers', '11 No subscription existed', '18 Continue authentication',
  '19 Re-authenticate', '80 Unspecified error', '81 Malformed Packet', '82 Protocol Error',
  '83 Implementation specific error', '84 Unsupported Protocol Version', '85 Client Identifier not valid',
  '86 Bad User Name or Password', '87 Not authorized', '88 Server unavailable', '89 Server busy',
  '8a Banned', '8b Server shutting down', '8c Bad authentication method', '8d Keep Alive timeout',
  '8e Session taken over', '8f Topic Filter invalid', '90 Topic Name invalid',
  '91 Packet Identifier in use', '92 Packet Identifier not found', '93 Receive Maximum exceeded',
  '94 Topic Alias invalid', '95 Packet too large', '96 Message rate too high', '97 Quota exceeded',
  '98 Administrative action', '99 Payload format invalid', '9a Retain not supported',
  '9b QoS not supported', '9c Use another server', '9d Server moved',
  '9e Shared Subscriptions not supported', '9f Connection rate exceeded', 'a0 Maximum connect time',
  'a1 Subscription Identifiers not supported', 'a2 Wildcard Subscriptions not supported',
]);

/** The 5.0 name of a reason code, for logs: reasonName(0x87) === 'Not authorized'. */
export function reasonName(code: number): string {
  const hex = (code < 16 ? '0' : '') + code.toString(16);
  for (let i = 0; i < NAMES.length; i++) {
    if (NAMES[i].slice(0, 2) === hex) return NAMES[i].slice(3);
  }
  return 'Unknown reason code 0x' + hex;
}

// 5.0 §3.14.2.1: the only codes a DISCONNECT may carry (a bit per code from 0x80).
const DISCONNECT_CODES = Object.freeze([0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94,
  0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2]);

/**
 * `rc` as a DISCONNECT may carry it. A failure named by a code that exists only in CONNACK
 * goes out as the nearest DISCONNECT code: a second CONNECT with an unsupported protocol
 * (0x84) or client id (0x85) is a Protocol Error [MQTT-3.1.0-2]; a failed re-authentication
 * (0x86, 0x8A, 0x8C) is Not authorized; Server unavailable (0x88) is Server busy.
 */
export function disconnectReasonCode(rc: number): number {
  if (rc < 0x80 ? rc === 0x00 || rc === 0x04 : DISCONNECT_CODES.indexOf(rc) >= 0) return rc;
  if (rc === 0x84 || rc === 0x85) return 0x82;
  if (rc === 0x86 || rc === 0x8a || rc === 0x8c) return 0x87;
  if (rc === 0x88) return 0x89;
  return 0x80;
}
