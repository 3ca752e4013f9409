// esbuild's identifier minifier may name a variable `of`, which Espruino rejects
// (`SyntaxError: Got of expected EOF`, shared/espruino.md, "esbuild: settings"), and it has
// no option to avoid a name. Which names it picks depends on the whole bundle, so any change
// to the core can bring `of` back. This renames every identifier `of` in a built Espruino
// bundle to a name the bundle does not use anywhere, which keeps its meaning: the bundle
// never reads a global `of`, so every `of` is one of its own bindings, and one consistent
// new spelling can capture nothing.
//
//   import { renameOf } from './ports/espruino/rename-of.mjs';
//   renameOf(bundleText) -> { text, renamed }
import { parse } from 'acorn';
import { full } from 'acorn-walk';

export function renameOf(source) {
  if (!/\bof\b/.test(source)) return { text: source, renamed: 0 };
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: 'script' });
  const used = new Set();
  full(ast, (n) => { if (n.type === 'Identifier') used.add(n.name); });
  let fresh = 'of$';
  for (let i = 0; used.has(fresh); i++) fresh = 'of$' + i;
  // Property keys and `a.of` are names, not identifiers: acorn gives them as Identifier
  // nodes too, so they are found through their parents and left alone.
  const names = new Set();
  const edits = [];
  full(ast, (n) => {
    if (n.type === 'MemberExpression' && !n.computed) names.add(n.property);
    if ((n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') && !n.computed) {
      if (n.shorthand && n.value.type === 'Identifier' && n.value.name === 'of') edits.push({ start: n.start, end: n.end, text: 'of:' + fresh });
      names.add(n.key);
      if (n.shorthand) names.add(n.value);
    }
  });
  full(ast, (n) => {
    if (n.type === 'Identifier' && n.name === 'of' && !names.has(n)) edits.push({ start: n.start, end: n.end, text: fresh });
  });
  edits.sort((a, b) => b.start - a.start);
  let text = source;
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return { text, renamed: edits.length };
}
