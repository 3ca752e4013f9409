// SUBSCRIBE (5.0 §3.8.4, 3.1.1 §3.8.4): each filter is checked, authorised and granted or
// refused on its own; SUBACK carries one code per filter in order [MQTT-3.8.4-6]; retained
// messages follow as the Retain Handling option says.

import type { CodecError, SubscribePacket, Subscription } from '../../codec/index.js';
import { RC_QUOTA_EXCEEDED, SUBACK, isValidTopicFilter } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import type { Answer } from './common.js';
import {
  MQTT_3_1, MQTT_5, RC_NOT_AUTHORIZED, RC_PROTOCOL_ERROR, RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
  RC_TOPIC_FILTER_INVALID, SUBACK_FAILURE, codecErrorOf, isThenable,
} from './common.js';

export function onSubscribe(c: Connection, p: SubscribePacket): CodecError | null {
  // We advertise Subscription Identifiers Available = 0 (5.0 §3.2.2.3.12).
  if (p.properties !== null && p.properties.subscriptionIdentifier !== undefined) {
    return codecErrorOf(RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, '5:§3.2.2.3.12', 'Subscription Identifiers are not supported');
  }
  const answers: Array<Answer<boolean>> = [];
  let pending = false;
  for (let i = 0; i < p.subscriptions.length; i++) {
    const filter = p.subscriptions[i].topicFilter;
    const a = isValidTopicFilter(filter) ? c.broker.hooks.authorizeSubscribe(c, filter) : false;
    if (isThenable(a)) pending = true;
    answers.push(a);
  }
  if (!pending) {
    grant(c, p, answers as boolean[]);
    return null;
  }
  c.waiting++;
  Promise.all(answers).then(function (results: boolean[]) {
    c.waiting--;
    grant(c, p, results);
    c.process();
  }, function () {
    c.waiting--;
    c.fail(codecErrorOf(RC_PROTOCOL_ERROR, '(hook)', 'authorizeSubscribe failed'));
  });
  return null;
}

function grant(c: Connection, p: SubscribePacket, allowed: boolean[]): void {
  const b = c.broker;
  const session = c.session;
  if (session === null || c.state === 3) return;
  const v5 = c.version === MQTT_5;
  const codes: number[] = [];
  const granted: Subscription[] = [];
  const isNew: boolean[] = [];
  for (let i = 0; i < p.subscriptions.length; i++) {
    const s = p.subscriptions[i];
    let code = s.qos as number;
    if (!isValidTopicFilter(s.topicFilter)) code = v5 ? RC_TOPIC_FILTER_INVALID : SUBACK_FAILURE;
    else if (v5 && s.topicFilter.slice(0, 7) === '$share/') code = RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
    else if (!allowed[i]) code = v5 ? RC_NOT_AUTHORIZED : SUBACK_FAILURE;
    else {
      const added = b.addSubscription(session, s);
      if (added < 0) code = v5 ? RC_QUOTA_EXCEEDED : SUBACK_FAILURE;
      else {
        granted.push(s);
        isNew.push(added === 1);
      }
    }
    if (code >= 0x80) b.log(c, 'SUBSCRIBE "' + s.topicFilter + '" refused: 0x' + code.toString(16));
    codes.push(code);
  }
  if (c.version === MQTT_3_1 && granted.length < codes.length) {
    // MQTT 3.1 has no SUBACK failure code: a refused filter closes the connection rather
    // than being "granted" and silently never delivered (spec-checklist Part 4).
    c.fail(codecErrorOf(RC_NOT_AUTHORIZED, '3.1 §SUBACK', 'a topic filter was refused and 3.1 cannot be told'));
    return;
  }
  c.sendPacket({ type: SUBACK, packetId: p.packetId, properties: null, reasonCodes: codes });
  // [MQTT-3.3.1-6] retained messages for each new subscription (5.0 §3.3.1.3 Retain Handling).
  for (let i = 0; i < granted.length; i++) {
    const rh = v5 ? granted[i].retainHandling : 0;
    if (rh === 2 || (rh === 1 && !isNew[i])) continue;
    b.sendRetained(session, granted[i]);
  }
}
