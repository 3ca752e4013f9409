// SUBSCRIBE (5.0 §3.8.4, 3.1.1 §3.8.4): each filter is checked, authorised and granted or
// refused on its own; SUBACK carries one code per filter in order [MQTT-3.8.4-6]; retained
// messages follow as the Retain Handling option says.

import type { CodecError, QoS, SubscribePacket, Subscription } from '../../codec/index.js';
import { quote, RC_QUOTA_EXCEEDED, RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, SUBACK, isValidSharedFilter, isValidTopicFilter } from '../../codec/index.js';
import type { Connection } from '../connection.js';
import { CLOSED } from '../connection.js';
import { hookFailed } from '../fault.js';
import { addSubscription } from '../state/owner.js';
import type { Answer } from './common.js';
import {
  MQTT_3_1, MQTT_5, RC_NOT_AUTHORIZED, RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
  RC_TOPIC_FILTER_INVALID, SUBACK_FAILURE, codecError, isThenable,
} from './common.js';
import { LOG_DETAIL } from '../log-events.js';


export function onSubscribe(c: Connection, p: SubscribePacket): CodecError | null {
  // 5.0 §3.2.2.3.12: with Subscription Identifiers Available = 0 announced, one is 0xA1.
  if (p.properties !== null && p.properties.subscriptionIdentifier !== undefined && !c.broker.limits.subscriptionIdentifiersAvailable) {
    return codecError(RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, '5:§3.2.2.3.12', 'Subscription Identifiers are not supported');
  }
  const answers: Array<Answer<boolean>> = [];
  let pending = false;
  try {
    for (let i = 0; i < p.subscriptions.length; i++) {
      const filter = p.subscriptions[i].topicFilter;
      const a = filterCode(c, filter) < 0x80 ? c.broker.hooks.authorizeSubscribe(c, filter) : false;
      if (isThenable(a)) pending = true;
      answers.push(a);
    }
  } catch (e) {
    // The hook threw for a later filter: the answers already given will never be waited
    // for, and a rejection nobody handles ends a Node process. Handle them, then go on failing.
    for (let i = 0; i < answers.length; i++) {
      const a = answers[i];
      if (isThenable(a)) a.then(ignore, ignore);
    }
    throw e;
  }
  if (!pending) {
    grant(c, p, answers as boolean[]);
    return null;
  }
  c.waiting++;
  const b = c.broker;
  b.whenAnswered(c, Promise.all(answers), function (results: boolean[]) {
    c.waiting--;
    grant(c, p, results);
    c.process();
  }, function (reason: unknown) {
    c.waiting--;
    hookFailed(b, c, 'authorizeSubscribe', reason, true);
  });
  return null;
}

function grant(c: Connection, p: SubscribePacket, allowed: boolean[]): void {
  const b = c.broker;
  const session = c.session;
  if (session === null || c.state === CLOSED) return;
  const v5 = (__MQTT5__ && c.version === MQTT_5);
  const ids = p.properties !== null ? p.properties.subscriptionIdentifier : undefined;
  const subscriptionId = ids === undefined ? null : ids[0];
  const codes: number[] = [];
  const granted: Subscription[] = [];
  const isNew: boolean[] = [];
  for (let i = 0; i < p.subscriptions.length; i++) {
    const s = p.subscriptions[i];
    let code = filterCode(c, s.topicFilter);
    if (code < 0x80 && !allowed[i]) code = v5 ? RC_NOT_AUTHORIZED : SUBACK_FAILURE;
    if (code < 0x80) {
      // 5.0 §3.2.2.3.4: never grant above our Maximum QoS; the SUBACK says what was granted.
      const qos = (s.qos < b.limits.maximumQoS ? s.qos : b.limits.maximumQoS) as QoS;
      // A 3.x bridge (mosquitto's bridge flag) gets its own messages not back and the retain
      // flag as published, as mosquitto's handle_subscribe.c gives it: 3.x's way to 5.0's options.
      const sub: Subscription = { topicFilter: s.topicFilter, qos: qos, noLocal: s.noLocal || c.bridge,
        retainAsPublished: s.retainAsPublished || c.bridge, retainHandling: s.retainHandling };
      const added = addSubscription(b, session, sub, subscriptionId);
      if (added < 0) code = v5 ? RC_QUOTA_EXCEEDED : SUBACK_FAILURE;
      else {
        code = qos;
        granted.push(sub);
        isNew.push(added === 1);
      }
    }
    if (code >= 0x80) b.log(c, 'SUBSCRIBE ' + quote(s.topicFilter) + ' refused: 0x' + code.toString(16), LOG_DETAIL);
    codes.push(code);
  }
  if (c.version === MQTT_3_1 && granted.length < codes.length) {
    // MQTT 3.1 has no SUBACK failure code: a refused filter closes the connection rather
    // than being "granted" and silently never delivered (spec-checklist Part 4).
    c.fail(codecError(RC_NOT_AUTHORIZED, '3.1 §SUBACK', 'a topic filter was refused and 3.1 cannot be told'));
    return;
  }
  c.sendPacket({ type: SUBACK, packetId: p.packetId, properties: null, reasonCodes: codes });
  // [MQTT-3.3.1-6] retained messages for each new subscription (5.0 §3.3.1.3 Retain Handling),
  // never for a shared one (5.0 §4.8.2).
  for (let i = 0; i < granted.length; i++) {
    const rh = v5 ? granted[i].retainHandling : 0;
    if (rh === 2 || (rh === 1 && !isNew[i]) || granted[i].topicFilter.slice(0, 7) === '$share/') continue;
    b.sendRetained(session, granted[i]);
  }
}

/**
 * Whether this server takes the filter at all: 0 if so, or the code refusing it. Shared
 * subscriptions ($share/...) are honoured for 3.1.1 clients too (a decision; 3.1.1 has none).
 */
function filterCode(c: Connection, filter: string): number {
  const v5 = (__MQTT5__ && c.version === MQTT_5);
  const limits = c.broker.limits;
  const shared = filter.slice(0, 7) === '$share/';
  if (shared ? !isValidSharedFilter(filter) : !isValidTopicFilter(filter)) return v5 ? RC_TOPIC_FILTER_INVALID : SUBACK_FAILURE;
  if (shared && !limits.sharedSubscriptionAvailable) return v5 ? RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE;
  if (!limits.wildcardSubscriptionAvailable && (filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0)) {
    return v5 ? RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED : SUBACK_FAILURE;   // 5.0 §3.2.2.3.11
  }
  return 0;
}

function ignore(): void {
  // an answer no one waits for any more
}
