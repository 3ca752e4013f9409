// Every encoder first adds up its body, then calls frame() once: one allocation of exactly
// the packet's size, fixed header already written.

import { Writer, varintLength } from '../writer.js';
import type { FrameAllocator } from '../slab-allocator.js';

/** 5.0 §1.5.5: the largest Remaining Length four bytes can carry. */
export const MAX_REMAINING_LENGTH = 268435455;

/** `reuse`: a Writer to point at the new frame instead of making one (the caller's own). */
export function frame(first: number, remainingLength: number, alloc: FrameAllocator | null, reuse?: Writer | null): Writer {
  if (remainingLength > MAX_REMAINING_LENGTH) {
    throw new Error('ganglion: a packet body of ' + remainingLength + ' bytes is larger than MQTT can frame');
  }
  const size = 1 + varintLength(remainingLength) + remainingLength;
  const buf = alloc === null ? new Uint8Array(size) : alloc.alloc(size);
  let w: Writer;
  if (reuse) {
    w = reuse;
    w.buf = buf;
    w.pos = 0;
  } else {
    w = new Writer(buf, 0);
  }
  w.u8(first);
  w.varint(remainingLength);
  return w;
}
