// The password file (ports/node/password-file.ts): salted scrypt, checked against the
// RFC 7914 test vector; parsing errors name the line; set and delete keep other lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deleteUser, hashPassword, parsePasswordFile, setUser, validUser, verifyPassword } from '../../ports/node/password-file.js';

const FAST = { N: 1024, r: 8, p: 1 };
const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');

test('verifies against the RFC 7914 §12 scrypt test vector (P="password", S="NaCl", N=1024, r=8, p=16)', async () => {
  const hash = Buffer.from(
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
    '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640', 'hex');
  const entry = { user: 'x', N: 1024, r: 8, p: 16, salt: Buffer.from('NaCl'), hash };
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
    [`a:${good}\nb:$pbkdf2$1$2`, /f:2: user "b": not a \$scrypt\$ hash/],
    ['c:$scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /f:1: user "c": bad scrypt cost N=1000/],
    [`a:${good}\na:${good}`, /f:2: user "a" appears twice/],
    ['d:$scrypt$1024$8$1$c2E=$aGFzaGhhc2hoYXNoaGFzaA==', /f:1: user "d": salt or hash too short/],
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

test.run();
