// `ganglion probe`'s arithmetic and flags (ports/node/probe.ts, probe-cli.ts); the probe
// itself runs against real brokers in test/integration/probe.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProbeResult } from '../../ports/node/probe.js';
import { formatPrometheus, formatText, quantile } from '../../ports/node/probe.js';
import { ProbeUsageError, parseProbeArgs, probeExitCode } from '../../ports/node/probe-cli.js';

const RESULT: ProbeResult = { url: 'mqtt://h:1', topic: 't', qos: 1, ok: true, error: null, connectMs: 2, sent: 10, received: 9, duplicates: 0,
  lost: 1, lossRatio: 0.1, rttMs: { min: 1, p50: 2, p99: 9, max: 9 } };

test('quantile: nearest rank of the sorted samples (p50 of 1..100 is 50, p99 is 99, of one sample that sample)', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(quantile(xs, 0.5), 50);
  assert.is(quantile(xs, 0.99), 99);
  assert.is(quantile(xs, 1), 100);
  assert.is(quantile([7], 0.99), 7);
});

test('flags: defaults, and each flag read', () => {
  const d = parseProbeArgs(['mqtt://127.0.0.1:1883']);
  assert.ok(d !== null);
  assert.is(d!.options.qos, 1);
  assert.is(d!.options.count, 10);
  assert.is(d!.options.intervalMs, 100);
  assert.is(d!.format, 'text');
  const c = parseProbeArgs(['mqtt://h:2', '-t', 'x/y', '-q', '2', '--interval', '5', '--count', '7', '-V', 'mqttv5', '-u', 'u', '-P', 'p',
    '--format', 'prometheus', '--max-loss', '1', '--max-p99', '50'])!;
  assert.equal([c.options.topic, c.options.qos, c.options.intervalMs, c.options.count, c.options.version, c.options.username, c.options.password,
    c.format, c.maxLossPercent, c.maxP99Ms], ['x/y', 2, 5, 7, 5, 'u', 'p', 'prometheus', 1, 50]);
});

test('flags: a bad value, an unknown flag or no URL is a usage error', () => {
  for (const argv of [['mqtt://h:1', '--qos', '3'], ['mqtt://h:1', '--count', '0'], ['mqtt://h:1', '--bogus'], ['--count', '3'], ['mqtt://h:1', '--format', 'xml']]) {
    assert.throws(() => parseProbeArgs(argv), (e: unknown) => e instanceof ProbeUsageError, argv.join(' '));
  }
});

test('exit code: 1 past --max-loss (percent) or --max-p99, 0 within, 2 without a connection', () => {
  const cmd = (loss: number | null, p99: number | null) => ({ ...parseProbeArgs(['mqtt://h:1'])!, maxLossPercent: loss, maxP99Ms: p99 });
  assert.is(probeExitCode(RESULT, cmd(10, null)), 0);
  assert.is(probeExitCode(RESULT, cmd(9.9, null)), 1);
  assert.is(probeExitCode(RESULT, cmd(null, 9)), 0);
  assert.is(probeExitCode(RESULT, cmd(null, 8.9)), 1);
  assert.is(probeExitCode({ ...RESULT, rttMs: null }, cmd(null, 100)), 1);
  assert.is(probeExitCode({ ...RESULT, ok: false }, cmd(null, null)), 2);
});

test('text and Prometheus forms say what was measured', () => {
  assert.match(formatText(RESULT), 'sent 10, received 9, lost 1 (10.00%), duplicates 0');
  assert.match(formatText(RESULT), 'round trip ms: min 1.000 p50 2.000 p99 9.000 max 9.000');
  const p = formatPrometheus(RESULT);
  assert.match(p, 'ganglion_probe_loss_ratio{target="mqtt://h:1",qos="1"} 0.1');
  assert.match(p, 'ganglion_probe_rtt_seconds{target="mqtt://h:1",qos="1",quantile="0.99"} 0.009');
});

test.run();
