// A case's transcript for the XS cases over the fake world (client-cases.ts, bridge-cases.ts):
// each check in order, logged into the result, and every mismatch against the expectation
// written by hand collected as the problem; the fake's own socket-API violations join them.
// A scenario list run into CaseResults. ECMAScript built-ins only: this runs in XS.
import type { World } from './fake-moddable/world.js';
import type { CaseResult } from './xs-bytes.js';
import { errorText } from './xs-bytes.js';

export class Transcript {
  world: World;
  log: string[];
  problems: string[];

  constructor(world: World) {
    this.world = world;
    this.log = [];
    this.problems = [];
  }

  check(label: string, ok: boolean, what: string): void {
    this.log.push(label + ' ' + what + (ok ? '' : ' NOT'));
    if (!ok) this.problems.push(label + ': ' + what);
  }

  same(label: string, actual: string[], expected: string[]): void {
    const a = actual.join(' | ');
    const e = expected.join(' | ');
    this.log.push(label + ' ' + a);
    if (a !== e) this.problems.push(label + ': expected [' + e + '], got [' + a + ']');
  }

  finish(): { result: string; problem: string } {
    const v = this.world.violations.list;
    for (let i = 0; i < v.length; i++) this.problems.push('socket API: ' + v[i]);
    return { result: this.log.join('; '), problem: this.problems.join('; ') };
  }
}

export type Scenario<A> = (api: A) => { result: string; problem: string };

/** Each scenario as a case named prefix + its name; a throw is that case's problem. */
export function runScenarios<A>(prefix: string, scenarios: Array<[string, Scenario<A>]>, api: A): CaseResult[] {
  const out: CaseResult[] = [];
  for (let i = 0; i < scenarios.length; i++) {
    const name = prefix + scenarios[i][0];
    try {
      const r = scenarios[i][1](api);
      out.push({ name: name, result: r.result, problem: r.problem });
    } catch (e) {
      out.push({ name: name, result: '', problem: errorText(e) });
    }
  }
  return out;
}
