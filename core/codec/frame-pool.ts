// Frame buffers the core may write again. A frame handed to a transport that copies
// (Transport.writeCopies: Espruino's and Moddable's sockets copy what they are given) is the
// core's again once write() returns; if nothing else holds it either (a subscriber's queue of
// frames held unsent, a message kept for later), the broker gives it back here, and the next
// frame of the same size is written into it instead of a new buffer. A frame is exactly its
// packet's size, so only a frame of the same size can reuse one: a device publishing the same
// kind of reading to the same topic again. On Node (a transport that keeps frames) nothing
// comes back, and every frame comes from `fallback` as before.

import type { FrameAllocator } from './slab-allocator.js';

/** How many free frames are kept: a few sizes in turn (a PUBLISH, its PUBACK, ...). */
const POOL_FRAMES = 4;

export class FramePool implements FrameAllocator {
  private free: Array<Uint8Array | null>;
  private count: number;          // non-null entries of `free`
  private next: number;           // the entry a release replaces when all are taken
  private maxBytes: number;
  private fallback: FrameAllocator | null;

  /** `maxBytes`: larger frames are not kept (a pool holds at most POOL_FRAMES of them). */
  constructor(fallback: FrameAllocator | null, maxBytes: number) {
    this.free = [null, null, null, null];
    this.count = 0;
    this.next = 0;
    this.maxBytes = maxBytes;
    this.fallback = fallback;
  }

  alloc(size: number): Uint8Array {
    if (this.count > 0) {
      const free = this.free;
      for (let i = 0; i < POOL_FRAMES; i++) {
        const f = free[i];
        if (f !== null && f.length === size) {
          free[i] = null;
          this.count--;
          return f;
        }
      }
    }
    return this.fallback === null ? new Uint8Array(size) : this.fallback.alloc(size);
  }

  /**
   * `frame` is free: no transport, queue or message holds it. Its old bytes stay until a new
   * frame overwrites them. Never release a frame twice, nor one still held.
   */
  release(frame: Uint8Array): void {
    if (frame.length > this.maxBytes || frame.length === 0) return;
    const free = this.free;
    for (let i = 0; i < POOL_FRAMES; i++) if (free[i] === frame) return;   // twice would hand it out twice
    for (let i = 0; i < POOL_FRAMES; i++) {
      if (free[i] === null) {
        free[i] = frame;
        this.count++;
        return;
      }
    }
    free[this.next] = frame;   // all taken: the oldest slot in turn
    this.next = (this.next + 1) % POOL_FRAMES;
  }
}
