// What the operations endpoints show: every STEP_MS a point of message rates and delivery
// latency (p50/p99 of that step) into a ring of the last HISTORY_POINTS (ten minutes), and
// on request a snapshot of the broker (totals, listeners, connected clients) for the status
// page. Read-only towards the core: it reads stats, sessions and connections, changes nothing.
import type { Broker, Connection } from '../../core/index.js';
import { DROP_CAUSES } from '../../core/index.js';
import type { ListenerConfig } from './config.js';
import type { LatencyHistogram } from './latency.js';
import { LatencyWindow } from './latency.js';
import type { PortTransport } from './transport.js';

export const STEP_MS = 2000;
export const HISTORY_POINTS = 300;
/** Clients listed in one snapshot: the page stays small with 10,000 connections. */
export const MAX_CLIENTS_LISTED = 500;

const ACTIVE = 2;   // Connection state: CONNECT accepted

/** Connections open and accepted so far on one listener (counted by the listeners). */
export interface ListenerCounts {
  open: number;
  accepted: number;
}

/** One step: when (ms since the epoch), messages and bytes per second in and out, latency in microseconds. */
export type HistoryPoint = [number, number, number, number, number, number, number, number];

export interface ClientRow {
  id: string;
  protocol: string;
  address: string;
  listener: string;
  username: string | null;
  subscriptions: number;
  queuedBytes: number;     // frames the core holds while the socket is full
  queued: number;          // messages waiting in the session (window full or offline)
  inflight: number;
  drops: number;
}

export interface Totals {
  connections: number;
  sessions: number;
  subscriptions: number;
  retainedCount: number;
  retainedBytes: number;
  queuedBytes: number;
  queuedMessages: number;
}

const PROTOCOLS: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

export class Monitor {
  readonly history: HistoryPoint[] = [];
  private window = new LatencyWindow();
  private last: number[];
  private lastAtMs: number;

  constructor(private broker: Broker, private latency: LatencyHistogram, nowMs: number) {
    this.last = counters(broker);
    this.lastAtMs = nowMs;
  }

  /** Closes a step: rates since the last one, latency of its samples. */
  step(nowMs: number): void {
    const now = counters(this.broker);
    const dtS = Math.max(0.001, (nowMs - this.lastAtMs) / 1000);
    const rate = (k: number): number => Math.round(((now[k] - this.last[k]) / dtS) * 10) / 10;
    const l = this.window.take(this.latency);
    this.history.push([nowMs, rate(0), rate(1), rate(2), rate(3), l.count, l.p50, l.p99]);
    if (this.history.length > HISTORY_POINTS) this.history.shift();
    this.last = now;
    this.lastAtMs = nowMs;
  }

  totals(): Totals {
    const b = this.broker;
    let sessions = 0;
    let subscriptions = 0;
    let queuedMessages = 0;
    b.sessions.forEach((s) => {
      if (s.local !== null) return;
      sessions++;
      subscriptions += s.subscriptionCount;
      queuedMessages += s.queue.length;
    });
    let queuedBytes = 0;
    for (const c of b.connections) queuedBytes += c.outboundBytes;
    return { connections: b.connectionCount, sessions, subscriptions, retainedCount: b.retained.count, retainedBytes: b.retained.bytes, queuedBytes, queuedMessages };
  }

  /** The connected clients (CONNECT accepted), at most `max` of them, in the order they came. */
  clients(max: number): ClientRow[] {
    const rows: ClientRow[] = [];
    const list = this.broker.connections;
    for (let i = 0; i < list.length && rows.length < max; i++) {
      const c = list[i];
      if (c.state === ACTIVE) rows.push(rowOf(c));
    }
    return rows;
  }

  /** Everything the status page shows, as JSON-able data. */
  status(version: string, listeners: Array<{ config: ListenerConfig; port: number; counts: ListenerCounts }>, stopping: boolean): object {
    const b = this.broker;
    const s = b.stats;
    const drops: Record<string, number> = {};
    for (let i = 0; i < DROP_CAUSES.length; i++) drops[DROP_CAUSES[i]] = s.drops[i];
    let active = 0;
    for (const c of b.connections) if (c.state === ACTIVE) active++;
    return {
      version,
      state: stopping ? 'shutting down' : 'serving',
      uptimeSeconds: Math.floor((b.nowMs - s.startedAtMs) / 1000),
      stepMs: STEP_MS,
      totals: this.totals(),
      stats: {
        messagesIn: s.messagesIn, messagesOut: s.messagesOut, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
        dropped: s.dropped, drops, expired: s.expired, denied: s.denied, authFailures: s.authFailures, errors: s.errors,
        peakClients: s.peakClients,
      },
      listeners: listeners.map((l) => ({ name: l.config.name, type: l.config.type, port: l.port, open: l.counts.open, accepted: l.counts.accepted })),
      history: this.history,
      clients: this.clients(MAX_CLIENTS_LISTED),
      clientsConnected: active,
    };
  }
}

function counters(b: Broker): number[] {
  const s = b.stats;
  return [s.messagesIn, s.messagesOut, s.bytesIn, s.bytesOut];
}

function rowOf(c: Connection): ClientRow {
  const t = c.transport as PortTransport;
  const s = c.session;
  return {
    id: c.clientId,
    protocol: PROTOCOLS[c.version] ?? String(c.version),
    address: t.remoteAddress,
    listener: t.listener.name,
    username: c.username,
    subscriptions: s === null ? 0 : s.subscriptionCount,
    queuedBytes: c.outboundBytes,
    queued: s === null ? 0 : s.queue.length,
    inflight: s === null ? 0 : s.inflight.length,
    drops: s === null ? 0 : s.dropped,
  };
}
