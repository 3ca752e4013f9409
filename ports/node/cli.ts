// `ganglion`: the MQTT broker on Node. Flags follow mosquitto's spelling where they mean
// the same thing (-c, -p, -v), plus --host. `ganglion passwd FILE USER` manages users;
// `ganglion probe URL` measures a broker (probe-cli.ts).
import { readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import type { Flags } from './config.js';
import { ConfigError, buildConfig, parseConfigText } from './config.js';
import type { Level, LogFormat } from './logger.js';
import { LEVELS, LOG_FORMATS } from './logger.js';
import type { FsyncPolicy } from './file-journal.js';
import { FSYNC_POLICIES } from './file-journal.js';
import { deleteUser, hashPassword, parsePasswordFile, setUser, validUser } from './password-file.js';
import { createServer } from './server.js';
import { probeCommand } from './probe-cli.js';
import { packageVersion } from './version.js';

const VERSION = packageVersion();

export const HELP = `ganglion ${VERSION}: an MQTT 3.1 / 3.1.1 / 5.0 broker

usage: ganglion [options]
       ganglion passwd [-D] FILE USER
       ganglion probe URL [options]   (ganglion probe --help)

options:
  -c, --config FILE       JSON config file (listeners, users, ACL, limits; see README),
                          or a mosquitto.conf (*.conf, or any file not JSON)
  -p, --port PORT         port of the TCP listener (default 1883; 0 picks a free port)
      --host ADDRESS      address of the TCP listener (default 127.0.0.1)
  -v, --verbose           log connects, disconnects and latency (twice: everything)
      --log-level LEVEL   error, warn (default), info or debug (-v -v: a line per packet)
      --log-format F      text (default) or json: one JSON object per line
      --log-file FILE     append the log to FILE instead of stderr (reopened on SIGHUP)
      --allow-anonymous   let clients in without a user name on every listener
      --password-file F   users, made with "ganglion passwd F USER"
      --acl-file FILE     who may publish and subscribe where
      --persist DIR       keep sessions, queued and retained messages in DIR (a crash-safe
                          journal; off by default: state is in memory and lost on a stop)
      --fsync POLICY      with --persist: always (default: nothing acknowledged before it is
                          on disk), interval (synced every second) or never
  -h, --help              this text
      --version           the version

Anonymous clients are let in only on loopback addresses unless allowed; a listener on any
other address needs users, client certificates or an explicit allowAnonymous.
Signals: SIGHUP re-reads the password and ACL files and reopens the log file; SIGINT/SIGTERM
shut down gracefully.

passwd: sets USER's password in FILE (created if missing), read from the terminal without
echo, or from the first line of standard input. -D deletes USER.`;

class UsageError extends Error {}

export function parseArgs(argv: string[]): Flags & { help?: boolean; version?: boolean } {
  const flags: Flags & { help?: boolean; version?: boolean } = {};
  let verbose = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '-c': case '--config': flags.config = value(); break;
      case '-p': case '--port': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`${name}: must be a port number from 0 to 65535, got "${v}"`);
        flags.port = n;
        break;
      }
      case '--host': flags.host = value(); break;
      case '-v': case '--verbose': verbose++; break;
      case '-vv': verbose += 2; break;
      case '--log-level': {
        const v = value();
        if (!(LEVELS as readonly string[]).includes(v)) throw new UsageError(`--log-level: must be one of ${LEVELS.join(', ')}, got "${v}"`);
        flags.logLevel = v as Level;
        break;
      }
      case '--log-format': {
        const v = value();
        if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--log-format: must be one of ${LOG_FORMATS.join(', ')}, got "${v}"`);
        flags.logFormat = v as LogFormat;
        break;
      }
      case '--log-file': flags.logFile = value(); break;
      case '--allow-anonymous': flags.allowAnonymous = true; break;
      case '--password-file': flags.passwordFile = value(); break;
      case '--acl-file': flags.aclFile = value(); break;
      case '--persist': flags.persist = value(); break;
      case '--fsync': {
        const v = value();
        if (!(FSYNC_POLICIES as readonly string[]).includes(v)) throw new UsageError(`--fsync: must be one of ${FSYNC_POLICIES.join(', ')}, got "${v}"`);
        flags.fsync = v as FsyncPolicy;
        break;
      }
      case '-h': case '--help': flags.help = true; break;
      case '--version': flags.version = true; break;
      default: throw new UsageError(`unknown option "${a}" (try ganglion --help)`);
    }
  }
  if (verbose > 0 && flags.logLevel === undefined) flags.logLevel = verbose > 1 ? 'debug' : 'info';
  return flags;
}

/** Reads a password: from the terminal without echo, or the first line of piped stdin. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  }
  const ask = (text: string): Promise<string> => new Promise((resolve, reject) => {
    process.stderr.write(text);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (b: Buffer): void => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {   // Ctrl-C
          done();
          process.stderr.write('\n');
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
  const first = await ask(prompt);
  const again = await ask('Reenter password: ');
  if (first !== again) throw new UsageError('the passwords do not match');
  return first;
}

async function passwd(args: string[]): Promise<number> {
  const del = args[0] === '-D';
  const rest = del ? args.slice(1) : args;
  if (rest.length !== 2) throw new UsageError('usage: ganglion passwd [-D] FILE USER');
  const [file, user] = rest;
  if (!validUser(user)) throw new UsageError(`user name "${user}": must be non-empty, without ":" or control characters`);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  parsePasswordFile(text, file);   // refuse to rewrite a file we cannot read back
  let out: string;
  if (del) {
    const next = deleteUser(text, user);
    if (next === null) throw new UsageError(`${file}: no user "${user}"`);
    out = next;
  } else {
    const password = await readPassword('Password: ');
    if (password === '') throw new UsageError('empty password');
    out = setUser(text, user, await hashPassword(password));
  }
  // Written beside and renamed over: a reader never sees half a file. Owner-only.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, out, { mode: 0o600 });
  renameSync(tmp, file);
  return 0;
}

async function serve(flags: Flags, loaded: () => void): Promise<void> {
  let file: unknown = {};
  let baseDir = process.cwd();
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${flags.config}: ${(e as Error).message}`);
    }
    let warnings: string[];
    ({ file, baseDir, warnings } = parseConfigText(text, flags.config));
    for (const w of warnings) console.error(`ganglion: warning: ${w}`);
  }
  const server = createServer(buildConfig(file, flags, baseDir));
  const logger = server.logger;
  const journal = server.journal;
  if (journal !== null) {
    const j = journal.stats;
    console.log(`ganglion: state kept in ${journal.options.dir} (fsync ${journal.options.fsync}): ${j.loadedRecords} records loaded in ${j.loadMs} ms`);
  }
  loaded();
  // Handlers first: a signal sent as soon as the listening lines appear finds them in place.
  process.on('SIGHUP', () => {
    // logrotate has moved the log file: the next lines go to a new one of the same name.
    try {
      server.reopenLog();
    } catch (e) {
      logger.log('error', `${(e as Error).message}; logging to the old file`);
    }
    try {
      server.reload();
    } catch (e) {
      logger.log('error', `reload failed, keeping the old users and ACL: ${(e as Error).message}`);
    }
  });
  let signalled = false;
  const stop = (sig: string): void => {
    if (signalled) {
      process.exit(1);   // a second signal: no more waiting
    }
    signalled = true;
    logger.log('info', `${sig}: shutting down`);
    server.close().then(() => {
      console.log('ganglion: stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  let bound: Awaited<ReturnType<typeof server.listen>>;
  try {
    bound = await server.listen();
  } catch (e) {
    await server.close();   // the persistence journal's lock and files are let go
    throw e;
  }
  for (const l of bound) {
    const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss', http: 'http' }[l.config.type];
    const host = l.host.includes(':') ? `[${l.host}]` : l.host;
    const who = l.config.type === 'http' ? `: status page /, /metrics, /health${l.config.token !== null ? ', token needed' : ''}`
      : l.config.useIdentityAsUsername ? ', client certificates as users' : l.config.allowAnonymous ? ', anonymous allowed' : '';
    // A WebSocket URL names its path; a listener that takes any path says so.
    const web = l.config.type === 'ws' || l.config.type === 'wss';
    const path = web ? l.config.path ?? '/' : '';
    const anyPath = web && l.config.path === null ? ', any path' : '';
    console.log(`ganglion: listening on ${scheme}://${host}:${l.port}${path} (${l.config.type}${anyPath}${who})`);
  }
}

/** `loaded` is called once the broker has been built from its store, before it listens. */
export async function main(argv: string[], loaded: () => void = () => undefined): Promise<number | null> {
  try {
    if (argv[0] === 'passwd') return await passwd(argv.slice(1));
    if (argv[0] === 'probe') return await probeCommand(argv.slice(1));
    const flags = parseArgs(argv);
    if (flags.help) {
      console.log(HELP);
      return 0;
    }
    if (flags.version) {
      console.log(VERSION);
      return 0;
    }
    await serve(flags, loaded);
    return null;   // serving: the signal handlers end the process
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`ganglion: ${e.message}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      console.error(`ganglion: ${e.message}`);
      return 2;
    }
    console.error(`ganglion: ${(e as Error).message}`);
    return 1;
  }
}
