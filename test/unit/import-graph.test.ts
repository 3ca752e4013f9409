// The modules of core/broker depend one way (issue 15 §1): broker.ts at the top wires them; the
// handlers use the connection and the state owner; routing and delivery use the state owner;
// nothing below imports broker.ts or a handler back. This reads every import of
// core/broker/**/*.ts and fails, naming the loop, if the modules' imports form a cycle again.
// The cycle check leaves `import type` out: it is erased when compiled and loads nothing, and
// the data types refer to each other (a session names its connection, a connection its
// session). broker.ts and the handlers are not named even by type from below: each lower
// module declares the narrow interface it needs of the broker (OwnerHost, DeliveryHost, ...,
// ConnectionHost in connection.ts), and the Broker class implements them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const BROKER = join(root, 'core/broker');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// import { a } from './x.js';  import * as n from '../y.js';  export { b } from './z.js';  (not `import type`)
const IMPORT = /^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms;

/** Every module of core/broker and the modules of core/broker it loads (`types`: or names by `import type`). */
function graph(types = false): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const all = files(BROKER);
  for (const f of all) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      if ((m[1] !== undefined && !types) || !m[2].startsWith('.')) continue;
      const target = normalize(join(dirname(f), m[2].replace(/\.js$/, '.ts')));
      if (target.startsWith(BROKER)) deps.push(target);
    }
    g.set(f, deps);
  }
  return g;
}

function name(f: string): string {
  return relative(BROKER, f);
}

/** A cycle of imports, as module names, or null. */
function findCycle(g: Map<string, string[]>): string[] | null {
  const state = new Map<string, number>();   // 1: on the path, 2: done
  const path: string[] = [];
  function visit(f: string): string[] | null {
    state.set(f, 1);
    path.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 1) return path.slice(path.indexOf(d)).concat(d).map(name);
      if (state.get(d) === undefined) {
        const c = visit(d);
        if (c !== null) return c;
      }
    }
    path.pop();
    state.set(f, 2);
    return null;
  }
  for (const f of g.keys()) {
    if (state.get(f) !== undefined) continue;
    const c = visit(f);
    if (c !== null) return c;
  }
  return null;
}

test('the imports of core/broker form no cycle', () => {
  const g = graph();
  assert.ok(g.size > 20);   // the walk found the modules
  const cycle = findCycle(g);
  assert.is(cycle, null, 'an import cycle: ' + (cycle ?? []).join(' -> '));
});

test('the check finds a cycle when there is one', () => {
  const g = new Map<string, string[]>([[join(BROKER, 'a.ts'), [join(BROKER, 'b.ts')]], [join(BROKER, 'b.ts'), [join(BROKER, 'a.ts')]]]);
  assert.equal(findCycle(g), ['a.ts', 'b.ts', 'a.ts']);
});

test('nothing in core/broker but its index imports broker.ts, not even a type', () => {
  const g = graph(true);
  const top = join(BROKER, 'broker.ts');
  const back = [...g.entries()].filter(([f, deps]) => deps.includes(top) && f !== join(BROKER, 'index.ts')).map(([f]) => name(f));
  assert.equal(back, []);
});

test('connection.ts, routing, delivery and the state owner import no handler, not even a type', () => {
  const g = graph(true);
  const below = ['connection.ts', 'routing.ts', 'delivery.ts', 'backlog.ts', 'fault.ts'].map((f) => join(BROKER, f))
    .concat(files(join(BROKER, 'state')));
  for (const f of below) {
    const handlers = (g.get(f) ?? []).filter((d) => d.startsWith(join(BROKER, 'handlers')) && !d.endsWith('common.ts'));
    assert.equal(handlers.map(name), [], name(f));
  }
});

test('the type-inclusive walk sees the type imports', () => {
  const connection = join(BROKER, 'connection.ts');
  assert.ok(!(graph().get(connection) ?? []).includes(join(BROKER, 'will.ts')));
  assert.ok((graph(true).get(connection) ?? []).includes(join(BROKER, 'will.ts')));   // ConnectionHost extends WillHost
});

test.run();
