// The ACL model test (issue 14 §5): random users, ACL rules, filters, shared groups, wills,
// retained messages, topic aliases (both ways) and resumed sessions, driven through the real
// broker core with the real ACL hooks of ports/node (makeHooks over parseAcl, as server.ts
// wires them), on fake transports and a fake clock. Every message a client receives and every
// publish that takes effect is checked against the reference evaluator (acl-reference.ts,
// written from the README), and so are SUBACK codes, CONNACK refusals of another identity's
// client id, and a 5.0 publisher's 0x87 / 0x10. The ACL is reloaded at random, as SIGHUP does.
//
//   node --import ./test/ts-loader.mjs test/model/acl-model.ts [--steps N] [--seed S] [--seeds K]
//   npm run test:acl-model      (a million steps)
//
// What is checked, for each delivery to a session (one client id, owned by one identity):
//   - the message was published (or was a will) and its publisher was allowed to write it;
//   - the session's identity may read its topic under the ACL in force at that moment;
//   - the session was owed it: a direct subscription matched when it was published, or a
//     shared group it belongs to had not given it to anyone yet, or a subscription made
//     just now matched it as the retained message (retain flag set), or it is a DUP resend of
//     a packet id still unacknowledged;
// and what must have arrived: on line sessions that acknowledge everything get each
// readable match at once (one member of a shared group), a resumed session gets what was
// queued for it and is still readable, a new subscription gets the readable retained
// messages, a QoS 2 delivery past PUBREC gets its PUBREL on resume. Sessions that ever had
// a connection that does not acknowledge ("mute") are only checked for the first list.

import type { AckPacket, BrokerOptions, ConnackPacket, Packet, Properties, PublishPacket, QoS, SubackPacket } from '../../core/index.js';
import { CONNECT, DISCONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE } from '../../core/index.js';
import { parseAcl } from '../../ports/node/acl.js';
import { buildConfig } from '../../ports/node/config.js';
import { createLogger } from '../../ports/node/logger.js';
import { makeHooks } from '../../ports/node/server.js';
import { rig } from '../helpers/rig.js';
import type { Rig } from '../helpers/rig.js';
import { ReferenceAcl, topicMatches } from './acl-reference.js';
import { prng as random } from '../helpers/prng.js';

const USERS: Array<string | null> = ['alice', 'bob', 'carol', null];
const CLIENT_IDS = ['c1', 'c2', 'c3', 'c4', 'c/5', 'c+6'];           // the last two never fill %c
const WORDS = ['a', 'b', 'alice', 'bob', 'c1', 'c2'];
const GROUPS = ['g1', 'g2'];
const MAX_SUBS = 12;
const MUTE_STEPS = 40;                                             // a mute connection is dropped after this

const LIMITS: BrokerOptions = {
  maxConnections: 100, maxPacketSize: 65536, maxSubscriptionsPerClient: 100, maxInflight: 8, maxQueued: 100000,
  maxRetainedCount: 100000, maxRetainedBytes: 1 << 26, sysIntervalMs: 0, matchCacheSize: 16,
  topicAliasMaximum: 4, topicAliasesOut: 4, maxOutboundBytes: 1 << 26, maxOfflineBytes: 1 << 30, maxQueuedBytes: 1 << 30,
};

interface Conn {
  name: string;                         // the rig's name for this connection
  cid: string;
  user: string | null;
  version: 4 | 5;
  mute: boolean;                        // never acknowledges what it receives
  open: boolean;
  openedAt: number;
  will: { topic: string; qos: QoS; retain: boolean; id: number } | null;
  nextPid: number;
  aliasesOut: Map<string, number>;      // client to server: topic -> alias we set
  aliasesIn: Map<number, string>;       // server to client: alias -> topic
  acks: Map<number, number>;            // our QoS 1/2 publishes: packet id -> reason code expected
}

interface Sub { inner: string; share: string | null; qos: QoS }

interface Sess {
  cid: string;
  owner: string | null;
  persistent: boolean;
  conn: Conn | null;
  certain: boolean;                     // no mute connection ever: checked for what must arrive
  subs: Map<string, Sub>;               // by the filter as sent
  owed: Map<number, number>;            // message id -> fresh direct deliveries owed
  retainedOwed: Map<number, number>;    // message id -> retained replays owed
  pending: number[];                    // queued while offline (QoS > 0), checked on resume
  unacked: Map<number, { id: number; group: string | null; qos: QoS }>;   // packet id -> message
  releasing: Set<number>;               // packet ids we sent PUBREC for, PUBCOMP not yet
}

interface Msg { topic: string; qos: QoS }

export interface ModelResult {
  steps: number; published: number; denied: number; deliveries: number; shared: number; retained: number; resent: number;
  aliased: number; noMatching: number; resumed: number; refusedConnects: number; reloads: number;
}

/** Runs `steps` random operations from `seed`; throws at the first disagreement. `progress` hears every 100,000 steps. */
export function runAclModel(seed: number, steps: number, progress?: (done: number) => void): ModelResult {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const chance = (p: number): boolean => rnd() < p;
  const takeover = chance(0.3);         // allowClientIdTakeover for this run

  const errors: string[] = [];
  // The core logs its own faults as "internal error" (core/broker/fault.ts): none may happen.
  const logger = createLogger('debug', (line) => { if (line.includes('internal error')) errors.push(line); });
  let aclText = '';
  let reference = new ReferenceAcl('');
  let security = { users: null, acl: parseAcl('') };
  function reload(): void {
    aclText = randomAcl();
    reference = new ReferenceAcl(aclText);
    security = { users: null, acl: parseAcl(aclText, 'model ACL') };
  }
  const hooks = makeHooks(buildConfig({}, {}, process.cwd()), logger, () => security, {});
  const t: Rig = rig({ ...LIMITS, allowClientIdTakeover: takeover }, hooks);

  const sessions = new Map<string, Sess>();
  const msgs = new Map<number, Msg>();
  const retained = new Map<string, number>();          // topic -> message id
  const groupOwed = new Map<string, number>();         // group key | message id -> deliveries owed
  const conns: Conn[] = [];
  const result: ModelResult = {
    steps: 0, published: 0, denied: 0, deliveries: 0, shared: 0, retained: 0, resent: 0, aliased: 0, noMatching: 0, resumed: 0, refusedConnects: 0, reloads: 0,
  };
  const recent: string[] = [];
  let step = 0;
  let nextId = 1;
  let connSeq = 0;
  // What must have happened by the end of this step.
  let mustDirect: Array<{ cid: string; id: number }> = [];
  let mustGroup: string[] = [];
  let gotDirect = new Set<string>();
  let gotGroup = new Set<string>();

  function fail(why: string): never {
    const state: string[] = [];
    sessions.forEach((x) => {
      const b = t.broker.sessions.get(x.cid);
      state.push(`${x.cid}: ${x.owner ?? 'anonymous'}${x.persistent ? ' persistent' : ''}${x.conn ? ' on ' + x.conn.name : ' offline'}${x.certain ? '' : ' uncertain'}, ${x.subs.size} subscriptions [${[...x.subs.keys()].join(' ')}]; broker: ${b === undefined ? 'none' : (b.username ?? 'anonymous') + ', queue ' + b.queue.length + ', in flight ' + b.inflight.length}`);
    });
    throw new Error(`ACL model, seed ${seed}, step ${step}: ${why}\nallowClientIdTakeover ${takeover}\nsessions:\n  ${state.join('\n  ')}\nACL:\n${aclText}\nlast operations:\n  ${recent.join('\n  ')}`);
  }
  function note(op: string): void {
    recent.push(step + ': ' + op);
    if (recent.length > 80) recent.shift();
  }

  // ---- random material ----
  function word(): string { return pick(WORDS); }
  function randomTopic(): string {
    const n = 1 + Math.floor(rnd() * 3);
    const levels = [chance(0.08) ? '$SYS' : word()];
    for (let i = 1; i < n; i++) levels.push(word());
    return levels.join('/');
  }
  function randomFilter(patterns: boolean): string {
    const n = 1 + Math.floor(rnd() * 3);
    const levels: string[] = [];
    const wild = patterns ? 0.2 : 0.3;            // subscriptions a little wider than rules
    for (let i = 0; i < n; i++) {
      if (i === n - 1 && chance(wild)) { levels.push('#'); break; }
      if (chance(wild)) levels.push('+');
      else if (patterns && chance(0.12)) levels.push('%u');
      else if (patterns && chance(0.08)) levels.push('%c');
      else if (i === 0 && chance(0.06)) levels.push('$SYS');
      else levels.push(word());
    }
    return levels.join('/');
  }
  function randomRule(): string {
    const f = randomFilter(true);
    const access = pick(['read', 'write', 'readwrite']);
    const r = rnd();
    if (r < 0.6) return 'allow ' + access + ' ' + f;
    if (r < 0.75) return 'deny ' + access + ' ' + f;
    if (r < 0.9) return 'topic ' + pick(['', 'read ', 'write ', 'readwrite ', 'deny ']) + f;
    return 'pattern ' + pick(['', 'read ', 'write ', 'deny ']) + f;
  }
  function randomAcl(): string {
    const lines: string[] = ['# model ACL, seed ' + seed + ' step ' + step];
    const block = (n: number): void => { for (let i = 0; i < n; i++) lines.push(randomRule()); };
    // Mostly a broad grant to narrow down, as real ACLs are: else almost every publish is denied.
    if (chance(0.4)) lines.push(pick(['allow readwrite #', 'topic #', 'allow write #', 'allow read #']));
    if (chance(0.4)) lines.push(pick(['pattern readwrite %u/#', 'allow readwrite %u/#', 'pattern %c/#', 'allow read +/%u']));
    block(Math.floor(rnd() * 4));
    for (const u of ['alice', 'bob', 'carol']) if (chance(0.6)) { lines.push('user ' + u); block(1 + Math.floor(rnd() * 3)); }
    for (const c of CLIENT_IDS) if (chance(0.2)) { lines.push('client ' + c); block(1 + Math.floor(rnd() * 2)); }
    if (chance(0.5)) { lines.push('all'); block(1 + Math.floor(rnd() * 2)); }
    return lines.join('\n') + '\n';
  }

  // ---- the model's rules ----
  function groupKey(sub: Sub): string { return sub.share + '\u0000' + sub.inner; }

  /** A publish (or a will) takes effect if its publisher may write it; returns whether anyone may read it. */
  function effect(user: string | null, cid: string, topic: string, qos: QoS, retain: boolean, id: number): { allowed: boolean; reached: boolean } {
    if (!reference.mayWrite(user, cid, topic)) { result.denied++; return { allowed: false, reached: false }; }
    result.published++;
    msgs.set(id, { topic, qos });
    if (retain) retained.set(topic, id);
    let reached = false;
    const groups = new Map<string, Sess[]>();
    sessions.forEach((s) => {
      let direct = -1;
      s.subs.forEach((sub) => {
        if (!topicMatches(sub.inner, topic)) return;
        if (sub.share === null) direct = Math.max(direct, sub.qos);
        else {
          const k = groupKey(sub);
          if (!groups.has(k)) groups.set(k, []);
          if (!groups.get(k)!.includes(s)) groups.get(k)!.push(s);
        }
      });
      // Routing asks the read check: what is not readable now is never owed, even if it becomes so.
      if (direct < 0 || !reference.mayRead(s.owner, s.cid, topic)) return;
      s.owed.set(id, (s.owed.get(id) ?? 0) + 1);
      reached = true;
      const effective = Math.min(qos, direct);
      if (s.conn !== null) { if (s.certain && !s.conn.mute) mustDirect.push({ cid: s.cid, id }); }
      else if (effective > 0 && s.certain) s.pending.push(id);
    });
    groups.forEach((members, k) => {
      const readers = members.filter((s) => reference.mayRead(s.owner, s.cid, topic));
      if (readers.length === 0) return;
      groupOwed.set(k + '|' + id, 1);
      reached = true;
      const onlineReaders = readers.filter((s) => s.conn !== null);
      const allCertain = members.every((s) => s.certain && (s.conn === null || !s.conn.mute));
      if (allCertain && onlineReaders.length > 0) mustGroup.push(k + '|' + id);
    });
    return { allowed: true, reached };
  }

  function endSession(s: Sess): void {
    sessions.delete(s.cid);
    // QoS 1 a member had not acknowledged goes to another member (5.0 §4.8.2).
    s.unacked.forEach((u) => { if (u.group !== null && u.qos === 1) groupOwed.set(u.group + '|' + u.id, (groupOwed.get(u.group + '|' + u.id) ?? 0) + 1); });
  }

  /** The connection ended (the broker closed it, or the client left); `abnormal`: its will goes out. */
  function ended(c: Conn, abnormal: boolean): void {
    if (!c.open) return;
    c.open = false;
    conns.splice(conns.indexOf(c), 1);
    const s = sessions.get(c.cid);
    if (s !== undefined && s.conn === c) {
      s.conn = null;
      if (!s.persistent) endSession(s);
    }
    if (abnormal && c.will !== null) {
      note(`${c.name}'s will m${c.will.id} on "${c.will.topic}" QoS ${c.will.qos}${c.will.retain ? ' retained' : ''}`);
      effect(c.user, c.cid, c.will.topic, c.will.qos, c.will.retain, c.will.id);
    }
  }

  // ---- the client side: read what the broker wrote, acknowledge, check ----
  function deliver(c: Conn, p: PublishPacket): void {
    const s = sessions.get(c.cid);
    if (s === undefined || s.conn !== c) fail(`${c.name} got a PUBLISH without a session of its own`);
    let topic = p.topic;
    const alias = p.properties === null ? undefined : p.properties.topicAlias;
    if (alias !== undefined) {
      result.aliased++;
      if (topic !== '') c.aliasesIn.set(alias, topic);
      else if (c.aliasesIn.has(alias)) topic = c.aliasesIn.get(alias)!;
      else fail(`${c.name} got Topic Alias ${alias} never set`);
    }
    const text = new TextDecoder().decode(p.payload);
    const id = Number(text.slice(1));
    const m = msgs.get(id);
    if (m === undefined) fail(`${c.name} got "${text}" on "${topic}": never published, or its publisher was not allowed to write it`);
    if (m.topic !== topic) fail(`${c.name} got ${text} on "${topic}", published on "${m.topic}"`);
    if (!reference.mayRead(s.owner, s.cid, topic)) fail(`${c.name} (${s.owner ?? 'anonymous'}, ${s.cid}) got ${text} on "${topic}": it may not read it`);
    if (p.qos > m.qos) fail(`${c.name} got ${text} at QoS ${p.qos}, published at ${m.qos}`);
    result.deliveries++;
    let group: string | null = null;
    if (p.dup && s.unacked.has(p.packetId)) {
      if (s.unacked.get(p.packetId)!.id !== id) fail(`${c.name}: DUP packet id ${p.packetId} carries ${text}, not the message first sent with it`);
      group = s.unacked.get(p.packetId)!.group;
      result.resent++;
    } else if (p.retain) {
      result.retained++;
      const owed = s.retainedOwed.get(id) ?? 0;
      if (owed === 0) fail(`${c.name} got ${text} flagged retained, not owed as a retained message`);
      take(s.retainedOwed, id);
    } else if ((s.owed.get(id) ?? 0) > 0) {
      take(s.owed, id);
      gotDirect.add(s.cid + '|' + id);
    } else {
      s.subs.forEach((sub) => {
        if (group !== null || sub.share === null || !topicMatches(sub.inner, topic)) return;
        const k = groupKey(sub) + '|' + id;
        if ((groupOwed.get(k) ?? 0) > 0) { take(groupOwed, k); group = groupKey(sub); gotGroup.add(k); }
      });
      // A member may also get one it had queued before unsubscribing: owed to the group still.
      if (group === null) {
        groupOwed.forEach((n, k) => { if (group === null && k.endsWith('|' + id)) { group = k.slice(0, k.lastIndexOf('|')); gotGroup.add(k); } });
        if (group !== null) take(groupOwed, group + '|' + id);
      }
      if (group === null) fail(`${c.name} (${s.cid}) got ${text} on "${topic}", not owed to it`);
      result.shared++;
    }
    if (p.qos === 0) return;
    if (c.mute) {
      if (p.qos === 2 && chance(0.5)) { s.unacked.delete(p.packetId); s.releasing.add(p.packetId); t.feed(c.name, new Uint8Array([0x50, 2, p.packetId >> 8, p.packetId & 0xff])); }
      else s.unacked.set(p.packetId, { id, group, qos: p.qos });
      return;
    }
    s.unacked.delete(p.packetId);
    if (p.qos === 1) t.feed(c.name, new Uint8Array([0x40, 2, p.packetId >> 8, p.packetId & 0xff]));
    else { s.releasing.add(p.packetId); t.feed(c.name, new Uint8Array([0x50, 2, p.packetId >> 8, p.packetId & 0xff])); }
  }

  function onPacket(c: Conn, p: Packet): void {
    if (p.type === PUBLISH) return deliver(c, p as PublishPacket);
    const s = sessions.get(c.cid);
    if (p.type === 6) {                                         // PUBREL
      const id = (p as AckPacket).packetId;
      if (s === undefined || !s.releasing.has(id)) fail(`${c.name}: PUBREL ${id} for no PUBREC of ours`);
      if (!c.mute) { s.releasing.delete(id); t.feed(c.name, new Uint8Array([0x70, 2, id >> 8, id & 0xff])); }
      return;
    }
    if (p.type === 4 || p.type === 5 || p.type === 7) {        // acknowledgements of our publishes
      const a = p as AckPacket;
      const want = c.acks.get(a.packetId);
      if (a.type !== 7) {
        if (want === undefined) fail(`${c.name}: an acknowledgement of packet id ${a.packetId} it never sent`);
        if (a.reasonCode !== want) fail(`${c.name}: PUBACK/PUBREC ${a.packetId} with 0x${a.reasonCode.toString(16)}, the reference says 0x${want.toString(16)}`);
        c.acks.delete(a.packetId);
        if (a.type === 5 && a.reasonCode < 0x80) t.feed(c.name, new Uint8Array([0x62, 2, a.packetId >> 8, a.packetId & 0xff]));
      }
      return;
    }
    if (p.type === DISCONNECT) return;                          // taken over (0x8E); the close is seen below
    if (p.type === 9 || p.type === 11) return;                  // SUBACK / UNSUBACK: read by their operations
    fail(`${c.name}: unexpected packet ${JSON.stringify(p)}`);
  }

  /** Reads every client's packets and answers them until nothing more comes. */
  function settle(): Packet[] {
    const extra: Packet[] = [];
    for (let round = 0; ; round++) {
      if (round > 1000) fail('the exchange does not settle');
      let any = false;
      for (const c of conns.slice()) {
        if (!c.open) continue;
        const ps = t.packets(c.name);
        for (const p of ps) {
          any = true;
          if (p.type === 9 || p.type === 11 || p.type === 2) extra.push(p);
          onPacket(c, p);
        }
      }
      if (!any) break;
    }
    for (const c of conns.slice()) if (!t.isOpen(c.name)) fail(`${c.name} was closed by the broker unexpectedly`);
    if (errors.length > 0) fail('logged at error level: ' + errors.join(' | '));
    return extra;
  }

  // ---- operations ----
  function connect(): void {
    const cid = pick(CLIENT_IDS);
    const owner = sessions.get(cid);
    // Mostly the owner coming back (resumed sessions), else anyone (another identity's id).
    const user = owner !== undefined && chance(0.6) ? owner.owner : pick(USERS);
    const version: 4 | 5 = chance(0.5) ? 5 : 4;
    const clean = chance(0.35);
    // 3.1.1: Clean Session 0 keeps the session; 5.0: the Session Expiry Interval does.
    const persistent = version === 5 ? chance(0.6) : !clean;
    const sessionExpiry = persistent ? 3600 : 0;
    const mute = chance(0.12);
    const will = chance(0.3) ? { topic: randomTopic(), qos: pick([0, 1, 2] as const), retain: chance(0.3), id: nextId++ } : null;
    const c: Conn = {
      name: cid + '#' + (++connSeq), cid, user, version, mute, open: false, openedAt: step, will, nextPid: 1,
      aliasesOut: new Map(), aliasesIn: new Map(), acks: new Map(),
    };
    note(`connect ${c.name} as ${user ?? 'anonymous'} v${version} clean ${clean} persistent ${persistent}${mute ? ' mute' : ''}${will ? ' will ' + will.topic : ''}`);
    const existing = sessions.get(cid);
    const foreign = existing !== undefined && existing.owner !== user;
    const props: Properties | null = version === 5 ? { sessionExpiryInterval: sessionExpiry, ...(chance(0.5) ? { topicAliasMaximum: 4 } : {}) } : null;
    const rc = t.open(c.name, version);
    Object.assign(rc.transport, { listener: { name: 'model', useIdentityAsUsername: false, allowAnonymous: true }, remoteAddress: '127.0.0.1', certificateCN: null });
    if (foreign && !takeover) {
      t.send(c.name, connectPacket(c, clean, props));
      const p = t.packets(c.name);
      const want = version === 5 ? 0x87 : 5;
      if (p.length !== 1 || p[0].type !== 2 || (p[0] as ConnackPacket).reasonCode !== want) fail(`${c.name}: another identity's client id, expected CONNACK 0x${want.toString(16)}, got ${JSON.stringify(p)}`);
      if (t.isOpen(c.name)) fail(`${c.name}: refused but left open`);
      result.refusedConnects++;
      note(`${c.name} refused: ${cid} is ${existing!.owner ?? 'anonymous'}'s`);
      settle();
      return;
    }
    // The broker's order: the connected owner is closed (its will goes out), then the session
    // is kept or discarded (Clean Start, or another identity's), then the new one attached.
    const kicked = existing !== undefined ? existing.conn : null;
    if (kicked !== null) ended(kicked, true);
    let s = sessions.get(cid);
    if (s !== undefined && (clean || foreign)) { endSession(s); s = undefined; }
    const present = s !== undefined;
    if (s === undefined) {
      s = { cid, owner: user, persistent, conn: null, certain: true, subs: new Map(), owed: new Map(), retainedOwed: new Map(), pending: [], unacked: new Map(), releasing: new Set() };
      sessions.set(cid, s);
    }
    s.persistent = persistent;
    s.conn = c;
    if (mute) s.certain = false;
    c.open = true;
    conns.push(c);
    const pending = s.pending;
    s.pending = [];
    const resent = new Map(s.unacked);
    t.send(c.name, connectPacket(c, clean, props));
    const first = t.packets(c.name);
    if (first.length === 0 || first[0].type !== 2) fail(`${c.name}: no CONNACK`);
    const ack = first[0] as ConnackPacket;
    if (ack.reasonCode !== 0) fail(`${c.name}: CONNACK 0x${ack.reasonCode.toString(16)}, expected success`);
    if (ack.sessionPresent !== present) fail(`${c.name}: Session Present ${ack.sessionPresent}, the model says ${present}`);
    if (present) result.resumed++;
    for (let i = 1; i < first.length; i++) onPacket(c, first[i]);
    settle();
    if (kicked !== null && t.isOpen(kicked.name)) fail(`${kicked.name}: not closed when ${c.name} took its session over`);
    if (!present) return;
    // What was in flight and may not be read now was dropped, not resent: mute or not.
    resent.forEach((u, pid) => { if (!reference.mayRead(user, cid, msgs.get(u.id)!.topic)) s!.unacked.delete(pid); });
    if (mute) return;
    // Resumed by a connection that acknowledges: every queued message still readable came, and
    // every in-flight one: resent if readable, else dropped; PUBREL for those past PUBREC.
    for (const id of pending) {
      const m = msgs.get(id)!;
      if (reference.mayRead(user, cid, m.topic) && !gotDirect.has(cid + '|' + id)) fail(`${c.name}: resumed without ${'m' + id} on "${m.topic}", queued for it and still readable`);
    }
    resent.forEach((u, pid) => {
      if (s!.unacked.has(pid) && reference.mayRead(user, cid, msgs.get(u.id)!.topic)) fail(`${c.name}: resumed without the resend of packet id ${pid} (m${u.id} on "${msgs.get(u.id)!.topic}", QoS ${u.qos})`);
      s!.unacked.delete(pid);
    });
    if (s.releasing.size > 0) fail(`${c.name}: resumed, and QoS 2 packet ids ${[...s.releasing].join(',')} past PUBREC got no PUBREL`);
  }

  function connectPacket(c: Conn, clean: boolean, props: Properties | null): Packet {
    const te = new TextEncoder();
    return {
      type: CONNECT, protocolName: 'MQTT', protocolVersion: c.version, cleanStart: clean, keepAlive: 0, properties: props, clientId: c.cid,
      will: c.will === null ? null : { topic: c.will.topic, payload: te.encode('m' + c.will.id), qos: c.will.qos, retain: c.will.retain, properties: null },
      username: c.user, password: null,
    };
  }

  function subscribe(c: Conn): void {
    const s = sessions.get(c.cid)!;
    if (s.subs.size >= MAX_SUBS) return unsubscribe(c);
    const inner = randomFilter(false);
    const share = c.version === 5 && chance(0.3) ? pick(GROUPS) : null;
    const filter = share === null ? inner : '$share/' + share + '/' + inner;
    const qos = pick([0, 1, 2] as const);
    note(`${c.name} subscribes "${filter}" QoS ${qos}`);
    const granted = reference.maySubscribe(s.owner, s.cid, filter);
    if (granted) {
      s.subs.set(filter, { inner, share, qos });
      if (share === null) {
        retained.forEach((id, topic) => {
          if (!topicMatches(inner, topic) || !reference.mayRead(s.owner, s.cid, topic)) return;
          s.retainedOwed.set(id, (s.retainedOwed.get(id) ?? 0) + 1);
          if (s.certain && !c.mute) mustDirect.push({ cid: s.cid, id: -id });
        });
      }
    }
    t.send(c.name, { type: SUBSCRIBE, packetId: c.nextPid, properties: null, subscriptions: [{ topicFilter: filter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
    c.nextPid = c.nextPid % 65535 + 1;
    // Retained replays are counted from the packets as they come: mark them by message id.
    const before = new Map(s.retainedOwed);
    const extra = settle();
    const suback = extra.find((p) => p.type === 9) as SubackPacket | undefined;
    if (suback === undefined) fail(`${c.name}: no SUBACK`);
    const code = suback.reasonCodes[0];
    const want = granted ? qos : c.version === 5 ? 0x87 : 0x80;
    if (code !== want) fail(`${c.name}: SUBACK 0x${code.toString(16)} for "${filter}", the reference says 0x${want.toString(16)}`);
    for (const m of mustDirect.filter((x) => x.id < 0)) {
      const id = -m.id;
      if ((s.retainedOwed.get(id) ?? 0) >= (before.get(id) ?? 0)) fail(`${c.name}: subscribed "${filter}" without the readable retained ${'m' + id} on "${msgs.get(id)!.topic}"`);
    }
    mustDirect = mustDirect.filter((x) => x.id > 0);
  }

  function unsubscribe(c: Conn): void {
    const s = sessions.get(c.cid)!;
    if (s.subs.size === 0) return;
    const filter = pick([...s.subs.keys()]);
    note(`${c.name} unsubscribes "${filter}"`);
    s.subs.delete(filter);
    t.send(c.name, { type: UNSUBSCRIBE, packetId: c.nextPid, properties: null, topicFilters: [filter] });
    c.nextPid = c.nextPid % 65535 + 1;
    settle();
  }

  function publish(c: Conn): void {
    const topic = randomTopic();
    const qos = pick([0, 1, 2] as const);
    const retain = chance(0.08);
    const id = nextId++;
    const s = sessions.get(c.cid)!;
    let wireTopic = topic;
    let props: Properties | null = null;
    if (c.version === 5) {
      const known = c.aliasesOut.get(topic);
      if (known !== undefined && chance(0.6)) { wireTopic = ''; props = { topicAlias: known }; }
      else if (known === undefined && c.aliasesOut.size < 4 && chance(0.5)) { c.aliasesOut.set(topic, c.aliasesOut.size + 1); props = { topicAlias: c.aliasesOut.size }; }
    }
    note(`${c.name} publishes m${id} on "${topic}" QoS ${qos}${retain ? ' retained' : ''}${props ? ' alias ' + props.topicAlias : ''}`);
    const e = effect(s.owner, c.cid, topic, qos, retain, id);
    const pid = qos === 0 ? 0 : c.nextPid;
    if (qos > 0) {
      c.nextPid = c.nextPid % 65535 + 1;
      c.acks.set(pid, c.version !== 5 ? 0 : !e.allowed ? 0x87 : e.reached ? 0 : 0x10);
      if (c.version === 5 && e.allowed && !e.reached) result.noMatching++;
    }
    t.send(c.name, { type: PUBLISH, dup: false, qos, retain, topic: wireTopic, packetId: pid, properties: props, payload: new TextEncoder().encode('m' + id) });
    settle();
    if (c.acks.has(pid)) fail(`${c.name}: no acknowledgement of m${id}`);
  }

  function leave(c: Conn, clean: boolean): void {
    note(`${c.name} ${clean ? 'disconnects' : 'drops'}`);
    if (clean) t.send(c.name, { type: DISCONNECT, reasonCode: 0, properties: null });
    else t.drop(c.name);
    ended(c, !clean);
    settle();
  }

  reload();
  for (step = 1; step <= steps; step++) {
    mustDirect = [];
    mustGroup = [];
    gotDirect = new Set();
    gotGroup = new Set();
    const old = conns.find((c) => c.mute && step - c.openedAt > MUTE_STEPS);
    const r = rnd();
    if (old !== undefined) leave(old, false);
    else if (conns.length < 2 || r < 0.1) connect();
    else if (r < 0.115) { note('ACL reloaded'); reload(); result.reloads++; }
    else {
      const c = pick(conns);
      if (r < 0.24) leave(c, chance(0.5));
      else if (r < 0.42) subscribe(c);
      else if (r < 0.47) unsubscribe(c);
      else publish(c);
    }
    for (const m of mustDirect) if (!gotDirect.has(m.cid + '|' + m.id)) fail(`${m.cid} is on line, subscribed and may read m${m.id} on "${msgs.get(m.id)!.topic}", and did not get it`);
    for (const k of mustGroup) if (!gotGroup.has(k)) fail(`shared group ${k.replace('\u0000', ' ')}: an on-line member may read it, and no member got it`);
    result.steps++;
    if (progress !== undefined && step % 100000 === 0) progress(step);
  }
  return result;
}

/** One owed delivery taken; the entry goes when none is left (a long run keeps memory flat). */
function take<K>(map: Map<K, number>, key: K): void {
  const n = map.get(key) ?? 0;
  if (n <= 1) map.delete(key);
  else map.set(key, n - 1);
}

// Run directly: the long mode.
if (import.meta.url === 'file://' + process.argv[1]) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : Number(process.argv[i + 1]);
  };
  const steps = arg('--steps', 1000000);
  const seeds = arg('--seeds', 1);
  const first = arg('--seed', 1);
  const started = Date.now();
  for (let seed = first; seed < first + seeds; seed++) {
    const r = runAclModel(seed, steps, (done) => console.log(`seed ${seed}: ${done} steps, ${((Date.now() - started) / 1000).toFixed(0)} s`));
    console.log(`seed ${seed}: ${JSON.stringify(r)}`);
  }
  console.log(`acl model: ${seeds} seed(s) x ${steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
