// Short error texts for the Espruino bundles, at build time. Every protocol error the core
// finds is a CodecError (core/codec/codec-error.ts): a reason code, the conformance
// statement broken ('4:MQTT-3.3.1-4') and a sentence for the log. On a board the sentences
// are code kept in RAM, so the Espruino build leaves them out: the statement names the rule
// (the log reads `closing:  [4:MQTT-3.3.1-4]`), and a 5.0 client gets the reason code
// without a Reason String. The TypeScript sources keep their sentences.
//
//   import { shortTexts } from './ports/espruino/short-texts.mjs';
//   shortTexts(bundleText) -> { text, blanked }
//
// It finds, in the built bundle, the function that makes a CodecError (the one whose body is
// `return { rc: a, rule: b, message: c }`) and the helpers that only pass their last
// parameter on as its message (reader.ts `malformed`, `protocolError`), and replaces the
// message argument of every call to them with "". The messages are built from strings,
// numbers and the pure quoting helpers, so nothing else is lost with them.
import { parse } from 'acorn';
import { simple } from 'acorn-walk';

function returned(fn) {
  const body = fn.body && fn.body.body;
  return body && body.length === 1 && body[0].type === 'ReturnStatement' ? body[0].argument : null;
}

export function shortTexts(source) {
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: 'script' });
  const fns = [];
  simple(ast, { FunctionDeclaration(n) { fns.push(n); } });
  // name -> index of the argument that is the message
  const makers = new Map();
  for (const f of fns) {
    const r = returned(f);
    if (r && r.type === 'ObjectExpression' && f.params.length === 3 &&
      r.properties.map((p) => p.key && p.key.name).join() === 'rc,rule,message' &&
      r.properties[2].value.type === 'Identifier' && r.properties[2].value.name === f.params[2].name) {
      makers.set(f.id.name, 2);
    }
  }
  // None: other code built with the same settings (a test's). More than one: the core
  // changed shape, and this would need to know which is which.
  if (makers.size === 0) return { text: source, blanked: 0 };
  if (makers.size > 1) throw new Error('short-texts: expected one codecError in the bundle, found ' + makers.size);
  for (const f of fns) {
    const r = returned(f);
    if (!r || r.type !== 'CallExpression' || r.callee.type !== 'Identifier' || !makers.has(r.callee.name)) continue;
    const msg = r.arguments[makers.get(r.callee.name)];
    const i = msg && msg.type === 'Identifier' ? f.params.findIndex((p) => p.type === 'Identifier' && p.name === msg.name) : -1;
    if (i === f.params.length - 1) makers.set(f.id.name, i);
  }
  const edits = [];
  simple(ast, {
    CallExpression(c) {
      if (c.callee.type !== 'Identifier' || !makers.has(c.callee.name)) return;
      const a = c.arguments[makers.get(c.callee.name)];
      if (a && !(a.type === 'Literal' && a.value === '') && !(a.type === 'Identifier' && isParamOfMaker(a, c))) edits.push(a);
    },
  });
  // A maker's own call passing its parameter on (`return h(130, e, n)`) is left alone.
  function isParamOfMaker(a) {
    return fns.some((f) => makers.has(f.id.name) && f.start <= a.start && a.end <= f.end);
  }
  edits.sort((x, y) => y.start - x.start);
  let text = source;
  for (const a of edits) text = text.slice(0, a.start) + '""' + text.slice(a.end);
  return { text, blanked: edits.length };
}
