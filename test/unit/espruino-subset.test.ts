// The Espruino subset check (ports/espruino/subset-check.mjs), the Espruino build that it
// guards (build.mjs), and the Map shim that build injects (ports/espruino/shim.ts).
// What counts as "outside the subset" is shared/espruino.md.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { Map as ShimMap } from '../../ports/espruino/shim.js';

interface Violation {
  what: string;
  index: number;
  excerpt: string;
}
interface Target {
  name: string;
  file: string;
}
// Plain JS modules, imported through a computed specifier so the typechecker takes the
// types declared here instead of looking for declaration files.
const root = fileURLToPath(new URL('../../', import.meta.url));
const checker: { checkEspruinoSubset(source: string): Violation[] } =
  await import(new URL('ports/espruino/subset-check.mjs', 'file://' + root).href);
const builder: {
  TARGETS: Target[];
  buildTarget(t: Target, overrides?: object, write?: boolean): Promise<Uint8Array>;
} = await import(new URL('build.mjs', 'file://' + root).href);

const check = checker.checkEspruinoSubset;

function whats(source: string): string[] {
  return check(source).map((v) => v.what);
}

// Asserts that `source` has at least one violation whose description contains `fragment`.
function fails(source: string, fragment: string): void {
  const found = whats(source);
  assert.ok(found.some((w) => w.includes(fragment)), `expected a violation containing "${fragment}", got ${JSON.stringify(found)}`);
}

function passes(source: string): void {
  assert.equal(check(source), []);
}

const espruinoTarget = builder.TARGETS.find((t) => t.name === 'espruino') as Target;
const bundlePath = join(root, espruinoTarget.file);

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSourceTime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// The built Espruino bundle, (re)built by build.mjs when missing or older than core/ or
// the shim. build.mjs may exit non-zero for a budget; the file is written regardless.
function espruinoBundle(): string {
  const stale = !existsSync(bundlePath) ||
    statSync(bundlePath).mtimeMs < Math.max(newestSourceTime(join(root, 'core')), statSync(join(root, 'ports/espruino/shim.ts')).mtimeMs);
  if (stale) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  return readFileSync(bundlePath, 'latin1');
}

// ---------------------------------------------------------------------------------------
const Check = suite('espruino subset check');

Check('a script that uses Set fails', () => {
  fails('var s = new Set(); s.add(1);', 'global Set');
});

Check('for…of fails', () => {
  fails('var a = [1, 2]; for (var x of a) console.log(x);', 'for…of');
});

Check('destructuring fails', () => {
  fails('var o = { a: 1 }; var { a } = o;', 'destructuring');
});

Check('a default parameter fails', () => {
  fails('function f(a, b = 2) { return a + b; }', 'default value');
});

Check('the exponent operator ** fails', () => {
  fails('var x = 2 ** 8;', '`**`');
});

Check('a class field with an initialiser fails', () => {
  fails('class A { x = 1 }', 'class field');
});

Check('a method named delete fails', () => {
  fails('class A { delete(k) { return k; } }', 'reserved word `delete`');
});

Check('optional chaining fails', () => {
  fails('var o = null; var v = o?.a;', 'optional chaining');
});

Check('Array.from fails', () => {
  fails('var a = Array.from("abc");', 'Array.from');
});

Check('a clean ES2015 script with classes, arrows, templates, Uint8Array and m.delete(k) passes', () => {
  passes(`
    class Writer {
      constructor(n) { this.buf = new Uint8Array(n); this.pos = 0; }
      get length() { return this.pos; }
      byte(b) { this.buf[this.pos++] = b & 255; return this; }
      static make() { return new Writer(16); }
    }
    const twice = (x) => x * 2;
    let label = \`pos \${Writer.make().byte(twice(3)).length}\`;
    function drop(m, k) { return m.delete(k); }
    var o = { delete: 1, get size() { return 0; } };
    drop({ delete: function (k) { return k; } }, label + o.delete);
  `);
});

Check('words in strings and comments do not count', () => {
  passes('var s = "new Set() Array.from(x) a?.b 2 ** 3"; // for (const x of y) {}\n/* class A { x = 1 } */');
});

Check('an unshimmed global Map fails; a Map class declared in the script passes', () => {
  fails('var m = new Map();', 'global Map');
  passes('class Map { get(k) { return k; } } var m = new Map();');
});

Check('an identifier named `of` (what the mangler can produce) fails', () => {
  fails('var of = 1; console.log(of);', 'identifier named `of`');
});

Check('a function called before its declaration at load time fails (no hoisting)', () => {
  fails('var T = table(); function table() { return 1; }', '`table` used before its declaration');
  passes('function table() { return 1; } var T = table();');
});

Check('a closure over a for (let …) variable fails', () => {
  fails('var fs = []; for (let i = 0; i < 3; i++) fs.push(() => i);', 'closure over the for (let …) variable `i`');
});

Check('a RegExp with an unescaped "/" in a class fails (Espruino 2v29: SyntaxError: Got \']\' expected \',\'); escaped passes', () => {
  fails('var r = /[+#/]/;', 'unescaped "/"');
  passes('var r = /[+#\\/]/;');
});

Check('a violation gives the index of the construct and an excerpt around it', () => {
  const source = 'var ok = 1;\nvar s = new Set();\n';
  const v = check(source);
  assert.is(v.length, 1);
  assert.is(v[0].index, source.indexOf('Set'));
  assert.ok(v[0].excerpt.includes('new Set()'), v[0].excerpt);
});

Check('the built dist/espruino/ganglion.js passes', () => {
  const found = check(espruinoBundle());
  assert.equal(found.map((v) => `${v.what} at ${v.index}: ${v.excerpt}`), []);
});

Check.run();

// ---------------------------------------------------------------------------------------
const Build = suite('espruino build');

Build('code that uses Map and Object.freeze bundles to the shim, with no global Map left', async () => {
  const source = `
    const NAMES = Object.freeze(['a', 'b']);
    export function count(words: string[]): number {
      const m = new Map<string, number>();
      for (let i = 0; i < words.length; i++) m.set(words[i], (m.get(words[i]) || 0) + 1);
      m.delete(NAMES[0]);
      return m.size;
    }`;
  const bytes = await builder.buildTarget(espruinoTarget, {
    entryPoints: undefined,
    stdin: { contents: source, loader: 'ts', resolveDir: root, sourcefile: 'uses-map.ts' },
  }, false);
  const text = new TextDecoder().decode(bytes);
  assert.equal(check(text), []);
  assert.not.ok(/\bMap\b/.test(text), 'the identifier Map is gone from the bundle');
  assert.not.ok(text.includes('freeze'), 'Object.freeze is gone from the bundle');
});

Build('the bundle loads as an Espruino module in a context without Map, Set, Symbol or Object.freeze', () => {
  const context = vm.createContext({});
  vm.runInContext(
    'delete globalThis.Map; delete globalThis.Set; delete globalThis.WeakMap; delete globalThis.WeakSet;' +
    'delete globalThis.Symbol; delete globalThis.TextEncoder; delete globalThis.TextDecoder;' +
    'delete Object.freeze; delete Array.from;',
    context,
  );
  // What Modules.addCached("ganglion", src) + require("ganglion") does: run the source
  // with its own `module` and `exports`, then hand out module.exports.
  const load = vm.runInContext('(function (module, exports) {\n' + espruinoBundle() + '\n})', context) as
    (m: { exports: Record<string, unknown> }, e: Record<string, unknown>) => void;
  const mod = { exports: {} as Record<string, unknown> };
  load(mod, mod.exports);
  const encode = mod.exports.encode as (p: object, version: number) => Uint8Array;
  assert.type(encode, 'function');
  // PINGREQ: fixed header byte 0xC0 (type 12 << 4), remaining length 0 (MQTT 3.1.1 §3.12).
  assert.equal([...encode({ type: 12 }, 4)], [0xc0, 0x00]);
});

Build.run();

// ---------------------------------------------------------------------------------------
// The shim against the built-in Map: the same operations must give the same answers.
const Shim = suite('espruino Map shim');

type AnyMap = {
  get(k: string | number): unknown;
  set(k: string | number, v: unknown): unknown;
  has(k: string | number): boolean;
  delete(k: string | number): boolean;
  clear(): void;
  forEach(fn: (v: unknown, k: string | number) => void): void;
  readonly size: number;
};

function both(): [AnyMap, AnyMap] {
  return [new ShimMap<string | number, unknown>() as AnyMap, new Map<string | number, unknown>() as AnyMap];
}

function entries(m: AnyMap): Array<[string | number, unknown]> {
  const out: Array<[string | number, unknown]> = [];
  m.forEach((v, k) => out.push([k, v]));
  return out;
}

Shim('get, set, has, delete and size agree with Map', () => {
  for (const m of both()) {
    assert.is(m.set('a', 1), m, 'set returns the map');
    m.set('b', 2);
    m.set('a', 3);
    assert.is(m.size, 2);
    assert.is(m.get('a'), 3);
    assert.is(m.get('zz'), undefined);
    assert.is(m.has('b'), true);
    assert.is(m.delete('b'), true);
    assert.is(m.delete('b'), false);
    assert.is(m.has('b'), false);
    assert.is(m.size, 1);
  }
});

Shim('keys named like Object.prototype members are ordinary keys', () => {
  const [shim, real] = both();
  for (const m of [shim, real]) {
    assert.is(m.get('toString'), undefined);
    assert.is(m.has('constructor'), false);
    m.set('__proto__', 1);
    m.set('hasOwnProperty', 2);
  }
  assert.equal(entries(shim), entries(real));
  assert.is(shim.get('__proto__'), 1);
});

Shim('forEach visits in insertion order and gives number keys back as numbers', () => {
  const [shim, real] = both();
  for (const m of [shim, real]) {
    m.set('x', 1);
    m.set(10, 2);
    m.set('10', 3);
    m.set(2, 4);
    m.set('x', 5);
  }
  assert.equal(entries(shim), entries(real));
  assert.equal(entries(shim), [['x', 5], [10, 2], ['10', 3], [2, 4]]);
});

Shim('forEach skips an entry deleted before its turn', () => {
  const [shim, real] = both();
  const seen: Array<Array<string | number>> = [];
  for (const m of [shim, real]) {
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    const keys: Array<string | number> = [];
    m.forEach((_v, k) => {
      keys.push(k);
      if (k === 'a') m.delete('b');
    });
    seen.push(keys);
  }
  assert.equal(seen[0], seen[1]);
  assert.equal(seen[0], ['a', 'c']);
});

Shim('clear empties the map', () => {
  for (const m of both()) {
    m.set('a', 1);
    m.set(1, 2);
    m.clear();
    assert.is(m.size, 0);
    assert.is(m.has('a'), false);
    assert.equal(entries(m), []);
  }
});

Shim.run();
