// The Will Message (5.0 §3.1.2.5, 3.1.1 §3.1.2.5): published when a connection ends
// without a normal DISCONNECT. A 5.0 Will Delay Interval keeps it with the session until
// the delay passes or the session ends, whichever comes first [5:MQTT-3.1.2-8]; a new
// connection to the session before then cancels it [5:MQTT-3.1.3-9].

import type { Will } from '../codec/index.js';
import { quote } from '../codec/index.js';
import type { Hooks } from './hooks.js';
import type { RoutingHost } from './routing.js';
import type { Connection } from './connection.js';
import type { Message } from './message.js';
import { copyOf, createMessage, keep } from './message.js';
import { delayWill, takeWill, willDropped } from './state/owner.js';
import { route } from './routing.js';
import type { Session } from './session.js';
import { isThenable } from './handlers/common.js';
import { hookFailed } from './fault.js';
import { LOG_DENIED } from './log-events.js';

/** What publishing a will needs of the broker. */
export interface WillHost extends RoutingHost {
  hooks: Hooks;
  whenAnswered<T>(c: Connection | null, answer: PromiseLike<T>, ok: (value: T) => void, failed: (reason: unknown) => void): void;
}

/**
 * The CONNECT's will, copied out of the receive chunk: it lives as long as the connection
 * (and the session, with a Will Delay), and a view would keep the whole chunk alive with it,
 * or change with it where a port reuses its read buffer. Strings are copies already.
 */
export function ownWill(w: Will): Will {
  let props = w.properties;
  if (props !== null && props.correlationData !== undefined) {
    props = Object.assign({}, props);
    props.correlationData = copyOf(props.correlationData as Uint8Array);
  }
  return { topic: w.topic, payload: copyOf(w.payload), qos: w.qos, retain: w.retain, properties: props };
}

/** The connection `c` ended abnormally: publish its will now, or keep it for its delay. */
export function willOnClose(b: WillHost, c: Connection, will: Will, session: Session | null): void {
  let props = will.properties;
  let delay = 0;
  if (props !== null && props.willDelayInterval !== undefined) {
    delay = props.willDelayInterval;
    // The Will Delay Interval is for the broker; it is not forwarded with the message.
    props = Object.assign({}, props);
    delete props.willDelayInterval;
  }
  const m = createMessage(will.topic, will.payload, will.qos, will.retain, props, c.clientId);
  const kept = session !== null && b.sessions.get(session.clientId) === session;
  if (delay > 0 && kept) {
    delayWill(b, session as Session, c, m, b.nowMs + delay * 1000);
    return;
  }
  // Published now: not to be published after a restart (a session not kept had it recorded too).
  if (session !== null) willDropped(b, session);
  publishWill(b, c, m);
}

/** Publishes a will, if the application allows its topic (authorisation applies to wills). */
export function publishWill(b: WillHost, from: Connection, m: Message): void {
  const allowed = b.hooks.authorizePublish(from, m.topic);
  if (!isThenable(allowed)) {
    if (allowed) route(b, m, null, true);
    else b.log(from, 'will to ' + quote(m.topic) + ' not authorized', LOG_DENIED);
    return;
  }
  keep(m);
  // The connection it came from is already closed: a fault here belongs to no connection.
  b.whenAnswered(null, allowed, function (ok: boolean) {
    if (ok) route(b, m, null, true);
  }, function (reason: unknown) {
    hookFailed(b, null, 'authorizePublish', reason, false);   // the will is not published
  });
}

/** A delayed will whose time has come, or whose session is ending, goes out. */
export function releaseWill(b: WillHost, s: Session): void {
  const from = s.willFrom;
  const m = takeWill(b, s);
  s.willFrom = null;
  if (m !== null && from !== null) publishWill(b, from, m);
}
