// PINGREQ -> PINGRESP (5.0 §3.12.4, 3.1.1 [MQTT-3.12.4-1]). The response is one shared,
// never modified frame.
import type { CodecError } from '../../codec/index.js';
import type { Connection } from '../connection.js';

const PINGRESP = new Uint8Array([0xd0, 0x00]);

export function onPingreq(c: Connection): CodecError | null {
  c.sendFrame(PINGRESP, false);
  return null;
}
