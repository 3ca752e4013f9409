// The one place that decides whether a packet from the server is allowed now, and the
// small handlers of the packets that need no file of their own. A handler returns null or
// the error that ends the connection (style-examples §2).

import type { AckPacket, CodecError, ConnackPacket, DisconnectPacket, Packet, PublishPacket, SubackPacket, UnsubackPacket } from '../codec/index.js';
import {
  AUTH, CONNACK, DISCONNECT, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, RC_PROTOCOL_ERROR, SUBACK, SUBSCRIBE,
  UNSUBACK, UNSUBSCRIBE, codecError, quote, reasonName,
} from '../codec/index.js';
import type { MqttClient } from './mqtt-client.js';
import { CONNECTED } from './mqtt-client.js';
import { onConnack } from './connack.js';
import { onPublish, onPubrel } from './incoming.js';
import { onPuback, onPubcomp, onPubrec } from './acks.js';

export function handle(c: MqttClient, p: Packet): CodecError | null {
  if (p.type === CONNACK) {
    // [5:MQTT-3.2.0-2] one CONNACK per connection.
    if (c.connackSeen) return codecError(RC_PROTOCOL_ERROR, '5:MQTT-3.2.0-2', 'a second CONNACK');
    return onConnack(c, p as ConnackPacket);
  }
  // [4:MQTT-3.2.0-1] the server's first packet is CONNACK (5.0: or AUTH, and we start none).
  if (c.state !== CONNECTED) return codecError(RC_PROTOCOL_ERROR, '4:MQTT-3.2.0-1', 'a ' + name(p.type) + ' before CONNACK');
  switch (p.type) {
    case PUBLISH: return onPublish(c, p as PublishPacket);
    case PUBACK: return onPuback(c, p as AckPacket);
    case PUBREC: return onPubrec(c, p as AckPacket);
    case PUBREL: return onPubrel(c, p as AckPacket);
    case PUBCOMP: return onPubcomp(c, p as AckPacket);
    case SUBACK: return onSuback(c, p as SubackPacket);
    case UNSUBACK: return onUnsuback(c, p as UnsubackPacket);
    case PINGRESP: return null;   // its arrival already cleared the PINGREQ deadline
    case DISCONNECT:
      // Not answered with a DISCONNECT of ours: the connection just ends.
      c.ended(disconnectError(p as DisconnectPacket), true);
      return null;
    default:
      // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ go to a server; AUTH only after we began
      // enhanced authentication, which this client never does (5:MQTT-4.12.0-7 the other way).
      return codecError(RC_PROTOCOL_ERROR, '5:§2.1.2', 'a server may not send ' + name(p.type));
  }
}

function name(type: number): string {
  switch (type) {
    case SUBSCRIBE: return 'SUBSCRIBE';
    case UNSUBSCRIBE: return 'UNSUBSCRIBE';
    case AUTH: return 'AUTH';
    default: return 'packet of type ' + type;
  }
}

/** SUBACK: one reason code per filter of our SUBSCRIBE [4:MQTT-3.9.3-1] [5:MQTT-3.9.3-1]. */
function onSuback(c: MqttClient, p: SubackPacket): CodecError | null {
  return acked(c, SUBSCRIBE, p.packetId, p.reasonCodes, 'SUBACK');
}

function onUnsuback(c: MqttClient, p: UnsubackPacket): CodecError | null {
  return acked(c, UNSUBSCRIBE, p.packetId, p.reasonCodes, 'UNSUBACK');
}

function acked(c: MqttClient, type: number, packetId: number, codes: number[], what: string): CodecError | null {
  const key = '' + packetId;
  if (c.pendingAcks.get(key) !== type) {
    return codecError(RC_PROTOCOL_ERROR, '4:MQTT-2.3.1-7', 'a ' + what + ' for packet id ' + packetId + ', which no request of ours has');
  }
  c.pendingAcks.delete(key);
  c.ids.release(packetId);
  const e = c.events;
  if (type === SUBSCRIBE) { if (e.subscribed !== undefined) e.subscribed(c, packetId, codes); } else if (e.unsubscribed !== undefined) e.unsubscribed(c, packetId, codes);
  return null;
}

/** 5.0 §3.14: the server ends the connection, saying why. */
function disconnectError(p: DisconnectPacket): CodecError {
  const reason = p.properties !== null && p.properties.reasonString !== undefined ? ': ' + quote(p.properties.reasonString) : '';
  return codecError(p.reasonCode, '5:§3.14', 'the server sent DISCONNECT 0x' + hex(p.reasonCode) + ' (' + reasonName(p.reasonCode) + ')' + reason);
}

export function hex(rc: number): string {
  return (rc < 16 ? '0' : '') + rc.toString(16);
}
