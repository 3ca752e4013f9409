// Shared by the integration suites: the real Node port on ephemeral loopback ports, test
// certificates made with openssl, the mosquitto clients run with bounded waits.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../ports/node/config.js';
import { buildConfig } from '../../ports/node/config.js';
import type { Level } from '../../ports/node/logger.js';
import type { GanglionServer } from '../../ports/node/server.js';
import { createServer } from '../../ports/node/server.js';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** Rejects after `ms` with a message naming what was awaited: no test can hang. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `ganglion-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  server: GanglionServer;
  lines: string[];                  // log lines
  port(type?: string): number;      // port of the first listener of that type
  close(): Promise<void>;
}

/** Starts the port in this process from a config object (as a JSON file would hold it). */
export async function startTestServer(file: Record<string, unknown>, baseDir: string = ROOT, level: Level = 'debug'): Promise<TestServer> {
  const withPorts = { ...file };
  if (withPorts.listeners === undefined) withPorts.listeners = [{ type: 'tcp', port: 0 }];
  if (withPorts.logLevel === undefined) withPorts.logLevel = level;
  const config: Config = buildConfig(withPorts, {}, baseDir);
  const lines: string[] = [];
  const server = createServer(config, { log: (l, line) => lines.push(`${l} ${line}`) });
  await server.listen();
  return {
    server,
    lines,
    port(type = 'tcp') {
      const l = server.listeners.find((b) => b.config.type === type);
      if (!l) throw new Error(`no ${type} listener`);
      return l.port;
    },
    close: () => within(5000, 'server shutdown', server.close()),
  };
}

/** Waits until `clientId` is connected with `n` subscriptions in the broker (mosquitto_sub is ready). */
export async function subscribed(s: TestServer, clientId: string, n = 1): Promise<void> {
  await within(5000, `${clientId} to subscribe`, new Promise<void>((resolve) => {
    const check = (): void => {
      const session = s.server.broker.sessions.get(clientId);
      if (session && session.connection !== null && session.subscriptionCount >= n) resolve();
      else setTimeout(check, 10);
    };
    check();
  }));
}

// ---- mosquitto clients ----

export function haveMosquittoClients(): boolean {
  const r = spawnSync('mosquitto_pub', ['--help'], { encoding: 'utf8' });
  return !r.error;
}

/**
 * Whether the mosquitto tests run. Missing clients fail the run in CI and are reported
 * loudly otherwise.
 */
export function mosquittoCheck(): boolean {
  if (haveMosquittoClients()) return true;
  const msg = 'mosquitto_pub / mosquitto_sub NOT FOUND: the mosquitto interop tests cannot run (apt-get install mosquitto-clients)';
  if (process.env.CI === 'true') throw new Error(msg);
  const bar = '!'.repeat(msg.length);
  console.warn(`\n${bar}\n${msg}\n${bar}\n`);
  return false;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (in `cwd`, else this process's folder), killed after `ms`. */
export function run(cmd: string, args: string[], ms = 10000, input?: string, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});   // a command that exits without reading its input
    child.stdin.end(input ?? '');
  });
}

export interface Background {
  output(): string;
  errors(): string;
  /** Resolves once stdout holds `n` lines (or rejects after `ms`). */
  lines(n: number, ms?: number): Promise<string[]>;
  done(ms?: number): Promise<Run>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts a long-running command (mosquitto_sub, ganglion); always kill() it in a finally. */
export function background(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Background {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd });
  let stdout = '', stderr = '';
  const waiters: Array<() => void> = [];
  const wake = (): void => { for (const w of waiters.splice(0)) w(); };
  child.stdout.on('data', (b) => { stdout += b; wake(); });
  child.stderr.on('data', (b) => { stderr += b; wake(); });
  let exit: Run | null = null;
  const exited = new Promise<Run>((resolve) => child.on('close', (code, signal) => {
    exit = { code, signal, stdout, stderr };
    wake();
    resolve(exit);
  }));
  const split = (): string[] => stdout.split('\n').filter((l) => l !== '');
  return {
    output: () => stdout,
    errors: () => stderr,
    lines(n, ms = 5000) {
      return within(ms, `${n} line(s) from ${cmd} ${args.join(' ')} (got: ${JSON.stringify(stdout)} ${JSON.stringify(stderr)})`, new Promise<string[]>((resolve, reject) => {
        const check = (): void => {
          if (split().length >= n) resolve(split());
          else if (exit !== null) reject(new Error(`${cmd} exited (${exit.code}) before ${n} line(s): ${stdout} ${stderr}`));
          else waiters.push(check);
        };
        check();
      }));
    },
    done: (ms = 5000) => within(ms, `${cmd} to exit`, exited),
    kill(signal = 'SIGKILL') {
      if (exit === null) child.kill(signal);
    },
  };
}

// ---- certificates ----

export interface Certs {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;      // CN=alice, signed by the CA
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate CN=alice. */
export function makeCerts(dir: string): Certs {
  const p = (f: string): string => join(dir, f);
  const ossl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=ganglion test CA']);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ossl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  ossl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  ossl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=alice']);
  ossl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2']);
  return { dir, ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}
