// Retained messages (5.0 §3.3.1.3, 3.1.1 §3.3.1.3), one per topic, in a trie of topic
// levels so a filter only walks the part of the tree it can match: `a/b/+` looks at the
// children of `a/b`, not at every retained message; `#` walks its subtree with an explicit
// stack. Matching follows the subscription tree's rules (4.7), including [MQTT-4.7.2-1]: a
// filter starting with `+` or `#` never matches a topic starting with `$`.
//
// Bounded: at most maxCount messages and maxBytes bytes (payload + UTF-8 topic), refused
// with Quota exceeded (0x97) beyond. The store keeps the message object it is given as-is:
// the caller hands it a message whose payload it owns (a copy, not a view of a receive
// buffer; design.md §2).

import { RC_QUOTA_EXCEEDED, RC_SUCCESS, utf8Length } from '../codec/index.js';
import { Frames, levelsOver, pushChild } from './trie-stack.js';

const END = -1;           // stack position: every level of the filter has been consumed
const ALL = -2;           // stack position: inside a `#`, every node below matches
const SLASH = '/';
const PLUS = 0x2b;        // '+'
const HASH = 0x23;        // '#'
const DOLLAR = 0x24;      // '$'

class RetainedNode<M> {
  parent: RetainedNode<M> | null;
  level: string;                                  // key in parent.children
  children: Map<string, RetainedNode<M>> | null;  // null while there are none
  message: M | null;
  bytes: number;                                  // counted bytes of message, 0 without one

  constructor(parent: RetainedNode<M> | null, level: string) {
    this.parent = parent;
    this.level = level;
    this.children = null;
    this.message = null;
    this.bytes = 0;
  }
}


// Under the root, a wildcard skips `$` topics [MQTT-4.7.2-1] (a forEach callback; `this` is the Frames).
function pushChildNotDollar<M>(this: Frames<RetainedNode<M>>, child: RetainedNode<M>, level: string): void {
  if (level.charCodeAt(0) !== DOLLAR) this.push(child, this.at);
}

/** Appends the node's message to out[n..], growing out only when it is too short. */
function emit<M>(node: RetainedNode<M>, out: M[], n: number): number {
  const m = node.message;
  if (m === null) return n;
  if (n < out.length) out[n] = m;
  else out.push(m);
  return n + 1;
}

export class RetainedStore<M extends { payload: Uint8Array }> {
  /** Nodes visited by the last match(): a cost measure for tests and benchmarks. */
  lastVisits: number;
  private root: RetainedNode<M>;
  private maxCount: number;
  private maxBytes: number;
  private maxLevels: number;
  private stored: number;
  private used: number;
  private frames: Frames<RetainedNode<M>>;

  constructor(maxCount: number, maxBytes: number, maxLevels: number) {
    this.lastVisits = 0;
    this.root = new RetainedNode<M>(null, '');
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
    this.maxLevels = maxLevels;
    this.stored = 0;
    this.used = 0;
    this.frames = new Frames<RetainedNode<M>>();
  }

  /** Number of retained messages. */
  get count(): number {
    return this.stored;
  }

  /** Bytes held: for each message, payload length + UTF-8 length of its topic. */
  get bytes(): number {
    return this.used;
  }

  /**
   * Retains `message` for `topic` (a valid Topic Name), replacing the previous one
   * [4:MQTT-3.3.1-5 · 5:MQTT-3.3.1-5]; an empty payload deletes it and is never stored
   * [4:MQTT-3.3.1-10, -11 · 5:MQTT-3.3.1-6, -7]. Returns RC_SUCCESS (stored, replaced,
   * deleted or nothing to delete), or RC_QUOTA_EXCEEDED, changing nothing, when a new topic
   * would pass maxCount or maxBytes, a replacement would pass maxBytes, or the topic has
   * more than maxLevels levels.
   */
  set(topic: string, message: M): number {
    const node = this.reach(topic);
    if (message.payload.length === 0) {
      if (node !== null && node.message !== null) {
        this.stored--;
        this.used -= node.bytes;
        node.message = null;
        node.bytes = 0;
        this.prune(node);
      }
      return RC_SUCCESS;
    }
    const size = message.payload.length + utf8Length(topic);
    if (node !== null && node.message !== null) {
      if (this.used - node.bytes + size > this.maxBytes) return RC_QUOTA_EXCEEDED;
      this.used += size - node.bytes;
      node.message = message;
      node.bytes = size;
      return RC_SUCCESS;
    }
    if (this.stored + 1 > this.maxCount || this.used + size > this.maxBytes) return RC_QUOTA_EXCEEDED;
    if (levelsOver(topic, this.maxLevels)) return RC_QUOTA_EXCEEDED;
    const target = node !== null ? node : this.create(topic);
    target.message = message;
    target.bytes = size;
    this.stored++;
    this.used += size;
    return RC_SUCCESS;
  }

  get(topic: string): M | undefined {
    const node = this.reach(topic);
    return node === null || node.message === null ? undefined : node.message;
  }

  /**
   * Writes every retained message whose topic matches `filter` (a valid Topic Filter) into
   * out[0..n) and returns n. `out` grows (push) only when too short and is never shrunk:
   * entries past n are stale.
   */
  match(filter: string, out: M[]): number {
    const f = this.frames;
    const len = filter.length;
    let n = 0;
    let visits = 0;
    f.sp = 0;
    f.push(this.root, 0);
    while (f.sp > 0) {
      const node = f.pop();
      const start = f.pos[f.sp];
      visits++;
      if (start === ALL) {
        n = emit(node, out, n);
        if (node.children !== null) {
          f.at = ALL;
          node.children.forEach(pushChild, f);
        }
        continue;
      }
      if (start === END) {
        n = emit(node, out, n);
        continue;
      }
      const slash = filter.indexOf(SLASH, start);
      const end = slash < 0 ? len : slash;
      const c = end - start === 1 ? filter.charCodeAt(start) : 0;
      if (c === HASH) {
        // `#` matches its parent level too (`sport/#` matches `sport`); the root holds no
        // message, and under it `$` topics are skipped [MQTT-4.7.2-1].
        n = emit(node, out, n);
        if (node.children !== null) {
          f.at = ALL;
          node.children.forEach(start === 0 ? pushChildNotDollar : pushChild, f);
        }
      } else if (c === PLUS) {
        if (node.children !== null) {
          f.at = slash < 0 ? END : slash + 1;
          node.children.forEach(start === 0 ? pushChildNotDollar : pushChild, f);
        }
      } else if (node.children !== null) {
        const ch = node.children.get(filter.substring(start, end));
        if (ch !== undefined) f.push(ch, slash < 0 ? END : slash + 1);
      }
    }
    f.trim();
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
      if (node.children !== null) node.children.forEach(pushChild, f);
    }
    f.trim();
    return count;
  }

  /** The node of `topic`, or null if the tree has none. */
  private reach(topic: string): RetainedNode<M> | null {
    if (levelsOver(topic, this.maxLevels)) return null;
    let node: RetainedNode<M> | undefined = this.root;
    let start = 0;
    for (;;) {
      const slash = topic.indexOf(SLASH, start);
      if (node.children === null) return null;
      node = node.children.get(slash < 0 ? topic.substring(start) : topic.substring(start, slash));
      if (node === undefined) return null;
      if (slash < 0) return node;
      start = slash + 1;
    }
  }

  /** The node of `topic`, created with every missing node on its path. */
  private create(topic: string): RetainedNode<M> {
    let node = this.root;
    let start = 0;
    for (;;) {
      const slash = topic.indexOf(SLASH, start);
      const level = slash < 0 ? topic.substring(start) : topic.substring(start, slash);
      if (node.children === null) node.children = new Map<string, RetainedNode<M>>();
      let ch = node.children.get(level);
      if (ch === undefined) {
        ch = new RetainedNode<M>(node, level);
        node.children.set(level, ch);
      }
      node = ch;
      if (slash < 0) return node;
      start = slash + 1;
    }
  }

  /** Detaches empty nodes from `node` up towards the root, so their memory is returned. */
  private prune(node: RetainedNode<M>): void {
    let n = node;
    while (n !== this.root && n.message === null && n.children === null) {
      const p = n.parent as RetainedNode<M>;
      if (p.children !== null) {
        p.children.delete(n.level);
        if (p.children.size === 0) p.children = null;
      }
      n.parent = null;
      n = p;
    }
  }
}
