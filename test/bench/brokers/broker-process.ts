// The brokers under test as child processes: ganglion (its `ganglion` command), mosquitto
// (the Debian package, a generated config) and aedes (the npm package on a plain net
// server, aedes-server.mjs). Each is started fresh for a run, pinned to one core with
// taskset, and measured from /proc (CPU time of all its threads, resident memory). Node only.
//
// Every process started here is in `live` until it has exited; killAll() (called on exit,
// on signals and on errors by main.ts) SIGKILLs whatever is left.

import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BrokerName = 'ganglion' | 'mosquitto' | 'aedes' | 'relay' | 'mosquitto-persist' | 'ganglion-always' | 'ganglion-interval' | 'ganglion-never';
/** The brokers compared by default. */
export const BROKERS: BrokerName[] = ['ganglion', 'mosquitto', 'aedes'];
/**
 * Brokers that keep their state in a directory across restarts, for the persistence
 * scenarios: ganglion with `--persist DIR --fsync always|interval|never`, and
 * `mosquitto-persist`, mosquitto with `persistence true` and its autosave defaults (the
 * database is written at shutdown and every 1800 s: not crash-safe).
 */
export const PERSISTENT: BrokerName[] = ['ganglion-always', 'ganglion-interval', 'ganglion-never', 'mosquitto-persist'];
/** Also `relay` (node-relay.mjs): not a broker, the floor of one on Node, when asked for. */
export const ALL_BROKERS: BrokerName[] = [...BROKERS, ...PERSISTENT, 'relay'];

/** The broker a variant belongs to: `--brokers mosquitto` also selects mosquitto-persist. */
export function family(name: BrokerName): string {
  return name.split('-')[0];
}

/** The name in the report's tables. */
export function label(name: BrokerName): string {
  if (name === 'mosquitto-persist') return 'mosquitto, persistence true (not crash-safe)';
  if (family(name) === 'ganglion' && name !== 'ganglion') return `ganglion, fsync ${name.slice(9)}`;
  return name;
}

/** Whether the broker claims that what it acknowledged survives a kill -9. */
export function crashSafe(name: BrokerName): boolean {
  return family(name) === 'ganglion' && name !== 'ganglion';
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];
const CLK_TCK = clockTicks();

/** Cores: the broker gets one, the load generator the other. */
export const BROKER_CORE = 0;
export const LOAD_CORE = 1;

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();   // generated mosquitto configs

export function killAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process (every thread) to the load generator's core. */
export function pinSelf(): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function mosquittoPath(): string | null {
  for (const p of MOSQUITTO) if (existsSync(p)) return p;
  return null;
}

export function ganglionCommand(): string[] {
  const cli = join(ROOT, 'dist/node/ganglion-cli.js');
  if (existsSync(cli)) return [process.execPath, cli];
  return [process.execPath, join(ROOT, 'ports/node/main.mjs')];
}

/** Sources under core/ and ports/node/ newer than the built `ganglion` command (then run `node build.mjs`). */
export function staleBuild(): string[] {
  const cli = ganglionCommand()[1];
  if (!cli.endsWith('ganglion-cli.js')) return [];
  const built = statSync(cli).mtimeMs;
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && statSync(join(ROOT, rel)).mtimeMs > built) out.push(rel);
    }
  };
  walk('core');
  walk('ports/node');
  return out;
}

export function versionOf(name: BrokerName): string {
  try {
    if (family(name) === 'mosquitto') {
      const p = mosquittoPath();
      if (p === null) return 'not installed';
      const out = execFileSync(p, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      return /version ([\d.]+)/.exec(out)?.[1] ?? '?';
    }
    if (name === 'aedes') return JSON.parse(readFileSync(join(ROOT, 'node_modules/aedes/package.json'), 'utf8')).version;
    if (name === 'relay') return 'node-relay.mjs (not a broker: the floor of one on Node)';
    return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version + ' (' + ganglionCommand()[1].slice(ROOT.length) + ')';
  } catch (e) {
    // mosquitto -h exits with 3 but prints its version
    const out = String((e as { stdout?: unknown }).stdout ?? '');
    const m = /version ([\d.]+)/.exec(out);
    return m ? m[1] : 'unknown';
  }
}

/** A free loopback port (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ProcStats {
  cpuS: number;       // user + system time of every thread, seconds
  rssBytes: number;
}

export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is field 3, utime 14, stime 15 (1-based) => indexes 11, 12
  const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return { cpuS, rssBytes: m ? Number(m[1]) * 1024 : 0 };
}

/**
 * One broker on one port. `start` spawns it; `stop` ends it (SIGTERM) and removes its
 * directory. For the persistence scenarios it can also be killed (`kill`, SIGKILL) or shut
 * down (`shutdown`, SIGTERM) and started again on the same port and directory.
 */
export class BrokerProcess {
  readonly name: BrokerName;
  readonly port: number;
  /** Milliseconds from spawn to accepting connections, one per start. */
  readonly startMs: number[] = [];
  kills = 0;
  private child: ChildProcess | null = null;
  private dir: string | null = null;
  private log = '';
  /** Extra flags for node (ganglion, aedes), e.g. --cpu-prof: `npm run bench -- --profile DIR`. */
  private nodeFlags: string[];

  constructor(name: BrokerName, port: number, nodeFlags?: string[]) {
    this.name = name;
    this.port = port;
    this.nodeFlags = nodeFlags ?? [];
  }

  get pid(): number {
    if (this.child === null || this.child.pid === undefined) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  stats(): ProcStats {
    return procStats(this.pid);
  }

  /** Where the broker keeps its state (made at the first start, removed by `stop`). */
  stateDir(): string {
    if (this.dir === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-'));
      dirs.add(this.dir);
    }
    return join(this.dir, 'data');
  }

  /** The last lines the broker printed (for error messages). */
  tail(): string {
    return this.log.split('\n').slice(-8).join('\n');
  }

  private command(): string[] {
    const port = String(this.port);
    if (this.name === 'ganglion') {
      const g = ganglionCommand();
      return [g[0], ...this.nodeFlags, g[1], '--host', '127.0.0.1', '-p', port];
    }
    if (family(this.name) === 'ganglion') {
      // queues with room for a million messages: nothing dropped for want of room
      const data = this.stateDir();
      mkdirSync(data, { recursive: true });
      const conf = join(data, '..', 'ganglion.json');
      writeFileSync(conf, JSON.stringify({
        listeners: [{ type: 'tcp', host: '127.0.0.1', port: this.port }],
        limits: { maxQueued: 2000000, maxQueuedBytes: 2 ** 30, maxOfflineBytes: 2 ** 30 },
      }));
      const g = ganglionCommand();
      return [g[0], ...this.nodeFlags, g[1], '-c', conf, '--persist', data, '--fsync', this.name.slice(9)];
    }
    if (this.name === 'aedes') return [process.execPath, ...this.nodeFlags, join(ROOT, 'test/bench/brokers/aedes-server.mjs'), port];
    if (this.name === 'relay') return [process.execPath, ...this.nodeFlags, join(ROOT, 'test/bench/brokers/node-relay.mjs'), port];
    const bin = mosquittoPath();
    if (bin === null) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
    const data = this.stateDir();
    mkdirSync(data, { recursive: true });
    const conf = join(data, '..', 'mosquitto.conf');
    const persist = this.name === 'mosquitto-persist';
    writeFileSync(conf, [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // started as root, mosquitto becomes user mosquitto and could not write its database here
      `user ${userInfo().username}`,
      ...(persist ? ['persistence true', `persistence_location ${data}/`] : ['persistence false']),
      // the same window as ganglion's Node default (maxInflight 100) and room to queue
      // (persistent: no bound, so that nothing is dropped for want of room)
      'max_inflight_messages 100',
      `max_queued_messages ${persist ? 0 : 10000}`,
      // as ganglion and the aedes server here: no Nagle delay on small writes
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'));
    return [bin, '-c', conf];
  }

  /** Starts the broker pinned to the broker core and waits until it accepts connections. */
  async start(timeoutMs: number): Promise<void> {
    if (this.child !== null) throw new Error(`${this.name} is already running`);
    const cmd = this.command();
    const t0 = Date.now();
    const child = spawn('taskset', ['-c', String(BROKER_CORE), ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    this.child = child;
    live.add(child);
    const keep = (d: Buffer): void => {
      this.log = (this.log + d.toString('utf8')).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', () => live.delete(child));
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = null;
        throw new Error(`${this.name} exited at start (${child.exitCode ?? child.signalCode}):\n${this.tail()}`);
      }
      if (await canConnect(this.port)) {
        this.startMs.push(Date.now() - t0);
        return;
      }
      if (Date.now() > end) throw new Error(`${this.name} did not listen on ${this.port} within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL at once, as a crash; the directory stays. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null) return;
    this.kills++;
    await ended(child, 'SIGKILL', 0);
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it has not exited within `timeoutMs`; the directory stays. */
  async shutdown(timeoutMs: number): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null) await ended(child, 'SIGTERM', timeoutMs);
  }

  /** `shutdown`, then the directory is removed. */
  async stop(timeoutMs: number): Promise<void> {
    await this.shutdown(timeoutMs);
    if (this.dir !== null) {
      rmSync(this.dir, { recursive: true, force: true });
      dirs.delete(this.dir);
      this.dir = null;
    }
  }
}

/** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs` if > 0). */
async function ended(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    await exited;
    if (timer !== null) clearTimeout(timer);
  }
  live.delete(child);
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(500, () => done(false));
  });
}
