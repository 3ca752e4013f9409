// The 5.0 properties of an application message that cross a bridge, either way, where both
// sides speak 5.0 (issue 16 §2): Payload Format Indicator, Message Expiry Interval (what is
// left of it), Content Type, Response Topic, Correlation Data and User Properties, as a broker
// forwards them [5:MQTT-3.3.2-4] [5:MQTT-3.3.2-15] [5:MQTT-3.3.2-16] [5:MQTT-3.3.2-17]
// [5:MQTT-3.3.2-18]. Never a Topic Alias or a Subscription Identifier: those belong to one
// connection or one subscription. A copy: what it carries outlives the packet it came in.
import type { Properties } from '../index.js';

/** The properties that cross, with `expirySeconds` (-1: none) as their Message Expiry Interval; null when none. */
export function crossingProperties(p: Properties | null, expirySeconds: number): Properties | null {
  const out: Properties = {};
  let any = false;
  if (expirySeconds >= 0) {
    out.messageExpiryInterval = expirySeconds;
    any = true;
  }
  if (p === null) return any ? out : null;
  if (p.payloadFormatIndicator !== undefined) {
    out.payloadFormatIndicator = p.payloadFormatIndicator;
    any = true;
  }
  if (p.contentType !== undefined) {
    out.contentType = p.contentType;
    any = true;
  }
  if (p.responseTopic !== undefined) {
    out.responseTopic = p.responseTopic;
    any = true;
  }
  if (p.correlationData !== undefined) {
    const c = new Uint8Array(p.correlationData.length);
    c.set(p.correlationData, 0);
    out.correlationData = c;
    any = true;
  }
  if (p.userProperties !== undefined) {
    out.userProperties = p.userProperties.slice();   // [5:MQTT-3.3.2-18] in their order
    any = true;
  }
  return any ? out : null;
}

/** What is left of a deadline as a Message Expiry Interval: -1 none, 0 expired, else whole seconds (rounded up). */
export function secondsLeft(expiresAtMs: number, nowMs: number): number {
  if (expiresAtMs < 0) return -1;
  if (expiresAtMs <= nowMs) return 0;
  return Math.ceil((expiresAtMs - nowMs) / 1000);
}
