// Sessions belong to their users (issue 14 §1), with the mosquitto clients as an attacker
// would run them: two users, an ACL that gives each their own prefix, and bob naming the
// client id of alice's persistent session in MQTT 3.1.1 and 5.0. bob is refused (not
// authorised), alice is not kicked off, and her queued messages stay hers.
// Missing clients: this suite fails in CI (CI=true) and warns loudly elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../ports/node/password-file.js';
import type { TestServer } from './helpers.js';
import { background, mosquittoCheck, run, startTestServer, subscribed, tempDir } from './helpers.js';

const available = mosquittoCheck();
const FAST = { N: 1024, r: 8, p: 1 };
const tmp = tempDir('owner');
let server: TestServer;

test.before(async () => {
  if (!available) return;
  writeFileSync(join(tmp.dir, 'passwd'), `alice:${await hashPassword('wonderland', FAST)}\nbob:${await hashPassword('builder', FAST)}\n`);
  writeFileSync(join(tmp.dir, 'acl'), 'allow readwrite %u/#\n');
  server = await startTestServer({ passwordFile: 'passwd', aclFile: 'acl' }, tmp.dir);
});

test.after(async () => {
  await server?.close();
  tmp.remove();
});

const p = (): string[] => ['-h', '127.0.0.1', '-p', String(server.port())];
const ALICE = ['-u', 'alice', '-P', 'wonderland'];
const BOB = ['-u', 'bob', '-P', 'builder'];

for (const V of ['mqttv311', 'mqttv5']) {
  test(`mosquitto ${V}: bob naming alice's offline session is refused; her queued and retained messages stay hers`, async () => {
    if (!available) return;
    const id = `alice-phone-${V}`;
    const session = V === 'mqttv5' ? ['-x', '3600'] : [];
    const first = await run('mosquitto_sub', [...p(), '-V', V, ...ALICE, '-c', ...session, '-i', id, '-q', '1', '-t', `alice/${V}/#`, '-E']);
    assert.is(first.code, 0, first.stderr);
    for (const [flags, m] of [[['-r'], 'retained'], [[], 'queued']] as const) {
      const r = await run('mosquitto_pub', [...p(), '-V', V, ...ALICE, '-q', '1', ...flags, '-t', `alice/${V}/x`, '-m', m]);
      assert.is(r.code, 0, r.stderr);
    }
    const bob = await run('mosquitto_sub', [...p(), '-V', V, ...BOB, '-c', ...session, '-i', id, '-q', '1', '-t', `bob/${V}/#`, '-C', '2', '-W', '3', '-F', '%t %p']);
    assert.is(bob.stdout, '');
    assert.match(bob.stderr, /not authori[sz]ed/i);
    assert.ok(server.lines.some((l) => l.startsWith('warn') && l.includes(id) && l.includes('not authorized')), 'the refusal is logged as a warning');
    const alice = await run('mosquitto_sub', [...p(), '-V', V, ...ALICE, '-c', ...session, '-i', id, '-q', '1', '-t', `alice/${V}/#`, '-C', '2', '-W', '5', '-F', '%t %p']);
    assert.is(alice.code, 0, alice.stderr);
    assert.equal(alice.stdout.trim().split('\n').sort(), [`alice/${V}/x queued`, `alice/${V}/x retained`]);
  });

  test(`mosquitto ${V}: bob naming connected alice's client id is refused and does not kick her off`, async () => {
    if (!available) return;
    const id = `alice-laptop-${V}`;
    const alice = background('mosquitto_sub', [...p(), '-V', V, ...ALICE, '-i', id, '-q', '1', '-t', `alice/${V}/live`, '-C', '1', '-W', '10', '-F', '%t %p']);
    try {
      await subscribed(server, id);
      const before = server.server.broker.sessions.get(id)!.connection;
      const bob = await run('mosquitto_pub', [...p(), '-V', V, ...BOB, '-i', id, '-q', '1', '-t', `bob/${V}/x`, '-m', 'x']);
      assert.not.equal(bob.code, 0);
      assert.match(bob.stderr, /not authori[sz]ed/i);
      assert.ok(server.server.broker.sessions.get(id)!.connection === before, 'alice\'s connection is still the session\'s');
      const r = await run('mosquitto_pub', [...p(), '-V', V, ...ALICE, '-q', '1', '-t', `alice/${V}/live`, '-m', 'still-here']);
      assert.is(r.code, 0, r.stderr);
      assert.equal(await alice.lines(1), [`alice/${V}/live still-here`]);
      assert.is((await alice.done()).code, 0);
    } finally {
      alice.kill();
    }
  });
}

test.run();
