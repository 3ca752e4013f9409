// The kill -9 loop (test/kill-loop/kill-loop.ts) against the built `ganglion` command over
// real loopback sockets: persistent publishers flood QoS 1 and QoS 2, persistent subscribers
// are offline, retained messages are set, and the broker is killed with SIGKILL and started
// again on the same port and directory. First against the broker in memory, which keeps
// nothing: the loop's account must find every loss (this is what makes its zero mean
// something); then 20 kills of `ganglion --persist DIR`, which must lose nothing it acknowledged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { BrokerProcess, freePort } from '../bench/brokers/broker-process.js';
import { killLoop, summary } from '../kill-loop/kill-loop.js';
import { ROOT, within } from './helpers.js';

test.before(async () => {
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
});

test('kill -9 loop: the account finds every acknowledged message, subscription, retained message and session a broker that keeps nothing loses (ganglion in memory)', async () => {
  const broker = new BrokerProcess('ganglion', await freePort());
  try {
    const subscriptions = 4;
    const retainedTopics = 10;
    const r = await within(60000, 'the kill loop', killLoop(broker, {
      rounds: 3, seed: 15, perRound: 300, subscriberOnline: 0, subscriptions, retainedTopics, quietMs: 500,
    }));
    assert.is(r.kills, 3);
    assert.is(r.unsettled, 0, 'every message was acknowledged in the end');
    assert.ok(r.acknowledged[0] > 0 && r.acknowledged[1] > 0);
    // The subscribers were never online: every acknowledged message is lost, for both.
    assert.is(r.lost, 2 * (r.acknowledged[0] + r.acknowledged[1]));
    assert.is(r.subscriptionsMissing, 2 * subscriptions);
    // At most one retained topic is deleted per round; every other one is gone.
    assert.ok(r.retainedMissing >= retainedTopics - 3, `retained missing ${r.retainedMissing}`);
    // Each of the five clients comes back to no session after each kill it was connected across.
    assert.ok(r.sessionsLost >= 3, `sessions lost ${r.sessionsLost}`);
    assert.is(r.duplicatesQos2, 0);
  } finally {
    await broker.stop(3000);
  }
});

test('kill -9 loop: 20 kills of ganglion --persist DIR (fsync always): nothing acknowledged is lost, QoS 2 exactly once, in order, every subscription, session and retained message kept', async () => {
  const broker = new BrokerProcess('ganglion-always', await freePort());
  try {
    const r = await within(120000, 'the kill loop', killLoop(broker, { rounds: 20, seed: 15, perRound: 500, killAfterMs: [20, 400] }));
    // QoS 1 duplicates are allowed (a message whose PUBACK the crash cut off comes again): reported, not asserted.
    console.log(`  ${summary(r)}`);
    assert.is(r.kills, 20);
    assert.ok(r.acknowledged[0] > 0 && r.acknowledged[1] > 0);
    assert.is(r.unsettled, 0, 'every message was acknowledged in the end');
    assert.is(r.lost, 0, 'acknowledged, then lost');
    assert.is(r.duplicatesQos2, 0, 'QoS 2 delivered twice');
    assert.is(r.outOfOrder, 0);
    assert.is(r.subscriptionsMissing, 0);
    assert.is(r.retainedMissing, 0);
    assert.is(r.retainedWrong, 0);
    assert.is(r.sessionsLost, 0);
    for (const s of r.subscribers) assert.is(s.wrongQos, 0, s.clientId);
  } finally {
    await broker.stop(3000);
  }
});

test.run();
