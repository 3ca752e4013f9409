// The Espruino bundles leave the core's error sentences out (ports/espruino/short-texts.mjs):
// each CodecError keeps its reason code and rule, its message becomes "". The scenarios in
// test/espruino run on those bundles; this checks the transform itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// A plain JS module, imported through a computed specifier so the type declared here is used.
const mod: { shortTexts(source: string): { text: string; blanked: number } } =
  await import(new URL('ports/espruino/short-texts.mjs', 'file://' + root).href);
const shortTexts = mod.shortTexts;

const MAKERS = 'function h(t,e,n){return{rc:t,rule:e,message:n}}function k(e,n){return h(129,e,n)}';

test('the message of a CodecError and of its helpers becomes ""; the code and rule stay', () => {
  const r = shortTexts(MAKERS + 'function f(x){if(x)throw k("4:MQTT-3.3.1-4","PUBLISH with QoS "+x);return h(130,"5:§4.12","AUTH out of place")}');
  assert.is(r.text, MAKERS + 'function f(x){if(x)throw k("4:MQTT-3.3.1-4","");return h(130,"5:§4.12","")}');
  assert.is(r.blanked, 2);
});

test('other calls with three arguments are left alone', () => {
  const src = MAKERS + 'function g(a,b,c){return a+b+c}g(1,"two","three");';
  assert.is(shortTexts(src).text, src);
});

test('two CodecError makers are refused (the core changed shape); none leaves the text as it is', () => {
  assert.throws(() => shortTexts(MAKERS + MAKERS.replace('function h', 'function j')), /expected one codecError/);
  assert.is(shortTexts('function q(a){return a}').text, 'function q(a){return a}');
});

test('the built Espruino bundle has no error sentence left, the sources do', () => {
  const sentence = 'PUBLISH with QoS 3';
  assert.ok(readFileSync(join(root, 'core/codec/fixed-header.ts'), 'utf8').indexOf(sentence) >= 0);
  const bundle = readFileSync(join(root, 'dist/espruino/ganglion.js'), 'latin1');
  assert.is(bundle.indexOf(sentence), -1);
  assert.ok(bundle.indexOf('4:MQTT-3.3.1-4') >= 0, 'the rule is still there');
});

test.run();
