// A variable esbuild's minifier names `of` is renamed in the Espruino bundles
// (ports/espruino/rename-of.mjs): Espruino cannot parse `var of = ...`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// A plain JS module, imported through a computed specifier so the type declared here is used.
const mod: { renameOf(source: string): { text: string; renamed: number } } =
  await import(new URL('ports/espruino/rename-of.mjs', 'file://' + root).href);
const renameOf = mod.renameOf;

test('every binding and reference named `of` gets one new name; property names stay', () => {
  const r = renameOf('var of=[1],x={of:2,y:of};function f(of){return of+x.of+of$1}f(of[0]);var z={of};');
  assert.is(r.text, 'var of$=[1],x={of:2,y:of$};function f(of$){return of$+x.of+of$1}f(of$[0]);var z={of:of$};');
});

test('the new name is one the code does not use', () => {
  assert.is(renameOf('var of$=1,of=2;').text, 'var of$=1,of$0=2;');
});

test('code without `of` is returned as it is', () => {
  const src = 'for(var a of b)c(a);';
  assert.is(renameOf(src).text, src);
});

test('what it gives back runs the same', () => {
  const src = 'var of=3;function f(of){return of*2}var r=f(of)+({of:1}).of;';
  const run = (s: string): unknown => new Function(s + ';return r')();
  assert.is(run(renameOf(src).text), run(src));
});

test.run();
