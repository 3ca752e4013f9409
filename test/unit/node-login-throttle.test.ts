// The login throttle (ports/node/login-throttle.ts) on a fake clock: the wait after failures
// grows per remote address and per user name, exponentially up to a cap; attempts from one
// address take turns; failures are forgiven over time; the tables stay bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ThrottleOptions } from '../../ports/node/login-throttle.js';
import { DEFAULT_THROTTLE, LoginThrottle, addressKey, peerAddress, userKey } from '../../ports/node/login-throttle.js';

const OPTIONS: ThrottleOptions = { ...DEFAULT_THROTTLE, baseDelayMs: 100, maxDelayMs: 1600, halfLifeMs: 60000, maxWaitMs: 4000, maxEntries: 100 };

/** `n` failed logins from `address` as `user`, each checked at once at `nowMs`. */
function fail(t: LoginThrottle, address: string, user: string, n: number, nowMs: number): void {
  for (let i = 0; i < n; i++) t.failed(address, user, nowMs);
}

test('a login with no failures behind it waits for nothing', () => {
  const t = new LoginThrottle(OPTIONS);
  assert.is(t.admit('10.0.0.1', 'alice', 0), 0);
  assert.is(t.admit('10.0.0.1', 'alice', 0), 0);
});

test('the wait after failures doubles with each one, up to maxDelayMs', () => {
  const t = new LoginThrottle(OPTIONS);
  const waits: number[] = [];
  let now = 0;
  for (let i = 0; i < 7; i++) {
    const wait = t.admit('10.0.0.1', 'alice', now);
    waits.push(wait);
    now += wait;
    t.failed('10.0.0.1', 'alice', now);
  }
  assert.equal(waits, [0, 100, 200, 400, 800, 1600, 1600]);
});

test('failures from one address slow that address for every user name', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 3, 0);
  assert.is(t.admit('10.0.0.1', 'someone-else', 0), 400);
});

test('failures for one user name slow that name from every address', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 3, 0);
  assert.is(t.admit('10.0.0.2', 'alice', 0), 400);
});

test('another user from another address is not delayed by failures elsewhere', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 10, 0);
  assert.is(t.admit('10.0.0.2', 'bob', 0), 0);
});

test('parallel attempts from one throttled address take turns, one delay apart', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 2, 0);   // delay 200 ms
  assert.equal([t.admit('10.0.0.1', 'a', 0), t.admit('10.0.0.1', 'b', 0), t.admit('10.0.0.1', 'c', 0)], [200, 400, 600]);
});

test('an attempt whose turn is more than maxWaitMs away is refused unchecked (-1), and takes no turn', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 5, 0);   // delay 1600 ms
  assert.equal([t.admit('10.0.0.1', 'x', 0), t.admit('10.0.0.1', 'x', 0), t.admit('10.0.0.1', 'x', 0)], [1600, 3200, -1]);
  assert.is(t.admit('10.0.0.1', 'x', 1600), 3200);   // the third turn (at 4800 ms) is within reach now
});

test('failures are forgiven: the count halves every halfLifeMs, and the entry goes once it is gone', () => {
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', 'alice', 8, 0);
  assert.is(t.failuresOf('address', '10.0.0.1', 60000), 4);
  assert.is(t.admit('10.0.0.2', 'alice', 60000), 0);        // its turn (one delay after the last failure) has long passed
  assert.is(t.admit('10.0.0.2', 'alice', 60000), 800);      // the turn after waits 4 failures' delay
  assert.is(t.failuresOf('user', 'alice', 240000), 0.5);
  assert.is(t.failuresOf('address', '10.0.0.1', 300000), 0);
  assert.equal(t.size, { addresses: 0, users: 1 });
  assert.is(t.failuresOf('user', 'alice', 300000), 0);
  assert.equal(t.size, { addresses: 0, users: 0 });
});

test('the tables are bounded: past maxEntries the least recently failed entry is evicted', () => {
  const t = new LoginThrottle({ ...OPTIONS, maxEntries: 3 });
  fail(t, '10.0.0.1', 'u1', 1, 0);
  fail(t, '10.0.0.2', 'u2', 1, 0);
  fail(t, '10.0.0.3', 'u3', 1, 0);
  fail(t, '10.0.0.1', 'u1', 1, 0);       // 10.0.0.1 and u1 are the most recent again
  fail(t, '10.0.0.4', 'u4', 1, 0);       // evicts 10.0.0.2 and u2
  assert.equal(t.size, { addresses: 3, users: 3 });
  assert.is(t.failuresOf('address', '10.0.0.2', 0), 0);
  assert.is(t.failuresOf('user', 'u2', 0), 0);
  assert.is(t.failuresOf('address', '10.0.0.1', 0), 2);
});

test('a long user name is kept as its SHA-256 (names can be 64 KB)', () => {
  assert.is(userKey('alice'), 'alice');
  const long = 'x'.repeat(60000);
  assert.match(userKey(long), /^sha256:[0-9a-f]{64}$/);
  assert.is.not(userKey(long), userKey(long + 'y'));
  const t = new LoginThrottle(OPTIONS);
  fail(t, '10.0.0.1', long, 3, 0);
  assert.is(t.failuresOf('user', long, 0), 3);
  assert.is(t.admit('10.0.0.2', long, 0), 400);
});

test('addresses: IPv4-mapped IPv6 is the IPv4 address; IPv6 counts per /64', () => {
  assert.is(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.is(addressKey('192.0.2.7'), '192.0.2.7');
  assert.is(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.is(addressKey('2001:0db8:0001:0002:ffff:0:0:9'), '2001:db8:1:2::/64');
  assert.is(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.is(addressKey('::1'), '0:0:0:0::/64');
  assert.is(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  const t = new LoginThrottle(OPTIONS);
  fail(t, '2001:db8:1:2::5', 'alice', 3, 0);
  assert.is(t.admit('2001:db8:1:2::6', 'bob', 0), 400);
  assert.is(t.admit('2001:db8:1:3::6', 'bob', 0), 0);
});

test('the address of a transport\'s "address:port"', () => {
  assert.is(peerAddress('127.0.0.1:5000'), '127.0.0.1');
  assert.is(peerAddress('[2001:db8::1]:5000'), '2001:db8::1');
  assert.is(peerAddress('?:?'), '?');
});

test.run();
