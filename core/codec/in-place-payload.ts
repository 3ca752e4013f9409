// A payload kept as a range of the bytes it arrived in, made into a Uint8Array view only when
// something reads `payload`. A broker encodes a routed message's frames from the range (copied
// into each frame, codec/writer.ts copyRange), so routing it makes no view of the received
// bytes (a view is an object: 4 XS slots). Shared by the decoder's reused QoS 0 PUBLISH
// (in-place-publish.ts) and the broker's messages (broker/message.ts).

import { copyRange } from './writer.js';

const EMPTY = new Uint8Array(0);

export class InPlacePayload {
  // The payload: bytes payloadStart .. payloadEnd of payloadSource.
  payloadSource: Uint8Array;
  payloadStart: number;
  payloadEnd: number;
  private view: Uint8Array | null;

  constructor() {
    this.payloadSource = EMPTY;
    this.payloadStart = 0;
    this.payloadEnd = 0;
    this.view = EMPTY;
  }

  /** The payload as a view of the bytes it arrived in (made on first use). */
  get payload(): Uint8Array {
    if (this.view === null) this.view = this.payloadSource.subarray(this.payloadStart, this.payloadEnd);
    return this.view;
  }

  set payload(bytes: Uint8Array) {
    this.payloadSource = bytes;
    this.payloadStart = 0;
    this.payloadEnd = bytes.length;
    this.view = bytes;
  }

  /** The payload is bytes `start` .. `end` of `source` (not copied; no view made). */
  setPayload(source: Uint8Array, start: number, end: number): void {
    this.payloadSource = source;
    this.payloadStart = start;
    this.payloadEnd = end;
    this.view = null;
  }

  /** The same payload as `other`'s, and its view if it has one (not copied). */
  samePayloadAs(other: InPlacePayload): void {
    this.payloadSource = other.payloadSource;
    this.payloadStart = other.payloadStart;
    this.payloadEnd = other.payloadEnd;
    this.view = other.view;
  }

  /**
   * Writes the payload into `dst` at `at`: from its view when it has one (set() needs no new
   * object then), else from the range (copyRange).
   */
  copyPayload(dst: Uint8Array, at: number): void {
    if (this.view !== null) dst.set(this.view, at);
    else copyRange(this.payloadSource, this.payloadStart, this.payloadEnd, dst, at);
  }
}
