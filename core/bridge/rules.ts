// A bridge's topic rules, as mosquitto's `topic pattern [out|in|both [qos [local-prefix
// remote-prefix]]]`: the local topic is local-prefix + pattern's topic, the remote one
// remote-prefix + the same. `out` forwards local messages matching local-prefix + pattern
// to the upstream; `in` subscribes the upstream to remote-prefix + pattern and publishes what
// comes locally; `both` does both. QoS is the most a message keeps on its way across.
import type { QoS } from '../index.js';

export type Direction = 'out' | 'in' | 'both';

export interface TopicRule {
  pattern: string;        // a topic filter ('#' for everything)
  direction: Direction;
  qos: QoS;
  localPrefix: string;
  remotePrefix: string;
}

/** The filter that picks a rule's messages on one side. */
export function localFilter(r: TopicRule): string {
  return r.localPrefix + r.pattern;
}

export function remoteFilter(r: TopicRule): string {
  return r.remotePrefix + r.pattern;
}

/** Whether topic name `topic` matches topic filter `filter` (4.7: `+` one level, `#` the rest; `$` topics only by name). */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] a filter starting with a wildcard never matches a topic starting with $.
  if ((f[0] === '#' || f[0] === '+') && topic.charCodeAt(0) === 0x24) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The remote topic of a local one (out), or null when `topic` is not this rule's. */
export function toRemote(r: TopicRule, topic: string): string | null {
  if (r.direction === 'in' || topic.indexOf(r.localPrefix) !== 0 || !filterMatches(localFilter(r), topic)) return null;
  return r.remotePrefix + topic.slice(r.localPrefix.length);
}

/** The local topic of a remote one (in), or null when `topic` is not this rule's. */
export function toLocal(r: TopicRule, topic: string): string | null {
  if (r.direction === 'out' || topic.indexOf(r.remotePrefix) !== 0 || !filterMatches(remoteFilter(r), topic)) return null;
  return r.localPrefix + topic.slice(r.remotePrefix.length);
}

/** The QoS a message keeps crossing under rule `r`: its own, at most the rule's. */
export function crossingQoS(r: TopicRule, qos: QoS): QoS {
  return qos < r.qos ? qos : r.qos;
}
