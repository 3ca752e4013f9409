// An intrusive list, oldest first. Connections that have not completed CONNECT (pending.ts)
// and sessions whose client has gone away (broker.ts) are linked through fields of their
// own, so joining, leaving and finding the oldest cost a few assignments and no allocation,
// however many there are (a scan would cost O(n) each time a limit acts, under attack).

export interface Linked<T> {
  older: T | null;
  newer: T | null;
  linked: boolean;
}

export class Chain<T extends Linked<T>> {
  oldest: T | null;
  newest: T | null;
  size: number;

  constructor() {
    this.oldest = null;
    this.newest = null;
    this.size = 0;
  }

  /** Adds `x` as the newest. */
  add(x: T): void {
    if (x.linked) return;
    x.linked = true;
    x.older = this.newest;
    x.newer = null;
    if (this.newest !== null) this.newest.newer = x;
    else this.oldest = x;
    this.newest = x;
    this.size++;
  }

  remove(x: T): void {
    if (!x.linked) return;
    x.linked = false;
    if (x.older !== null) x.older.newer = x.newer;
    else this.oldest = x.newer;
    if (x.newer !== null) x.newer.older = x.older;
    else this.newest = x.older;
    x.older = null;
    x.newer = null;
    this.size--;
  }
}
