// A peer's mistake found while decoding, as a value: the MQTT 5 reason code the broker
// answers with (DISCONNECT or CONNACK in 5.0; a plain close in 3.x) and the conformance
// statement that was broken. A plain object, not an Error subclass: `extends Error` is
// broken on Espruino (shared/espruino.md).
export interface CodecError {
  rc: number;        // 0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet too large, ...
  rule: string;      // '4:MQTT-2.2.2-2', '5:§2.2.2.2', ...
  message: string;   // for logs
}

export function codecError(rc: number, rule: string, message: string): CodecError {
  return { rc: rc, rule: rule, message: message };
}

export function isCodecError(x: unknown): x is CodecError {
  return typeof x === 'object' && x !== null && typeof (x as CodecError).rc === 'number' &&
    typeof (x as CodecError).rule === 'string';
}
