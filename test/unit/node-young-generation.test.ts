// ports/node/young-generation.ts: the `ganglion` command keeps V8's young generation at its
// starting size unless node flags say otherwise. The growing case runs in a child process:
// the flag would otherwise change the garbage collector of the whole test run.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { keepYoungGenerationSmall } from '../../ports/node/young-generation.js';

// Allocates young objects of which some survive for a while (as sockets and sessions do),
// which makes V8 grow a young generation it is allowed to grow; prints its size in MB.
const CHILD = `
const small = process.argv[1] === 'small';
if (small) {
  const m = await import(${JSON.stringify(new URL('../../ports/node/young-generation.ts', import.meta.url).href)});
  if (!m.keepYoungGenerationSmall([], undefined)) throw new Error('not applied');
}
const { getHeapSpaceStatistics } = await import('node:v8');
const keep = [];
for (let i = 0; i < 3e6; i++) { const o = { a: i, b: [i] }; if (i % 10 === 0) keep.push(o); if (keep.length > 50000) keep.length = 0; }
const ns = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
console.log(ns.space_size / 1048576);
`;

function youngMB(mode: string): number {
  const out = execFileSync(process.execPath, ['--import', './test/ts-loader.mjs', '--input-type=module', '-e', CHILD, mode], { encoding: 'utf8' });
  return Number(out.trim());
}

test('node flags that size the young generation win: nothing is changed', () => {
  assert.is(keepYoungGenerationSmall(['--max-semi-space-size=16'], undefined), false);
  assert.is(keepYoungGenerationSmall([], '--max-old-space-size=512 --max-semi-space-size=8'), false);
  assert.is(keepYoungGenerationSmall(['--min-semi-space-size=4'], ''), false);
});

test('without such flags the young generation stays at its starting size (it grows otherwise)', () => {
  const grown = youngMB('default');
  const small = youngMB('small');
  assert.ok(small <= 2, `young generation ${small} MB`);
  assert.ok(grown > small, `the same allocations grow it to ${grown} MB without the flag`);
});

test.run();
