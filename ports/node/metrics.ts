// /metrics: the Prometheus text exposition format (version 0.0.4): counters since the start,
// gauges of now, the delivery latency histogram, per-listener counts. Names carry the
// ganglion_ prefix; the README's "Operations" lists each.
import type { Broker } from '../../core/index.js';
import { DROP_CAUSES } from '../../core/index.js';
import type { ListenerConfig } from './config.js';
import type { FileJournal } from './file-journal.js';
import type { LatencyHistogram } from './latency.js';
import type { ListenerCounts, Totals } from './monitor.js';

// Bucket bounds in seconds, 10 us to 10 s. The histogram underneath is log-linear (within
// 1/16); a bucket of it that straddles a bound counts above it, so a bound's count is exact
// or low by at most that bucket.
const LATENCY_BOUNDS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsInput {
  broker: Broker;
  totals: Totals;
  latency: LatencyHistogram;
  listeners: Array<{ config: ListenerConfig; counts: ListenerCounts }>;
  version: string;
  heapUsed: number;
  journal?: FileJournal | null;   // config "persistence": its counters
}

/** A label value, escaped as the format asks (backslash, double quote, newline). */
function label(v: string): string {
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

export function metricsText(m: MetricsInput): string {
  const s = m.broker.stats;
  const t = m.totals;
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
  };
  const one = (name: string, type: string, help: string, v: number): void => metric(name, type, help, [['', v]]);

  metric('ganglion_info', 'gauge', 'The broker version (always 1).', [[`{version=${label(m.version)}}`, 1]]);
  one('ganglion_uptime_seconds', 'gauge', 'Seconds since the broker started.', Math.floor((m.broker.nowMs - s.startedAtMs) / 1000));
  one('ganglion_connections', 'gauge', 'Open MQTT connections (before and after CONNECT).', t.connections);
  one('ganglion_clients', 'gauge', 'Connected clients (CONNECT accepted).', m.broker.clientCount);
  one('ganglion_clients_max', 'gauge', 'The most clients connected at once.', s.peakClients);
  one('ganglion_sessions', 'gauge', 'Sessions, connected or kept for an absent client.', t.sessions);
  one('ganglion_subscriptions', 'gauge', 'Subscriptions of all sessions.', t.subscriptions);
  one('ganglion_retained_messages', 'gauge', 'Retained messages.', t.retainedCount);
  one('ganglion_retained_bytes', 'gauge', 'Topic and payload bytes of the retained messages.', t.retainedBytes);
  one('ganglion_queued_bytes', 'gauge', 'Bytes the broker holds for connections whose sockets are full.', t.queuedBytes);
  one('ganglion_queued_messages', 'gauge', 'Messages waiting in sessions (window full, or the client absent).', t.queuedMessages);
  one('ganglion_messages_received_total', 'counter', 'PUBLISH messages received from clients and the application.', s.messagesIn);
  one('ganglion_messages_sent_total', 'counter', 'PUBLISH messages sent to clients.', s.messagesOut);
  one('ganglion_bytes_received_total', 'counter', 'MQTT bytes received.', s.bytesIn);
  one('ganglion_bytes_sent_total', 'counter', 'MQTT bytes sent.', s.bytesOut);
  metric('ganglion_messages_dropped_total', 'counter', 'Messages let go of undelivered, by cause.',
    DROP_CAUSES.map((c, i) => [`{cause=${label(c)}}`, s.drops[i]] as [string, number]));
  one('ganglion_messages_expired_total', 'counter', 'MQTT 5 messages whose expiry passed before delivery.', s.expired);
  one('ganglion_publish_denied_total', 'counter', 'PUBLISH refused by the ACL or the authorizePublish hook.', s.denied);
  one('ganglion_auth_failures_total', 'counter', 'CONNECTs (and 5.0 re-authentications) refused by authentication.', s.authFailures);
  one('ganglion_errors_total', 'counter', 'Faults caught inside the core (each closed one connection).', s.errors);
  one('ganglion_heap_used_bytes', 'gauge', 'V8 heap in use (process.memoryUsage().heapUsed).', m.heapUsed);

  if (m.journal) {
    const j = m.journal.stats;
    one('ganglion_persistence_failing', 'gauge', '1 while the journal refuses appends after a write or fsync error (until a snapshot is written), else 0.', m.journal.failure === null ? 0 : 1);
    one('ganglion_persistence_write_errors_total', 'counter', 'Journal writes that failed (EIO, ENOSPC).', j.writeErrors);
    one('ganglion_persistence_fsync_errors_total', 'counter', 'Journal fsyncs that failed.', j.fsyncErrors);
    one('ganglion_persistence_refused_total', 'counter', 'Appends and snapshots the journal answered "not kept".', j.refused);
    one('ganglion_persistence_fsyncs_total', 'counter', 'fdatasync calls on the journal.', j.fsyncs);
    one('ganglion_persistence_written_bytes_total', 'counter', 'Bytes appended to the journal\'s log.', j.bytesWritten);
    one('ganglion_persistence_log_bytes', 'gauge', 'Bytes of log since the last snapshot.', j.logBytes);
    one('ganglion_persistence_snapshot_bytes', 'gauge', 'Bytes of the last snapshot.', j.snapshotBytes);
    one('ganglion_persistence_compactions_total', 'counter', 'Snapshots written.', j.compactions);
    one('ganglion_persistence_load_seconds', 'gauge', 'Time taken to read the journal back at start-up.', j.loadMs / 1000);
  }

  const h = m.latency;
  out.push('# HELP ganglion_delivery_latency_seconds From reading a PUBLISH off a socket to handing each copy to a subscriber\'s socket.',
    '# TYPE ganglion_delivery_latency_seconds histogram');
  for (const le of LATENCY_BOUNDS_S) out.push(`ganglion_delivery_latency_seconds_bucket{le="${le}"} ${h.countAtMost(Math.round(le * 1e6))}`);
  out.push(`ganglion_delivery_latency_seconds_bucket{le="+Inf"} ${h.count}`,
    `ganglion_delivery_latency_seconds_sum ${h.sum / 1e6}`,
    `ganglion_delivery_latency_seconds_count ${h.count}`);

  const byListener = (l: { config: ListenerConfig }): string => `{listener=${label(l.config.name)},type=${label(l.config.type)}}`;
  const mqtt = m.listeners.filter((l) => l.config.type !== 'http');
  metric('ganglion_listener_connections', 'gauge', 'Open connections, per listener.', mqtt.map((l) => [byListener(l), l.counts.open] as [string, number]));
  metric('ganglion_listener_accepted_total', 'counter', 'Connections accepted, per listener.', mqtt.map((l) => [byListener(l), l.counts.accepted] as [string, number]));
  return out.join('\n') + '\n';
}
