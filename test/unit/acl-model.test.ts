// The ACL model test (test/model/acl-model.ts) with fixed seeds, bounded to a few seconds in
// `npm test`; `npm run test:acl-model` runs a million steps. Each seed is one test; the last
// test checks that the runs exercised what they are meant to (not a vacuous pass).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ModelResult } from '../model/acl-model.js';
import { runAclModel } from '../model/acl-model.js';

const SEEDS = [1, 2, 3, 4];
const STEPS = 2000;
const runs: ModelResult[] = [];

for (const seed of SEEDS) {
  test(`ACL model, seed ${seed}, ${STEPS} steps: every delivery, publish, SUBACK and CONNACK as the reference evaluator says`, () => {
    const r = runAclModel(seed, STEPS);
    assert.is(r.steps, STEPS);
    runs.push(r);
  });
}

test('ACL model: the seeds exercised denied and allowed publishes, shared groups, retained replays, resends, aliases, 0x10, resumed and refused sessions, reloads', () => {
  const sum = (k: keyof ModelResult): number => runs.reduce((n, r) => n + r[k], 0);
  for (const k of ['published', 'denied', 'deliveries', 'shared', 'retained', 'resent', 'aliased', 'noMatching', 'resumed', 'refusedConnects', 'reloads'] as const) {
    assert.ok(sum(k) > 0, `no ${k} in ${runs.length} runs`);
  }
});

test.run();
