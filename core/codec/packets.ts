// MQTT control packets as plain data, the same shapes for all three protocol versions.
// Field names are the specifications' own words. A field a version does not have is
// left at its neutral value (properties null, reasonCode 0) and not written on the wire.

import type { Properties } from './properties.js';

// Protocol levels as the CONNECT packet carries them.
export const MQTT_3_1 = 3;    // protocol name "MQIsdp"
export const MQTT_3_1_1 = 4;  // protocol name "MQTT"
export const MQTT_5 = 5;      // protocol name "MQTT"

// Control packet types, the high nibble of the first byte (5.0 §2.1.2, 3.1.1 §2.2.1).
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;
export const AUTH = 15;       // 5.0 only; reserved in 3.1.1

export const PACKET_NAMES: ReadonlyArray<string> = Object.freeze([
  'RESERVED', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
]);

export type QoS = 0 | 1 | 2;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: Properties | null;   // 5.0 will properties
}

export interface ConnectPacket {
  type: 1;
  protocolName: string;            // "MQTT", or "MQIsdp" for 3.1
  protocolVersion: number;         // 3, 4 or 5; with 0x80 set: mosquitto's bridge flag (decode/connect.ts)
  cleanStart: boolean;             // "Clean Session" in 3.x
  keepAlive: number;               // seconds
  properties: Properties | null;
  clientId: string;
  will: Will | null;
  username: string | null;
  password: Uint8Array | null;     // binary data (3.1 sends a string; its UTF-8 bytes)
}

export interface ConnackPacket {
  type: 2;
  sessionPresent: boolean;         // always false on the wire for 3.1
  reasonCode: number;              // 3.x "return code" 0..5; 5.0 reason code
  properties: Properties | null;
}

export interface PublishPacket {
  type: 3;
  dup: boolean;
  qos: QoS;
  retain: boolean;
  topic: string;                   // may be "" in 5.0 when properties.topicAlias is set
  packetId: number;                // 0 for QoS 0 [MQTT-2.2.1-2]
  properties: Properties | null;
  payload: Uint8Array;             // a view of the received bytes; copy it to keep it
}

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout.
export interface AckPacket {
  type: 4 | 5 | 6 | 7;
  packetId: number;
  reasonCode: number;              // 5.0; 0 in 3.x
  properties: Properties | null;
}

export interface Subscription {
  topicFilter: string;
  qos: QoS;                        // requested (SUBSCRIBE) maximum QoS
  noLocal: boolean;                // 5.0 subscription options, false in 3.x
  retainAsPublished: boolean;
  retainHandling: number;          // 0, 1 or 2
}

export interface SubscribePacket {
  type: 8;
  packetId: number;
  properties: Properties | null;
  subscriptions: Subscription[];
}

export interface SubackPacket {
  type: 9;
  packetId: number;
  properties: Properties | null;
  reasonCodes: number[];           // 3.x return codes 0, 1, 2, 0x80
}

export interface UnsubscribePacket {
  type: 10;
  packetId: number;
  properties: Properties | null;
  topicFilters: string[];
}

export interface UnsubackPacket {
  type: 11;
  packetId: number;
  properties: Properties | null;
  reasonCodes: number[];           // 5.0 only; empty in 3.x (no payload)
}

export interface PingPacket {
  type: 12 | 13;
}

export interface DisconnectPacket {
  type: 14;
  reasonCode: number;              // 5.0; 0 in 3.x
  properties: Properties | null;
}

export interface AuthPacket {
  type: 15;
  reasonCode: number;
  properties: Properties | null;
}

export type Packet = ConnectPacket | ConnackPacket | PublishPacket | AckPacket | SubscribePacket |
  SubackPacket | UnsubscribePacket | UnsubackPacket | PingPacket | DisconnectPacket | AuthPacket;
