// What the two topic tries (topic-tree.ts for subscriptions, retained-store.ts for retained
// messages) share: an explicit stack for walking a trie without recursion (XS on ESP32 has
// a 512-slot stack, Espruino about 25 KB; design.md §4), reused by every call, and the
// count of a topic's levels.

const SLASH = '/';
const STACK_KEEP = 32;    // stack slots kept between calls; a walk that grew beyond gives them back

/** An explicit stack of (node, position in the topic or filter) frames. */
export class Frames<N> {
  nodes: Array<N | null>;
  pos: number[];
  sp: number;
  at: number;            // position given to the nodes pushed by a forEach callback

  constructor() {
    this.nodes = [];
    this.pos = [];
    this.sp = 0;
    this.at = 0;
  }

  push(node: N, p: number): void {
    const sp = this.sp;
    if (sp < this.nodes.length) {
      this.nodes[sp] = node;
      this.pos[sp] = p;
    } else {
      this.nodes.push(node);
      this.pos.push(p);
    }
    this.sp = sp + 1;
  }

  /** Pops the top frame's node; its position is then `pos[sp]`. */
  pop(): N {
    const sp = --this.sp;
    const node = this.nodes[sp] as N;
    this.nodes[sp] = null;   // a pruned node is not kept alive by a stale slot
    return node;
  }

  trim(): void {
    if (this.nodes.length > STACK_KEEP) {
      this.nodes.splice(STACK_KEEP, this.nodes.length - STACK_KEEP);
      this.pos.splice(STACK_KEEP, this.pos.length - STACK_KEEP);
    }
  }
}

/** A Map.forEach callback (a constant, never a closure): `this` is the Frames. */
export function pushChild<N>(this: Frames<N>, child: N): void {
  this.push(child, this.at);
}

/** More than `max` levels? (levels = number of '/' + 1) */
export function levelsOver(s: string, max: number): boolean {
  let n = 1;
  for (let i = s.indexOf(SLASH); i >= 0; i = s.indexOf(SLASH, i + 1)) {
    n++;
    if (n > max) return true;
  }
  return n > max;
}
