// The Espruino subset check: does a script use anything Espruino 2v29 lacks or gets wrong?
// The list is shared/espruino.md ("Language features (measured)" and "Constructs the
// source must avoid"). build.mjs runs it on dist/espruino/ganglion.js and fails the build
// on any violation; test/unit/espruino-subset.test.ts tests it.
//
//   import { checkEspruinoSubset } from './ports/espruino/subset-check.mjs';
//   checkEspruinoSubset(source) -> [{ what, index, excerpt }]   (empty: nothing found)
//
// It parses with acorn (ecmaVersion 'latest'; as a script, or as a module if that fails)
// and walks the tree with acorn-walk, so strings and comments never count. Two walks:
//   1. node kinds: syntax Espruino cannot parse (destructuring, spread, `**`, `?.`, class
//      fields, methods named with reserved words, …), members it lacks (`Array.from`,
//      `Object.freeze`, `.copyWithin(`, `.keys(`, …), and constructs it gets wrong
//      (`extends Error`, `arr.length = n`, `\${` in templates, RegExp lookaround);
//   2. names, resolved through scopes: globals Espruino lacks (Map, Set, Symbol, …; a
//      reference that resolves to a declaration in the script is not a global, so the
//      shim's Map class passes), identifiers Espruino rejects (`of`, `static`, `let`),
//      `arguments` inside an arrow, closures over a `for (let …)` variable, and uses of a
//      binding before its declaration in code that runs at the same time (Espruino runs
//      code while parsing it and hoists nothing).
// Plus: any non-ASCII character (esp32 builds of Espruino have Unicode off).
// Limits: a call through a named function is not followed (load-time code that calls a
// function declared above it, which calls one declared below it, passes; an IIFE is
// followed). `.lastIndexOf(` and the other instance methods are flagged on any object,
// since a parser cannot tell a typed array from an array.
// Not checked here, because it is a matter of run time, not syntax: Espruino never frees an
// object that running code held 15 references to at once (a 4-bit lock count,
// espruino/Espruino#2616), which a chain of about 7 nested methods of one object reaches.
// That is what leaked each 5.0 connection closed for a malformed packet (issue 18 §2).
// test/unit/espruino-lock-depth.test.ts bounds the nesting of Connection methods instead;
// see "ESPRUINO LOCK DEPTH" in core/broker/connection.ts.
import { parse } from 'acorn';
import { simple, recursive, base } from 'acorn-walk';

// Globals Espruino does not have.
const MISSING_GLOBALS = new Set([
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy',
  'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'TextEncoder', 'TextDecoder',
  'queueMicrotask',
]);

// Static members Espruino does not have (`Array.prototype` is there but its methods read
// as undefined, so any `Array.prototype.x` is flagged).
const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
];
const MISSING_STATICS = {
  Array: ['from', 'of', 'prototype'],
  Number: ['isInteger', 'isFinite', 'isSafeInteger', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'EPSILON'],
  Math: ['trunc', 'pow'],
  Object: ['freeze', 'seal', 'preventExtensions'],
  Promise: ['race', 'allSettled', 'any'],
  ArrayBuffer: ['isView'],
  String: ['raw'],
  process: ['nextTick'],
};
for (const t of TYPED_ARRAYS) MISSING_STATICS[t] = ['from', 'of'];
const STATIC_NOTES = {
  'Math.pow': ' (inexact on Espruino; esbuild also lowers `**` to it)',
  'Object.freeze': ' (the Espruino build defines it away; this one escaped)',
};

// Instance methods Espruino does not have, flagged when called: `x.name(`.
const MISSING_METHODS = new Set([
  'copyWithin', 'codePointAt', 'lastIndexOf', 'flat', 'flatMap', 'finally', 'at',
  'trimStart', 'trimEnd', 'localeCompare',
  // iteration protocol: neither Espruino's typed arrays nor the shim Map have these
  // (`Object.keys(x)` and the like are fine)
  'keys', 'values', 'entries',
]);
const ITERATION = new Set(['keys', 'values', 'entries']);

// Method names Espruino cannot parse in a class body or object literal (its reserved
// words). `o.delete(k)` as a call is fine, and so is a plain key `{ delete: 1 }`.
const RESERVED_METHOD_NAMES = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete',
  'do', 'else', 'extends', 'false', 'finally', 'for', 'function', 'if', 'in', 'instanceof',
  'let', 'new', 'null', 'of', 'return', 'static', 'super', 'switch', 'this', 'throw',
  'true', 'try', 'typeof', 'undefined', 'var', 'void', 'while', 'with',
]);

// Identifiers Espruino rejects as variable names (esbuild's mangler can produce `of`).
const REJECTED_IDENTIFIERS = new Set(['of', 'static', 'let']);

const ERROR_CLASSES = new Set([
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError',
  'URIError', 'AggregateError',
]);

export function checkEspruinoSubset(source) {
  const out = [];
  const report = (what, node) => {
    out.push({ what, index: node.start, excerpt: excerptAt(source, node.start, node.end) });
  };

  let ast;
  try {
    ast = parseScript(source);
  } catch (e) {
    const at = typeof e.pos === 'number' ? e.pos : 0;
    return [{ what: 'does not parse: ' + e.message, index: at, excerpt: excerptAt(source, at, at + 1) }];
  }

  checkNodes(ast, report);
  checkNames(ast, report);

  // esp32 builds of Espruino have Unicode off: non-ASCII source text changes meaning.
  for (let i = 0; i < source.length; i++) {
    if (source.charCodeAt(i) > 0x7e && source.charCodeAt(i) !== 0xfeff) {
      report('non-ASCII character in the source (esp32 Espruino has Unicode off)', { start: i, end: i + 1 });
      break;
    }
  }

  out.sort((a, b) => a.index - b.index);
  return out;
}

function parseScript(source) {
  const opts = { ecmaVersion: 'latest', allowReturnOutsideFunction: true, allowHashBang: true };
  try {
    return parse(source, { ...opts, sourceType: 'script' });
  } catch (scriptError) {
    try {
      return parse(source, { ...opts, sourceType: 'module' });
    } catch {
      throw scriptError;
    }
  }
}

function excerptAt(source, start, end) {
  const from = Math.max(0, start - 20);
  const to = Math.min(source.length, Math.min(end, start + 60) + 20);
  return (from > 0 ? '…' : '') + source.slice(from, to).replace(/\s+/g, ' ') + (to < source.length ? '…' : '');
}

// The name of a member: `a.b` and `a["b"]` both give "b"; otherwise null.
function memberName(m) {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  if (m.computed && m.property.type === 'Literal' && typeof m.property.value === 'string') return m.property.value;
  return null;
}

function keyName(node) {
  if (node.computed) return null;
  if (node.key.type === 'Identifier') return node.key.name;
  if (node.key.type === 'Literal') return String(node.key.value);
  return null;
}

// Walk 1: syntax and members.
function checkNodes(ast, report) {
  const privateName = (n) => {
    if (n && n.type === 'PrivateIdentifier') report('#private name', n);
  };
  const classMember = (n) => {
    if (n.computed) report('computed key in a class', n);
    privateName(n.key);
    const name = keyName(n);
    if (n.type === 'MethodDefinition' && name !== null && RESERVED_METHOD_NAMES.has(name)) {
      report(`method named with the reserved word \`${name}\``, n);
    }
  };
  simple(ast, {
    ObjectPattern: (n) => report('destructuring (object pattern)', n),
    ArrayPattern: (n) => report('destructuring (array pattern)', n),
    RestElement: (n) => report('rest element `...`', n),
    SpreadElement: (n) => report('spread `...`', n),
    AssignmentPattern: (n) => report('default value (default parameter or destructuring default)', n),
    ForOfStatement: (n) => report('for…of', n),
    Function: (n) => {
      if (n.async) report('async function', n);
      if (n.generator) report('generator function', n);
    },
    AwaitExpression: (n) => report('await', n),
    YieldExpression: (n) => report('yield', n),
    PropertyDefinition: (n) => {
      report('class field declaration', n);
      classMember(n);
    },
    MethodDefinition: classMember,
    StaticBlock: (n) => report('class static block', n),
    LabeledStatement: (n) => report('labelled statement', n),
    TaggedTemplateExpression: (n) => report('tagged template', n),
    TemplateElement: (n) => {
      if (/\\[`$]/.test(n.value.raw)) report('\\` or \\$ escape in a template literal', n);
    },
    Property: (n) => {
      if (n.computed) report('computed key in an object literal', n);
      const name = keyName(n);
      if ((n.method || n.kind !== 'init') && name !== null && RESERVED_METHOD_NAMES.has(name)) {
        report(`method named with the reserved word \`${name}\``, n);
      }
    },
    BinaryExpression: (n) => {
      if (n.operator === '**') report('exponent operator `**`', n);
      privateName(n.left);
    },
    AssignmentExpression: (n) => {
      if (n.operator === '**=') report('exponent assignment `**=`', n);
      if (n.operator === '??=' || n.operator === '||=' || n.operator === '&&=') {
        report(`logical assignment \`${n.operator}\``, n);
      }
      if (n.left.type === 'MemberExpression' && n.left.object.type !== 'ThisExpression' && memberName(n.left) === 'length') {
        report('assignment to `.length` (throws on Espruino arrays and typed arrays; use splice)', n);
      }
    },
    ChainExpression: (n) => report('optional chaining `?.`', n),
    MetaProperty: (n) => report(`\`${n.meta.name}.${n.property.name}\``, n),
    Literal: (n) => {
      if (typeof n.bigint === 'string') report('BigInt literal', n);
      if (n.regex) {
        if (/[^gim]/.test(n.regex.flags)) report(`RegExp flag (only g, i, m): /${n.regex.flags}`, n);
        if (/\(\?[=!<]/.test(n.regex.pattern)) report('RegExp lookaround or named group', n);
        if (/(^|[^\\])\{\d/.test(n.regex.pattern)) report('RegExp {n} quantifier', n);
        // Measured on 2v29: /[+#/]/ is "SyntaxError: Got ']' expected ','" (the lexer ends the
        // literal at the class's "/"); /[+#\/]/ works.
        if (/(^|[^\\])\//.test(n.regex.pattern)) report('RegExp with an unescaped "/" (Espruino ends the literal there)', n);
      }
    },
    Class: (n) => {
      if (n.superClass && n.superClass.type === 'Identifier' && ERROR_CLASSES.has(n.superClass.name)) {
        report(`class extends ${n.superClass.name} (super() fails on Espruino)`, n);
      }
    },
    MemberExpression: (n) => {
      privateName(n.property);
      const name = memberName(n);
      if (name === null) return;
      if (n.object.type === 'Identifier' && Object.hasOwn(MISSING_STATICS, n.object.name) &&
          MISSING_STATICS[n.object.name].includes(name)) {
        const full = n.object.name + '.' + name;
        report(full + (STATIC_NOTES[full] || ''), n);
      }
      if (name === 'slice' && n.object.type === 'MemberExpression' && memberName(n.object) === 'buffer') {
        report('ArrayBuffer slice (`.buffer.slice`)', n);
      }
    },
    CallExpression: (n) => {
      const callee = n.callee;
      if (callee.type !== 'MemberExpression') return;
      const name = memberName(callee);
      if (name === null || !MISSING_METHODS.has(name)) return;
      if (callee.object.type === 'Identifier' && callee.object.name === 'Object') return;
      report(`.${name}() method` + (ITERATION.has(name) ? ' (Espruino typed arrays and the shim Map lack it)' : ''), n);
    },
  });
}

// Walk 2: names and scopes.
//
// A scope is { parent, fn, now, names: Map(name -> { start, kind }), arrow, loopLet }:
// `fn` is the nearest function (or program) scope; `now` is the nearest one that does not
// run at once when its parent runs (an IIFE runs at once, so it shares its parent's `now`).
// Declarations go into scopes as they are met; references are collected and resolved after
// the walk, when every scope is complete.
function newScope(parent, isFunction, extra) {
  const s = Object.assign({ parent, fn: null, now: null, names: new Map(), arrow: false, loopLet: false, iife: false }, extra);
  s.fn = isFunction || !parent ? s : parent.fn;
  s.now = !parent || (isFunction && !s.iife) ? s : parent.now;
  return s;
}

function checkNames(ast, report) {
  const refs = [];   // { node, scope }

  const declare = (scope, id, kind) => {
    if (REJECTED_IDENTIFIERS.has(id.name)) report(`identifier named \`${id.name}\` (Espruino rejects it)`, id);
    if (!scope.names.has(id.name)) scope.names.set(id.name, { start: id.start, kind });
  };

  // Declare the names of a binding pattern; walk its default values and computed keys.
  const bindPattern = (p, declScope, walkScope, kind, c) => {
    switch (p.type) {
      case 'Identifier': declare(declScope, p, kind); break;
      case 'ObjectPattern':
        for (const prop of p.properties) {
          if (prop.type === 'RestElement') bindPattern(prop.argument, declScope, walkScope, kind, c);
          else {
            if (prop.computed) c(prop.key, walkScope, 'Expression');
            bindPattern(prop.value, declScope, walkScope, kind, c);
          }
        }
        break;
      case 'ArrayPattern':
        for (const e of p.elements) if (e) bindPattern(e, declScope, walkScope, kind, c);
        break;
      case 'RestElement': bindPattern(p.argument, declScope, walkScope, kind, c); break;
      case 'AssignmentPattern':
        bindPattern(p.left, declScope, walkScope, kind, c);
        c(p.right, walkScope, 'Expression');
        break;
      default: c(p, walkScope, 'Pattern');   // a member target in a for-in head
    }
  };

  const statements = (list, scope, c) => {
    for (const st of list) c(st, scope, 'Statement');
  };

  // Functions: the id of a declaration belongs to the enclosing scope, that of an
  // expression to the function's own scope; parameters and body share one scope.
  const iifes = new WeakSet();
  const fn = (node, scope, c) => {
    const inner = newScope(scope, true, { arrow: node.type === 'ArrowFunctionExpression', iife: iifes.has(node) });
    if (node.id && node.type !== 'FunctionDeclaration') declare(inner, node.id, 'function');
    for (const p of node.params) bindPattern(p, inner, inner, 'param', c);
    if (node.expression) c(node.body, inner, 'Expression');
    else statements(node.body.body, inner, c);
  };

  const blockScoped = (node, scope, c) => {
    const inner = newScope(scope, false);
    base[node.type](node, inner, c);
  };

  recursive(ast, null, {
    Program(node, _scope, c) {
      statements(node.body, newScope(null, true), c);
    },
    FunctionDeclaration(node, scope, c) {
      declare(scope, node.id, 'function');
      fn(node, scope, c);
    },
    FunctionExpression: fn,
    ArrowFunctionExpression: fn,
    VariableDeclaration(node, scope, c) {
      const target = node.kind === 'var' ? scope.fn : scope;
      for (const d of node.declarations) {
        bindPattern(d.id, target, scope, node.kind, c);
        if (d.init) c(d.init, scope, 'Expression');
      }
    },
    ClassDeclaration(node, scope, c) {
      declare(scope, node.id, 'class');
      if (node.superClass) c(node.superClass, scope, 'Expression');
      c(node.body, newScope(scope, false), 'ClassBody');
    },
    ClassExpression(node, scope, c) {
      const inner = newScope(scope, false);
      if (node.id) declare(inner, node.id, 'class');
      if (node.superClass) c(node.superClass, scope, 'Expression');
      c(node.body, inner, 'ClassBody');
    },
    BlockStatement: blockScoped,
    StaticBlock(node, scope, c) {
      statements(node.body, newScope(scope, true), c);
    },
    SwitchStatement(node, scope, c) {
      c(node.discriminant, scope, 'Expression');
      const inner = newScope(scope, false);
      for (const cs of node.cases) c(cs, inner);
    },
    ForStatement(node, scope, c) {
      const loopLet = !!node.init && node.init.type === 'VariableDeclaration' && node.init.kind !== 'var';
      base.ForStatement(node, newScope(scope, false, { loopLet }), c);
    },
    ForInStatement: blockScoped,
    ForOfStatement: blockScoped,
    CatchClause(node, scope, c) {
      const inner = newScope(scope, false);
      if (node.param) bindPattern(node.param, inner, inner, 'catch', c);
      c(node.body, inner, 'Statement');
    },
    ImportDeclaration(node, scope) {
      for (const s of node.specifiers) declare(scope, s.local, 'import');
    },
    CallExpression(node, scope, c) {
      const callee = node.callee.type === 'ParenthesizedExpression' ? node.callee.expression : node.callee;
      if (callee.type === 'FunctionExpression' || callee.type === 'ArrowFunctionExpression') iifes.add(callee);
      base.CallExpression(node, scope, c);
    },
    // Assignment targets and expression identifiers are references.
    VariablePattern(node, scope) {
      refs.push({ node, scope });
    },
    Identifier(node, scope) {
      refs.push({ node, scope });
    },
  });

  for (const { node, scope } of refs) {
    const name = node.name;
    if (REJECTED_IDENTIFIERS.has(name)) report(`identifier named \`${name}\` (Espruino rejects it)`, node);

    let found = null;
    let crossedFunction = false;   // into a function that may run later
    for (let s = scope; s !== null; s = s.parent) {
      if (s.names.has(name)) {
        found = s;
        break;
      }
      if (s.now === s) crossedFunction = true;
    }

    if (found === null) {
      if (name === 'arguments') {
        if (scope.fn.arrow) report('`arguments` inside an arrow function (undefined on Espruino)', node);
      } else if (name === 'Map') {
        report('global Map (Espruino has none; the Espruino build must resolve Map to the shim)', node);
      } else if (MISSING_GLOBALS.has(name)) {
        report(`global ${name} (Espruino has none)`, node);
      }
      continue;
    }
    if (found.loopLet && crossedFunction) {
      report(`closure over the for (let …) variable \`${name}\` (Espruino has no per-iteration binding)`, node);
    }
    const decl = found.names.get(name);
    if (node.start < decl.start && scope.now === found.now && decl.kind !== 'param') {
      report(`\`${name}\` used before its declaration (Espruino does not hoist)`, node);
    }
  }
}
