// Golden byte vectors: every packet type in every protocol version where it exists, with the
// expected bytes derived by hand from the specifications (MQTT 3.1 for "MQIsdp", OASIS MQTT
// 3.1.1 and 5.0), each written with a comment naming its fields. Each vector is checked both
// ways: decodeAll(bytes) gives exactly the packet object, encode(packet) gives exactly the
// bytes. Where mqtt-packet can write the packet, its generate() must give the same bytes too.
//
// Property bytes are written in identifier order, which is the order our encoder uses; the
// order of properties other than User Property carries no meaning (5.0 §2.2.2.2).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqttPacket from 'mqtt-packet';
import { Decoder, decodeAll, encode, isWellFormedUtf8 } from '../../core/index.js';
import type { Packet } from '../../core/index.js';
import { hex, toHex, concat } from '../helpers/hex.js';
import { toMqttPacket } from '../helpers/mqtt-packet-bridge.js';

const A_B = '00 03 61 2F 62';   // UTF-8 string "a/b"

const te = new TextEncoder();
function utf8(s: string): Uint8Array {
  return te.encode(s);
}

interface Vector {
  name: string;            // test name: conformance id first when one applies
  version: 3 | 4 | 5;
  bytes: string;           // hex, as derived from the spec
  packet: Packet;          // what decodeAll must give
  // Other encodings the spec allows for the same packet (the encoder may write any of them).
  // Absent: the encoder must write exactly `bytes`. null: decode-only vector (a valid wire
  // form that is not the canonical one; the packet's encoding is covered by another vector).
  encodesAs?: string[] | null;
  // false with a reason: mqtt-packet cannot write these bytes (a documented deviation).
  mqttPacket?: string;
}

const V: Vector[] = [];

// ---------------------------------------------------------------------------------------
// MQTT 3.1 (protocol name "MQIsdp", level 3). The CONNECT variable header is 12 bytes:
// 00 06 "MQIsdp", level 03, flags, keep alive MSB LSB.

V.push({
  name: '3.1 CONNECT "MQIsdp" level 3, clean session, keep alive 30, client id "abc"',
  version: 3,
  bytes: `10 11                              ` + // CONNECT, remaining length 17
    `00 06 4D 51 49 73 64 70 03 02 00 1E ` + // "MQIsdp", level 3, flags 02 (clean), keep alive 30
    `00 03 61 62 63`,                        // client id "abc"
  packet: {
    type: 1, protocolName: 'MQIsdp', protocolVersion: 3, cleanStart: true, keepAlive: 30,
    properties: null, clientId: 'abc', will: null, username: null, password: null,
  },
});

V.push({
  name: '3.1 CONNECT with will (QoS 1, retain), user name and password, not clean',
  version: 3,
  bytes: `10 1E ` +                              // CONNECT, remaining length 30
    `00 06 4D 51 49 73 64 70 03 ` +           // "MQIsdp", level 3
    `EC ` +                                   // flags: user 80 | password 40 | will retain 20 | will QoS 1 08 | will 04
    `00 0A ` +                                // keep alive 10
    `00 01 78 ` +                             // client id "x"
    `00 01 74 ` +                             // will topic "t"
    `00 03 62 79 65 ` +                       // will message "bye"
    `00 01 75 ` +                             // user name "u"
    `00 02 70 77`,                            // password "pw"
  packet: {
    type: 1, protocolName: 'MQIsdp', protocolVersion: 3, cleanStart: false, keepAlive: 10,
    properties: null, clientId: 'x',
    will: { topic: 't', payload: utf8('bye'), qos: 1, retain: true, properties: null },
    username: 'u', password: utf8('pw'),
  },
});

V.push({
  name: '3.1 CONNACK return code 0 (3.1 has no session present flag)',
  version: 3,
  bytes: '20 02 00 00',                       // CONNACK, length 2, flags 00, return code 0
  packet: { type: 2, sessionPresent: false, reasonCode: 0, properties: null },
});

V.push({
  name: '3.1 CONNACK return code 2 identifier rejected',
  version: 3,
  bytes: '20 02 00 02',                       // CONNACK, length 2, flags 00, return code 2
  packet: { type: 2, sessionPresent: false, reasonCode: 2, properties: null },
});

// ---------------------------------------------------------------------------------------
// MQTT 3.1.1 CONNECT / CONNACK (protocol name "MQTT", level 4).

V.push({
  name: '3.1.1 CONNECT clean session, keep alive 60, client id "c1"',
  version: 4,
  bytes: `10 0E ` +                           // CONNECT, remaining length 14
    `00 04 4D 51 54 54 04 02 00 3C ` +       // "MQTT", level 4, flags 02 (clean), keep alive 60
    `00 02 63 31`,                           // client id "c1"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 60,
    properties: null, clientId: 'c1', will: null, username: null, password: null,
  },
});

V.push({
  // 3.1.1 §3.1.2.10 Figure 3.6: flags CE (user, password, will QoS 1, will, clean), keep alive 10.
  name: '3.1.1 CONNECT with the variable header of the spec example (flags CE, keep alive 10)',
  version: 4,
  bytes: `10 19 ` +                           // CONNECT, remaining length 25
    `00 04 4D 51 54 54 04 CE 00 0A ` +       // "MQTT", level 4, flags CE, keep alive 10
    `00 01 63 ` +                            // client id "c"
    `00 01 74 ` +                            // will topic "t"
    `00 01 6D ` +                            // will message "m"
    `00 01 75 ` +                            // user name "u"
    `00 01 70`,                              // password "p"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 10,
    properties: null, clientId: 'c',
    will: { topic: 't', payload: utf8('m'), qos: 1, retain: false, properties: null },
    username: 'u', password: utf8('p'),
  },
});

V.push({
  name: '3.1.1 CONNECT will QoS 2 retained with an empty message, not clean, keep alive 0',
  version: 4,
  bytes: `10 15 ` +                           // CONNECT, remaining length 21
    `00 04 4D 51 54 54 04 34 00 00 ` +       // "MQTT", level 4, flags: will retain 20 | will QoS 2 10 | will 04; keep alive 0
    `00 02 69 64 ` +                         // client id "id"
    `${A_B} ` +                              // will topic "a/b"
    `00 00`,                                 // will message: zero bytes
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: false, keepAlive: 0,
    properties: null, clientId: 'id',
    will: { topic: 'a/b', payload: new Uint8Array(0), qos: 2, retain: true, properties: null },
    username: null, password: null,
  },
});

V.push({
  name: '3.1.1 CONNECT empty client id, clean, user name only, keep alive 300',
  version: 4,
  bytes: `10 12 ` +                           // CONNECT, remaining length 18
    `00 04 4D 51 54 54 04 82 01 2C ` +       // "MQTT", level 4, flags 82 (user name, clean), keep alive 300
    `00 00 ` +                               // client id "" (zero bytes)
    `00 04 75 73 65 72`,                     // user name "user"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 300,
    properties: null, clientId: '', will: null, username: 'user', password: null,
  },
});

V.push({
  name: '3.1.1 CONNACK session present, accepted',
  version: 4,
  bytes: '20 02 01 00',                       // CONNACK, length 2, flags 01 (session present), return code 0
  packet: { type: 2, sessionPresent: true, reasonCode: 0, properties: null },
});

V.push({
  name: '3.1.1 CONNACK return code 5 not authorized',
  version: 4,
  bytes: '20 02 00 05',                       // CONNACK, length 2, flags 00, return code 5
  packet: { type: 2, sessionPresent: false, reasonCode: 5, properties: null },
});

// ---------------------------------------------------------------------------------------
// PUBLISH .. DISCONNECT: the same bytes in 3.1 and 3.1.1.

for (const version of [3, 4] as const) {
  const vn = version === 3 ? '3.1' : '3.1.1';
  const id4 = version === 4 ? '4:MQTT-2.3.1-5 ' : '';
  V.push({
    name: `${id4}${vn} PUBLISH QoS 0 has no packet identifier: "a/b", payload "hi"`,
    version,
    bytes: `30 07 ${A_B} 68 69`,              // PUBLISH QoS 0, length 7, topic "a/b", payload "hi"
    packet: { type: 3, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0, properties: null, payload: utf8('hi') },
  });
  V.push({
    name: `${vn} PUBLISH QoS 1, "a/b", id 10, payload "hi"`,
    version,
    bytes: `32 09 ${A_B} 00 0A 68 69`,        // PUBLISH QoS 1 (flags 0010), length 9, topic, id 10, payload "hi"
    packet: { type: 3, dup: false, qos: 1, retain: false, topic: 'a/b', packetId: 10, properties: null, payload: utf8('hi') },
  });
  V.push({
    name: `${vn} PUBLISH QoS 2, DUP, RETAIN, "a/b", id 65535, empty payload`,
    version,
    bytes: `3D 07 ${A_B} FF FF`,              // PUBLISH flags 1101 (DUP, QoS 2, RETAIN), length 7, topic, id 65535
    packet: { type: 3, dup: true, qos: 2, retain: true, topic: 'a/b', packetId: 65535, properties: null, payload: new Uint8Array(0) },
  });
  V.push({
    name: `${vn} PUBACK id 10`,
    version,
    bytes: '40 02 00 0A',                     // PUBACK, length 2, id 10
    packet: { type: 4, packetId: 10, reasonCode: 0, properties: null },
  });
  V.push({
    name: `${vn} PUBREC id 10`,
    version,
    bytes: '50 02 00 0A',                     // PUBREC, length 2, id 10
    packet: { type: 5, packetId: 10, reasonCode: 0, properties: null },
  });
  V.push({
    name: `${version === 4 ? '4:MQTT-2.2.2-1 ' : ''}${vn} PUBREL has flags 0010: id 10`,
    version,
    bytes: '62 02 00 0A',                     // PUBREL (flags 0010), length 2, id 10
    packet: { type: 6, packetId: 10, reasonCode: 0, properties: null },
  });
  V.push({
    name: `${vn} PUBCOMP id 10`,
    version,
    bytes: '70 02 00 0A',                     // PUBCOMP, length 2, id 10
    packet: { type: 7, packetId: 10, reasonCode: 0, properties: null },
  });
  V.push({
    name: `${version === 4 ? '4:MQTT-2.2.2-1 ' : ''}${vn} SUBSCRIBE has flags 0010: id 1, "a/+" QoS 0, "#" QoS 2`,
    version,
    bytes: `82 0C 00 01 ` +                   // SUBSCRIBE (flags 0010), length 12, id 1
      `00 03 61 2F 2B 00 ` +                 // "a/+", requested QoS 0
      `00 01 23 02`,                         // "#", requested QoS 2
    packet: {
      type: 8, packetId: 1, properties: null, subscriptions: [
        { topicFilter: 'a/+', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: '#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
    },
  });
  V.push({
    name: `${vn} SUBACK id 1, return codes 0, 2, 0x80`,
    version,
    bytes: '90 05 00 01 00 02 80',            // SUBACK, length 5, id 1, granted QoS 0, QoS 2, failure 0x80
    packet: { type: 9, packetId: 1, properties: null, reasonCodes: [0, 2, 0x80] },
  });
  V.push({
    name: `${version === 4 ? '4:MQTT-2.2.2-1 ' : ''}${vn} UNSUBSCRIBE has flags 0010: id 2, "a/+", "#"`,
    version,
    bytes: `A2 0A 00 02 ` +                   // UNSUBSCRIBE (flags 0010), length 10, id 2
      `00 03 61 2F 2B ` +                    // "a/+"
      `00 01 23`,                            // "#"
    packet: { type: 10, packetId: 2, properties: null, topicFilters: ['a/+', '#'] },
  });
  V.push({
    name: `${vn} UNSUBACK id 2 has no payload`,
    version,
    bytes: 'B0 02 00 02',                     // UNSUBACK, length 2, id 2
    packet: { type: 11, packetId: 2, properties: null, reasonCodes: [] },
  });
  V.push({ name: `${vn} PINGREQ`, version, bytes: 'C0 00', packet: { type: 12 } });   // PINGREQ, length 0
  V.push({ name: `${vn} PINGRESP`, version, bytes: 'D0 00', packet: { type: 13 } });  // PINGRESP, length 0
  V.push({
    name: `${vn} DISCONNECT`,
    version,
    bytes: 'E0 00',                           // DISCONNECT, length 0
    packet: { type: 14, reasonCode: 0, properties: null },
  });
}

// ---------------------------------------------------------------------------------------
// MQTT 5.0 CONNECT / CONNACK.

V.push({
  name: '5:MQTT-2.2.2-1 5.0 CONNECT without properties still has a Property Length of 0',
  version: 5,
  bytes: `10 0F ` +                           // CONNECT, remaining length 15
    `00 04 4D 51 54 54 05 02 00 3C ` +       // "MQTT", level 5, flags 02 (clean start), keep alive 60
    `00 ` +                                  // property length 0
    `00 02 63 31`,                           // client id "c1"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 60,
    properties: null, clientId: 'c1', will: null, username: null, password: null,
  },
});

V.push({
  // 5.0 §3.1.2.11 Figure 3-7: flags CE, keep alive 10, properties: Session Expiry Interval 10.
  name: '5.0 CONNECT with the variable header of the spec example and a will delay',
  version: 5,
  bytes: `10 25 ` +                           // CONNECT, remaining length 37
    `00 04 4D 51 54 54 05 CE 00 0A ` +       // "MQTT", level 5, flags CE, keep alive 10
    `05 11 00 00 00 0A ` +                   // properties (5): session expiry interval (0x11) 10
    `00 01 63 ` +                            // client id "c"
    `05 18 00 00 00 05 ` +                   // will properties (5): will delay interval (0x18) 5
    `00 01 74 ` +                            // will topic "t"
    `00 01 6D ` +                            // will payload "m"
    `00 01 75 ` +                            // user name "u"
    `00 01 70`,                              // password "p"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 10,
    properties: { sessionExpiryInterval: 10 }, clientId: 'c',
    will: { topic: 't', payload: utf8('m'), qos: 1, retain: false, properties: { willDelayInterval: 5 } },
    username: 'u', password: utf8('p'),
  },
});

V.push({
  name: '5.0 CONNECT with every CONNECT property and every will property',
  version: 5,
  bytes: `10 72 ` +                           // CONNECT, remaining length 114
    `00 04 4D 51 54 54 05 26 00 00 ` +       // "MQTT", level 5, flags 26 (will retain 20 | will 04 | clean 02), keep alive 0
    `30 ` +                                  // property length 48
    `11 FF FF FF FF ` +                      //   session expiry interval (four-byte) 0xFFFFFFFF
    `15 00 05 53 43 52 41 4D ` +             //   authentication method (string) "SCRAM"
    `16 00 03 01 02 03 ` +                   //   authentication data (binary) 01 02 03
    `17 00 ` +                               //   request problem information (byte) 0
    `19 01 ` +                               //   request response information (byte) 1
    `21 00 14 ` +                            //   receive maximum (two-byte) 20
    `22 00 0A ` +                            //   topic alias maximum (two-byte) 10
    `26 00 01 61 00 01 31 ` +                //   user property (string pair) "a" = "1"
    `26 00 01 61 00 01 32 ` +                //   user property "a" = "2" (same name again)
    `27 00 10 00 00 ` +                      //   maximum packet size (four-byte) 1048576
    `00 03 64 65 76 ` +                      // client id "dev"
    `29 ` +                                  // will property length 41
    `01 01 ` +                               //   payload format indicator 1
    `02 00 00 0E 10 ` +                      //   message expiry interval 3600
    `03 00 0A 74 65 78 74 2F 70 6C 61 69 6E ` + // content type "text/plain"
    `08 00 01 72 ` +                         //   response topic "r"
    `09 00 02 AB CD ` +                      //   correlation data AB CD
    `18 00 00 00 3C ` +                      //   will delay interval 60
    `26 00 01 6B 00 01 76 ` +                //   user property "k" = "v"
    `00 03 77 2F 74 ` +                      // will topic "w/t"
    `00 01 78`,                              // will payload "x"
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0,
    properties: {
      sessionExpiryInterval: 0xffffffff, authenticationMethod: 'SCRAM', authenticationData: hex('01 02 03'),
      requestProblemInformation: 0, requestResponseInformation: 1, receiveMaximum: 20, topicAliasMaximum: 10,
      userProperties: [['a', '1'], ['a', '2']], maximumPacketSize: 1048576,
    },
    clientId: 'dev',
    will: {
      topic: 'w/t', payload: utf8('x'), qos: 0, retain: true,
      properties: {
        payloadFormatIndicator: 1, messageExpiryInterval: 3600, contentType: 'text/plain', responseTopic: 'r',
        correlationData: hex('AB CD'), willDelayInterval: 60, userProperties: [['k', 'v']],
      },
    },
    username: null, password: null,
  },
});

V.push({
  name: '5.0 CONNECT with a password and no user name (allowed in 5.0)',
  version: 5,
  bytes: `10 11 ` +                           // CONNECT, remaining length 17
    `00 04 4D 51 54 54 05 42 00 00 ` +       // "MQTT", level 5, flags 42 (password 40 | clean 02), keep alive 0
    `00 ` +                                  // property length 0
    `00 00 ` +                               // client id ""
    `00 02 00 FF`,                           // password: binary 00 FF
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0,
    properties: null, clientId: '', will: null, username: null, password: hex('00 FF'),
  },
  mqttPacket: 'mqtt-packet refuses to write a password without a user name (a 3.1.1 rule it applies to 5.0 too)',
});

V.push({
  name: '5.0 CONNACK success without properties',
  version: 5,
  bytes: '20 03 00 00 00',                    // CONNACK, length 3, flags 00, reason 0, property length 0
  packet: { type: 2, sessionPresent: false, reasonCode: 0, properties: null },
});

V.push({
  name: '5.0 CONNACK 0x87 not authorized with a reason string',
  version: 5,
  bytes: `20 08 00 87 ` +                     // CONNACK, length 8, flags 00, reason 0x87
    `05 1F 00 02 6E 6F`,                     // properties (5): reason string "no"
  packet: { type: 2, sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'no' } },
});

V.push({
  name: '5.0 CONNACK session present with every CONNACK property',
  version: 5,
  bytes: `20 47 01 00 ` +                     // CONNACK, length 71, flags 01 (session present), reason 0
    `44 ` +                                  // property length 68
    `11 00 00 00 78 ` +                      //   session expiry interval 120
    `12 00 06 61 75 74 6F 2D 31 ` +          //   assigned client identifier "auto-1"
    `13 00 1E ` +                            //   server keep alive 30
    `15 00 01 6D ` +                         //   authentication method "m"
    `16 00 01 00 ` +                         //   authentication data 00
    `1A 00 02 72 69 ` +                      //   response information "ri"
    `1C 00 02 73 32 ` +                      //   server reference "s2"
    `1F 00 02 6F 6B ` +                      //   reason string "ok"
    `21 00 64 ` +                            //   receive maximum 100
    `22 00 05 ` +                            //   topic alias maximum 5
    `24 01 ` +                               //   maximum QoS 1
    `25 00 ` +                               //   retain available 0
    `26 00 01 78 00 01 79 ` +                //   user property "x" = "y"
    `27 00 01 00 00 ` +                      //   maximum packet size 65536
    `28 00 ` +                               //   wildcard subscription available 0
    `29 01 ` +                               //   subscription identifiers available 1
    `2A 00`,                                 //   shared subscription available 0
  packet: {
    type: 2, sessionPresent: true, reasonCode: 0, properties: {
      sessionExpiryInterval: 120, assignedClientIdentifier: 'auto-1', serverKeepAlive: 30,
      authenticationMethod: 'm', authenticationData: hex('00'), responseInformation: 'ri', serverReference: 's2',
      reasonString: 'ok', receiveMaximum: 100, topicAliasMaximum: 5, maximumQoS: 1, retainAvailable: 0,
      userProperties: [['x', 'y']], maximumPacketSize: 65536, wildcardSubscriptionAvailable: 0,
      subscriptionIdentifiersAvailable: 1, sharedSubscriptionAvailable: 0,
    },
  },
});

// ---------------------------------------------------------------------------------------
// MQTT 5.0 PUBLISH.

V.push({
  name: '5:MQTT-2.2.2-1 5.0 PUBLISH QoS 0 without properties has a Property Length of 0',
  version: 5,
  bytes: `30 08 ${A_B} 00 68 69`,             // PUBLISH QoS 0, length 8, topic "a/b", property length 0, payload "hi"
  packet: { type: 3, dup: false, qos: 0, retain: false, topic: 'a/b', packetId: 0, properties: null, payload: utf8('hi') },
});

V.push({
  name: '5.0 PUBLISH QoS 1, "a/b", id 10, payload "hi", with every PUBLISH property',
  version: 5,
  bytes: `32 3E ${A_B} 00 0A ` +              // PUBLISH QoS 1, length 62, topic "a/b", id 10
    `34 ` +                                  // property length 52
    `01 01 ` +                               //   payload format indicator 1
    `02 00 00 00 3C ` +                      //   message expiry interval 60
    `03 00 04 6A 73 6F 6E ` +                //   content type "json"
    `08 00 03 72 2F 31 ` +                   //   response topic "r/1"
    `09 00 04 DE AD BE EF ` +                //   correlation data DE AD BE EF
    `0B 80 01 ` +                            //   subscription identifier (varint) 128
    `0B FF FF FF 7F ` +                      //   subscription identifier 268435455 (a second one)
    `23 00 07 ` +                            //   topic alias 7
    `26 00 01 61 00 01 31 ` +                //   user property "a" = "1"
    `26 00 01 62 00 01 32 ` +                //   user property "b" = "2"
    `68 69`,                                 // payload "hi"
  packet: {
    type: 3, dup: false, qos: 1, retain: false, topic: 'a/b', packetId: 10,
    properties: {
      payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: 'json', responseTopic: 'r/1',
      correlationData: hex('DE AD BE EF'), subscriptionIdentifier: [128, 268435455], topicAlias: 7,
      userProperties: [['a', '1'], ['b', '2']],
    },
    payload: utf8('hi'),
  },
});

V.push({
  name: '5:§3.3.2.1 5.0 PUBLISH QoS 2 with an empty topic and a topic alias',
  version: 5,
  bytes: `34 09 00 00 00 02 ` +               // PUBLISH QoS 2, length 9, topic "" (0 bytes), id 2
    `03 23 00 01 ` +                         // properties (3): topic alias 1
    `78`,                                    // payload "x"
  packet: {
    type: 3, dup: false, qos: 2, retain: false, topic: '', packetId: 2, properties: { topicAlias: 1 }, payload: utf8('x'),
  },
});

V.push({
  name: '5:MQTT-3.3.2-18 5.0 PUBLISH user properties keep their wire order, the same name twice included',
  version: 5,
  bytes: `30 1E 00 01 74 ` +                  // PUBLISH QoS 0, length 30, topic "t"
    `1A ` +                                  // property length 26
    `26 00 01 61 00 01 31 ` +                //   "a" = "1"
    `26 00 01 62 00 01 32 ` +                //   "b" = "2"
    `26 00 01 61 00 01 33 ` +                //   "a" = "3"
    `26 00 00 00 00`,                        //   "" = "" (both halves may be empty)
  packet: {
    type: 3, dup: false, qos: 0, retain: false, topic: 't', packetId: 0,
    properties: { userProperties: [['a', '1'], ['b', '2'], ['a', '3'], ['', '']] }, payload: new Uint8Array(0),
  },
  mqttPacket: 'mqtt-packet keeps user properties in an object and writes "a" twice before "b"',
});

// UTF-8 in topics: the BOM is kept [MQTT-1.5.3-3 / MQTT-1.5.4-3], multi-byte characters.
V.push({
  name: '4:MQTT-1.5.3-3 3.1.1 PUBLISH keeps a leading EF BB BF in the topic',
  version: 4,
  bytes: `30 08 00 06 EF BB BF 61 2F 62`,     // PUBLISH QoS 0, length 8, topic U+FEFF "a/b" (6 bytes)
  packet: { type: 3, dup: false, qos: 0, retain: false, topic: '\uFEFFa/b', packetId: 0, properties: null, payload: new Uint8Array(0) },
});
V.push({
  name: '5:MQTT-1.5.4-3 5.0 PUBLISH keeps an EF BB BF inside the topic',
  version: 5,
  bytes: `30 09 00 06 61 EF BB BF 2F 62 00`,  // PUBLISH QoS 0, length 9, topic "a" U+FEFF "/b", property length 0
  packet: { type: 3, dup: false, qos: 0, retain: false, topic: 'a\uFEFF/b', packetId: 0, properties: null, payload: new Uint8Array(0) },
});
V.push({
  name: '3.1.1 PUBLISH topic with 2-, 3- and 4-byte UTF-8 characters "ä/€/𝄞"',
  version: 4,
  bytes: `30 0D 00 0B ` +                     // PUBLISH QoS 0, length 13, topic of 11 bytes:
    `C3 A4 2F E2 82 AC 2F F0 9D 84 9E`,      // U+00E4 "/" U+20AC "/" U+1D11E
  packet: { type: 3, dup: false, qos: 0, retain: false, topic: 'ä/€/𝄞', packetId: 0, properties: null, payload: new Uint8Array(0) },
});
V.push({
  // 3.1.1 §1.5.3 Figure 1.1 / 5.0 §1.5.4 Figure 1-1: "A𪛔" is 00 05 41 F0 AA 9B 94.
  name: '5.0 PUBLISH topic of the spec\'s UTF-8 example "A\u{2A6D4}"',
  version: 5,
  bytes: `30 08 00 05 41 F0 AA 9B 94 00`,     // PUBLISH QoS 0, length 8, topic U+0041 U+2A6D4, property length 0
  packet: { type: 3, dup: false, qos: 0, retain: false, topic: 'A\u{2A6D4}', packetId: 0, properties: null, payload: new Uint8Array(0) },
});

V.push({
  // 4-byte characters where a server reads strings other than topics (issue 18): U+1F600
  // (F0 9F 98 80) as the client id and a user property's value, U+1D11E (F0 9D 84 9E) as its name.
  name: '5:MQTT-1.5.4-1 5.0 CONNECT with 4-byte UTF-8 characters in the client id and a user property',
  version: 5,
  bytes: `10 1E 00 04 4D 51 54 54 05 02 00 00 ` + // CONNECT, length 30, "MQTT" 5, clean, keep alive 0
    `0D 26 00 04 F0 9D 84 9E 00 04 F0 9F 98 80 ` + // properties (13): user property U+1D11E = U+1F600
    `00 04 F0 9F 98 80`,                         // client id U+1F600
  packet: {
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0,
    properties: { userProperties: [['\u{1D11E}', '\u{1F600}']] }, clientId: '\u{1F600}', will: null, username: null, password: null,
  },
});

// ---------------------------------------------------------------------------------------
// MQTT 5.0 PUBACK, PUBREC, PUBREL, PUBCOMP and their short forms (5.0 §3.4.2.1, §3.4.2.2.1).

V.push({
  name: '5:§3.4.2.1 5.0 PUBACK with remaining length 2 means reason 0 and no properties',
  version: 5,
  bytes: '40 02 00 0A',                       // PUBACK, length 2, id 10
  packet: { type: 4, packetId: 10, reasonCode: 0, properties: null },
});
V.push({
  name: '5:§3.4.2.1 5.0 PUBACK with remaining length 3 is a reason code without properties',
  version: 5,
  bytes: '40 03 00 0A 10',                    // PUBACK, length 3, id 10, reason 0x10 no matching subscribers
  packet: { type: 4, packetId: 10, reasonCode: 0x10, properties: null },
  encodesAs: ['40 04 00 0A 10 00'],           // the same with an explicit property length 0
  mqttPacket: 'mqtt-packet writes this as 40 04 00 0A 10 00 (the long form; both are valid)',
});
V.push({
  name: '5:§3.4.2.2.1 5.0 PUBACK with a reason code and a Property Length of 0',
  version: 5,
  bytes: '40 04 00 0A 10 00',                 // PUBACK, length 4, id 10, reason 0x10, property length 0
  packet: { type: 4, packetId: 10, reasonCode: 0x10, properties: null },
  encodesAs: null,                            // its encoding is the vector above
});
V.push({
  name: '5.0 PUBACK 0x97 quota exceeded with a reason string and a user property',
  version: 5,
  bytes: `40 13 00 0A 97 ` +                  // PUBACK, length 19, id 10, reason 0x97
    `0F ` +                                  // property length 15
    `1F 00 05 71 75 6F 74 61 ` +             //   reason string "quota"
    `26 00 01 6B 00 01 76`,                  //   user property "k" = "v"
  packet: { type: 4, packetId: 10, reasonCode: 0x97, properties: { reasonString: 'quota', userProperties: [['k', 'v']] } },
});
V.push({
  name: '5.0 PUBACK success with an empty reason string',
  version: 5,
  bytes: `40 07 00 0A 00 03 1F 00 00`,        // PUBACK, length 7, id 10, reason 0, properties (3): reason string ""
  packet: { type: 4, packetId: 10, reasonCode: 0, properties: { reasonString: '' } },
});
V.push({
  name: '5:§3.5.2.1 5.0 PUBREC with remaining length 3: reason 0x10, no properties',
  version: 5,
  bytes: '50 03 00 0B 10',                    // PUBREC, length 3, id 11, reason 0x10
  packet: { type: 5, packetId: 11, reasonCode: 0x10, properties: null },
  encodesAs: ['50 04 00 0B 10 00'],
  mqttPacket: 'mqtt-packet writes the long form 50 04 00 0B 10 00',
});
V.push({
  name: '5.0 PUBREC 0x80 with a reason string',
  version: 5,
  bytes: `50 08 00 0B 80 04 1F 00 01 78`,     // PUBREC, length 8, id 11, reason 0x80, properties (4): reason string "x"
  packet: { type: 5, packetId: 11, reasonCode: 0x80, properties: { reasonString: 'x' } },
});
V.push({
  name: '5:MQTT-2.1.3-1 5.0 PUBREL has flags 0010 (short form, id 12)',
  version: 5,
  bytes: '62 02 00 0C',                       // PUBREL (flags 0010), length 2, id 12
  packet: { type: 6, packetId: 12, reasonCode: 0, properties: null },
});
V.push({
  name: '5:§3.6.2.1 5.0 PUBREL with remaining length 3: reason 0x92, no properties',
  version: 5,
  bytes: '62 03 00 0C 92',                    // PUBREL, length 3, id 12, reason 0x92 packet identifier not found
  packet: { type: 6, packetId: 12, reasonCode: 0x92, properties: null },
  encodesAs: ['62 04 00 0C 92 00'],
  mqttPacket: 'mqtt-packet writes the long form 62 04 00 0C 92 00',
});
V.push({
  name: '5.0 PUBREL 0x92 with a user property',
  version: 5,
  bytes: `62 0B 00 0C 92 07 26 00 01 61 00 01 62`, // PUBREL, length 11, id 12, reason 0x92, properties (7): "a" = "b"
  packet: { type: 6, packetId: 12, reasonCode: 0x92, properties: { userProperties: [['a', 'b']] } },
});
V.push({
  name: '5.0 PUBCOMP short form (id 13)',
  version: 5,
  bytes: '70 02 00 0D',                       // PUBCOMP, length 2, id 13
  packet: { type: 7, packetId: 13, reasonCode: 0, properties: null },
});
V.push({
  name: '5:§3.7.2.1 5.0 PUBCOMP with remaining length 3: reason 0x92, no properties',
  version: 5,
  bytes: '70 03 00 0D 92',                    // PUBCOMP, length 3, id 13, reason 0x92
  packet: { type: 7, packetId: 13, reasonCode: 0x92, properties: null },
  encodesAs: ['70 04 00 0D 92 00'],
  mqttPacket: 'mqtt-packet writes the long form 70 04 00 0D 92 00',
});
V.push({
  name: '5.0 PUBCOMP success with a reason string',
  version: 5,
  bytes: `70 09 00 0D 00 05 1F 00 02 6F 6B`,  // PUBCOMP, length 9, id 13, reason 0, properties (5): reason string "ok"
  packet: { type: 7, packetId: 13, reasonCode: 0, properties: { reasonString: 'ok' } },
});

// ---------------------------------------------------------------------------------------
// MQTT 5.0 SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.

V.push({
  name: '5.0 SUBSCRIBE with subscription identifier, user property and every subscription option',
  version: 5,
  bytes: `82 23 00 01 ` +                     // SUBSCRIBE (flags 0010), length 35, id 1
    `09 0B 01 26 00 01 6B 00 01 76 ` +       // properties (9): subscription identifier 1, user property "k" = "v"
    `00 03 61 2F 2B 05 ` +                   // "a/+", options 05: QoS 1, no local
    `00 01 23 2A ` +                         // "#", options 2A: QoS 2, retain as published 08, retain handling 2 (20)
    `00 0A 24 73 68 61 72 65 2F 67 2F 74 10`, // "$share/g/t", options 10: QoS 0, retain handling 1
  packet: {
    type: 8, packetId: 1, properties: { subscriptionIdentifier: [1], userProperties: [['k', 'v']] }, subscriptions: [
      { topicFilter: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: '#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2 },
      { topicFilter: '$share/g/t', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 },
    ],
  },
});
V.push({
  name: '5:MQTT-1.5.5-1 5.0 SUBSCRIBE subscription identifier 16384 is the 3-byte varint 80 80 01',
  version: 5,
  bytes: `82 0B 00 02 ` +                     // SUBSCRIBE, length 11, id 2
    `04 0B 80 80 01 ` +                      // properties (4): subscription identifier 16384
    `00 01 78 00`,                           // "x", QoS 0
  packet: {
    type: 8, packetId: 2, properties: { subscriptionIdentifier: [16384] },
    subscriptions: [{ topicFilter: 'x', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
  },
});
V.push({
  name: '5.0 SUBACK id 1 reason codes 0x01 0x02 0x80 0x8F',
  version: 5,
  bytes: '90 07 00 01 00 01 02 80 8F',        // SUBACK, length 7, id 1, property length 0, four reason codes
  packet: { type: 9, packetId: 1, properties: null, reasonCodes: [1, 2, 0x80, 0x8f] },
});
V.push({
  name: '5.0 SUBACK with a reason string',
  version: 5,
  bytes: `90 08 00 03 04 1F 00 01 65 A2`,     // SUBACK, length 8, id 3, properties (4): reason string "e", reason 0xA2
  packet: { type: 9, packetId: 3, properties: { reasonString: 'e' }, reasonCodes: [0xa2] },
});
V.push({
  name: '5.0 UNSUBSCRIBE with a user property',
  version: 5,
  bytes: `A2 12 00 04 ` +                     // UNSUBSCRIBE (flags 0010), length 18, id 4
    `07 26 00 01 61 00 01 62 ` +             // properties (7): user property "a" = "b"
    `00 03 61 2F 2B 00 01 23`,               // "a/+", "#"
  packet: { type: 10, packetId: 4, properties: { userProperties: [['a', 'b']] }, topicFilters: ['a/+', '#'] },
});
V.push({
  name: '5.0 UNSUBACK id 4 reason codes 0x00 0x11',
  version: 5,
  bytes: 'B0 05 00 04 00 00 11',              // UNSUBACK, length 5, id 4, property length 0, success, no subscription existed
  packet: { type: 11, packetId: 4, properties: null, reasonCodes: [0, 0x11] },
});
V.push({
  name: '5.0 UNSUBACK with a reason string',
  version: 5,
  bytes: `B0 08 00 04 04 1F 00 01 72 87`,     // UNSUBACK, length 8, id 4, properties (4): reason string "r", reason 0x87
  packet: { type: 11, packetId: 4, properties: { reasonString: 'r' }, reasonCodes: [0x87] },
});

// ---------------------------------------------------------------------------------------
// MQTT 5.0 PINGREQ, PINGRESP, DISCONNECT, AUTH.

V.push({ name: '5.0 PINGREQ', version: 5, bytes: 'C0 00', packet: { type: 12 } });
V.push({ name: '5.0 PINGRESP', version: 5, bytes: 'D0 00', packet: { type: 13 } });
V.push({
  name: '5:§3.14.2.1 5.0 DISCONNECT with remaining length 0 means reason 0 and no properties',
  version: 5,
  bytes: 'E0 00',                             // DISCONNECT, length 0
  packet: { type: 14, reasonCode: 0, properties: null },
  encodesAs: ['E0 02 00 00', 'E0 01 00'],
  mqttPacket: 'mqtt-packet always writes the reason code and property length: E0 02 00 00',
});
V.push({
  name: '5:§3.14.2.2.1 5.0 DISCONNECT with remaining length 1 is a reason code without properties',
  version: 5,
  bytes: 'E0 01 04',                          // DISCONNECT, length 1, reason 0x04 disconnect with will message
  packet: { type: 14, reasonCode: 0x04, properties: null },
  encodesAs: ['E0 02 04 00'],
  mqttPacket: 'mqtt-packet always writes the property length: E0 02 04 00',
});
V.push({
  name: '5.0 DISCONNECT reason and a Property Length of 0',
  version: 5,
  bytes: 'E0 02 8E 00',                       // DISCONNECT, length 2, reason 0x8E session taken over, property length 0
  packet: { type: 14, reasonCode: 0x8e, properties: null },
  encodesAs: null,
});
V.push({
  name: '5.0 DISCONNECT 0x9C with every DISCONNECT property',
  version: 5,
  bytes: `E0 1A 9C ` +                        // DISCONNECT, length 26, reason 0x9C use another server
    `18 ` +                                  // property length 24
    `11 00 00 00 00 ` +                      //   session expiry interval 0
    `1C 00 03 68 3A 31 ` +                   //   server reference "h:1"
    `1F 00 03 62 79 65 ` +                   //   reason string "bye"
    `26 00 01 61 00 01 62`,                  //   user property "a" = "b"
  packet: {
    type: 14, reasonCode: 0x9c,
    properties: { sessionExpiryInterval: 0, serverReference: 'h:1', reasonString: 'bye', userProperties: [['a', 'b']] },
  },
});
V.push({
  name: '5:§3.15.2.1 5.0 AUTH with remaining length 0 means reason 0 and no properties',
  version: 5,
  bytes: 'F0 00',                             // AUTH, length 0
  packet: { type: 15, reasonCode: 0, properties: null },
  encodesAs: ['F0 02 00 00'],
  mqttPacket: 'mqtt-packet always writes the reason code and property length: F0 02 00 00',
});
V.push({
  name: '5.0 AUTH 0x18 continue with authentication method and data',
  version: 5,
  bytes: `F0 0F 18 ` +                        // AUTH, length 15, reason 0x18 continue authentication
    `0D ` +                                  // property length 13
    `15 00 05 53 43 52 41 4D ` +             //   authentication method "SCRAM"
    `16 00 02 AA BB`,                        //   authentication data AA BB
  packet: { type: 15, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: hex('AA BB') } },
});
V.push({
  name: '5.0 AUTH 0x19 re-authenticate with method, reason string and user property',
  version: 5,
  bytes: `F0 12 19 ` +                        // AUTH, length 18, reason 0x19 re-authenticate
    `10 ` +                                  // property length 16
    `15 00 01 6D ` +                         //   authentication method "m"
    `1F 00 02 72 65 ` +                      //   reason string "re"
    `26 00 01 61 00 01 62`,                  //   user property "a" = "b"
  packet: {
    type: 15, reasonCode: 0x19,
    properties: { authenticationMethod: 'm', reasonString: 're', userProperties: [['a', 'b']] },
  },
});

// ---------------------------------------------------------------------------------------
// The tests.

// Drops keys whose value is undefined, so an optional field left undefined compares equal
// to an absent one. Byte arrays are compared by content (uvu's dequal does that).
function clean(x: unknown): unknown {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
  if (Array.isArray(x)) return x.map(clean);
  const out: { [k: string]: unknown } = {};
  for (const k of Object.keys(x as object)) {
    const v = (x as { [k: string]: unknown })[k];
    if (v !== undefined) out[k] = clean(v);
  }
  return out;
}

function versionName(v: number): string {
  return v === 3 ? 'v3' : v === 4 ? 'v4' : 'v5';
}

for (const v of V) {
  const bytes = hex(v.bytes);

  test(`${v.name}: decodes`, () => {
    const r = decodeAll(bytes, v.version);
    assert.is(r.error, null, r.error ? `${r.error.rule} ${r.error.message}` : '');
    assert.is(r.packets.length, 1);
    assert.equal(clean(r.packets[0]), v.packet);
  });

  if (v.packet.type === 1) {
    test(`${v.name}: decodes as the first packet of a connection (version not yet known)`, () => {
      const d = new Decoder({ version: 0 });
      d.push(bytes);
      const p = d.next();
      assert.is(d.error, null);
      assert.equal(clean(p), v.packet);
      assert.is(d.version, v.version);
    });
  }

  if (v.encodesAs !== null) {
    test(`${v.name}: encodes`, () => {
      const out = toHex(encode(v.packet, v.version));
      const allowed = [toHex(bytes)].concat((v.encodesAs || []).map((s) => toHex(hex(s))));
      assert.ok(allowed.indexOf(out) >= 0, `${versionName(v.version)} encode gave ${out}, expected ${allowed.join(' or ')}`);
    });
  }

  if (v.mqttPacket === undefined) {
    test(`${v.name}: mqtt-packet generates the same bytes`, () => {
      const mp = mqttPacket.generate(toMqttPacket(v.packet, v.version), { protocolVersion: v.version });
      assert.is(toHex(new Uint8Array(mp)), toHex(bytes));
    });
  }
}

// ---------------------------------------------------------------------------------------
// Remaining Length at the boundaries of 1, 2, 3 and 4 bytes (3.1.1 §2.2.3 Table 2.4,
// 5.0 §1.5.5 Table 1-1): 127 -> 7F, 128 -> 80 01, 16383 -> FF 7F, 16384 -> 80 80 01,
// 2097151 -> FF FF 7F, 2097152 -> 80 80 80 01, 268435455 -> FF FF FF 7F.
// PUBLISH QoS 0, topic "t" (00 01 74, 3 bytes), 3.1.1: payload = remaining length - 3.

const BOUNDARIES: Array<[number, string]> = [
  [127, '7F'], [128, '80 01'], [16383, 'FF 7F'], [16384, '80 80 01'], [2097151, 'FF FF 7F'], [2097152, '80 80 80 01'],
];

for (const [rl, lenHex] of BOUNDARIES) {
  const payload = new Uint8Array(rl - 3);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 1) & 0xff;
  const bytes = concat([hex('30 ' + lenHex + ' 00 01 74'), payload]);
  const packet: Packet = { type: 3, dup: false, qos: 0, retain: false, topic: 't', packetId: 0, properties: null, payload };

  test(`5:MQTT-1.5.5-1 remaining length ${rl} is encoded in the fewest bytes: ${lenHex}`, () => {
    const out = encode(packet, 4);
    assert.is(out.length, bytes.length);
    assert.is(toHex(out.subarray(0, 8)), toHex(bytes.subarray(0, 8)));
    assert.ok(Buffer.compare(Buffer.from(out), Buffer.from(bytes)) === 0, 'payload bytes differ');
  });

  test(`remaining length ${lenHex} decodes as ${rl}`, () => {
    const r = decodeAll(bytes, 4);
    assert.is(r.error, null);
    assert.is(r.packets.length, 1);
    const p = r.packets[0];
    assert.equal({ ...p, payload: null }, { ...packet, payload: null });
    assert.ok(Buffer.compare(Buffer.from((p as { payload: Uint8Array }).payload), Buffer.from(payload)) === 0, 'payload differs');
  });

  test(`remaining length ${rl}: mqtt-packet generates the same bytes`, () => {
    const mp = mqttPacket.generate(toMqttPacket(packet, 4), { protocolVersion: 4 });
    assert.ok(Buffer.compare(mp, Buffer.from(bytes)) === 0);
  });
}

test('5:MQTT-1.5.5-1 remaining length 0 is the single byte 00 (PINGREQ C0 00)', () => {
  assert.is(toHex(encode({ type: 12 }, 5)), 'C0 00');
});

// The largest remaining length, without allocating 256 MB: FF FF FF 7F is 268435455, so the
// whole packet is 268435460 bytes; a decoder allowing one byte less refuses it on the fixed
// header (0x95), one allowing exactly that many waits for the body.
test('5:MQTT-1.5.5-1 remaining length FF FF FF 7F decodes as 268435455', () => {
  const head = hex('30 FF FF FF 7F 00 01 74');
  const tight = new Decoder({ version: 4, maxPacketSize: 268435459 });
  tight.push(head);
  assert.is(tight.next(), null);
  assert.ok(tight.error !== null && tight.error.rc === 0x95, 'a packet of 268435460 bytes is over a 268435459 limit');
  const exact = new Decoder({ version: 4, maxPacketSize: 268435460 });
  exact.push(head);
  assert.is(exact.next(), null);
  assert.is(exact.error, null);
});

test.run();

// ---------------------------------------------------------------------------------------
// Strings a UTF-16 engine can hold that MQTT cannot send: a lone surrogate goes out as U+FFFD
// (EF BF BD) [MQTT-1.5.4-1]; a high then a low surrogate is one 4-byte character.

test('5:MQTT-1.5.4-1 a lone high or low surrogate in a topic is sent as U+FFFD', () => {
  const topic = 'a\uD83D/\uDE00\uD83D';   // high alone, then low + high in the wrong order
  const out = encode({ type: 3, dup: false, qos: 0, retain: false, topic, packetId: 0, properties: null, payload: new Uint8Array(0) }, 4);
  // PUBLISH QoS 0, length 13, topic of 11 bytes: "a" EF BF BD "/" EF BF BD EF BF BD
  assert.is(toHex(out), toHex(hex('30 0D 00 0B 61 EF BF BD 2F EF BF BD EF BF BD')));
});

test('5:MQTT-1.5.4-1 a lone surrogate in a client id and a user property is sent as U+FFFD', () => {
  const out = encode({
    type: 1, protocolName: 'MQTT', protocolVersion: 5, cleanStart: true, keepAlive: 0,
    properties: { userProperties: [['\uDBFF', 'x\uDC00']] }, clientId: '\uD800', will: null, username: null, password: null,
  } as Packet, 5);
  assert.is(toHex(out), toHex(hex(`10 1C 00 04 4D 51 54 54 05 02 00 00 ` + // CONNECT, length 28
    `0C 26 00 03 EF BF BD 00 04 78 EF BF BD ` +                           // properties (12): U+FFFD = "x" U+FFFD
    `00 03 EF BF BD`)));                                                    // client id U+FFFD
});

// The check a Payload Format Indicator of 1 asks for (5.0 §3.3.2.3.2, [MQTT-3.3.2-4]).
const PAYLOAD_FORMAT: Array<[string, boolean, string]> = [
  ['F0 9F 98 80', true, 'U+1F600'],
  ['F4 8F BF BF', true, 'U+10FFFF, the last code point'],
  ['F0 9F 98', false, 'a 4-byte sequence cut short'],
  ['F4 90 80 80', false, 'above U+10FFFF'],
  ['F0 8F BF BF', false, 'overlong (U+FFFF in 4 bytes)'],
  ['ED A0 BD ED B8 80', false, 'U+1F600 as two encoded surrogates (CESU-8)'],
];
for (const [bytes, ok, what] of PAYLOAD_FORMAT) {
  test(`5:MQTT-3.3.2-4 payload ${bytes} (${what}) is ${ok ? '' : 'not '}well-formed UTF-8`, () => {
    const b = hex(bytes);
    assert.is(isWellFormedUtf8(b, 0, b.length), ok);
  });
}
