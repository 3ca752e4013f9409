// The first byte of every packet: type and flags (5.0 §2.1.2-2.1.3, 3.1.1 §2.2).
// Checked before anything else of the packet is read or buffered.

import type { CodecError } from './codec-error.js';
import { codecError } from './codec-error.js';
import { AUTH, MQTT_3_1, MQTT_5, PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE } from './packets.js';
import { RC_MALFORMED_PACKET } from './reason-codes.js';


// The rule each type breaks with wrong flags; the default is 4:MQTT-2.2.2-2.
const FLAG_RULES: ReadonlyArray<string> = Object.freeze([
  '4:MQTT-2.2.2-2', '4:MQTT-2.2.2-2', '4:MQTT-2.2.2-2', '4:MQTT-3.3.1-4', '4:MQTT-2.2.2-2', '4:MQTT-2.2.2-2',
  '4:MQTT-3.6.1-1', '4:MQTT-2.2.2-2', '4:MQTT-3.8.1-1', '4:MQTT-2.2.2-2', '4:MQTT-3.10.1-1', '4:MQTT-2.2.2-2',
  '4:MQTT-2.2.2-2', '4:MQTT-2.2.2-2', '5:MQTT-3.14.1-1', '5:MQTT-3.15.1-1',
]);

/** Null when `first` is a valid first byte for this protocol version (0: not known yet). */
export function checkFirstByte(first: number, version: number): CodecError | null {
  const type = first >> 4;
  const flags = first & 0x0f;
  // Type 0 is reserved in every version, 15 (AUTH) in all but 5.0 [4:MQTT-2.2.2-2].
  if (type === 0 || (type === AUTH && (!__MQTT5__ || version !== MQTT_5))) {
    return codecError(RC_MALFORMED_PACKET, '4:MQTT-2.2.2-2', 'reserved packet type ' + type);
  }
  if (type === PUBLISH) {
    // [MQTT-3.3.1-4] both QoS bits set.
    return (flags & 0x06) === 0x06 ? codecError(RC_MALFORMED_PACKET, FLAG_RULES[type], 'PUBLISH with QoS 3') : null;
  }
  let expected = 0;
  if (type === PUBREL || type === SUBSCRIBE || type === UNSUBSCRIBE) {
    expected = 0x02;
    // An MQTT 3.1 client may set DUP on a re-sent PUBREL/SUBSCRIBE/UNSUBSCRIBE (spec-checklist Part 4).
    if (version === MQTT_3_1 && flags === 0x0a) return null;
  }
  if (flags === expected) return null;
  return codecError(RC_MALFORMED_PACKET, FLAG_RULES[type], 'packet type ' + type + ' with flags ' + flags);
}
