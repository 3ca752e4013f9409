// The `ganglion probe` subcommand: flags in, one report out, an exit code a monitoring
// system can act on (0: within the limits; 1: past --max-loss or --max-p99; 2: bad usage, or
// no connection / subscription).
import { readFileSync } from 'node:fs';
import type { QoS } from '../../core/index.js';
import type { TlsClientOptions } from './client-socket.js';
import type { ProbeOptions, ProbeResult } from './probe.js';
import { formatJson, formatPrometheus, formatText, runProbe } from './probe.js';

export const PROBE_HELP = `usage: ganglion probe URL [options]

Connects to the MQTT broker at URL (mqtt://host:port, mqtts://host:port), subscribes to a
topic, publishes COUNT numbered, timestamped messages to it INTERVAL ms apart, and reports
the connect time, the round trip (p50, p99, max) and the messages lost.

options:
  -t, --topic T          topic to publish and subscribe to (default ganglion/probe/<client id>)
  -q, --qos 0|1|2        QoS of both (default 1)
      --interval MS      between publishes (default 100)
      --count N          messages to publish, 1 to 1000000 (default 10)
      --wait MS          after the last publish, how long to wait for the rest (default 2000)
  -V, --protocol-version mqttv311 or mqttv5 (default mqttv311)
  -u, --username USER    -P, --pw PASSWORD (also --password)
      --cafile FILE      CA for the server's certificate (mqtts://); --cert FILE, --key FILE: ours
      --insecure         do not check the server's certificate
      --timeout MS       to connect (default 10000)
      --format F         text (default), json or prometheus
      --max-loss PCT     exit 1 if more than PCT percent of the messages were lost
      --max-p99 MS       exit 1 if the round trip p99 is over MS (or nothing came back)`;

export class ProbeUsageError extends Error {}

function num(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ProbeUsageError(`${name}: must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export interface ProbeCommand {
  options: ProbeOptions;
  format: 'text' | 'json' | 'prometheus';
  maxLossPercent: number | null;
  maxP99Ms: number | null;
}

export function parseProbeArgs(argv: string[]): ProbeCommand | null {
  let url: string | null = null;
  const o: ProbeOptions = { url: '', topic: null, qos: 1, intervalMs: 100, count: 10, version: 4, username: null, password: null, tls: null, waitMs: 2000, connectTimeoutMs: 10000 };
  const tls: TlsClientOptions = {};
  let format: ProbeCommand['format'] = 'text';
  let maxLoss: number | null = null, maxP99: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ProbeUsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h': case '--help': return null;
      case '-t': case '--topic': o.topic = value(); break;
      case '-q': case '--qos': o.qos = num(a, value(), 0, 2) as QoS; if (!Number.isInteger(o.qos)) throw new ProbeUsageError('--qos: 0, 1 or 2'); break;
      case '--interval': o.intervalMs = num(a, value(), 1, 3600000); break;
      case '--count': o.count = Math.floor(num(a, value(), 1, 1000000)); break;
      case '--wait': o.waitMs = num(a, value(), 0, 3600000); break;
      case '--timeout': o.connectTimeoutMs = num(a, value(), 1, 3600000); break;
      case '-V': case '--protocol-version': {
        const v = value();
        if (v === 'mqttv311' || v === '4' || v === '311') o.version = 4;
        else if (v === 'mqttv5' || v === '5') o.version = 5;
        else throw new ProbeUsageError(`${a}: mqttv311 or mqttv5, got ${JSON.stringify(v)}`);
        break;
      }
      case '-u': case '--username': o.username = value(); break;
      case '-P': case '--pw': case '--password': o.password = value(); break;
      case '--cafile': tls.ca = readFileSync(value()); break;
      case '--cert': tls.cert = readFileSync(value()); break;
      case '--key': tls.key = readFileSync(value()); break;
      case '--insecure': tls.rejectUnauthorized = false; break;
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json' && v !== 'prometheus') throw new ProbeUsageError(`--format: text, json or prometheus, got ${JSON.stringify(v)}`);
        format = v;
        break;
      }
      case '--max-loss': maxLoss = num(a, value(), 0, 100); break;
      case '--max-p99': maxP99 = num(a, value(), 0, 3600000); break;
      default:
        if (a.startsWith('-') || url !== null) throw new ProbeUsageError(`unknown argument ${JSON.stringify(a)} (ganglion probe --help)`);
        url = a;
    }
  }
  if (url === null) throw new ProbeUsageError('a broker URL is needed: ganglion probe mqtt://host:port');
  o.url = url;
  o.tls = tls;
  return { options: o, format, maxLossPercent: maxLoss, maxP99Ms: maxP99 };
}

/** 0 within the limits, 1 past one, 2 no connection or subscription. */
export function probeExitCode(r: ProbeResult, cmd: ProbeCommand): number {
  if (!r.ok) return 2;
  if (cmd.maxLossPercent !== null && r.lossRatio * 100 > cmd.maxLossPercent) return 1;
  if (cmd.maxP99Ms !== null && (r.rttMs === null || r.rttMs.p99 > cmd.maxP99Ms)) return 1;
  return 0;
}

export async function probeCommand(argv: string[]): Promise<number> {
  let cmd: ProbeCommand | null;
  try {
    cmd = parseProbeArgs(argv);
  } catch (e) {
    if (!(e instanceof ProbeUsageError)) throw e;
    console.error(`ganglion probe: ${e.message}`);
    return 2;
  }
  if (cmd === null) {
    console.log(PROBE_HELP);
    return 0;
  }
  const r = await runProbe(cmd.options);
  const out = cmd.format === 'json' ? formatJson(r) : cmd.format === 'prometheus' ? formatPrometheus(r) : formatText(r);
  console.log(out);
  return probeExitCode(r, cmd);
}
