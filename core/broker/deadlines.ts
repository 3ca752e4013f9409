// Every deadline the broker keeps, in one table (style-examples §7, quinn-proto's TimerTable).
// Time is never read here: it is the nowMs each entry point was given.
//
//   owner       deadline         due at                                        armed by
//   Connection  connect timeout  openedAtMs + connectTimeoutMs + 1              Broker.connect
//               (AWAIT_CONNECT and CONNECTING alike: a hook that never answers or an
//               enhanced authentication left half way ends as a missing CONNECT does)
//   Connection  keep-alive       lastPacketMs + 1.5 x Keep Alive + 1            the CONNACK
//               [MQTT-3.1.2-24]; lastPacketMs moves with each whole Control Packet, never
//               with a byte, and restarts when we ourselves stop holding the client
//   Session     will delay       willAtMs [5:MQTT-3.1.3-9]                      willOnClose
//   Session     session expiry   expiresAtMs [5:MQTT-3.1.2-23]                   connectionEnded
//   Broker      held publishers  oldest hold's sinceMs + holdTimeoutMs          Broker.hold
//   Broker      $SYS             nextSysAtMs                                   the constructor
//
// Message expiry needs no timer: an expired message is dropped when it would be delivered
// (delivery.ts, the retained store's match) [5:MQTT-3.3.2-5].
//
// Each owner is one entry (a Timed) in a binary heap ordered by dueAtMs, so nextDeadline()
// is the heap's top. An entry is never later than its owner's earliest deadline, but may be
// earlier: a keep-alive deadline moves later with every packet, and moving it in the heap
// each time would cost every packet a heap walk. So a later deadline leaves the entry where
// it is (`earlier` only ever moves an entry forward); when that entry comes due the owner
// answers with its real next deadline (or -1: none) and the entry is put back there. A
// connection costs one heap step per keep-alive period, not per packet.

/** What the heap holds: a connection, a session, or one of the broker's own entries. */
export interface Timed {
  dueAtMs: number;   // the entry's time while it is in the heap
  dueSlot: number;   // its index in the heap; -1 when not in it
  dueKind: number;   // which of the owners below it is
}

export const DUE_CONNECTION = 0, DUE_SESSION = 1, DUE_HELD = 2, DUE_SYS = 3;

export class DeadlineHeap {
  private items: Timed[];

  constructor() {
    this.items = [];
  }

  /** The earliest entry's time, or -1 when nothing is armed. */
  next(): number {
    return this.items.length === 0 ? -1 : this.items[0].dueAtMs;
  }

  /** Arms `t` at `atMs`, or moves it there if it is armed later; an earlier entry stays. */
  earlier(t: Timed, atMs: number): void {
    if (t.dueSlot < 0) {
      t.dueAtMs = atMs;
      t.dueSlot = this.items.length;
      this.items.push(t);
      this.up(t.dueSlot);
    } else if (atMs < t.dueAtMs) {
      t.dueAtMs = atMs;
      this.up(t.dueSlot);
    }
  }

  cancel(t: Timed): void {
    const i = t.dueSlot;
    if (i < 0) return;
    t.dueSlot = -1;
    const items = this.items;
    const last = items.pop() as Timed;
    if (i === items.length) return;
    items[i] = last;
    last.dueSlot = i;
    this.down(i);
    this.up(last.dueSlot);
  }

  /** Takes out and returns the earliest entry if it is due at `nowMs`, else null. */
  due(nowMs: number): Timed | null {
    const items = this.items;
    if (items.length === 0 || items[0].dueAtMs > nowMs) return null;
    const t = items[0];
    this.cancel(t);
    return t;
  }

  private up(i: number): void {
    const items = this.items;
    const t = items[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.dueAtMs <= t.dueAtMs) break;
      items[i] = p;
      p.dueSlot = i;
      i = parent;
    }
    items[i] = t;
    t.dueSlot = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const t = items[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1].dueAtMs < items[child].dueAtMs) child++;
      const c = items[child];
      if (c.dueAtMs >= t.dueAtMs) break;
      items[i] = c;
      c.dueSlot = i;
      i = child;
    }
    items[i] = t;
    t.dueSlot = i;
  }
}

/** The first ms at which a connection that has not finished CONNECT is too late (> timeout). */
export function connectDeadline(openedAtMs: number, connectTimeoutMs: number): number {
  return openedAtMs + connectTimeoutMs + 1;
}

/** [MQTT-3.1.2-24] the first ms past one and a half times the Keep Alive since the last packet. */
export function keepAliveDeadline(lastPacketMs: number, keepAliveMs: number): number {
  return lastPacketMs + keepAliveMs * 1.5 + 1;
}
