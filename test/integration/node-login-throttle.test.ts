// The login throttle over real loopback sockets (raw 3.1.1 CONNECTs from chosen 127.x source
// addresses): failed logins slow that address and that user name down, a correct login from
// another address is not held up meanwhile, too many waiting are answered "server
// unavailable" unchecked (late, as a tarpit), and every failure is counted
// ($SYS/broker/clients/auth-failures) and logged with the address. Small delays (base 150 ms,
// cap 600 ms) keep the suite quick; the waits asserted are lower bounds, and "not held up" is
// an order of answers, never a duration.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword } from '../../ports/node/password-file.js';
import { attemptLogin } from '../helpers/raw-connect.js';
import type { TestServer } from './helpers.js';
import { startTestServer, tempDir, within } from './helpers.js';

const FAST = { N: 1024, r: 8, p: 1 };
const THROTTLE = { baseDelayMs: 150, maxDelayMs: 600, halfLifeMs: 600000, maxWaitMs: 1000 };
// A wait runs from the previous failure, which the client hears of a little later (and Node
// may run a timer a millisecond early): answers come at least this much before a full wait.
const SLACK_MS = 25;

async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const tmp = tempDir('throttle');
  const file = join(tmp.dir, 'passwd');
  writeFileSync(file, `alice:${await hashPassword('wonderland', FAST)}\nbob:${await hashPassword('builder', FAST)}\n`);
  const s = await startTestServer({ passwordFile: file, loginThrottle: THROTTLE }, tmp.dir, 'warn');
  try {
    await within(20000, 'throttle scenario', fn(s));
  } finally {
    await s.close();
    tmp.remove();
  }
}

test('failed logins from one address wait longer each time (150, 300, 600, 600 ms), and are counted and logged', () => withServer(async (s) => {
  const port = s.port();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await attemptLogin(port, '127.0.0.11', 'c', 'alice', `guess-${i}`);
    assert.is(r.rc, 4, 'bad user name or password');
    times.push(r.ms);
  }
  const waits = [0, 150, 300, 600, 600];
  for (let i = 1; i < 5; i++) assert.ok(times[i] >= waits[i] - SLACK_MS, `attempt ${i + 1} answered after ${times[i]} ms, before its ${waits[i]} ms wait`);
  assert.is(s.server.broker.stats.authFailures, 5);
  assert.ok(s.lines.some((l) => /auth failed: .*127\.0\.0\.11.*wrong password for user "alice"/.test(l)), s.lines.join('\n'));
  // The right password, from the same address, still gets in (after its turn): no lockout.
  const ok = await attemptLogin(port, '127.0.0.11', 'c', 'alice', 'wonderland');
  assert.is(ok.rc, 0);
  assert.ok(ok.ms >= 600 - SLACK_MS);
}));

test('while an address waits for its turn, a correct login from another address is answered first', () => withServer(async (s) => {
  const port = s.port();
  for (let i = 0; i < 3; i++) await attemptLogin(port, '127.0.0.12', 'c', 'alice', `guess-${i}`);
  const guess = attemptLogin(port, '127.0.0.12', 'c', 'alice', 'guess-3');   // waits 600 ms for its turn
  let guessDone = false;
  void guess.then(() => { guessDone = true; });
  const login = await attemptLogin(port, '127.0.0.13', 'b', 'bob', 'builder');
  assert.is(login.rc, 0);
  assert.not.ok(guessDone, 'the throttled guess was answered before the other address\'s login');
  assert.is((await guess).rc, 4);
}));

test('failures for one user name slow that name from a fresh address too', () => withServer(async (s) => {
  const port = s.port();
  for (let i = 0; i < 2; i++) await attemptLogin(port, '127.0.0.14', 'c', 'alice', `guess-${i}`);
  const r = await attemptLogin(port, '127.0.0.15', 'c', 'alice', 'guess-2');
  assert.is(r.rc, 4);
  assert.ok(r.ms >= 300 - SLACK_MS, `answered after ${r.ms} ms`);
}));

test('unknown user names count as failures like wrong passwords', () => withServer(async (s) => {
  const port = s.port();
  for (let i = 0; i < 2; i++) assert.is((await attemptLogin(port, '127.0.0.16', 'c', `nobody-${i}`, 'x')).rc, 4);
  const r = await attemptLogin(port, '127.0.0.16', 'c', 'nobody-9', 'x');
  assert.is(r.rc, 4);
  assert.ok(r.ms >= 300 - SLACK_MS, `answered after ${r.ms} ms`);
  assert.ok(s.lines.some((l) => /auth failed: .*127\.0\.0\.16.*unknown user "nobody-0"/.test(l)), s.lines.join('\n'));
}));

test('parallel guesses from one address take turns; those past maxWaitMs get return code 3, unchecked, after maxDelayMs', () => withServer(async (s) => {
  const port = s.port();
  for (let i = 0; i < 4; i++) await attemptLogin(port, '127.0.0.17', 'c', 'alice', `guess-${i}`);   // now 600 ms apart
  const before = s.server.broker.stats.authFailures;
  const all = await Promise.all([0, 1, 2, 3].map((i) => attemptLogin(port, '127.0.0.17', `p${i}`, 'alice', `parallel-${i}`)));
  const rcs = all.map((r) => r.rc).sort();
  // The first takes the next turn (600 ms away); the next turn, 1200 ms away, is past maxWaitMs.
  assert.equal(rcs, [3, 3, 3, 4], JSON.stringify(all));
  for (const r of all) assert.ok(r.ms >= 600 - SLACK_MS, `answered after ${r.ms} ms`);
  assert.is(s.server.broker.stats.authFailures, before + 4);
  assert.ok(s.lines.some((l) => /auth refused: .*too many failed logins from 127\.0\.0\.17/.test(l)), s.lines.join('\n'));
}));

test.run();
