// The password check queue (ports/node/check-queue.ts): a few checks at a time, the next one
// from the waiting address with the fewest failures, ties to the one served least recently;
// bounded. Checks are promises the test resolves by hand: no clock, no timers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckQueue } from '../../ports/node/check-queue.js';

/** A queue whose checks record their name when started and finish when the test says. */
function harness(concurrency: number, maxQueued: number) {
  const q = new CheckQueue(concurrency, maxQueued);
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const failures = new Map<string, number>();   // what priority() reads, changed by the tests
  const add = (key: string, priority: number, name: string): Promise<string | null> => q.run(key, () => failures.get(name) ?? priority, () => {
    started.push(name);
    return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
  });
  const finish = async (name: string): Promise<void> => {
    (finishers.get(name) as () => void)();
    for (let i = 0; i < 5; i++) await Promise.resolve();   // let the queue start the next
  };
  return { q, started, add, finish, failures };
}

test('at most `concurrency` checks run at once; the rest start as those finish', async () => {
  const h = harness(2, 100);
  const results = [h.add('a', 0, 'a1'), h.add('a', 0, 'a2'), h.add('a', 0, 'a3')];
  assert.equal(h.started, ['a1', 'a2']);
  assert.equal(h.q.size, { running: 2, queued: 1 });
  await h.finish('a1');
  assert.equal(h.started, ['a1', 'a2', 'a3']);
  await h.finish('a2');
  await h.finish('a3');
  assert.equal(await Promise.all(results), ['a1', 'a2', 'a3']);
  assert.equal(h.q.size, { running: 0, queued: 0 });
});

test('a login from a clean address goes before a burst already waiting from another', async () => {
  const h = harness(1, 100);
  for (let i = 0; i < 5; i++) void h.add('attacker', 0, `x${i}`);
  void h.add('real', 0, 'real');
  assert.equal(h.started, ['x0']);
  await h.finish('x0');
  assert.equal(h.started, ['x0', 'real']);     // ties: the address served least recently
});

test('the address with fewer failures behind it goes first', async () => {
  const h = harness(1, 100);
  void h.add('busy', 0, 'b0');
  void h.add('guesser', 8, 'g1');
  void h.add('mistyped', 1, 'm1');
  await h.finish('b0');
  assert.equal(h.started, ['b0', 'm1']);
  await h.finish('m1');
  assert.equal(h.started, ['b0', 'm1', 'g1']);
});

test('failures are counted when the next check is chosen: a waiting burst falls behind once its guesses fail', async () => {
  const h = harness(1, 100);
  for (let i = 0; i < 3; i++) void h.add(`addr${i}`, 0, `g${i}`);   // a burst from fresh addresses
  void h.add('real', 0, 'real');
  assert.equal(h.started, ['g0']);
  h.failures.set('g1', 1);                                        // their user name failed meanwhile
  h.failures.set('g2', 1);
  await h.finish('g0');
  assert.equal(h.started, ['g0', 'real']);
});

test('past maxQueued waiting checks, run answers null at once and starts nothing', async () => {
  const h = harness(1, 2);
  void h.add('a', 0, 'a1');
  void h.add('a', 0, 'a2');
  void h.add('b', 0, 'b1');
  assert.is(await h.add('c', 0, 'c1'), null);
  assert.equal(h.q.size, { running: 1, queued: 2 });
});

test.run();
