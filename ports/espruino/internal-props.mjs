// The property names the Espruino bundle may rename (esbuild `mangleProps`), as a generated
// list. Espruino keeps every property name as text, in the code (the bundle is its source)
// and in every object that has the property (a name over about 8 characters takes another
// variable), so the core's long internal names cost both code size and RAM per client.
//
//   import { internalProps } from './ports/espruino/internal-props.mjs';
//   internalProps(root) -> ['accepted', 'addSubscription', ...]   (sorted)
//
// A name is internal when all of these hold:
//   1. the core or the Espruino port declares it as a member of a class or interface (read
//      from the type declarations tsc emits for ports/espruino/index.ts), so built-ins
//      (`length`, `subarray`), Espruino's own API (`write`, `on`, `toArrayBuffer`) and
//      esbuild's helpers are never touched;
//   2. it is not a member of a type a board program is handed or hands in (PUBLIC_TYPES
//      below, with the types they extend): options, hooks, stats, limits, the Listener, the
//      Connection and Broker members a program reads, messages, packets and their
//      properties (the bundle exports encode and Decoder), and the Transport of a custom
//      port;
//   3. no file outside core/ uses it (`.name` or `name:` anywhere under ports/): what the
//      ports call on the core is the core's public API too;
//   4. it is not the name of a property of any JavaScript built-in.
// Mangling is by name across the whole bundle, so one public use of a name keeps it
// everywhere. Wire and JSON names: the core builds no JSON from objects (peer-text.ts only
// stringifies strings), and packet fields are kept by 2. A name reached only through a
// string (`o["name"]`) would break; the core has none (every Espruino scenario runs on the
// built bundle, and test/unit/espruino-public-api.test.ts checks what a program sees).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The types of what a board program is given or gives: their members keep their names.
export const PUBLIC_TYPES = [
  'ListenOptions', 'ListenHooks', 'Listener', 'BrokerOptions', 'Hooks', 'AuthAnswer', 'Stats',
  'Limits', 'Message', 'Transport', 'LocalSubscription', 'RetainedStore', 'Store',
  'ConnectPacket', 'ConnackPacket', 'PublishPacket', 'AckPacket', 'SubscribePacket', 'SubackPacket',
  'UnsubscribePacket', 'UnsubackPacket', 'PingPacket', 'DisconnectPacket', 'AuthPacket',
  'Properties', 'Will', 'Subscription', 'Decoder', 'DecoderOptions', 'CodecError',
];

/** tsc's declarations of the Espruino entry and everything it reaches, as { path: text }. */
function declarations(root) {
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-dts-'));
  try {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false, declaration: true, emitDeclarationOnly: true,
        typeRoots: [join(root, 'node_modules/@types')],
        rootDir: root, outDir: join(dir, 'out'),
      },
      include: [],
      files: [join(root, 'core/build-flags.d.ts'), join(root, 'ports/espruino/index.ts')],
    }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error('internal-props: tsc failed:\n' + r.stdout + r.stderr);
    const files = {};
    const walk = (d) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.d.ts')) files[p] = readFileSync(p, 'utf8');
      }
    };
    walk(join(dir, 'out'));
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The classes and interfaces of declaration text: name -> [{ extends, members }]. Members
 * are the names at the top level of the body (fields, methods, accessors), private ones
 * included. Declaration files are regular enough for a line reader: one member per line.
 */
export function declaredTypes(files) {
  const types = new Map();
  for (const text of Object.values(files)) {
    let cur = null;
    let depth = 0;
    for (const line of text.split('\n')) {
      const code = line.replace(/\/\/.*$/, '');
      if (cur === null) {
        const m = /^(?:export )?(?:declare )?(?:abstract )?(?:class|interface)\s+(\w+)(?:<.*?>)?([^{]*)\{\s*$/.exec(code);
        if (!m) continue;
        cur = { extends: m[2].match(/[A-Z]\w*/g) || [], members: new Set() };
        if (!types.has(m[1])) types.set(m[1], []);
        types.get(m[1]).push(cur);
        depth = 1;
        continue;
      }
      const t = code.trim();
      if (depth === 1 && !t.startsWith('*') && !t.startsWith('/*')) {
        const m = /^(?:(?:private|protected|public|static|readonly|get|set)\s+)*(\w+)\??\s*[(:<;]/.exec(t);
        if (m) cur.members.add(m[1]);
      }
      for (const ch of code) {
        if (ch === '{') depth++;
        else if (ch === '}') depth--;
      }
      if (depth <= 0) cur = null;
    }
  }
  return types;
}

/** Names used as properties (`.name`, `name:` / `name?:`) in the files under `dir`. */
function usedIn(dir, names) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) { usedIn(p, names); continue; }
    if (!/\.(ts|js|mjs)$/.test(p)) continue;
    const text = readFileSync(p, 'utf8');
    for (const m of text.matchAll(/\.\s*([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
    for (const m of text.matchAll(/([A-Za-z_$][\w$]*)\??\s*:/g)) names.add(m[1]);
  }
  return names;
}

// The built-ins the core touches, and some it may one day (their own and prototype members).
const BUILTINS = [
  Object, Function, Array, String, Number, Boolean, Math, JSON, Date, RegExp, Error, TypeError,
  RangeError, Promise, Map, Set, WeakMap, ArrayBuffer, DataView, Uint8Array, Int8Array,
  Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array,
];

function builtinNames() {
  const names = new Set();
  for (const v of BUILTINS) {
    for (const k of Object.getOwnPropertyNames(v)) names.add(k);
    for (const k of Object.getOwnPropertyNames(v.prototype || {})) names.add(k);
  }
  for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(Uint8Array.prototype))) names.add(k);
  return names;
}

/** The public names: members of PUBLIC_TYPES (and what they extend), and names used under ports/. */
export function publicProps(root, types) {
  const names = usedIn(join(root, 'ports'), new Set());
  const seen = new Set();
  const add = (t) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const d of types.get(t) || []) {
      for (const m of d.members) names.add(m);
      d.extends.forEach(add);
    }
  };
  PUBLIC_TYPES.forEach(add);
  return names;
}

export function internalProps(root) {
  const types = declaredTypes(declarations(root));
  for (const t of PUBLIC_TYPES) {
    if (!types.has(t)) throw new Error('internal-props: no declaration of public type ' + t);
  }
  const keep = publicProps(root, types);
  const builtins = builtinNames();
  const out = new Set();
  types.forEach((decls) => {
    for (const d of decls) for (const m of d.members) if (!keep.has(m) && !builtins.has(m)) out.add(m);
  });
  return [...out].sort();
}
