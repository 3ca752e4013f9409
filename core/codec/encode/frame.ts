// Every encoder first adds up its body, then calls frame() once: one allocation of exactly
// the packet's size, fixed header already written.

import { Writer, varintLength } from '../writer.js';

/** 5.0 §1.5.5: the largest Remaining Length four bytes can carry. */
export const MAX_REMAINING_LENGTH = 268435455;

export function frame(first: number, remainingLength: number): Writer {
  if (remainingLength > MAX_REMAINING_LENGTH) {
    throw new Error('ganglion: a packet body of ' + remainingLength + ' bytes is larger than MQTT can frame');
  }
  const w = new Writer(new Uint8Array(1 + varintLength(remainingLength) + remainingLength), 0);
  w.u8(first);
  w.varint(remainingLength);
  return w;
}
