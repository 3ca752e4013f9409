// The bridge's upstream transport, with a gate in front of it: while a record that a frame
// depends on is not yet durable (a QoS 2 message's packet id before its PUBLISH, its PUBREC
// before the PUBREL: queue-records.ts), frames wait here, in order, and write() answers
// false, so the client holds what follows itself (bounded) until the gate opens and the
// bridge tells it writable(). Without persistence nothing ever waits here.
import type { Transport } from '../index.js';

export class Gate implements Transport {
  inner: Transport;
  holds: number;               // records not yet stored that frames wait for
  frames: Uint8Array[];        // written while held, in order
  full: boolean;               // the inner transport said full and has not drained yet
  closed: boolean;

  constructor(inner: Transport) {
    this.inner = inner;
    this.holds = 0;
    this.frames = [];
    this.full = false;
    this.closed = false;
  }

  write(frame: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.holds > 0 || this.frames.length > 0) {
      this.frames.push(frame);
      return false;
    }
    if (!this.inner.write(frame)) this.full = true;
    return !this.full;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames = [];
    this.inner.close();
  }

  hold(): void {
    this.holds++;
  }

  /** A record is stored; true when the gate is open again and the inner transport has room (the client may write). */
  release(): boolean {
    if (this.holds > 0) this.holds--;
    if (this.closed || this.holds > 0) return false;
    const frames = this.frames;
    this.frames = [];
    for (let i = 0; i < frames.length; i++) {
      if (!this.inner.write(frames[i])) this.full = true;
    }
    return !this.full;
  }

  /** The inner transport drained; true when the client may write. */
  drained(): boolean {
    this.full = false;
    return !this.closed && this.holds === 0 && this.frames.length === 0;
  }
}
