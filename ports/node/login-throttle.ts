// Password guessing, slowed down: after failed logins, the next login from the same remote
// address, or for the same user name, waits before its password is checked. The wait grows
// exponentially with the failures (capped), and failures are forgiven over time (the count
// halves every halfLifeMs). Attempts for one address or one name take turns: each one
// reserves the next slot, so 64 parallel connections from one address guess no faster than
// one. An attempt whose turn is further away than maxWaitMs is refused unchecked ("server
// busy"); the caller answers it only after maxDelayMs, so that a guesser that opens
// connection after connection gets no faster answers by flooding (a tarpit), and no hash
// work is spent on it.
//
// The tables are bounded (maxEntries each, the least recently failed entry evicted first),
// and so are their keys: a long user name is kept as its SHA-256. Pure state: time comes in
// with every call, the caller arms the timer.
import { createHash } from 'node:crypto';

export interface ThrottleOptions {
  baseDelayMs: number;   // the wait after one failure; doubles with each further one
  maxDelayMs: number;    // the most one attempt waits for its turn after the previous one
  halfLifeMs: number;    // failures are forgiven: the count halves in this time
  maxWaitMs: number;     // an attempt that would wait longer is refused unchecked
  maxEntries: number;    // remembered addresses, and as many user names
  maxConcurrentChecks: number;  // password hashes computed at once (check-queue.ts)
  maxQueuedChecks: number;      // password checks waiting for one of those; past it: "server busy"
}

// Every answer must come before the core's connectTimeoutMs (10 s by default), which also
// ends a login whose hook has not answered: waits stay under it (config.ts checks).
export const DEFAULT_THROTTLE: ThrottleOptions = Object.freeze({
  baseDelayMs: 250,
  maxDelayMs: 5000,
  halfLifeMs: 60000,
  maxWaitMs: 8000,
  maxEntries: 10000,
  maxConcurrentChecks: 2,
  maxQueuedChecks: 1000,
});

interface Entry {
  failures: number;      // decayed count, as of atMs
  atMs: number;
  nextMs: number;        // the earliest time the next attempt's password may be checked
}

/** The address of a transport's "address:port" or "[v6 address]:port". */
export function peerAddress(remote: string): string {
  if (remote.startsWith('[')) return remote.slice(1, remote.indexOf(']'));
  const colon = remote.lastIndexOf(':');
  return colon > 0 && !remote.slice(0, colon).includes(':') ? remote.slice(0, colon) : remote;
}

/** The part of an address one attacker cannot trivially vary: IPv4, or an IPv6 /64. */
export function addressKey(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4 !== null) return v4[1];
  if (!address.includes(':')) return address;
  const [head, tail] = address.toLowerCase().split('%')[0].split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : left.concat(new Array(Math.max(0, 8 - left.length - right.length)).fill('0'), right);
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

/** A user name as a table key: itself, or its SHA-256 when long (names can be 64 KB). */
export function userKey(user: string): string {
  return user.length <= 64 ? user : 'sha256:' + createHash('sha256').update(user, 'utf8').digest('hex');
}

export class LoginThrottle {
  readonly options: ThrottleOptions;
  private readonly addresses = new Map<string, Entry>();
  private readonly users = new Map<string, Entry>();

  constructor(options: ThrottleOptions = DEFAULT_THROTTLE) {
    this.options = options;
  }

  /**
   * A login from `address` as `user` arrives at `nowMs`: how many ms it waits before its
   * password is checked (its turn is reserved), or -1: refuse it unchecked, too many wait.
   */
  admit(address: string, user: string, nowMs: number): number {
    const a = this.current(this.addresses, addressKey(address), nowMs);
    const u = this.current(this.users, userKey(user), nowMs);
    const startMs = Math.max(nowMs, a === null ? 0 : a.nextMs, u === null ? 0 : u.nextMs);
    if (startMs - nowMs > this.options.maxWaitMs) return -1;
    // The turn after this one: one more delay on from this one's start.
    if (a !== null) a.nextMs = startMs + this.delay(a.failures);
    if (u !== null) u.nextMs = startMs + this.delay(u.failures);
    return startMs - nowMs;
  }

  /** The password checked at `nowMs` was wrong (or the user unknown). */
  failed(address: string, user: string, nowMs: number): void {
    this.count(this.addresses, addressKey(address), nowMs);
    this.count(this.users, userKey(user), nowMs);
  }

  /** The wait the next attempt after `failures` failures is spaced by. */
  delay(failures: number): number {
    // Rounded: a count decayed a little while waiting for its turn keeps its delay.
    const n = Math.round(failures);
    if (n < 1) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * Math.pow(2, n - 1));
  }

  /** The decayed failure count of an address or a user name (for logs and tests). */
  failuresOf(kind: 'address' | 'user', key: string, nowMs: number): number {
    const e = kind === 'address' ? this.current(this.addresses, addressKey(key), nowMs) : this.current(this.users, userKey(key), nowMs);
    return e === null ? 0 : e.failures;
  }

  /** Remembered addresses and user names. */
  get size(): { addresses: number; users: number } {
    return { addresses: this.addresses.size, users: this.users.size };
  }

  // The entry with its count decayed to nowMs; null (and forgotten) once nothing is left.
  private current(table: Map<string, Entry>, key: string, nowMs: number): Entry | null {
    const e = table.get(key);
    if (e === undefined) return null;
    if (nowMs > e.atMs) {
      e.failures *= Math.pow(0.5, (nowMs - e.atMs) / this.options.halfLifeMs);
      e.atMs = nowMs;
    }
    if (e.failures < 0.5 && e.nextMs <= nowMs) {
      table.delete(key);
      return null;
    }
    return e;
  }

  private count(table: Map<string, Entry>, key: string, nowMs: number): void {
    let e = this.current(table, key, nowMs);
    if (e === null) e = { failures: 0, atMs: nowMs, nextMs: nowMs };
    else table.delete(key);   // re-inserted below: the Map's order is least recently failed first
    e.failures += 1;
    // The next attempt waits at least one delay from this failure.
    e.nextMs = Math.max(e.nextMs, nowMs + this.delay(e.failures));
    table.set(key, e);
    while (table.size > this.options.maxEntries) table.delete(table.keys().next().value as string);
  }
}
