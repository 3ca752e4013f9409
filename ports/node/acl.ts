// The ACL file: who may publish (write) and subscribe (read) where. With an ACL configured
// everything not allowed is denied, and a deny rule beats an allow rule. `#` and `+` never
// reach into `$SYS/...` (MQTT's rule for `$` topics), so `$SYS` is readable only where a
// rule names it.
//
//   # comment
//   allow read  $SYS/#            rules before any scope line apply to everyone
//   user alice                    the rules below apply to user name "alice"
//   allow readwrite home/#
//   deny  write home/locks/#
//   client sensor-1               ... to client id "sensor-1"
//   allow write devices/%c/#      %c: the client id, %u: the user name
//   all                           ... to everyone again
//   topic read public/#           mosquitto's spelling: `topic [read|write|readwrite|deny] T`
//   pattern write users/%u/#      mosquitto's `pattern`: for everyone, wherever it is written
//
// Read as mosquitto's format (format 'mosquitto', an acl_file named in a mosquitto.conf),
// `topic` lines before the first user or client line are for anonymous clients only, as
// mosquitto has them, instead of for everyone.
import { isValidTopicFilter } from '../../core/index.js';

export interface AclRule {
  allow: boolean;
  read: boolean;
  write: boolean;
  filter: string;
  levels: string[] | null;        // pre-split when the filter has no %u / %c
  line: number;
}

export type AclFormat = 'ganglion' | 'mosquitto';

export interface Acl {
  all: AclRule[];
  anonymous: AclRule[];           // for clients without a user name (mosquitto format only)
  users: Map<string, AclRule[]>;
  clients: Map<string, AclRule[]>;
}

export function parseAcl(text: string, name = 'ACL file', format: AclFormat = 'ganglion'): Acl {
  const acl: Acl = { all: [], anonymous: [], users: new Map(), clients: new Map() };
  let scope = acl.all;
  let scoped = false;   // a user or client line has been seen
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${name}:${i + 1}`;
    const words = line.split(/\s+/);
    const head = words[0];
    const rest = line.slice(head.length).trim();
    if (head === 'user' || head === 'client') {
      if (rest === '') throw new Error(`${where}: "${head}" needs a name`);
      const map = head === 'user' ? acl.users : acl.clients;
      let rules = map.get(rest);
      if (rules === undefined) map.set(rest, (rules = []));
      scope = rules;
      scoped = true;
      continue;
    }
    if (head === 'all') {
      if (rest !== '') throw new Error(`${where}: "all" takes nothing after it`);
      scope = acl.all;
      continue;
    }
    let allow: boolean;
    let access: string;
    let filter: string;
    let target = scope;
    if (head === 'allow' || head === 'deny') {
      if (words.length < 3) throw new Error(`${where}: expected "${head} read|write|readwrite TOPIC"`);
      allow = head === 'allow';
      access = words[1];
      filter = line.slice(line.indexOf(access, head.length) + access.length).trim();
    } else if (head === 'topic' || head === 'pattern') {
      // mosquitto: `topic [read|write|readwrite|deny] TOPIC`, no access word meaning readwrite.
      if (words.length < 2) throw new Error(`${where}: expected "${head} [read|write|readwrite|deny] TOPIC"`);
      const hasAccess = words.length >= 3 && /^(read|write|readwrite|deny)$/.test(words[1]);
      access = hasAccess ? words[1] : 'readwrite';
      filter = hasAccess ? line.slice(line.indexOf(words[1], head.length) + words[1].length).trim() : rest;
      allow = access !== 'deny';
      if (access === 'deny') access = 'readwrite';
      if (head === 'pattern') target = acl.all;
      else if (format === 'mosquitto' && !scoped) target = acl.anonymous;
    } else {
      throw new Error(`${where}: unknown line "${head}" (expected allow, deny, topic, pattern, user, client or all)`);
    }
    if (access !== 'read' && access !== 'write' && access !== 'readwrite') {
      throw new Error(`${where}: access must be read, write or readwrite, not "${access}"`);
    }
    if (!isValidTopicFilter(filter)) throw new Error(`${where}: "${filter}" is not a valid topic filter`);
    const substituted = filter.includes('%u') || filter.includes('%c');
    target.push({
      allow, read: access !== 'write', write: access !== 'read', filter,
      levels: substituted ? null : filter.split('/'), line: i + 1,
    });
  }
  return acl;
}

/** A substituted value that could widen a rule (wildcards, level separators) is refused. */
function unsafe(value: string | null): boolean {
  return value === null || value === '' || /[+#/]/.test(value);
}

function levelsOf(rule: AclRule, username: string | null, clientId: string): string[] | null {
  if (rule.levels !== null) return rule.levels;
  if (rule.filter.includes('%u') && unsafe(username)) return null;
  if (rule.filter.includes('%c') && unsafe(clientId)) return null;
  return rule.filter.replace(/%u/g, username ?? '').replace(/%c/g, clientId).split('/');
}

/** Whether filter levels `p` match topic levels `t` (MQTT matching, with the `$` rule). */
export function matches(p: string[], t: string[]): boolean {
  if (t.length > 0 && t[0].startsWith('$') && (p[0] === '+' || p[0] === '#')) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/** Whether every topic filter `f` matches is also matched by filter `p`. */
export function covers(p: string[], f: string[]): boolean {
  for (let i = 0; i < p.length; i++) {
    const wild = p[i] === '+' || p[i] === '#';
    if (i === 0 && wild && f.length > 0 && f[0].startsWith('$')) return false;
    if (p[i] === '#') return true;
    if (i >= f.length) return false;
    // A leading `#` matches topics of one level or more, and so does `+/#` (`#` also matches
    // the parent level [MQTT-4.7.1-2]); after a level, `a/#` matches `a`, which `a/+/#` does not.
    if (f[i] === '#') return i === 0 && p[i] === '+' && p[i + 1] === '#';
    if (p[i] === '+') continue;
    if (p[i] !== f[i]) return false;
  }
  return p.length === f.length;
}

/** Whether some topic is matched by both filters. */
export function intersects(a: string[], b: string[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i], y = b[i];
    if (x === undefined) return y === '#';
    if (y === undefined) return x === '#';
    if (i === 0) {
      const xw = x === '+' || x === '#', yw = y === '+' || y === '#';
      if ((xw && !yw && y.startsWith('$')) || (yw && !xw && x.startsWith('$'))) return false;
    }
    if (x === '#' || y === '#') return true;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
  return true;
}

function eachRule(acl: Acl, username: string | null, clientId: string, fn: (r: AclRule) => boolean): void {
  for (const r of acl.all) if (fn(r)) return;
  if (username === null) for (const r of acl.anonymous) if (fn(r)) return;
  if (username !== null) for (const r of acl.users.get(username) ?? []) if (fn(r)) return;
  for (const r of acl.clients.get(clientId) ?? []) if (fn(r)) return;
}

/** May this client publish to `topic`? */
export function mayPublish(acl: Acl, username: string | null, clientId: string, topic: string): boolean {
  return mayAccess(acl, username, clientId, topic, false);
}

// An allow rule must match the topic, and no deny rule may (deny beats allow).
function mayAccess(acl: Acl, username: string | null, clientId: string, topic: string, read: boolean): boolean {
  const t = topic.split('/');
  let allowed = false;
  let denied = false;
  eachRule(acl, username, clientId, (r) => {
    if (read ? !r.read : !r.write) return false;
    const levels = levelsOf(r, username, clientId);
    if (levels === null || !matches(levels, t)) return false;
    if (r.allow) allowed = true;
    else denied = true;
    return denied;
  });
  return allowed && !denied;
}

/**
 * May this client subscribe to `filter`? When some read rule could allow a topic it
 * matches, and no deny rule covers all of them; which topics it actually gets is decided
 * per message by mayRead (the core's authorizeRead hook), as mosquitto does: `home/#`
 * with `deny read home/secret/+` delivers everything in home/ but home/secret/...
 */
export function maySubscribe(acl: Acl, username: string | null, clientId: string, filter: string): boolean {
  const f = filter.split('/');
  let allowed = false;
  let denied = false;
  eachRule(acl, username, clientId, (r) => {
    if (!r.read) return false;
    const levels = levelsOf(r, username, clientId);
    if (levels === null) return false;
    if (r.allow) {
      if (intersects(levels, f)) allowed = true;
    } else if (covers(levels, f)) denied = true;
    return denied;
  });
  return allowed && !denied;
}

/** May this client receive a message on `topic`? (Asked for every delivery.) */
export function mayRead(acl: Acl, username: string | null, clientId: string, topic: string): boolean {
  return mayAccess(acl, username, clientId, topic, true);
}
