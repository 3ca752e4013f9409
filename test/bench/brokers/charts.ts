// The broker benchmark's pictures: one SVG, made from the same medians as the report's
// table, with nothing but strings (no dependencies): throughput per scenario for each
// broker (a log scale: the brokers are 10 to 60 times apart), then the fleet's latency,
// memory and CPU per delivery against the number of clients.
//
//   npm run bench -- --svg FILE                  (written at the end of a run)
//   npm run bench -- --chart-from results.json --svg FILE   (redrawn from --json output)

import type { BrokerName } from './broker-process.js';
import type { Row } from './report.js';
import { fmt, value } from './report.js';

const WIDTH = 760;
const COLOURS: Record<string, string> = { ganglion: '#1f6fb5', mosquitto: '#e07b00', aedes: '#4c9a2a', relay: '#8a8a8a' };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

// The throughput scenarios drawn, in this order (those present in the run).
const THROUGHPUT = ['qos0-1to1', 'qos0-fanout', 'qos0-fanin', 'qos1-1to1', 'qos2-1to1', 'qos0-1to1-v5', 'qos0-fanout-v5', 'qos0-fanin-v5', 'qos1-1to1-v5', 'qos2-1to1-v5'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** Powers of ten from below `lo` to above `hi`. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function short(v: number): string {
  if (v >= 1e6) return `${v / 1e6} M`;
  if (v >= 1e3) return `${v / 1e3} k`;
  return String(Number(v.toPrecision(3)));
}

function brokersIn(rows: Row[]): BrokerName[] {
  const out: BrokerName[] = [];
  for (const r of rows) if (!out.includes(r.broker) && r.runs.length > 0) out.push(r.broker);
  return out;
}

function legend(brokers: BrokerName[], x: number, y: number): string {
  const parts: string[] = [];
  let at = x;
  for (const b of brokers) {
    parts.push(`<rect x="${at}" y="${y - 9}" width="10" height="10" fill="${COLOURS[b] ?? '#444'}"/>`);
    parts.push(text(at + 14, y, b, 'font-size="12"'));
    at += 24 + 7 * b.length;
  }
  return parts.join('');
}

/** Horizontal bars, one group per scenario, one bar per broker, on a log scale. */
function throughputPanel(rows: Row[], top: number): { svg: string; height: number } {
  const drawn = rows.filter((r) => THROUGHPUT.includes(r.scenario.id));
  const brokers = brokersIn(drawn).filter((b) => b !== 'relay');
  const scenarios = THROUGHPUT.filter((id) => brokers.some((b) => value(rows, id, b, 'deliveries/s') > 0));
  if (scenarios.length === 0) return { svg: '', height: 0 };
  const vals: number[] = [];
  for (const id of scenarios) for (const b of brokers) { const v = value(rows, id, b, 'deliveries/s'); if (v > 0) vals.push(v); }
  const ticks = decades(Math.min(...vals), Math.max(...vals));
  const left = 210, right = WIDTH - 70, bar = 11, gap = 10;
  const lo = Math.log10(ticks[0]), hi = Math.log10(ticks[ticks.length - 1]);
  const xOf = (v: number): number => left + ((Math.log10(v) - lo) / (hi - lo)) * (right - left);
  const group = brokers.length * bar + gap;
  const plotTop = top + 44;
  const height = 44 + scenarios.length * group + 30;
  const out: string[] = [];
  out.push(text(10, top + 18, 'Throughput: deliveries per second (median of rounds; log scale, longer is better)', 'font-size="14" font-weight="bold"'));
  out.push(legend(brokers, left, top + 36));
  for (const t of ticks) {
    const x = xOf(t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${plotTop - 4}" x2="${x.toFixed(1)}" y2="${plotTop + scenarios.length * group}" stroke="#ddd"/>`);
    out.push(text(x, plotTop + scenarios.length * group + 16, short(t), 'font-size="11" text-anchor="middle" fill="#555"'));
  }
  scenarios.forEach((id, i) => {
    const y0 = plotTop + i * group;
    const row = rows.find((r) => r.scenario.id === id);
    // The scenario's title without what the picture does not need to say.
    const title = row === undefined ? id : row.scenario.title.replace(' (bench/+/data)', '').replace(', window 100', '');
    out.push(text(left - 8, y0 + (brokers.length * bar) / 2 + 4, title, 'font-size="12" text-anchor="end"'));
    brokers.forEach((b, k) => {
      const v = value(rows, id, b, 'deliveries/s');
      if (!(v > 0)) return;
      const y = y0 + k * bar;
      out.push(`<rect x="${left}" y="${y}" width="${(xOf(v) - left).toFixed(1)}" height="${bar - 2}" fill="${COLOURS[b] ?? '#444'}"/>`);
      out.push(text(xOf(v) + 4, y + bar - 3, fmt(v, 'deliveries/s'), 'font-size="10" fill="#333"'));
    });
  });
  return { svg: out.join('\n'), height };
}

interface Series {
  label: string;
  broker: BrokerName;
  dashed: boolean;
  points: Array<[number, number]>;   // (clients, value)
}

/** A line per series against the fleet size; `log`: a log scale for the values. */
function linePanel(title: string, unit: string, series: Series[], log: boolean, top: number, x: number, w: number): string {
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const sizes = [...new Set(pts.map((p) => p[0]))].sort((a, b) => a - b);
  const ys = pts.map((p) => p[1]).filter((v) => v > 0);
  const ticks = log ? decades(Math.min(...ys), Math.max(...ys)) : linearTicks(Math.max(...ys));
  const left = x + 52, right = x + w - 86, plotTop = top + 34, plotBottom = top + 200;
  const lo = log ? Math.log10(ticks[0]) : 0, hi = log ? Math.log10(ticks[ticks.length - 1]) : ticks[ticks.length - 1];
  const yOf = (v: number): number => plotBottom - (((log ? Math.log10(v) : v) - lo) / (hi - lo)) * (plotBottom - plotTop);
  const xOf = (n: number): number => sizes.length === 1 ? (left + right) / 2 : left + 20 + (sizes.indexOf(n) / (sizes.length - 1)) * (right - left - 40);
  const out: string[] = [];
  out.push(text(x + 4, top + 14, title, 'font-size="13" font-weight="bold"'));
  for (const t of ticks) {
    out.push(`<line x1="${left}" y1="${yOf(t).toFixed(1)}" x2="${right}" y2="${yOf(t).toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(text(left - 6, yOf(t) + 4, short(t), 'font-size="10" text-anchor="end" fill="#555"'));
  }
  out.push(text(left - 6, plotTop - 12, unit, 'font-size="10" text-anchor="end" fill="#555"'));
  for (const n of sizes) out.push(text(xOf(n), plotBottom + 15, n.toLocaleString('en-US'), 'font-size="11" text-anchor="middle" fill="#555"'));
  out.push(text((left + right) / 2, plotBottom + 30, 'clients in the fleet', 'font-size="11" text-anchor="middle" fill="#555"'));
  const labels: Array<{ y: number; s: string; c: string; x: number }> = [];
  for (const s of series) {
    const p = s.points.filter((q) => q[1] > 0).sort((a, b) => a[0] - b[0]);
    if (p.length === 0) continue;
    const c = COLOURS[s.broker] ?? '#444';
    const d = p.map((q, i) => `${i === 0 ? 'M' : 'L'}${xOf(q[0]).toFixed(1)},${yOf(q[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    for (const q of p) out.push(`<circle cx="${xOf(q[0]).toFixed(1)}" cy="${yOf(q[1]).toFixed(1)}" r="3" fill="${s.dashed ? '#fff' : c}" stroke="${c}" stroke-width="1.5"/>`);
    const last = p[p.length - 1];
    labels.push({ y: yOf(last[1]) + 4, s: `${s.label} ${fmt(last[1], unit === '/s' ? '/s' : '')}`, c, x: xOf(last[0]) + 7 });
  }
  // The labels at the lines' ends, moved apart where they would overlap.
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) if (labels[i].y < labels[i - 1].y + 11) labels[i].y = labels[i - 1].y + 11;
  for (const l of labels) out.push(text(l.x, l.y, l.s, `font-size="10" fill="${l.c}"`));
  return out.join('\n');
}

function linearTicks(max: number): number[] {
  const step = 10 ** Math.floor(Math.log10(max / 2 || 1));
  const nice = max / step > 10 ? step * 5 : max / step > 5 ? step * 2 : step;
  const out: number[] = [];
  for (let t = 0; t <= max + nice * 0.999; t += nice) out.push(t);
  return out;
}

function fleetSeries(rows: Row[], metric: string, label: (b: BrokerName) => string, dashed: boolean, brokers: BrokerName[], scale = 1): Series[] {
  const sizes = [...new Set(rows.filter((r) => r.scenario.id.startsWith('fleet-')).map((r) => Number(r.scenario.id.slice(6))))];
  return brokers.map((b) => ({
    label: label(b),
    broker: b,
    dashed,
    points: sizes.map((n) => [n, scale * value(rows, `fleet-${n}`, b, metric)] as [number, number]).filter((p) => Number.isFinite(p[1])),
  }));
}

/** The whole picture, or null when the run has nothing to draw. */
export function chartsSvg(rows: Row[], caption: string): string | null {
  const parts: string[] = [];
  let y = 0;
  const t = throughputPanel(rows, y);
  if (t.height > 0) {
    parts.push(t.svg);
    y += t.height + 10;
  }
  const fleetRows = rows.filter((r) => r.scenario.id.startsWith('fleet-') && r.runs.length > 0);
  if (fleetRows.length > 0) {
    const brokers = brokersIn(fleetRows);
    const half = WIDTH / 2;
    parts.push(text(10, y + 18, 'Fleet: every client publishes QoS 1 to its own topic and reads another\'s (medians of rounds)', 'font-size="14" font-weight="bold"'));
    parts.push(legend(brokers, 10, y + 36));
    y += 46;
    parts.push(linePanel('Latency p50 (filled) and p99 (open), log scale', 'ms', [
      ...fleetSeries(rows, 'p50 us', (b) => `${b} p50`, false, brokers, 1e-3),
      ...fleetSeries(rows, 'p99 us', (b) => `${b} p99`, true, brokers, 1e-3),
    ], true, y, 0, half));
    parts.push(linePanel('Broker RSS (lower is better)', 'MB', fleetSeries(rows, 'broker RSS MB', (b) => b, false, brokers), false, y, half, half));
    y += 240;
    parts.push(linePanel('Broker CPU per delivery (log scale)', 'µs', fleetSeries(rows, 'broker CPU us/delivery', (b) => b, false, brokers), true, y, 0, half));
    parts.push(linePanel('Deliveries per second', '/s', fleetSeries(rows, 'deliveries/s', (b) => b, false, brokers), false, y, half, half));
    y += 240;
  }
  if (parts.length === 0) return null;
  // The caption, cut into lines at spaces.
  const words = caption.split(' ');
  let line = '';
  for (const w of words) {
    if (line !== '' && (line + ' ' + w).length > 120) {
      parts.push(text(10, y + 14, line, 'font-size="10" fill="#666"'));
      y += 13;
      line = w;
    } else line = line === '' ? w : line + ' ' + w;
  }
  if (line !== '') parts.push(text(10, y + 14, line, 'font-size="10" fill="#666"'));
  y += 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${y}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
