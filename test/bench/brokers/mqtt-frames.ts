// The few MQTT packets the load generator sends, encoded by hand from the specifications
// (MQTT 3.1.1 §3, MQTT 5.0 §3), independent of our own encoder: the brokers under test
// must not be fed by the code under test. Node only.
//
// PUBLISH frames carry a 64-byte (or larger) payload laid out as
//   [0..4)  publisher index, uint32 BE    (which publisher of the scenario sent it)
//   [4..8)  sequence number, uint32 BE    (0, 1, 2 ... per publisher: losses and duplicates)
//   [8..16) send time, float64 BE         (performance.now() of the write: latency)
//   [16..)  filler

export type Version = 4 | 5;

export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBACK = 9;

export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
}

function frame(first: number, body: number[]): Buffer {
  return Buffer.from([first, ...varint(body.length), ...body]);
}

/** MQTT 3.1.1 CONNECT with a user name and password, clean session, keep-alive 60 s. */
export function loginFrame(clientId: string, user: string, password: string): Buffer {
  return frame(0x10, [...str('MQTT'), 4, 0xc2, 0, 60, ...str(clientId), ...str(user), ...str(password)]);
}

/**
 * CONNECT, no will, no user name: clean session / clean start when `sessionExpiryS` is 0,
 * else a persistent session (3.1.1 Clean Session 0; 5.0 Clean Start 0 and a Session Expiry
 * Interval of `sessionExpiryS`).
 */
export function connectFrame(clientId: string, version: Version, keepAliveS: number, sessionExpiryS: number): Buffer {
  const body = [...str('MQTT'), version, sessionExpiryS > 0 ? 0x00 : 0x02, keepAliveS >> 8, keepAliveS & 0xff];
  if (version === 5 && sessionExpiryS > 0) {
    // properties: 5 bytes, Session Expiry Interval (0x11) as a four-byte integer
    body.push(5, 0x11, (sessionExpiryS >>> 24) & 0xff, (sessionExpiryS >>> 16) & 0xff, (sessionExpiryS >>> 8) & 0xff, sessionExpiryS & 0xff);
  } else if (version === 5) body.push(0);   // no properties
  body.push(...str(clientId));
  return frame(0x10, body);
}

export function subscribeFrame(packetId: number, filter: string, qos: number, version: Version): Buffer {
  const body = [packetId >> 8, packetId & 0xff];
  if (version === 5) body.push(0);
  body.push(...str(filter), qos);
  return frame(0x82, body);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** PUBACK / PUBREC / PUBREL / PUBCOMP, the 2-byte form (valid in 5.0: reason code 0 omitted). */
export function writeAck(out: Buffer, at: number, type: number, packetId: number): number {
  out[at] = type === PUBREL ? 0x62 : type << 4;
  out[at + 1] = 2;
  out[at + 2] = packetId >> 8;
  out[at + 3] = packetId & 0xff;
  return at + 4;
}

/**
 * A PUBLISH template: `frame` is one complete frame with sequence 0; `seqAt`, `timeAt` and
 * `idAt` (-1 at QoS 0) are the offsets to patch per message.
 */
export interface PublishTemplate {
  frame: Buffer;
  seqAt: number;
  timeAt: number;
  idAt: number;
}

export function publishTemplate(topic: string, qos: number, retain: boolean, version: Version, publisherIndex: number, payloadSize: number): PublishTemplate {
  const head = [...str(topic)];
  const idAt = qos > 0 ? head.length : -1;
  if (qos > 0) head.push(0, 1);
  if (version === 5) head.push(0);   // no properties
  const payload = Buffer.alloc(Math.max(16, payloadSize));
  for (let i = 16; i < payload.length; i++) payload[i] = 0x61 + (i % 26);
  payload.writeUInt32BE(publisherIndex, 0);
  const body = [...head, ...payload];
  const f = frame(0x30 | (qos << 1) | (retain ? 1 : 0), body);
  const bodyAt = f.length - body.length;
  return {
    frame: f,
    seqAt: bodyAt + head.length + 4,
    timeAt: bodyAt + head.length + 8,
    idAt: idAt < 0 ? -1 : bodyAt + idAt,
  };
}

/** A QoS 1 retained PUBLISH with an empty payload: deletes the topic's retained message. */
export function deleteRetainedFrame(topic: string, packetId: number): Buffer {
  return frame(0x33, [...str(topic), packetId >> 8, packetId & 0xff]);
}
