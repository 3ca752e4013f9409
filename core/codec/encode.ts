// encode(packet, version): any packet to its exact bytes, written once into one buffer.
// Throws a plain Error for a packet object that cannot be encoded (a string over 65,535
// bytes, a body over 268,435,455): that is a bug of the caller, not a peer's mistake.

import type { AckPacket, AuthPacket, ConnackPacket, ConnectPacket, DisconnectPacket, Packet, PingPacket, PublishPacket,
  SubackPacket, SubscribePacket, UnsubackPacket, UnsubscribePacket } from './packets.js';
import {
  AUTH, CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
} from './packets.js';
import { encodeConnack, encodeConnect } from './encode/connect.js';
import { encodePublish } from './encode/publish.js';
import { encodeSuback, encodeSubscribe, encodeUnsuback, encodeUnsubscribe } from './encode/subscribe.js';
import { encodeAck, encodeAuth, encodeDisconnect, encodePing } from './encode/acks.js';
import type { FrameAllocator } from './slab-allocator.js';


export function encode(p: Packet, version: number, alloc?: FrameAllocator | null): Uint8Array {
  const a = alloc === undefined ? null : alloc;
  switch (p.type) {
    case CONNECT: if (__CLIENT__) return encodeConnect(p as ConnectPacket, version, a); break;
    case CONNACK: return encodeConnack(p as ConnackPacket, version, a);
    case PUBLISH: return encodePublish(p as PublishPacket, version, a);
    case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: return encodeAck(p as AckPacket, version, a);
    case SUBSCRIBE: if (__CLIENT__) return encodeSubscribe(p as SubscribePacket, version, a); break;
    case SUBACK: return encodeSuback(p as SubackPacket, version, a);
    case UNSUBSCRIBE: if (__CLIENT__) return encodeUnsubscribe(p as UnsubscribePacket, version, a); break;
    case UNSUBACK: return encodeUnsuback(p as UnsubackPacket, version, a);
    case PINGREQ: case PINGRESP: return encodePing(p as PingPacket, a);
    case DISCONNECT: return encodeDisconnect(p as DisconnectPacket, version, a);
    case AUTH:
      if (__MQTT5__) return encodeAuth(p as AuthPacket, a);
      throw new Error('ganglion: AUTH needs MQTT 5, which this build leaves out');
    default: throw new Error('ganglion: cannot encode packet type ' + (p as { type: number }).type);
  }
  throw new Error('ganglion: this build encodes only what a server sends, not packet type ' + p.type);
}
