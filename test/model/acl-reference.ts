// A reference evaluator of the ACL file, written from the README's description of it
// ("### ACLs"), not from ports/node/acl.ts: the model test (acl-model.ts) checks the real
// broker with the real ACL hooks against it. It parses the text itself and answers by brute
// force where acl.ts reasons about filters: "can an allow rule match a topic this filter
// matches" and "does a deny rule match every such topic" are decided by trying every topic
// of a small universe that is enough for the two filters at hand (below).

export interface RefRule {
  allow: boolean;
  read: boolean;
  write: boolean;
  filter: string;
}

interface Scoped {
  kind: 'all' | 'user' | 'client';
  name: string;
  rule: RefRule;
}

export class ReferenceAcl {
  private rules: Scoped[] = [];
  private cache = new Map<string, boolean>();

  constructor(text: string) {
    let kind: Scoped['kind'] = 'all';
    let name = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line[0] === '#') continue;                    // "Lines starting with # are comments"
      const words = line.split(/\s+/);
      if (words[0] === 'user' || words[0] === 'client') { kind = words[0]; name = line.slice(words[0].length).trim(); continue; }
      if (words[0] === 'all') { kind = 'all'; name = ''; continue; }
      let allow: boolean, access: string, filter: string;
      let k = kind, n = name;
      if (words[0] === 'allow' || words[0] === 'deny') {
        allow = words[0] === 'allow'; access = words[1]; filter = words.slice(2).join(' ');
      } else if (words[0] === 'topic' || words[0] === 'pattern') {
        const has = words.length > 2 && ['read', 'write', 'readwrite', 'deny'].includes(words[1]);
        access = has ? words[1] : 'readwrite';
        filter = words.slice(has ? 2 : 1).join(' ');
        allow = access !== 'deny';                                     // "topic deny T ... deny both"
        if (access === 'deny') access = 'readwrite';
        if (words[0] === 'pattern') { k = 'all'; n = ''; }             // "for everyone wherever it is written"
      } else {
        throw new Error('reference: unknown line ' + line);
      }
      this.rules.push({ kind: k, name: n, rule: { allow, read: access !== 'write', write: access !== 'read', filter } });
    }
  }

  /** The rules for this client, with %u and %c put in; rules whose value is missing or unsafe are left out. */
  private applying(user: string | null, clientId: string, read: boolean): RefRule[] {
    const out: RefRule[] = [];
    for (const s of this.rules) {
      if (s.kind === 'user' && s.name !== user) continue;
      if (s.kind === 'client' && s.name !== clientId) continue;
      if (read ? !s.rule.read : !s.rule.write) continue;
      let f = s.rule.filter;
      if (f.includes('%u')) {
        if (user === null || user === '' || /[+#/]/.test(user)) continue;
        f = f.split('%u').join(user);
      }
      if (f.includes('%c')) {
        if (clientId === '' || /[+#/]/.test(clientId)) continue;
        f = f.split('%c').join(clientId);
      }
      out.push({ ...s.rule, filter: f });
    }
    return out;
  }

  private may(user: string | null, clientId: string, topic: string, read: boolean): boolean {
    let allowed = false;
    for (const r of this.applying(user, clientId, read)) {
      if (!topicMatches(r.filter, topic)) continue;
      if (!r.allow) return false;                                      // "a deny rule beats an allow rule"
      allowed = true;
    }
    return allowed;                                                    // "everything not allowed is denied"
  }

  mayWrite(user: string | null, clientId: string, topic: string): boolean {
    return this.may(user, clientId, topic, false);
  }

  mayRead(user: string | null, clientId: string, topic: string): boolean {
    return this.may(user, clientId, topic, true);
  }

  /** SUBSCRIBE: "$share/GROUP/FILTER is judged as FILTER". */
  maySubscribe(user: string | null, clientId: string, filter: string): boolean {
    const shared = filter.startsWith('$share/') ? filter.slice(filter.indexOf('/', 7) + 1) : filter;
    const key = (user ?? '\u0000') + '\u0001' + clientId + '\u0001' + shared;
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    const rules = this.applying(user, clientId, true);
    const answer = rules.some((r) => r.allow && someTopicOfBoth(r.filter, shared))
      && !rules.some((r) => !r.allow && everyTopicOf(shared, r.filter));
    this.cache.set(key, answer);
    return answer;
  }
}

/** MQTT topic matching, written from the spec (4.7): `+` one level, `#` the rest (or none), `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic[0] === '$' && (f[0] === '+' || f[0] === '#')) return false;   // [MQTT-4.7.2-1]
  function at(i: number, j: number): boolean {
    if (i === f.length) return j === t.length;
    if (f[i] === '#') return true;                                       // also the parent level [MQTT-4.7.1-2]
    if (j === t.length) return false;
    return (f[i] === '+' || f[i] === t[j]) && at(i + 1, j + 1);
  }
  return at(0, 0);
}

/**
 * Every topic that could tell two filters apart: levels taken from their literals, one fresh
 * literal and one fresh `$` literal, up to one level longer than the longer filter. A topic
 * outside it can be mapped onto one inside (an unknown level becomes the fresh one of the
 * same kind, levels past the longest filter are cut down to one) without changing which of
 * the two filters match it.
 */
function universe(a: string, b: string): string[] {
  const lits = new Set<string>(['\u00a7fresh', '$fresh']);
  for (const l of (a + '/' + b).split('/')) if (l !== '+' && l !== '#') lits.add(l);
  const alphabet = [...lits];
  const max = Math.max(a.split('/').length, b.split('/').length) + 1;
  const out: string[] = [];
  let layer: string[] = [''];
  for (let n = 1; n <= max; n++) {
    const next: string[] = [];
    for (const prefix of layer) for (const l of alphabet) next.push(n === 1 ? l : prefix + '/' + l);
    out.push(...next);
    layer = next;
  }
  return out;
}

function someTopicOfBoth(a: string, b: string): boolean {
  return universe(a, b).some((t) => topicMatches(a, t) && topicMatches(b, t));
}

/** Whether `cover` matches every topic `filter` matches. */
function everyTopicOf(filter: string, cover: string): boolean {
  return universe(filter, cover).every((t) => !topicMatches(filter, t) || topicMatches(cover, t));
}
