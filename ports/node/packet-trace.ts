// At debug level (-v -v): one log line per MQTT packet in and out of a connection, read off
// the byte stream beside the core: its type, the client id, packet id, topic or filters and
// sizes. Never a payload, a password or authentication data. Bounded: of each packet only its
// first HEAD_MAX bytes are kept, the rest is counted and skipped, so a 1 MB PUBLISH costs
// the same as a small one; nothing is made when debug is off (the transport has no trace).
import type { Connection } from '../../core/index.js';
import { decodeUtf8, quote } from '../../core/index.js';

const HEAD_MAX = 512;
const TYPES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];
const FILTERS_SHOWN = 8;

/** A Variable Byte Integer at `at`: [value, bytes], or null when it is cut off or too long. */
function varint(b: Uint8Array, at: number, end: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= end) return null;
    const x = b[at + i];
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [v, i + 1];
    mul *= 128;
  }
  return null;
}

/** A length-prefixed UTF-8 string at `at`, quoted for the log: [text, bytes], or null when cut off. */
function text(b: Uint8Array, at: number, end: number): [string, number] | null {
  if (at + 2 > end) return null;
  const n = (b[at] << 8) | b[at + 1];
  if (at + 2 + n > end) return null;
  const s = decodeUtf8(b, at + 2, at + 2 + n);
  return [s === null ? '(not UTF-8)' : quote(s), 2 + n];
}

function id(b: Uint8Array, at: number, end: number): string {
  return at + 2 <= end ? ' id ' + ((b[at] << 8) | b[at + 1]) : '';
}

/**
 * What one packet says, from its first `have` bytes (its whole length is `total`, its
 * variable header starts at `h`). `version`: the connection's protocol level (5: properties).
 */
export function describe(b: Uint8Array, have: number, h: number, total: number, version: number): string {
  const type = b[0] >> 4;
  const name = TYPES[type];
  const v5 = version === 5;
  let s = name;
  switch (type) {
    case 1: {   // CONNECT: protocol name, level, flags, keep alive, (properties), client id
      const proto = text(b, h, have);
      if (proto === null) break;
      let at = h + proto[1];
      if (at + 4 > have) break;
      const level = b[at];
      const flags = b[at + 1];
      s += ` level ${level} keep-alive ${(b[at + 2] << 8) | b[at + 3]}${flags & 2 ? ' clean' : ''}`;
      at += 4;
      if (level === 5) {
        const p = varint(b, at, have);
        if (p === null) break;
        at += p[1] + p[0];
      }
      const client = text(b, at, have);
      if (client !== null) s += ` client id ${client[0]}`;
      s += `${flags & 4 ? ' will' : ''}${flags & 0x80 ? ' user name' : ''}${flags & 0x40 ? ' password' : ''}`;
      break;
    }
    case 2:     // CONNACK: session present, return / reason code
      if (have >= h + 2) s += ` code 0x${b[h + 1].toString(16)}${b[h] & 1 ? ' session present' : ''}`;
      break;
    case 3: {   // PUBLISH: topic, packet id (QoS > 0), (properties), payload
      const qos = (b[0] >> 1) & 3;
      s += ` qos ${qos}${b[0] & 1 ? ' retain' : ''}${b[0] & 8 ? ' dup' : ''}`;
      const topic = text(b, h, have);
      if (topic === null) {
        s += ' topic (longer than the trace keeps)';
        break;
      }
      let at = h + topic[1];
      if (qos > 0) {
        s += id(b, at, have);
        at += 2;
      }
      s += ` topic ${topic[0]}`;
      if (v5) {
        const p = varint(b, at, have);
        if (p === null) break;
        at += p[1] + p[0];
      }
      if (at <= total) s += ` payload ${total - at} bytes`;
      break;
    }
    case 4: case 5: case 6: case 7: case 11:   // acknowledgements with a packet id (and 5.0 reason code)
      s += id(b, h, have);
      if (total > h + 2 && have > h + 2) s += ` code 0x${b[h + 2].toString(16)}`;
      break;
    case 8: case 10: {   // SUBSCRIBE / UNSUBSCRIBE: packet id, (properties), filters
      s += id(b, h, have);
      let at = h + 2;
      if (v5) {
        const p = varint(b, at, have);
        if (p === null) break;
        at += p[1] + p[0];
      }
      const filters: string[] = [];
      let more = 0;
      while (at < total) {
        const f = text(b, at, have);
        if (f === null) {
          more++;
          break;
        }
        at += f[1];
        let options = '';
        if (type === 8 && at < have) options = ` qos ${b[at] & 3}`;
        if (type === 8) at++;
        if (filters.length < FILTERS_SHOWN) filters.push(f[0] + options);
        else more++;
      }
      s += ' ' + filters.join(', ') + (more > 0 ? ', ...' : '');
      break;
    }
    case 9:     // SUBACK: packet id, (properties), codes
      s += id(b, h, have);
      break;
    case 14:    // DISCONNECT (5.0: reason code)
      if (total > h && have > h) s += ` code 0x${b[h].toString(16)}`;
      break;
    default:
      break;
  }
  return s;
}

/** One direction of one connection's stream. */
export class PacketTrace {
  private head = new Uint8Array(HEAD_MAX);
  private have = 0;
  private skip = 0;

  constructor(private readonly dir: 'in' | 'out', private readonly connection: () => Connection | null, private readonly log: (line: string) => void) {}

  /** Bytes of the stream, split anywhere. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(HEAD_MAX - this.have, bytes.length - i);
      this.head.set(bytes.subarray(i, i + n), this.have);
      this.have += n;
      i += n;
      const rl = varint(this.head, 1, this.have);
      if (rl === null) {
        if (this.have >= 5) {   // not MQTT any more: the core closes it; stop tracing it
          this.skip = Infinity;
          this.have = 0;
        }
        continue;
      }
      const h = 1 + rl[1];
      const total = h + rl[0];
      if (this.have >= total) {
        this.emit(h, total, total);
        i -= this.have - total;   // those bytes belong to the next packet
        this.have = 0;
      } else if (this.have === HEAD_MAX) {
        this.emit(h, this.have, total);
        this.skip = total - this.have;
        this.have = 0;
      }
    }
  }

  private emit(h: number, have: number, total: number): void {
    const c = this.connection();
    const version = c === null ? 0 : c.version;
    const who = c === null || c.clientId === '' ? '' : ` ${quote(c.clientId)}`;
    this.log(`${this.dir === 'in' ? 'in ' : 'out'}${who} ${describe(this.head, have, h, total, version)} (${total} bytes)`);
  }
}

/** Both directions of a connection. */
export interface Trace {
  in: PacketTrace;
  out: PacketTrace;
}

export function traceOf(connection: () => Connection | null, log: (line: string) => void): Trace {
  return { in: new PacketTrace('in', connection, log), out: new PacketTrace('out', connection, log) };
}
