// The QoS 0 PUBLISH a broker connection's decoder fills again for every message
// (DecoderOptions.reuseQoS0), and the packet the broker encodes each message's frames from:
// its payload stays a range of the received bytes (in-place-payload.ts).

import type { PublishPacket, QoS } from './packets.js';
import { PUBLISH } from './packets.js';
import type { Properties } from './properties.js';
import { InPlacePayload } from './in-place-payload.js';

export class InPlacePublish extends InPlacePayload implements PublishPacket {
  type: 3;
  dup: boolean;
  qos: QoS;
  retain: boolean;
  topic: string;
  packetId: number;
  properties: Properties | null;

  constructor() {
    super();
    this.type = PUBLISH;
    this.dup = false;
    this.qos = 0;
    this.retain = false;
    this.topic = '';
    this.packetId = 0;
    this.properties = null;
  }
}
