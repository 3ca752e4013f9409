// The whole-core fuzzer (harness.ts) inside `npm test`: fixed seeds, a bounded number of
// inputs (a few seconds), so every run plays the same sessions. Long runs: `npm run fuzz`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './harness.js';

for (const seed of [1, 2, 3]) {
  test(`issue 13: the whole core fuzzed, seed ${seed}, 10,000 inputs: nothing thrown, every invariant kept`, async () => {
    const r = await run({ seed, inputs: 10000 });
    assert.equal(r.failures.map((f) => `session ${f.session} step ${f.step}: ${f.what} (npm run fuzz -- --seed ${seed} --from ${f.worldStart} --to ${f.session})`), []);
    assert.ok(r.states > 100, 'states reached: ' + r.states);
  });
}

test.run();
