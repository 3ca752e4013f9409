// Interop with the mosquitto command-line clients (mosquitto_pub / mosquitto_sub) as users
// run them, for MQTT 3.1, 3.1.1 and 5.0: QoS 0/1/2, retained, will on a killed client,
// persistent sessions, wildcards, TLS with client certificates, auth failures, ACLs.
// Missing clients: this suite fails in CI (CI=true) and warns loudly elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../ports/node/password-file.js';
import type { Certs, TestServer } from './helpers.js';
import { background, makeCerts, mosquittoCheck, run, startTestServer, subscribed, tempDir } from './helpers.js';

const available = mosquittoCheck();
const FAST = { N: 1024, r: 8, p: 1 };
const tmp = tempDir('mosquitto');
let open: TestServer;
let secure: TestServer;
let certs: Certs;

test.before(async () => {
  if (!available) return;
  certs = makeCerts(tmp.dir);
  writeFileSync(join(tmp.dir, 'passwd'), `alice:${await hashPassword('wonderland', FAST)}\n`);
  writeFileSync(join(tmp.dir, 'acl'), 'user alice\nallow readwrite home/#\ndeny read home/secret/+\n');
  open = await startTestServer({});
  secure = await startTestServer({
    passwordFile: 'passwd', aclFile: 'acl',
    listeners: [
      { type: 'tcp', port: 0 },
      { type: 'tls', port: 0, cert: 'server.crt', key: 'server.key', ca: 'ca.crt', requireCertificate: true, useIdentityAsUsername: true },
    ],
  }, tmp.dir);
});

test.after(async () => {
  await open?.close();
  await secure?.close();
  tmp.remove();
});

const VERSIONS = ['mqttv31', 'mqttv311', 'mqttv5'];
const p = (s: TestServer): string[] => ['-h', '127.0.0.1', '-p', String(s.port())];

for (const V of VERSIONS) {
  test(`mosquitto ${V}: QoS 0, 1 and 2 through the broker, # wildcard`, async () => {
    if (!available) return;
    const sub = background('mosquitto_sub', [...p(open), '-V', V, '-i', `qsub-${V}`, '-q', '2', '-t', `mq/${V}/#`, '-C', '3', '-W', '8', '-F', '%t %p %q']);
    try {
      await subscribed(open, `qsub-${V}`);
      for (const q of ['0', '1', '2']) {
        const r = await run('mosquitto_pub', [...p(open), '-V', V, '-q', q, '-t', `mq/${V}/${q}`, '-m', `m${q}`]);
        assert.is(r.code, 0, r.stderr);
      }
      const lines = await sub.lines(3);
      assert.equal(lines, [`mq/${V}/0 m0 0`, `mq/${V}/1 m1 1`, `mq/${V}/2 m2 2`]);
      assert.is((await sub.done()).code, 0);
    } finally {
      sub.kill();
    }
  });

  test(`mosquitto ${V}: retained message to a later subscriber, + wildcard`, async () => {
    if (!available) return;
    const r = await run('mosquitto_pub', [...p(open), '-V', V, '-q', '1', '-r', '-t', `ret/${V}/kitchen/temp`, '-m', '21.5']);
    assert.is(r.code, 0, r.stderr);
    const s = await run('mosquitto_sub', [...p(open), '-V', V, '-t', `ret/${V}/+/temp`, '-C', '1', '-W', '5', '-F', '%t %p r=%r']);
    assert.is(s.stdout.trim(), `ret/${V}/kitchen/temp 21.5 r=1`);
  });

  test(`mosquitto ${V}: will published when the client is killed`, async () => {
    if (!available) return;
    const watch = background('mosquitto_sub', [...p(open), '-V', V, '-i', `watch-${V}`, '-t', `will/${V}`, '-C', '1', '-W', '8']);
    const doomed = background('mosquitto_sub', [...p(open), '-V', V, '-i', `doomed-${V}`, '-t', `nothing/${V}`,
      '--will-topic', `will/${V}`, '--will-payload', 'died', '--will-qos', '1']);
    try {
      await subscribed(open, `watch-${V}`);
      await subscribed(open, `doomed-${V}`);
      doomed.kill('SIGKILL');
      assert.equal(await watch.lines(1), ['died']);
    } finally {
      watch.kill();
      doomed.kill();
    }
  });

  test(`mosquitto ${V}: persistent session (-c) gets what was published while it was away`, async () => {
    if (!available) return;
    const id = `persist-${V}`;
    const first = await run('mosquitto_sub', [...p(open), '-V', V, '-c', '-i', id, '-q', '1', '-t', `away/${V}`, '-E']);
    assert.is(first.code, 0, first.stderr);
    for (const m of ['one', 'two']) {
      const r = await run('mosquitto_pub', [...p(open), '-V', V, '-q', '1', '-t', `away/${V}`, '-m', m]);
      assert.is(r.code, 0, r.stderr);
    }
    const again = await run('mosquitto_sub', [...p(open), '-V', V, '-c', '-i', id, '-q', '1', '-t', `away/${V}`, '-C', '2', '-W', '5']);
    assert.equal(again.stdout.trim().split('\n'), ['one', 'two']);
  });

  test(`mosquitto ${V}: wrong password and anonymous refused`, async () => {
    if (!available) return;
    const bad = await run('mosquitto_pub', [...p(secure), '-V', V, '-u', 'alice', '-P', 'nope', '-t', 'home/x', '-m', 'x']);
    assert.is.not(bad.code, 0);
    assert.match(bad.stderr, /bad user name or password/i);
    const anon = await run('mosquitto_pub', [...p(secure), '-V', V, '-t', 'home/x', '-m', 'x']);
    assert.is.not(anon.code, 0);
    assert.match(anon.stderr, /not authori[sz]ed/i);
    const good = await run('mosquitto_pub', [...p(secure), '-V', V, '-u', 'alice', '-P', 'wonderland', '-q', '1', '-t', 'home/x', '-m', 'x']);
    assert.is(good.code, 0, good.stderr);
  });

  test(`mosquitto ${V}: ACL: a denied subscription and a denied publish deliver nothing`, async () => {
    if (!available) return;
    const auth = ['-u', 'alice', '-P', 'wonderland'];
    // A filter no read rule reaches is refused.
    const denied = await run('mosquitto_sub', [...p(secure), '-V', V, ...auth, '-t', 'elsewhere/#', '-C', '1', '-W', '2']);
    if (V === 'mqttv5') assert.match(denied.stderr + denied.stdout, /denied|not authori[sz]ed/i);
    else assert.is(denied.stdout, '');
    // home/# is granted; home/secret/+ (denied) is filtered out message by message.
    const sub = background('mosquitto_sub', [...p(secure), '-V', V, ...auth, '-i', `acl-${V}`, '-t', 'home/#', '-C', '1', '-W', '8', '-F', '%t %p']);
    try {
      await subscribed(secure, `acl-${V}`);
      const out = await run('mosquitto_pub', [...p(secure), '-V', V, ...auth, '-q', '1', '-t', 'elsewhere', '-m', 'no']);
      if (V === 'mqttv5') assert.match(out.stderr, /not authori[sz]ed/i);
      const secret = await run('mosquitto_pub', [...p(secure), '-V', V, ...auth, '-q', '1', '-t', 'home/secret/safe', '-m', 'hidden']);
      assert.is(secret.code, 0, secret.stderr);
      const ok = await run('mosquitto_pub', [...p(secure), '-V', V, ...auth, '-q', '1', '-t', 'home/hall', '-m', 'yes']);
      assert.is(ok.code, 0, ok.stderr);
      assert.equal(await sub.lines(1), ['home/hall yes']);
    } finally {
      sub.kill();
    }
  });

  test(`mosquitto ${V}: TLS with a client certificate (CN = user name)`, async () => {
    if (!available) return;
    const tls = ['-h', '127.0.0.1', '-p', String(secure.port('tls')), '--cafile', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey];
    const sub = background('mosquitto_sub', [...tls, '-V', V, '-i', `tls-${V}`, '-t', `home/tls/${V}`, '-C', '1', '-W', '8']);
    try {
      await subscribed(secure, `tls-${V}`);
      assert.is(secure.server.broker.sessions.get(`tls-${V}`)?.connection?.username, 'alice');
      const r = await run('mosquitto_pub', [...tls, '-V', V, '-q', '2', '-t', `home/tls/${V}`, '-m', 'encrypted']);
      assert.is(r.code, 0, r.stderr);
      assert.equal(await sub.lines(1), ['encrypted']);
    } finally {
      sub.kill();
    }
    const noCert = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(secure.port('tls')), '--cafile', certs.ca, '-V', V, '-t', 'home/x', '-m', 'x']);
    assert.is.not(noCert.code, 0);
  });
}

test.run();
