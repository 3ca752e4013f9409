// RFC 6455 for MQTT over WebSocket (MQTT 5.0 §6, 3.1.1 §6): the opening handshake's
// accept key and checks, an incremental frame parser for what clients send, and frame
// headers for what the server sends. MQTT is a byte stream, so the payload of binary and
// continuation frames goes straight to the broker piece by piece, unmasked in place:
// fragmented messages are never reassembled and frames may be split anywhere.
import { createHash } from 'node:crypto';

export const OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xa;

// Close codes (RFC 6455 §7.4.1).
export const CLOSE_NORMAL = 1000, CLOSE_GOING_AWAY = 1001, CLOSE_PROTOCOL_ERROR = 1002, CLOSE_UNSUPPORTED_DATA = 1003,
  CLOSE_NO_STATUS = 1005, CLOSE_INVALID_PAYLOAD = 1007, CLOSE_TOO_BIG = 1009;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** A Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 §4.1). */
export function validKey(key: string | undefined): boolean {
  return typeof key === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/** The subprotocol to answer with, from the client's list: `mqtt` (or 3.1's `mqttv3.1`). */
export function chooseProtocol(header: string | undefined): string | null {
  if (!header) return null;
  const offered = header.split(',').map((s) => s.trim().toLowerCase());
  if (offered.includes('mqtt')) return 'mqtt';
  if (offered.includes('mqttv3.1')) return 'mqttv3.1';
  return null;
}

export interface FrameHandler {
  /** A piece of a binary message (already unmasked); `chunk` may be reused after the call. */
  data(piece: Uint8Array): void;
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /** The peer's close frame (code 1005 when it had none). */
  close(code: number, reason: string): void;
  /** The peer broke the protocol: the connection should be closed with `code`. */
  error(code: number, message: string): void;
}

const HEAD = 0, PAYLOAD = 1, DONE = 2;

/** Parses client-to-server frames (masked, RFC 6455 §5.1), incrementally. */
export class FrameParser {
  private state = HEAD;
  private head = new Uint8Array(14);
  private headLength = 0;
  private opcode = 0;
  private fin = false;
  private mask = new Uint8Array(4);
  private remaining = 0;
  private maskIndex = 0;
  private inMessage = false;          // a binary message is open: continuations may follow
  private control: Uint8Array | null = null;
  private controlLength = 0;

  constructor(private handler: FrameHandler, private maxFrameSize: number) {}

  /** Bytes from the socket; unmasks them in place. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.state !== DONE) {
      if (this.state === HEAD) {
        this.head[this.headLength++] = chunk[i++];
        const need = this.headerSize();
        if (need < 0 || this.headLength < need) continue;
        if (!this.startFrame()) return;
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - i);
      const piece = chunk.subarray(i, i + n);
      const m = this.mask;
      let k = this.maskIndex;
      for (let j = 0; j < n; j++) {
        piece[j] ^= m[k];
        k = (k + 1) & 3;
      }
      this.maskIndex = k;
      this.remaining -= n;
      i += n;
      if (this.control !== null) {
        this.control.set(piece, this.controlLength);
        this.controlLength += n;
      } else if (n > 0) {
        this.handler.data(piece);
      }
      if (this.remaining === 0) this.endFrame();
    }
  }

  /** Header bytes needed once the first two are in; -1 when not known yet. */
  private headerSize(): number {
    if (this.headLength < 2) return -1;
    const len = this.head[1] & 0x7f;
    return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + 4;
  }

  private fail(code: number, message: string): false {
    this.state = DONE;
    this.handler.error(code, message);
    return false;
  }

  private startFrame(): boolean {
    const h = this.head;
    const b0 = h[0], b1 = h[1];
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) return this.fail(CLOSE_PROTOCOL_ERROR, 'RSV bits set without an extension (RFC 6455 §5.2)');
    if ((b1 & 0x80) === 0) return this.fail(CLOSE_PROTOCOL_ERROR, 'an unmasked frame from a client (RFC 6455 §5.1)');
    let len = b1 & 0x7f;
    let p = 2;
    if (len === 126) {
      len = (h[2] << 8) | h[3];
      p = 4;
    } else if (len === 127) {
      if (h[2] & 0x80) return this.fail(CLOSE_PROTOCOL_ERROR, 'a 64-bit length with the top bit set (RFC 6455 §5.2)');
      len = (h[2] * 0x1000000 + (h[3] << 16) + (h[4] << 8) + h[5]) * 0x100000000 + ((h[6] * 0x1000000) + (h[7] << 16) + (h[8] << 8) + h[9]);
      p = 10;
    }
    this.mask.set(h.subarray(p, p + 4));
    this.maskIndex = 0;
    this.remaining = len;
    this.headLength = 0;
    this.control = null;
    const op = this.opcode;
    if (op >= 0x8) {
      if (op !== OP_CLOSE && op !== OP_PING && op !== OP_PONG) return this.fail(CLOSE_PROTOCOL_ERROR, `unknown control opcode ${op}`);
      if (!this.fin) return this.fail(CLOSE_PROTOCOL_ERROR, 'a fragmented control frame (RFC 6455 §5.5)');
      if (len > 125) return this.fail(CLOSE_PROTOCOL_ERROR, 'a control frame over 125 bytes (RFC 6455 §5.5)');
      this.control = new Uint8Array(len);
      this.controlLength = 0;
    } else if (op === OP_TEXT) {
      // MQTT over WebSocket is binary only [MQTT-6.0.0-1].
      return this.fail(CLOSE_UNSUPPORTED_DATA, 'a text frame: MQTT needs binary frames [MQTT-6.0.0-1]');
    } else if (op === OP_BINARY) {
      if (this.inMessage) return this.fail(CLOSE_PROTOCOL_ERROR, 'a new message before the last one ended (RFC 6455 §5.4)');
    } else if (op === OP_CONTINUATION) {
      if (!this.inMessage) return this.fail(CLOSE_PROTOCOL_ERROR, 'a continuation frame with no message open (RFC 6455 §5.4)');
    } else {
      return this.fail(CLOSE_PROTOCOL_ERROR, `unknown data opcode ${op}`);
    }
    if (op < 0x8) {
      if (len > this.maxFrameSize) return this.fail(CLOSE_TOO_BIG, `a frame of ${len} bytes, over the maximum ${this.maxFrameSize}`);
      this.inMessage = !this.fin;
    }
    this.state = PAYLOAD;
    if (len === 0) this.endFrame();
    return true;
  }

  private endFrame(): void {
    this.state = HEAD;
    const c = this.control;
    if (c === null) return;
    this.control = null;
    if (this.opcode === OP_PING) this.handler.ping(c);
    else if (this.opcode === OP_PONG) this.handler.pong(c);
    else {
      this.state = DONE;   // nothing after a close frame is read (RFC 6455 §5.5.1)
      if (c.length === 1) {
        this.handler.error(CLOSE_PROTOCOL_ERROR, 'a close frame with a 1-byte body');
        return;
      }
      const code = c.length >= 2 ? (c[0] << 8) | c[1] : CLOSE_NO_STATUS;
      let reason: string;
      try {
        reason = new TextDecoder('utf-8', { fatal: true }).decode(c.subarray(2));
      } catch {
        this.handler.error(CLOSE_INVALID_PAYLOAD, 'a close reason that is not UTF-8');
        return;
      }
      if (c.length >= 2 && !validCloseCode(code)) {
        this.handler.error(CLOSE_PROTOCOL_ERROR, `close code ${code} may not be sent`);
        return;
      }
      this.handler.close(code, reason);
    }
  }
}

/** Codes a peer may put in a close frame (RFC 6455 §7.4). */
export function validCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** The header of an unmasked server frame with FIN set: 2, 4 or 10 bytes. */
export function frameHeader(opcode: number, length: number): Uint8Array {
  if (length < 126) return Uint8Array.of(0x80 | opcode, length);
  if (length < 0x10000) return Uint8Array.of(0x80 | opcode, 126, length >>> 8, length & 0xff);
  const h = new Uint8Array(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  const hi = Math.floor(length / 0x100000000), lo = length >>> 0;
  h[2] = hi >>> 24; h[3] = (hi >>> 16) & 0xff; h[4] = (hi >>> 8) & 0xff; h[5] = hi & 0xff;
  h[6] = lo >>> 24; h[7] = (lo >>> 16) & 0xff; h[8] = (lo >>> 8) & 0xff; h[9] = lo & 0xff;
  return h;
}

/** A whole control frame (close, ping, pong) from the server. */
export function controlFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const h = frameHeader(opcode, payload.length);
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

/** A close frame's body: the code, then the reason in UTF-8 (at most 123 bytes). */
export function closePayload(code: number, reason: string): Uint8Array {
  const r = Buffer.from(reason, 'utf8').subarray(0, 123);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

/** A client's frame, masked: for tests and tools (servers never mask, RFC 6455 §5.1). */
export function maskedFrame(opcode: number, payload: Uint8Array, fin = true, mask = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d)): Uint8Array {
  const h = frameHeader(opcode, payload.length);
  if (!fin) h[0] &= 0x7f;
  h[1] |= 0x80;
  const out = new Uint8Array(h.length + 4 + payload.length);
  out.set(h);
  out.set(mask, h.length);
  for (let i = 0; i < payload.length; i++) out[h.length + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}
