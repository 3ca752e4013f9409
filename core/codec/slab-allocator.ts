// Frames carved out of large shared buffers. On V8 a `new Uint8Array(n)` over 64 bytes gets
// its own backing store and costs about a microsecond, most of a PUBLISH encode; a view into
// a slab costs a few nanoseconds. Safe because an encoded frame is never written again
// (design.md §1). The broker owns one (module scope holds no state); on a small device
// plain allocation is right, and that is what happens without one.

export interface FrameAllocator {
  alloc(size: number): Uint8Array;
}

export class SlabAllocator implements FrameAllocator {
  private slab: ArrayBuffer;
  private offset: number;
  private slabSize: number;

  constructor(slabSize: number) {
    this.slabSize = slabSize;
    this.slab = new ArrayBuffer(slabSize);
    this.offset = 0;
  }

  alloc(size: number): Uint8Array {
    // Large frames get their own buffer, so a slab is not kept alive by one big message.
    if (size > this.slabSize >> 3) return new Uint8Array(size);
    if (this.offset + size > this.slabSize) {
      this.slab = new ArrayBuffer(this.slabSize);
      this.offset = 0;
    }
    const view = new Uint8Array(this.slab, this.offset, size);
    this.offset += (size + 7) & ~7;   // keep views 8-byte aligned
    return view;
  }
}
