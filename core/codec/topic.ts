// Topic Names and Topic Filters (5.0 §4.7, 3.1.1 §4.7). Both are at least one character
// [MQTT-4.7.3-1] and hold no U+0000 [MQTT-4.7.3-2] (the UTF-8 decoder already refuses it).

const SLASH = 0x2f;   // '/'
const PLUS = 0x2b;    // '+'
const HASH = 0x23;    // '#'

/** A Topic Name carries no wildcard [MQTT-4.7.0-1]; an empty one is never valid here. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0) return false;
  return topic.indexOf('+') < 0 && topic.indexOf('#') < 0;
}

/**
 * '#' stands alone as the last level [MQTT-4.7.1-1]; '+' fills a whole level
 * [MQTT-4.7.1-2]: `#`, `a/#`, `+/b/+` are valid; `a#`, `a/#/b`, `a+` are not.
 */
export function isValidTopicFilter(filter: string): boolean {
  const n = filter.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c !== PLUS && c !== HASH) continue;
    const alone = (i === 0 || filter.charCodeAt(i - 1) === SLASH) &&
      (i === n - 1 || filter.charCodeAt(i + 1) === SLASH);
    if (!alone) return false;
    if (c === HASH && i !== n - 1) return false;
  }
  return true;
}

/**
 * A shared subscription filter, `$share/{ShareName}/{filter}` (5.0 §4.8.2): a ShareName of
 * at least one character without `/`, `+` or `#` [MQTT-4.8.2-1] [MQTT-4.8.2-2], then a
 * valid Topic Filter (`$share/g//finance` matches `/finance`).
 */
export function isValidSharedFilter(filter: string): boolean {
  if (filter.slice(0, 7) !== '$share/') return false;
  const slash = filter.indexOf('/', 7);
  if (slash <= 7) return false;
  const name = filter.slice(7, slash);
  if (name.indexOf('+') >= 0 || name.indexOf('#') >= 0) return false;
  return isValidTopicFilter(filter.slice(slash + 1));
}
