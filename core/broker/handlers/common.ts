// Names the handlers share, re-exported from the codec so each handler imports one place.
export { CONNECT, MQTT_3_1, MQTT_3_1_1, MQTT_5 } from '../../codec/index.js';
export {
  RC_PROTOCOL_ERROR, RC_MALFORMED_PACKET, RC_NOT_AUTHORIZED, RC_TOPIC_ALIAS_INVALID, RC_QUOTA_EXCEEDED,
  RC_RECEIVE_MAXIMUM_EXCEEDED, RC_PACKET_IDENTIFIER_NOT_FOUND, RC_TOPIC_FILTER_INVALID,
  RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, RC_NO_MATCHING_SUBSCRIBERS,
  RC_UNSPECIFIED_ERROR, RC_IMPLEMENTATION_SPECIFIC_ERROR, SUBACK_FAILURE,
} from '../../codec/index.js';
export { codecError } from '../../codec/index.js';

/** A hook's answer, synchronous or a Promise (the core has no async/await: Espruino lacks it). */
export type Answer<T> = T | PromiseLike<T>;

export function isThenable<T>(x: Answer<T>): x is PromiseLike<T> {
  return x !== null && typeof x === 'object' && typeof (x as PromiseLike<T>).then === 'function';
}
