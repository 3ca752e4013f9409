// What the Espruino bundle gets in place of two built-ins Espruino lacks: `Map` and
// `Object.freeze`. build.mjs injects this file into the Espruino build only
// (esbuild `inject`), so every global `Map` in core/ resolves to StringMap, and it defines
// `Object.freeze` as `__freeze`, a no-op. Node and XS use their own built-ins.
//
// StringMap covers what the core may use (design.md §4): `new Map()` with no argument,
// get/set/has/delete/clear/forEach/size, with string keys (numbers work too if a map's
// keys are always numbers). It has no iteration protocol, keys(), values() or entries().
//
// Each entry sits on a plain object under a prefixed name: "~" + key for a string key,
// "=" + key for a number. So no key can collide with an Object.prototype name
// (`__proto__`, `hasOwnProperty`) or with Espruino's `#on…` listener slots, no slot name
// is integer-like (so slots keep insertion order on every runtime, as Map entries do),
// and forEach hands a number key back as a number.
//
// This file must itself run on Espruino: no method named `delete` in the class body
// (Espruino cannot parse one: `SyntaxError: Got delete expected '}'`), so it is put on
// the prototype after the class; `m.delete(k)` calls work.

type Key = string | number;

function slotOf(k: Key): string {
  return (typeof k === 'number' ? '=' : '~') + k;
}

function keyOf(slot: string): Key {
  return slot.charAt(0) === '=' ? +slot.substring(1) : slot.substring(1);
}

class StringMap<K extends Key, V> {
  // Not `private`: the `delete` function below, outside the class body, uses them.
  // Short names, because property names survive minification.
  o: { [slot: string]: V };
  n: number;

  constructor() {
    this.o = {};
    this.n = 0;
  }

  get size(): number {
    return this.n;
  }

  has(k: K): boolean {
    return slotOf(k) in this.o;
  }

  get(k: K): V | undefined {
    return this.o[slotOf(k)];
  }

  set(k: K, v: V): this {
    const s = slotOf(k);
    if (!(s in this.o)) this.n++;
    this.o[s] = v;
    return this;
  }

  clear(): void {
    this.o = {};
    this.n = 0;
  }

  // Visits entries in insertion order; an entry deleted before its turn is skipped.
  // Stops if the callback clears the map.
  forEach(fn: (v: V, k: K, m: StringMap<K, V>) => void, thisArg?: unknown): void {
    const o = this.o;
    let s: string;
    for (s in o) {
      if (this.o !== o) return;
      if (s in o) fn.call(thisArg, o[s], keyOf(s) as K, this);
    }
  }
}

interface StringMap<K extends Key, V> {
  delete(k: K): boolean;
}

StringMap.prototype['delete'] = function <K extends Key, V>(this: StringMap<K, V>, k: K): boolean {
  const s = slotOf(k);
  if (!(s in this.o)) return false;
  delete this.o[s];
  this.n--;
  return true;
};

export { StringMap as Map };
export { __freeze } from './freeze.js';
