// Payload Format Indicator (5.0 §3.3.2.3.2): a payload marked 1 is UTF-8 character data.
// When validatePayloadFormat is on, one that is not is refused with 0x99 [5:MQTT-3.3.2-4
// allows the check; the reason code is Payload format invalid].
import type { Properties } from '../../codec/index.js';
import { isWellFormedUtf8 } from '../../codec/index.js';
import type { Limits } from '../options.js';

export interface PayloadHost {
  limits: Limits;
}

export function payloadFormatValid(b: PayloadHost, payload: Uint8Array, props: Properties | null): boolean {
  if (!b.limits.validatePayloadFormat || props === null || props.payloadFormatIndicator !== 1) return true;
  return isWellFormedUtf8(payload, 0, payload.length);
}
