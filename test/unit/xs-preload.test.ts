// The XS bundle preloads clean: the Moddable linker warns "no const" for every top-level
// binding that is not const and "not frozen" for every top-level object that is not
// frozen, and keeps each of them in RAM (shared/moddable.md §5). The SDK is not in CI, so
// this checks the same two things on the built dist/xs/ganglion.js, and the build step that
// makes esbuild's top-level vars const again (ports/moddable/top-level-const.mjs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'acorn';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Result {
  text: string;
  changed: number;
  kept: string[];
}
const root = fileURLToPath(new URL('../../', import.meta.url));
// A plain JS module, imported through a computed specifier so the type declared here is used.
const mod: { constTopLevel(source: string): Result } =
  await import(new URL('ports/moddable/top-level-const.mjs', 'file://' + root).href);
const constTopLevel = mod.constTopLevel;

test('a top-level var nothing assigns becomes const', () => {
  const r = constTopLevel('var A = 1, B = { x: 1 };\nfunction f() { return A + B.x; }\nexport { f };\n');
  assert.is(r.text, 'const A = 1, B = { x: 1 };\nfunction f() { return A + B.x; }\nexport { f };\n');
  assert.is(r.changed, 1);
});

test('a property write does not keep it a var (the binding is not assigned)', () => {
  assert.is(constTopLevel('var B = {};\nB.x = 2;\n').text, 'const B = {};\nB.x = 2;\n');
});

test('a top-level var that is assigned, updated or has no initialiser stays var', () => {
  for (const src of ['var n = 0;\nfunction bump() { n = n + 1; }\n', 'var n = 0;\nn++;\n', 'var n;\n',
    'var k = 1;\nfor (k in {}) ;\n', 'var a = 1, b = 2;\nb += 1;\n']) {
    const r = constTopLevel(src);
    assert.is(r.text, src, src);
    assert.ok(r.kept.length > 0, src);
  }
});

test('a name bound again anywhere (a parameter, a local) stays var', () => {
  const src = 'var x = 1;\nfunction f(x) { return x; }\n';
  assert.is(constTopLevel(src).text, src);
  const src2 = 'var y = 1;\nfunction g() { var y = 2; y = 3; return y; }\n';
  assert.is(constTopLevel(src2).text, src2);
});

test('the IIFE bundle: the statements of its function are the module scope', () => {
  const r = constTopLevel('"use strict";\nvar lib = (() => {\n  var A = 1;\n  return { A };\n})();\n');
  assert.is(r.text, '"use strict";\nvar lib = (() => {\n  const A = 1;\n  return { A };\n})();\n');
});

test('dist/xs/ganglion.js: every top-level binding is const and every top-level object or array frozen', () => {
  const file = join(root, 'dist/xs/ganglion.js');
  if (!existsSync(file)) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  const src = readFileSync(file, 'utf8');
  const ast = parse(src, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as { body: Array<Record<string, any>> };
  const notConst: string[] = [];
  const notFrozen: string[] = [];
  for (const s of ast.body) {
    if (s.type !== 'VariableDeclaration') continue;
    for (const d of s.declarations) {
      const name = d.id.type === 'Identifier' ? d.id.name : src.slice(d.start, d.end);
      if (s.kind !== 'const') notConst.push(name);
      if (d.init && (d.init.type === 'ObjectExpression' || d.init.type === 'ArrayExpression')) notFrozen.push(name);
    }
  }
  assert.equal(notConst, [], 'top-level bindings that are not const');
  assert.equal(notFrozen, [], 'top-level object or array literals not passed through Object.freeze');
});

test.run();
