// CONNACK: the server accepts or refuses, and (5.0) says what it allows (5.0 §3.2.2.3).

import type { CodecError, ConnackPacket, Properties } from '../codec/index.js';
import { MQTT_5, RC_PROTOCOL_ERROR, codecError, reasonName } from '../codec/index.js';
import type { MqttClient } from './mqtt-client.js';
import { CONNECTED } from './mqtt-client.js';
import { hex } from './dispatch.js';

/** 3.1.1 §3.2.2.3: a 3.x CONNACK return code in words. */
function returnCodeName(rc: number): string {
  switch (rc) {
    case 1: return 'unacceptable protocol version';
    case 2: return 'identifier rejected';
    case 3: return 'server unavailable';
    case 4: return 'bad user name or password';
    case 5: return 'not authorized';
    default: return 'unknown return code';
  }
}

export function onConnack(c: MqttClient, p: ConnackPacket): CodecError | null {
  c.connackSeen = true;
  const v5 = __MQTT5__ && c.version === MQTT_5;
  if (p.reasonCode !== 0) {
    // 4:MQTT-3.2.2-5, 5:MQTT-3.2.2-7: refused; the server closes the connection, and so do we.
    const words = v5 ? reasonName(p.reasonCode) : returnCodeName(p.reasonCode);
    return codecError(p.reasonCode, v5 ? '5:MQTT-3.2.2-7' : '4:MQTT-3.2.2-5', 'CONNACK 0x' + hex(p.reasonCode) + ' (' + words + ')');
  }
  // [5:MQTT-3.2.2-4] (3.1.1 §3.2.2.2) a session we did not ask to keep cannot be present.
  if (p.sessionPresent && c.sentCleanStart) {
    return codecError(RC_PROTOCOL_ERROR, '5:MQTT-3.2.2-4', 'CONNACK with Session Present 1 after a Clean Start');
  }
  if (v5) applyProperties(c, p.properties);
  c.state = CONNECTED;
  c.stats.connects++;
  if (!p.sessionPresent) c.sessionLost();
  // [5:MQTT-3.2.2-21] the server's Keep Alive replaces ours; its deadline starts now.
  c.sentAtMs = c.nowMs;
  c.receivedAtMs = c.nowMs;
  c.events.connected(c, p.sessionPresent, p.properties);
  if (c.state === CONNECTED && !c.blocked) c.pump();   // what was in flight first [MQTT-4.4.0-1], then the queue
  return null;
}

function applyProperties(c: MqttClient, props: Properties | null): void {
  const p = props === null ? {} as Properties : props;
  c.serverReceiveMaximum = p.receiveMaximum === undefined ? 65535 : p.receiveMaximum;
  c.serverMaximumQoS = p.maximumQoS === undefined ? 2 : p.maximumQoS;
  c.serverRetainAvailable = p.retainAvailable !== 0;
  c.serverMaximumPacketSize = p.maximumPacketSize === undefined ? 0 : p.maximumPacketSize;
  c.serverTopicAliasMaximum = p.topicAliasMaximum === undefined ? 0 : p.topicAliasMaximum;
  if (p.serverKeepAlive !== undefined) c.keepAliveMs = p.serverKeepAlive * 1000;
  // 5.0 §3.2.2.3.7: the id the server gave us is ours from now on, for every reconnect.
  if (p.assignedClientIdentifier !== undefined && c.clientId === '') c.clientId = p.assignedClientIdentifier;
}
