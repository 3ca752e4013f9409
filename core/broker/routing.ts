// Routing: which sessions get a message. The topic tree gives every matching subscription;
// they are folded into one target per session (several overlapping subscriptions deliver
// once, at the highest granted QoS [4:MQTT-3.3.5-1], with all their Subscription
// Identifiers [5:MQTT-3.3.4-3]) and one group per shared subscription (one member each
// message, 5.0 §4.8.2). Folded lists are kept until subscriptions change: each connection
// keeps the one of the topic it last published to (a device mostly publishes to one
// topic), and the broker's cache keeps those that are costly to fold (many subscribers, or
// shared ones). A topic with a few exact subscribers is walked and folded again instead:
// that is about as fast as a lookup, and with 100,000 devices, each its own topic, caching
// those would only churn the cache.

import type { QoS } from '../codec/index.js';
import { MQTT_5, RC_QUOTA_EXCEEDED, encodeUtf8, quote } from '../codec/index.js';
import type { DeliveryHost } from './delivery.js';
import type { Connection } from './connection.js';
import { ACTIVE } from './connection-state.js';
import { hasRoom } from './backlog.js';
import { deliver } from './delivery.js';
import { setRetained } from './state/owner.js';
import type { Message } from './message.js';
import { DROP_NO_SHARE_MEMBER, DROP_READ_REFUSED, DROP_RETAINED_FULL, countDrop } from './drops.js';
import type { Session, Subscriber } from './session.js';
import { LOG_LIMIT } from './log-events.js';


/** What routing needs of the broker: its folded match lists and shared-subscription cursors. */
export interface RoutingHost extends DeliveryHost {
  matchCache: Map<string, Matches>;     // the newer half of the cache
  matchCacheOld: Map<string, Matches>;  // the older half
  matchCacheCount: number;
  matchEpoch: number;                   // changes whenever subscriptions do
  matchScratch: Subscriber[];
  shareCursors: Map<string, number>;
}


/** The members of one shared subscription ($share/{name}/{filter}) that match a topic. */
export interface SharedGroup {
  key: string;             // name + U+0000 + filter: one shared subscription
  members: Subscriber[];
}

export interface Matches {
  direct: Subscriber[];
  shared: SharedGroup[];
  topicBytes: Uint8Array | null;  // the topic as UTF-8, encoded once per topic for every frame
}

// What every topic nobody subscribes to shares: a burst of publishes to new topics (retained
// messages stored one by one, say) costs the cache an entry each, not a list and a buffer.
// Frozen, lists too: nothing writes to it, and the Moddable linker keeps frozen objects in flash.
const NO_MATCHES: Matches = Object.freeze({
  direct: Object.freeze([] as Subscriber[]) as Subscriber[],
  shared: Object.freeze([] as SharedGroup[]) as SharedGroup[],
  topicBytes: null,
});
// The shared groups of a list that has none (a list of its own is made for the first shared
// member); frozen, as NO_MATCHES.
const NO_GROUPS: SharedGroup[] = Object.freeze([] as SharedGroup[]) as SharedGroup[];

// A folded list with this many subscribers, or with a shared subscription, goes into the
// broker's cache; below it the walk and fold cost about what the lookup would save.
const CACHE_FROM = 4;

/** route(): refused before anything was delivered, for a 5.0 publisher's full retained store (0x97). */
export const ROUTE_REFUSED = -1;
/** route(): under slowSubscriberPolicy 'hold', a subscriber has no room: the publisher waits. */
export const ROUTE_HOLD = -2;

/**
 * Hands a message to every matching session. Returns how many sessions it went to, or
 * ROUTE_REFUSED / ROUTE_HOLD. A subscriber without room loses it by its own policy
 * (backlog.ts); only the 'hold' policy makes the publisher wait. `force` delivers anyway.
 */
export function route(b: RoutingHost, m: Message, from: Connection | null, force: boolean): number {
  if (m.expiresAtMs < 0 && m.properties !== null && m.properties.messageExpiryInterval !== undefined) {
    m.expiresAtMs = b.nowMs + m.properties.messageExpiryInterval * 1000;   // 5.0 §3.3.2.3.3
  }
  const t = matches(b, m.topic, from);
  if (m.qos > 0 && !force && b.limits.slowSubscriberPolicy === 'hold' && !roomForAll(b, t, m.topic)) return ROUTE_HOLD;
  m.topicBytes = t.topicBytes;
  b.stats.messagesIn++;
  if (m.retain) {
    const rc = setRetained(b, m);
    if (rc === RC_QUOTA_EXCEEDED) {
      countDrop(b, null, DROP_RETAINED_FULL);
      b.log(from, 'retained store full: ' + quote(m.topic) + ' not retained', LOG_LIMIT);
      if (from !== null && (__MQTT5__ && from.version === MQTT_5) && m.qos > 0 && !force) return ROUTE_REFUSED;
    }
  }
  // The count is of sessions that got it (the read check let them): 0 tells a 5.0
  // publisher "no matching subscribers" (0x10).
  let count = 0;
  for (let i = 0; i < t.direct.length; i++) {
    const sub = t.direct[i];
    // 5.0 §3.8.3.1 No Local: not back to the connection that published it.
    if (sub.noLocal && sub.session.clientId === m.publisher) continue;
    if (!b.mayRead(sub.session, m.topic)) continue;
    send(b, sub, m, '');
    count++;
  }
  for (let i = 0; i < t.shared.length; i++) {
    const g = t.shared[i];
    const member = pickMember(b, g, m.topic, null, true);
    if (member === null) continue;   // no member may read it: not delivered
    send(b, member, m, g.key);
    count++;
  }
  return count;
}

/** Hands `m` to the subscriber's session; the read check has let it. */
function send(b: RoutingHost, sub: Subscriber, m: Message, shareKey: string): void {
  // [4:MQTT-3.3.1-9] retain is 0 on normal delivery, unless Retain As Published (5.0).
  const qos = (m.qos < sub.qos ? m.qos : sub.qos) as QoS;
  deliver(b, sub.session, m, qos, sub.retainAsPublished && m.retain, sub.subscriptionIds, shareKey);
}

// A subscriber that may not read the topic gets nothing, so its full queue holds nobody back.
function roomForAll(b: RoutingHost, t: Matches, topic: string): boolean {
  for (let i = 0; i < t.direct.length; i++) {
    const s = t.direct[i].session;
    if (!hasRoom(b, s) && b.mayRead(s, topic)) return false;
  }
  for (let i = 0; i < t.shared.length; i++) {
    const g = t.shared[i];
    if (pickMember(b, g, topic, null, false) === null && anyReader(b, g, topic)) return false;
  }
  return true;
}

function anyReader(b: RoutingHost, g: SharedGroup, topic: string): boolean {
  for (let i = 0; i < g.members.length; i++) if (b.mayRead(g.members[i].session, topic)) return true;
  return false;
}

/**
 * The member of a shared subscription to get the next message on `topic`: round robin over
 * those online with room, else over those offline (their queue keeps it), else, when
 * `advance`, the next one online without room (its backlog policy then decides); only
 * members the read check lets read it (issue 14 §2: a member that may not would take the
 * message from one that may), never `except`. `advance` moves the round robin on (false:
 * only asking whether anyone can take it).
 */
export function pickMember(b: RoutingHost, g: SharedGroup, topic: string, except: Session | null, advance: boolean): Subscriber | null {
  const n = g.members.length;
  const cursor = b.shareCursors.get(g.key);
  const start = cursor === undefined ? 0 : cursor;
  let offline: Subscriber | null = null;
  let full: Subscriber | null = null;
  for (let k = 0; k < n; k++) {
    const member = g.members[(start + k) % n];
    const s = member.session;
    if (s === except) continue;
    const online = s.connection !== null && s.connection.state === ACTIVE;
    if (online && hasRoom(b, s)) {
      if (!b.mayRead(s, topic)) continue;
      if (advance) b.shareCursors.set(g.key, (start + k + 1) % n);
      return member;
    }
    if (!online && offline === null && b.mayRead(s, topic)) offline = member;
    if (online && full === null && b.mayRead(s, topic)) full = member;
  }
  if (offline === null && !advance) return null;
  if (advance) b.shareCursors.set(g.key, (start + 1) % n);
  return offline !== null ? offline : full;
}

/**
 * The folded match list for a topic: the publishing connection's last one, the broker's
 * cache or the tree. `from` (null for the broker's own messages) keeps what it got.
 */
export function matches(b: RoutingHost, topic: string, from: Connection | null): Matches {
  if (from !== null && from.lastMatchEpoch === b.matchEpoch && from.lastTopic === topic) return from.lastMatches as Matches;
  let t = b.matchCache.get(topic);
  if (t === undefined) {
    t = b.matchCacheOld.get(topic);
    if (t !== undefined) keep(b, topic, t);   // still in use: back into the newer half
    else {
      t = fold(b, topic);
      if (t.direct.length >= CACHE_FROM || t.shared.length > 0) keep(b, topic, t);
    }
  }
  if (from !== null) {
    from.lastTopic = topic;
    from.lastMatches = t;
    from.lastMatchEpoch = b.matchEpoch;
  }
  return t;
}

function fold(b: RoutingHost, topic: string): Matches {
  const out = b.matchScratch;
  const n = b.tree.match(topic, out);
  if (n === 0) return NO_MATCHES;
  const t: Matches = { direct: [], shared: NO_GROUPS, topicBytes: encodeUtf8(topic) };
  for (let i = 0; i < n; i++) {
    const sub = out[i];
    if (sub.shareName === '') addDirect(t.direct, sub);
    else {
      if (t.shared === NO_GROUPS) t.shared = [];
      addMember(t.shared, sub);
    }
  }
  return t;
}

/**
 * Into the broker's cache, which is two halves of matchCacheSize / 2 lists: when the newer
 * is full it becomes the older and the older one is dropped, so filling the cache never
 * empties it at once, and a list looked up in the older half moves back to the newer.
 */
function keep(b: RoutingHost, topic: string, t: Matches): void {
  const size = b.limits.matchCacheSize;
  if (size <= 0) return;
  if (b.matchCacheCount >= (size + 1) >> 1) {
    const older = b.matchCacheOld;
    older.clear();
    b.matchCacheOld = b.matchCache;
    b.matchCache = older;
    b.matchCacheCount = 0;
  }
  b.matchCache.set(topic, t);
  b.matchCacheCount++;
}

function addDirect(list: Subscriber[], sub: Subscriber): void {
  for (let j = 0; j < list.length; j++) {
    if (list[j].session === sub.session) {
      list[j] = mergeOverlap(list[j], sub);
      return;
    }
  }
  list.push(sub);
}

function addMember(groups: SharedGroup[], sub: Subscriber): void {
  const key = sub.shareName + '\u0000' + sub.topicFilter;
  for (let j = 0; j < groups.length; j++) {
    if (groups[j].key === key) {
      groups[j].members.push(sub);
      return;
    }
  }
  groups.push({ key: key, members: [sub] });
}

function mergeOverlap(a: Subscriber, b: Subscriber): Subscriber {
  let ids = a.subscriptionIds;
  if (b.subscriptionIds !== null) ids = ids === null ? b.subscriptionIds : ids.concat(b.subscriptionIds);
  return {
    session: a.session, topicFilter: a.topicFilter, qos: a.qos > b.qos ? a.qos : b.qos, noLocal: a.noLocal && b.noLocal,
    retainAsPublished: a.retainAsPublished || b.retainAsPublished, retainHandling: a.retainHandling,
    subscriptionIds: ids, shareName: '',
  };
}

/**
 * A session of a shared subscription ended with messages it had not finished: give them to
 * another member (5.0 §4.8.2). QoS 1 in flight and anything still queued move on; a QoS 2
 * message already sent stays with the session that had it [5:MQTT-4.8.2-5].
 */
export function redispatch(b: RoutingHost, s: Session): void {
  for (let i = 0; i < s.inflight.length; i++) {
    const o = s.inflight.item(i);
    if (o.shareKey !== '' && o.qos === 1) resendShared(b, s, o.message, o.shareKey);
  }
  for (let i = 0; i < s.queue.length; i++) {
    const q = s.queue.item(i);
    if (q.shareKey !== '') resendShared(b, s, q.message, q.shareKey);
  }
}

function resendShared(b: RoutingHost, from: Session, m: Message, shareKey: string): void {
  const t = matches(b, m.topic, null);
  for (let i = 0; i < t.shared.length; i++) {
    if (t.shared[i].key !== shareKey) continue;
    const member = pickMember(b, t.shared[i], m.topic, from, true);
    if (member !== null) send(b, member, m, shareKey);
    else countDrop(b, from, DROP_READ_REFUSED);   // no other member may read it
    return;
  }
  countDrop(b, from, DROP_NO_SHARE_MEMBER);   // the shared subscription ended with its last member
}
