// The password file (ports/node/password-file.ts): salted scrypt, checked against the
// RFC 7914 test vector; mosquitto_passwd's $7$ and $6$ hashes, from the real mosquitto_passwd;
// parsing errors name the line; set and delete keep other lines; the dummy for unknown users.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PasswordEntry } from '../../ports/node/password-file.js';
import { deleteUser, dummyEntry, hashPassword, parsePasswordFile, setUser, validUser, verifyPassword } from '../../ports/node/password-file.js';
import { tempDir } from '../integration/helpers.js';

const FAST = { N: 1024, r: 8, p: 1 };
const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');

test('verifies against the RFC 7914 §12 scrypt test vector (P="password", S="NaCl", N=1024, r=8, p=16)', async () => {
  const hash = Buffer.from(
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
    '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640', 'hex');
  const entry: PasswordEntry = { user: 'x', kind: 'scrypt', N: 1024, r: 8, p: 16, iterations: 0, salt: Buffer.from('NaCl'), hash };
  assert.ok(await verifyPassword(entry, enc('password')));
  assert.not.ok(await verifyPassword(entry, enc('Password')));
  assert.not.ok(await verifyPassword(entry, null));
});

test('hash, parse and verify round trip; every hash has its own salt', async () => {
  const a = await hashPassword('s3cret', FAST);
  const b = await hashPassword('s3cret', FAST);
  assert.match(a, /^\$scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  assert.is.not(a, b);
  const users = parsePasswordFile(`# users\n\nalice:${a}\nbob:${b}\n`);
  assert.equal([...users.keys()], ['alice', 'bob']);
  assert.ok(await verifyPassword(users.get('alice')!, enc('s3cret')));
  assert.not.ok(await verifyPassword(users.get('alice')!, enc('s3cret ')));
  assert.not.ok(await verifyPassword(users.get('alice')!, enc('')));
});

test('parse errors name the file and line', async () => {
  const good = await hashPassword('x', FAST);
  const cases: Array<[string, RegExp]> = [
    ['nocolon', /f:1: expected user:/],
    [`a:${good}\nb:$pbkdf2$1$2`, /f:2: user "b": not a \$scrypt\$, \$7\$ or \$6\$ hash/],
    ['e:$7$0$c2FsdHNhbHQ=$aGFzaA==', /f:1: user "e": bad PBKDF2 iteration count 0/],
    ['f:$6$c2FsdHNhbHQ=$aGFzaA==', /f:1: user "f": salt or hash of the wrong length/],
    ['g:plaintext', /f:1: user "g": not a \$scrypt\$/],
    ['c:$scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /f:1: user "c": bad scrypt cost N=1000/],
    [`a:${good}\na:${good}`, /f:2: user "a" appears twice/],
    ['d:$scrypt$1024$8$1$c2E=$aGFzaGhhc2hoYXNoaGFzaA==', /f:1: user "d": salt or hash of the wrong length/],
  ];
  for (const [text, re] of cases) assert.throws(() => parsePasswordFile(text, 'f'), re);
});

test('setUser replaces or appends; deleteUser removes; comments kept', () => {
  let t = setUser('', 'alice', '$scrypt$h1');
  assert.is(t, 'alice:$scrypt$h1\n');
  t = setUser('# mine\n' + t, 'bob', '$scrypt$h2');
  assert.is(t, '# mine\nalice:$scrypt$h1\nbob:$scrypt$h2\n');
  t = setUser(t, 'alice', '$scrypt$h3');
  assert.is(t, '# mine\nalice:$scrypt$h3\nbob:$scrypt$h2\n');
  assert.is(deleteUser(t, 'alice'), '# mine\nbob:$scrypt$h2\n');
  assert.is(deleteUser(t, 'carol'), null);
  // "al" is not "alice": only whole names match.
  assert.is(setUser('alice:$scrypt$h1\n', 'al', '$scrypt$h9'), 'alice:$scrypt$h1\nal:$scrypt$h9\n');
});

test('user names: no colon, no control characters, not empty', () => {
  assert.ok(validUser('alice'));
  assert.ok(validUser('señor.ü@example'));
  assert.not.ok(validUser(''));
  assert.not.ok(validUser('a:b'));
  assert.not.ok(validUser('a\nb'));
});

test('$7$ is PBKDF2-HMAC-SHA512: the published vector P="password", S="salt", 1 iteration, 64 bytes', async () => {
  // PBKDF2-HMAC-SHA512("password", "salt", 1, 64), the widely published vector.
  const hash = Buffer.from(
    '867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252' +
    'c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce', 'hex');
  const users = parsePasswordFile(`v:$7$1$${Buffer.from('salt12345678').toString('base64')}$${hash.toString('base64')}\n`);
  const v = users.get('v')!;
  assert.is(v.kind, 'pbkdf2-sha512');
  assert.not.ok(await verifyPassword(v, enc('password')));   // the file needs 8+ salt bytes: not the vector's salt
  const exact: PasswordEntry = { ...v, salt: Buffer.from('salt') };
  assert.ok(await verifyPassword(exact, enc('password')));
});

test('files made by the real mosquitto_passwd ($7$ default, $6$ with -H sha512) verify as they are', async () => {
  if (!mosquittoPasswd()) return;
  const tmp = tempDir('mosquitto-passwd');
  try {
    const file = join(tmp.dir, 'passwd');
    const make = (args: string[]): void => {
      const r = spawnSync('mosquitto_passwd', args, { encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
    };
    make(['-c', '-b', file, 'alice', 'wonder land']);
    make(['-H', 'sha512', '-b', file, 'bob', 'bu1lder']);
    make(['-H', 'sha512-pbkdf2', '-b', file, 'carol', 'ünïcode']);
    const users = parsePasswordFile(readFileSync(file, 'utf8'), file);
    assert.equal([...users.values()].map((e) => e.kind), ['pbkdf2-sha512', 'sha512', 'pbkdf2-sha512']);
    assert.ok(await verifyPassword(users.get('alice')!, enc('wonder land')));
    assert.ok(await verifyPassword(users.get('bob')!, enc('bu1lder')));
    assert.ok(await verifyPassword(users.get('carol')!, enc('ünïcode')));
    assert.not.ok(await verifyPassword(users.get('alice')!, enc('wonder-land')));
    assert.not.ok(await verifyPassword(users.get('bob')!, enc('bu1lder ')));
    assert.not.ok(await verifyPassword(users.get('bob')!, null));
  } finally {
    tmp.remove();
  }
});

test('the dummy for unknown users has the kind and cost most users have, and matches no password', async () => {
  const a = await hashPassword('x', FAST);
  const b = await hashPassword('y', FAST);
  const users = parsePasswordFile(`a:${a}\nb:${b}\nm:$7$101$${Buffer.alloc(12, 1).toString('base64')}$${Buffer.alloc(64, 2).toString('base64')}\n`);
  const d = dummyEntry(users);
  assert.equal([d.kind, d.N, d.r, d.p, d.salt.length, d.hash.length], ['scrypt', 1024, 8, 1, 16, 32]);
  assert.not.ok(await verifyPassword(d, enc('x')));
  assert.not.ok(await verifyPassword(d, enc('')));
  const none = dummyEntry(new Map());
  assert.equal([none.kind, none.N], ['scrypt', 16384]);
});

// mosquitto_passwd comes with Debian's mosquitto package (the broker), not with its clients.
function mosquittoPasswd(): boolean {
  if (!spawnSync('mosquitto_passwd', ['-h'], { encoding: 'utf8' }).error) return true;
  const msg = 'mosquitto_passwd NOT FOUND: the mosquitto password file test cannot run (apt-get install mosquitto)';
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n${msg}\n`);
  return false;
}

test.run();
