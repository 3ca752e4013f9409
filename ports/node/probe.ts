// `ganglion probe URL`: how long a publish takes to come back through a broker, for any
// broker. One client (the core's client role, core/client, over ports/node/client-socket.ts)
// connects, subscribes to the probe topic, publishes `count` numbered, timestamped messages
// `intervalMs` apart, and counts what comes back: connect time, round trip p50 / p99 / max
// (exact, from every sample), loss and duplicates. Reported as text, JSON or Prometheus text.
import { randomBytes } from 'node:crypto';
import type { CodecError, PublishPacket, QoS } from '../../core/index.js';
import { MqttClient } from '../../core/index.js';
import type { TlsClientOptions } from './client-socket.js';
import { ClientSocket, parseServerUrl } from './client-socket.js';
import { portNow } from './deadline-timer.js';

export interface ProbeOptions {
  url: string;                    // mqtt://host:port or mqtts://host:port
  topic: string | null;           // null: ganglion/probe/<client id>
  qos: QoS;
  intervalMs: number;
  count: number;
  version: number;                // 4 (3.1.1) or 5
  username: string | null;
  password: string | null;
  tls: TlsClientOptions | null;   // for mqtts://
  waitMs: number;                 // after the last publish, how long to wait for stragglers
  connectTimeoutMs: number;
}

export interface ProbeResult {
  url: string;
  topic: string;
  qos: number;
  ok: boolean;                    // connected and subscribed
  error: string | null;
  connectMs: number;              // socket opened -> CONNACK
  sent: number;
  received: number;               // distinct messages back
  duplicates: number;
  lost: number;
  lossRatio: number;              // lost / sent
  rttMs: { min: number; p50: number; p99: number; max: number } | null;   // null: nothing came back
}

/** The value at quantile q of sorted samples (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const id = 'ganglion-probe-' + randomBytes(4).toString('hex');
    const topic = o.topic ?? `ganglion/probe/${id}`;
    const seen = new Uint8Array(o.count);           // 1: came back (bounded: count is)
    const rtts: number[] = [];
    let sent = 0, duplicates = 0, error: string | null = null, subscribed = false;
    const openedAt = portNow();
    let connectMs = NaN;
    let sendTimer: NodeJS.Timeout | null = null;
    let endTimer: NodeJS.Timeout | null = null;
    let finished = false;
    const prefix = id + ' ';
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (sendTimer !== null) clearInterval(sendTimer);
      if (endTimer !== null) clearTimeout(endTimer);
      sock.stop();
      rtts.sort((a, b) => a - b);
      const received = rtts.length;
      resolve({
        url: o.url, topic, qos: o.qos, ok: subscribed, error, connectMs, sent, received, duplicates,
        lost: sent - received, lossRatio: sent === 0 ? 0 : (sent - received) / sent,
        rttMs: received === 0 ? null : { min: rtts[0], p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99), max: rtts[received - 1] },
      });
    };
    const allBack = (): boolean => sent === o.count && rtts.length === o.count;
    const publishNext = (): void => {
      if (finished || sent >= o.count) return;
      // The payload: the probe's id, the sequence number and the time it left (this process's monotonic clock).
      const now = portNow();
      client.publish(topic, `${prefix}${sent} ${now.toFixed(3)}`, o.qos, false, null, now);
      sock.after();
      sent++;
      if (sent === o.count) {
        if (sendTimer !== null) clearInterval(sendTimer);
        sendTimer = null;
        if (allBack()) finish();
        else endTimer = setTimeout(finish, o.waitMs);
      }
    };
    const client = new MqttClient({
      clientId: id, version: o.version, keepAlive: 30, cleanStart: true,
      username: o.username, password: o.password === null ? null : Buffer.from(o.password),
      maxInflight: 100, maxQueued: 100000, maxQueuedBytes: 64 << 20, maximumPacketSize: 1 << 20, receiveMaximum: 100,
    }, {
      connected(c) {
        connectMs = portNow() - openedAt;
        c.subscribe([{ topicFilter: topic, qos: o.qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, portNow());
      },
      subscribed(_c, _id, codes) {
        if (codes[0] >= 0x80) {
          error = `the broker refused the subscription to ${topic} (0x${codes[0].toString(16)})`;
          finish();
          return;
        }
        subscribed = true;
        publishNext();
        if (o.count > 1) sendTimer = setInterval(publishNext, o.intervalMs);
      },
      message(_c, p: PublishPacket) {
        const now = portNow();
        const text = Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength).toString('latin1');
        if (!text.startsWith(prefix)) return;   // someone else's message on our topic
        const parts = text.slice(prefix.length).split(' ');
        const seq = Number(parts[0]);
        if (!(seq >= 0 && seq < o.count)) return;
        if (seen[seq] === 1) {
          duplicates++;
          return;
        }
        seen[seq] = 1;
        rtts.push(now - Number(parts[1]));
        if (allBack()) finish();
      },
      closed(_c, e: CodecError | null) {
        if (e !== null && !finished) {
          error = error ?? e.message;
          finish();
        }
      },
    }, portNow());
    const sock = new ClientSocket(client, (e) => {
      if (finished) return;
      error = e.message;
      finish();
    });
    try {
      sock.open(parseServerUrl(o.url, o.tls), o.connectTimeoutMs);
    } catch (e) {
      error = (e as Error).message;
      finish();
    }
  });
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');

export function formatText(r: ProbeResult): string {
  const lines = [`probe ${r.url} topic ${r.topic} qos ${r.qos}: ` + (r.ok ? `connected in ${ms(r.connectMs)} ms, subscribed` : `failed: ${r.error}`)];
  if (r.ok || r.sent > 0) {
    lines.push(`sent ${r.sent}, received ${r.received}, lost ${r.lost} (${(r.lossRatio * 100).toFixed(2)}%), duplicates ${r.duplicates}`);
    lines.push(r.rttMs === null ? 'round trip: nothing came back'
      : `round trip ms: min ${ms(r.rttMs.min)} p50 ${ms(r.rttMs.p50)} p99 ${ms(r.rttMs.p99)} max ${ms(r.rttMs.max)}`);
    if (r.error !== null && r.ok) lines.push(`error: ${r.error}`);
  }
  return lines.join('\n');
}

export function formatJson(r: ProbeResult): string {
  return JSON.stringify(r);
}

/** Prometheus text exposition (version 0.0.4), seconds as Prometheus prefers. */
export function formatPrometheus(r: ProbeResult): string {
  const l = `{target="${r.url.replace(/["\\\n]/g, '_')}",qos="${r.qos}"}`;
  const q = (name: string, quant: string, v: number): string =>
    `ganglion_probe_${name}{target="${r.url.replace(/["\\\n]/g, '_')}",qos="${r.qos}",quantile="${quant}"} ${v}`;
  const out = [
    '# HELP ganglion_probe_up 1 if the probe connected and subscribed', '# TYPE ganglion_probe_up gauge', `ganglion_probe_up${l} ${r.ok ? 1 : 0}`,
    '# HELP ganglion_probe_connect_seconds from opening the socket to CONNACK', '# TYPE ganglion_probe_connect_seconds gauge',
    `ganglion_probe_connect_seconds${l} ${Number.isFinite(r.connectMs) ? r.connectMs / 1000 : 'NaN'}`,
    '# HELP ganglion_probe_sent messages published', '# TYPE ganglion_probe_sent gauge', `ganglion_probe_sent${l} ${r.sent}`,
    '# HELP ganglion_probe_received distinct messages that came back', '# TYPE ganglion_probe_received gauge', `ganglion_probe_received${l} ${r.received}`,
    '# HELP ganglion_probe_duplicates messages that came back more than once', '# TYPE ganglion_probe_duplicates gauge', `ganglion_probe_duplicates${l} ${r.duplicates}`,
    '# HELP ganglion_probe_loss_ratio lost / sent', '# TYPE ganglion_probe_loss_ratio gauge', `ganglion_probe_loss_ratio${l} ${r.lossRatio}`,
    '# HELP ganglion_probe_rtt_seconds publish to delivery back, this run', '# TYPE ganglion_probe_rtt_seconds summary',
  ];
  if (r.rttMs !== null) {
    out.push(q('rtt_seconds', '0.5', r.rttMs.p50 / 1000), q('rtt_seconds', '0.99', r.rttMs.p99 / 1000), q('rtt_seconds', '1', r.rttMs.max / 1000));
  }
  out.push(`ganglion_probe_rtt_seconds_count${l} ${r.received}`);
  return out.join('\n');
}
