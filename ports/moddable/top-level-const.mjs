// Gives the XS bundles their top-level `const` back. esbuild turns every top-level `const`
// and `let` of a bundle into `var` (deliberately, and with no option to keep them: esbuild
// FAQ "top-level var"). The Moddable linker preloads the bundle into flash and keeps each
// top-level binding that is not `const` in RAM, one alias slot each, warning "no const" for
// every one (shared/moddable.md §5). Our module scope holds only constants (design.md), so
// a `var` that nothing ever assigns again can be `const`.
//
//   import { constTopLevel } from './ports/moddable/top-level-const.mjs';
//   constTopLevel(source) -> { text, changed, kept }   (kept: names left as var, and why)
// (for the IIFE build, the statements of its function: the same module scope.)
//
// A top-level `var` declaration becomes `const` when every name it declares has an
// initialiser and no code anywhere in the bundle assigns, updates or re-declares that name
// (any function's own binding of the same name counts too: a conservative check that needs
// no scope analysis). A `const` read before its declaration has run throws where a `var`
// read undefined; the XS suites run these bundles (test/xs), so such a read would show.
import { parse } from 'acorn';
import { simple } from 'acorn-walk';

function targets(node, out) {
  if (node.type === 'Identifier') out.push(node.name);
  else if (node.type === 'MemberExpression') return;
  else if (node.type === 'ObjectPattern') for (const p of node.properties) targets(p.type === 'RestElement' ? p.argument : p.value, out);
  else if (node.type === 'ArrayPattern') for (const e of node.elements) { if (e) targets(e, out); }
  else if (node.type === 'RestElement' || node.type === 'AssignmentPattern') targets(node.type === 'RestElement' ? node.argument : node.left, out);
}

// The module's statements; for an IIFE bundle (`var ganglion = (() => { ... })();`, the
// xsnap build) the statements of that function, which are the module scope there.
function topLevel(ast) {
  const b = ast.body;
  const last = b[b.length - 1];
  const init = last && last.type === 'VariableDeclaration' && last.declarations.length === 1 ? last.declarations[0].init : null;
  if (init && init.type === 'CallExpression' && init.callee.type === 'ArrowFunctionExpression' && init.callee.body.type === 'BlockStatement') {
    return init.callee.body.body;
  }
  return b;
}

export function constTopLevel(source) {
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: 'module' });
  // Names written anywhere after their declaration, or bound again anywhere.
  const written = new Set();
  const bound = new Map();   // name -> how many declarations bind it
  const bind = (name) => bound.set(name, (bound.get(name) || 0) + 1);
  simple(ast, {
    AssignmentExpression(n) { const t = []; targets(n.left, t); t.forEach((x) => written.add(x)); },
    UpdateExpression(n) { const t = []; targets(n.argument, t); t.forEach((x) => written.add(x)); },
    ForInStatement(n) { if (n.left.type !== 'VariableDeclaration') { const t = []; targets(n.left, t); t.forEach((x) => written.add(x)); } },
    ForOfStatement(n) { if (n.left.type !== 'VariableDeclaration') { const t = []; targets(n.left, t); t.forEach((x) => written.add(x)); } },
    VariableDeclarator(n) { const t = []; targets(n.id, t); t.forEach(bind); },
    FunctionDeclaration(n) { if (n.id) bind(n.id.name); },
    ClassDeclaration(n) { if (n.id) bind(n.id.name); },
    Function(n) { for (const p of n.params) { const t = []; targets(p, t); t.forEach(bind); } },
    CatchClause(n) { if (n.param) { const t = []; targets(n.param, t); t.forEach(bind); } },
  });
  const edits = [];
  const kept = [];
  for (const stmt of topLevel(ast)) {
    const decl = stmt.type === 'ExportNamedDeclaration' ? stmt.declaration : stmt;
    if (!decl || decl.type !== 'VariableDeclaration' || decl.kind !== 'var') continue;
    const why = [];
    for (const d of decl.declarations) {
      const names = [];
      targets(d.id, names);
      for (const name of names) {
        if (d.init === null) why.push(name + ': no initialiser');
        else if (written.has(name)) why.push(name + ': assigned');
        else if (bound.get(name) > 1) why.push(name + ': bound again');
      }
    }
    if (why.length > 0) { kept.push(...why); continue; }
    edits.push(decl.start);
  }
  let text = source;
  for (let i = edits.length - 1; i >= 0; i--) {
    const at = edits[i];
    if (text.slice(at, at + 3) !== 'var') throw new Error('top-level-const: no `var` at ' + at);
    text = text.slice(0, at) + 'const' + text.slice(at + 3);
  }
  return { text, changed: edits.length, kept };
}
