// The subscription tree (5.0 §4.7, 3.1.1 §4.7): a trie keyed by topic level. Each node
// holds the subscribers (client id -> value) whose filter ends there; `+` and `#` are
// children of their own, beside a Map of the literal children. A filter without wildcards
// (most of them: a device's own topic) matches a topic only when the two are the same
// string, so the nodes where such filters end are also kept in one Map by the whole filter:
// matching a topic looks it up there once, then walks only the parts of the trie that lead
// to a wildcard filter (each node counts the wildcard entries below it), at each level the
// literal child, the `+` child and the `#` child. Its cost grows with the topic's levels and
// the number of matches, never with the number of subscriptions.
//
// Rules of matching [4:MQTT-4.7.3-4 · 5:MQTT-4.7.3-4] and 4.7.1: `+` is exactly one level,
// possibly empty; `#` is its parent level and every level below (`sport/#` matches
// `sport`); empty levels are levels; case-sensitive, no normalisation. A topic starting
// with `$` is never matched by a filter whose first level is `+` or `#` [MQTT-4.7.2-1].
//
// Portable subset (design.md §4): string-keyed Maps with get/set/has/delete/forEach/size,
// no recursion (an explicit stack kept in the tree, reused by every call), nothing
// allocated per match in steady state but the level strings used as Map keys.

import { Frames, levelsOver, pushChild } from './trie-stack.js';

const END = -1;           // stack position: every level of the topic has been consumed
const SLASH = '/';
const PLUS = 0x2b;        // '+'
const HASH = 0x23;        // '#'
const DOLLAR = 0x24;      // '$'
const INDEX_AT = 8;       // subscribers on one node before a Map index is kept beside the arrays

class SubNode<T> {
  parent: SubNode<T> | null;
  level: string;                               // key in parent.children ('+' / '#' for those)
  children: Map<string, SubNode<T>> | null;    // literal levels; null while there are none
  plus: SubNode<T> | null;
  hash: SubNode<T> | null;
  ids: string[] | null;                        // subscriber keys, parallel to vals
  vals: T[] | null;
  index: Map<string, number> | null;           // key -> position, once ids outgrows INDEX_AT
  exact: boolean;                              // no `+` or `#` on the way here: in TopicTree.exact
  wild: number;                                // entries of wildcard filters at or below this node
  childWild: number;                           // ... of them below its literal children

  constructor(parent: SubNode<T> | null, level: string, exact: boolean) {
    this.parent = parent;
    this.level = level;
    this.children = null;
    this.plus = null;
    this.hash = null;
    this.ids = null;
    this.vals = null;
    this.index = null;
    this.exact = exact;
    this.wild = 0;
    this.childWild = 0;
  }
}

/** A wildcard filter's entry at `node` came (+1) or went (-1): the counts up to the root. */
function countWild<T>(node: SubNode<T>, d: number): void {
  let n: SubNode<T> | null = node;
  while (n !== null) {
    n.wild += d;
    const p: SubNode<T> | null = n.parent;
    if (p !== null && p.plus !== n && p.hash !== n) p.childWild += d;
    n = p;
  }
}


/** Position of `key` among the node's subscribers, or -1. */
function find<T>(node: SubNode<T>, key: string): number {
  if (node.index !== null) {
    const i = node.index.get(key);
    return i === undefined ? -1 : i;
  }
  const ids = node.ids;
  if (ids === null) return -1;
  for (let i = 0; i < ids.length; i++) if (ids[i] === key) return i;
  return -1;
}

function append<T>(node: SubNode<T>, key: string, value: T): void {
  if (node.ids === null || node.vals === null) {
    node.ids = [key];
    node.vals = [value];
    return;
  }
  const ids = node.ids;
  ids.push(key);
  node.vals.push(value);
  if (node.index !== null) node.index.set(key, ids.length - 1);
  else if (ids.length > INDEX_AT) {
    const index = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) index.set(ids[i], i);
    node.index = index;
  }
}

/** Removes subscriber `i`: the last one takes its place (order is not kept). */
function removeAt<T>(node: SubNode<T>, i: number): void {
  const ids = node.ids as string[];
  const vals = node.vals as T[];
  const last = ids.length - 1;
  if (node.index !== null) node.index.delete(ids[i]);
  if (i !== last) {
    ids[i] = ids[last];
    vals[i] = vals[last];
    if (node.index !== null) node.index.set(ids[i], i);
  }
  ids.pop();
  vals.pop();
  if (last === 0) {
    node.ids = null;
    node.vals = null;
    node.index = null;
  }
}

/** Appends the node's values to out[n..], growing out only when it is too short. */
function emit<T>(node: SubNode<T>, out: T[], n: number): number {
  const vals = node.vals;
  if (vals === null) return n;
  for (let i = 0; i < vals.length; i++) {
    if (n < out.length) out[n] = vals[i];
    else out.push(vals[i]);
    n++;
  }
  return n;
}

function isEmpty<T>(node: SubNode<T>): boolean {
  return node.ids === null && node.children === null && node.plus === null && node.hash === null;
}

export class TopicTree<T> {
  /** Nodes visited by the last match() (the lookup of the whole topic counts one): a cost measure for tests and benchmarks. */
  lastVisits: number;
  private root: SubNode<T>;
  private exact: Map<string, SubNode<T>>;   // filter without wildcards -> its node, while it has subscribers
  private maxLevels: number;
  private entries: number;
  private frames: Frames<SubNode<T>>;

  constructor(maxLevels: number) {
    this.lastVisits = 0;
    this.root = new SubNode<T>(null, '', true);
    this.exact = new Map<string, SubNode<T>>();
    this.maxLevels = maxLevels;
    this.entries = 0;
    this.frames = new Frames<SubNode<T>>();
  }

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.entries;
  }

  /**
   * Stores `value` for subscriber `key` under `filter` (already valid per
   * isValidTopicFilter). Returns 1 if added, 0 if that key's value for that exact filter was
   * replaced [MQTT-3.8.4-3], -1 if refused: more than maxLevels levels.
   */
  add(filter: string, key: string, value: T): number {
    if (levelsOver(filter, this.maxLevels)) return -1;
    let node = this.root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf(SLASH, start);
      const end = slash < 0 ? filter.length : slash;
      node = this.child(node, filter, start, end);
      if (slash < 0) break;
      start = slash + 1;
    }
    const i = find(node, key);
    if (i >= 0) {
      (node.vals as T[])[i] = value;
      return 0;
    }
    if (node.exact) {
      if (node.ids === null) this.exact.set(filter, node);
    } else countWild(node, 1);
    append(node, key, value);
    this.entries++;
    return 1;
  }

  /**
   * Removes subscriber `key`'s entry for exactly this filter, compared literally
   * [MQTT-3.10.4-1]; empty nodes are pruned. False if there was none.
   */
  remove(filter: string, key: string): boolean {
    const node = this.reach(filter);
    if (node === null) return false;
    const i = find(node, key);
    if (i < 0) return false;
    removeAt(node, i);
    if (!node.exact) countWild(node, -1);
    else if (node.ids === null) this.exact.delete(filter);
    this.entries--;
    this.prune(node);
    return true;
  }

  get(filter: string, key: string): T | undefined {
    const node = this.reach(filter);
    if (node === null) return undefined;
    const i = find(node, key);
    return i < 0 ? undefined : (node.vals as T[])[i];
  }

  /**
   * Writes the value of every entry whose filter matches `topic` into out[0..n) and returns
   * n. `out` grows (push) only when too short and is never shrunk: entries past n are stale.
   * One value per (filter, key) entry: a subscriber with overlapping filters appears once
   * per filter.
   */
  match(topic: string, out: T[]): number {
    // Filters without wildcards: the one equal to the topic [MQTT-4.7.3-4].
    const same = this.exact.get(topic);
    let n = same === undefined ? 0 : emit(same, out, 0);
    let visits = 1;
    const root = this.root;
    if (root.wild === 0) {
      this.lastVisits = visits;
      return n;
    }
    // Wildcard filters: the walk goes only where some lie below.
    const f = this.frames;
    const dollar = topic.length > 0 && topic.charCodeAt(0) === DOLLAR;
    f.sp = 0;
    f.push(root, 0);
    while (f.sp > 0) {
      const node = f.pop();
      const start = f.pos[f.sp];
      visits++;
      if (start === END) {
        // The filter ends here, or continues with `#`, which also matches its parent level.
        if (!node.exact) n = emit(node, out, n);
        if (node.hash !== null) {
          visits++;
          n = emit(node.hash, out, n);
        }
        continue;
      }
      // Only the root is visited at position 0: no wildcard there for a `$` topic [MQTT-4.7.2-1].
      const wild = start !== 0 || !dollar;
      if (wild && node.hash !== null) {
        visits++;
        n = emit(node.hash, out, n);
      }
      const slash = topic.indexOf(SLASH, start);
      const next = slash < 0 ? END : slash + 1;
      if (wild && node.plus !== null) f.push(node.plus, next);
      if (node.childWild > 0 && node.children !== null) {
        const c = node.children.get(slash < 0 ? topic.substring(start) : topic.substring(start, slash));
        if (c !== undefined && c.wild > 0) f.push(c, next);
      }
    }
    this.lastVisits = visits;
    return n;
  }

  /** Nodes below the root (the root itself is permanent and not counted). 0 when empty. */
  nodeCount(): number {
    const f = this.frames;
    let count = 0;
    f.sp = 0;
    f.push(this.root, 0);
    while (f.sp > 0) {
      const node = f.pop();
      if (node !== this.root) count++;
      if (node.plus !== null) f.push(node.plus, 0);
      if (node.hash !== null) f.push(node.hash, 0);
      if (node.children !== null) node.children.forEach(pushChild, f);
    }
    f.trim();
    return count;
  }

  /** The child of `node` for filter level [start, end), created if missing. */
  private child(node: SubNode<T>, filter: string, start: number, end: number): SubNode<T> {
    if (end - start === 1) {
      const c = filter.charCodeAt(start);
      if (c === PLUS) {
        if (node.plus === null) node.plus = new SubNode<T>(node, '+', false);
        return node.plus;
      }
      if (c === HASH) {
        if (node.hash === null) node.hash = new SubNode<T>(node, '#', false);
        return node.hash;
      }
    }
    const level = filter.substring(start, end);
    if (node.children === null) node.children = new Map<string, SubNode<T>>();
    let ch = node.children.get(level);
    if (ch === undefined) {
      ch = new SubNode<T>(node, level, node.exact);
      node.children.set(level, ch);
    }
    return ch;
  }

  /** The node where `filter` ends, or null if the tree has none. */
  private reach(filter: string): SubNode<T> | null {
    if (levelsOver(filter, this.maxLevels)) return null;
    let node: SubNode<T> | null | undefined = this.root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf(SLASH, start);
      const end = slash < 0 ? filter.length : slash;
      const c = end - start === 1 ? filter.charCodeAt(start) : 0;
      if (c === PLUS) node = node.plus;
      else if (c === HASH) node = node.hash;
      else node = node.children === null ? null : node.children.get(filter.substring(start, end));
      if (node === null || node === undefined) return null;
      if (slash < 0) return node;
      start = slash + 1;
    }
  }

  /** Detaches empty nodes from `node` up towards the root, so their memory is returned. */
  private prune(node: SubNode<T>): void {
    let n = node;
    while (n !== this.root && isEmpty(n)) {
      const p = n.parent as SubNode<T>;
      if (p.plus === n) p.plus = null;
      else if (p.hash === n) p.hash = null;
      else if (p.children !== null) {
        p.children.delete(n.level);
        if (p.children.size === 0) p.children = null;
      }
      n.parent = null;
      n = p;
    }
  }
}
