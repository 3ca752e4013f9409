// Drives the Espruino port through the fake Espruino (fake-espruino.ts) with real MQTT
// bytes. The same scenarios run twice: against the TypeScript sources (globals E, timers,
// require and Date.now swapped in for the duration of a test) and against the built
// dist/espruino/ganglion.js inside a vm context that has no Map, Set, WeakMap, Symbol,
// Object.freeze, Array.from, TextEncoder or TextDecoder, and whose strings are byte strings
// as on an ESP32 (Espruino built without Unicode): String.fromCharCode keeps the low 8 bits
// of each code, and a char above 255 in a string the bundle reads is an error (scenarios.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Packet } from '../../core/index.js';
import { Decoder, encode } from '../../core/index.js';
import { toHex } from '../helpers/hex.js';
import type { ClientEnd } from './fake-espruino.js';
import { FakeEspruino } from './fake-espruino.js';

/** What the tests use of a Listener (the same shape from the sources and the bundle). */
export interface ListenerLike {
  broker: {
    nowMs: number;
    connections: Array<{ clientId: string; outboundBytes: number; state: number }>;
    sessions: { get(id: string): { inflight: unknown[]; queue: unknown[]; dropped: number } | undefined; size: number };
    stats: { dropped: number; messagesIn: number; errors: number };
    retained: { count: number; bytes: number };
    limits: Record<string, number | boolean | string>;
    publish(topic: string, payload: string, qos: number, retain: boolean, nowMs: number): number;
  };
  publish(topic: string, payload: string, qos: number, retain: boolean): number;
  sockets: number;
  refused: number;
  sendBudget: number;
  tick(): void;
  close(): void;
}

export interface PortModule {
  listen(options: object, hooks: object): ListenerLike;
}

export interface Env {
  name: string;
  /** `s` as a program on this runtime holds it: itself on Node; its UTF-8 bytes, one char each, on Espruino. */
  text(s: string): string;
  /** Runs fn with the module bound to `fake` (its E, timers, require and clock). */
  with<T>(fake: FakeEspruino, fn: (m: PortModule) => T): T;
}

// ---- (a) the TypeScript sources ----

export function sourceEnv(mod: PortModule): Env {
  return {
    name: 'sources',
    text(s: string): string {
      return s;
    },
    with<T>(fake: FakeEspruino, fn: (m: PortModule) => T): T {
      const g = fake.globals();
      const saved: Record<string, unknown> = {};
      const names = ['E', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'require'];
      const G = globalThis as unknown as Record<string, unknown>;
      for (const n of names) { saved[n] = G[n]; G[n] = g[n]; }
      const now = Date.now;
      Date.now = g.dateNow as () => number;
      try {
        return fn(mod);
      } finally {
        for (const n of names) { if (saved[n] === undefined) delete G[n]; else G[n] = saved[n]; }
        Date.now = now;
      }
    },
  };
}

// ---- (b) the built bundle ----

const root = fileURLToPath(new URL('../../', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The path of a built Espruino bundle (relative to the repository), rebuilt first when missing or older than core/ or ports/espruino/. */
export function builtBundle(rel: string): string {
  const bundle = join(root, rel);
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newest(join(root, 'core')), newest(join(root, 'ports/espruino')))) {
    spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  }
  return bundle;
}

// Espruino without Unicode support (ESP32): chars are bytes. Node's own strings can hold
// more, so a char above 255 reaching the bundle is a test's mistake (a string not given as
// env.text(...)) or the bundle making one, and either is reported.
const BYTE_STRINGS = '(function () {' +
  'var from = String.fromCharCode, at = String.prototype.charCodeAt;' +
  'String.fromCharCode = function () { var a = []; for (var i = 0; i < arguments.length; i++) a.push(arguments[i] & 255);' +
  '  return from.apply(String, a); };' +
  'String.prototype.charCodeAt = function (i) { var c = at.call(this, i);' +
  '  if (c > 255) throw new Error("not a byte string: char " + c); return c; };' +
  '})();';

/**
 * The bundle in a context as on the board; `modules` are more bundles loaded into the same
 * context first (Modules.addCached(name, src)), which require(name) then gives.
 */
export function bundleEnv(bundlePath: string, modules: Record<string, string> = {}): Env {
  const source = readFileSync(bundlePath, 'latin1');
  const extra: Array<[string, string]> = Object.keys(modules).map((n) => [n, readFileSync(modules[n], 'latin1')]);
  const contexts = new WeakMap<FakeEspruino, PortModule>();
  return {
    name: 'bundle ' + basename(bundlePath),
    text(s: string): string {
      return Buffer.from(s, 'utf8').toString('latin1');
    },
    with<T>(fake: FakeEspruino, fn: (m: PortModule) => T): T {
      let m = contexts.get(fake);
      if (!m) {
        const g = fake.globals();
        const context = vm.createContext({
          E: g.E, setTimeout: g.setTimeout, setInterval: g.setInterval, clearTimeout: g.clearTimeout,
          clearInterval: g.clearInterval, require: g.require, __dateNow: g.dateNow,
        });
        vm.runInContext(
          'delete globalThis.Map; delete globalThis.Set; delete globalThis.WeakMap; delete globalThis.WeakSet;' +
          'delete globalThis.Symbol; delete globalThis.TextEncoder; delete globalThis.TextDecoder;' +
          'delete Object.freeze; delete Array.from; Date.now = __dateNow; delete globalThis.__dateNow;' +
          BYTE_STRINGS,
          context,
        );
        // Modules.addCached("ganglion", src) + require("ganglion"): the source runs with its
        // own module and exports.
        const addCached = (src: string): object => {
          const load = vm.runInContext('(function (module, exports) {\n' + src + '\n})', context) as
            (mm: { exports: object }, e: object) => void;
          const mod = { exports: {} };
          load(mod, mod.exports);
          return mod.exports;
        };
        for (const [name, src] of extra) fake.modules[name] = addCached(src);
        m = addCached(source) as PortModule;
        contexts.set(fake, m);
      }
      return fn(m);
    },
  };
}

// ---- a world: one fake board running the broker, and MQTT clients on the other end ----

export class Client {
  end: ClientEnd;
  version: number;
  decoder: Decoder;
  constructor(end: ClientEnd, version: number) {
    this.end = end;
    this.version = version;
    this.decoder = new Decoder({ version, maxPacketSize: 1 << 20 });
  }
  send(p: Packet): void {
    this.end.send(encode(p, this.version));
  }
  raw(bytes: Uint8Array): void {
    this.end.send(bytes);
  }
  /** Everything received since the last read, as hex. */
  hex(): string {
    return toHex(this.end.take());
  }
  packets(): Packet[] {
    this.decoder.push(this.end.take());
    const out: Packet[] = [];
    for (let p = this.decoder.next(); p !== null; p = this.decoder.next()) out.push(p);
    if (this.decoder.error) throw new Error('the broker sent bytes that do not decode: ' + JSON.stringify(this.decoder.error));
    return out;
  }
}

export class World {
  env: Env;
  fake = new FakeEspruino();
  listener!: ListenerLike;
  events: string[] = [];
  logs: string[] = [];
  port = 18830;

  constructor(env: Env, options: object, hooks: object = {}) {
    this.env = env;
    const events = this.events;
    const logs = this.logs;
    this.listener = this.in((m) => m.listen({ port: this.port, ...options }, {
      log: (_c: unknown, line: string) => { logs.push(line); },
      connected: (c: { clientId: string }) => { events.push('+' + c.clientId); },
      disconnected: (c: { clientId: string }) => { events.push('-' + c.clientId); },
      ...hooks,
    }));
    this.fake.roots.push(this.listener);
  }

  in<T>(fn: (m: PortModule) => T): T {
    return this.env.with(this.fake, fn);
  }

  run(): void {
    this.in(() => this.fake.loop.run());
  }

  advance(ms: number): void {
    this.in(() => this.fake.loop.advance(ms));
  }

  dial(version = 4): Client {
    return new Client(this.fake.net.dial(this.port), version);
  }

  /** Dials, sends CONNECT and runs; the CONNACK is left to read. */
  connect(id: string, o: { version?: number; will?: object | null; keepAlive?: number; clean?: boolean } = {}): Client {
    const version = o.version ?? 4;
    const c = this.dial(version);
    c.send({
      type: 1, protocolName: 'MQTT', protocolVersion: version, cleanStart: o.clean ?? true, keepAlive: o.keepAlive ?? 0,
      properties: null, clientId: id, will: (o.will ?? null) as never, username: null, password: null,
    } as Packet);
    this.run();
    return c;
  }

  /** connect() and check the CONNACK accepted it. */
  connected(id: string, version = 4): Client {
    const c = this.connect(id, { version });
    const p = c.packets();
    if (p.length !== 1 || p[0].type !== 2 || (p[0] as { reasonCode: number }).reasonCode !== 0) {
      throw new Error(id + ' not accepted: ' + JSON.stringify(p));
    }
    return c;
  }
}
