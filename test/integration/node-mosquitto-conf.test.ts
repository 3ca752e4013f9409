// One mosquitto.conf, a password file made at run time by the real mosquitto_passwd ($7$ and
// $6$ hashes) and a mosquitto ACL file, used unchanged by the real mosquitto and by the built
// `ganglion -c mosquitto.conf`, one after the other on the same ephemeral loopback port; the
// same mosquitto_pub / mosquitto_sub runs against each must see the same messages and the
// same refusals.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, mosquittoPath } from '../bench/brokers/broker-process.js';
import type { Background } from './helpers.js';
import { ROOT, background, mosquittoCheck, run, tempDir, within } from './helpers.js';

const CLI = join(ROOT, 'dist/node/ganglion-cli.js');

interface Seen {
  received: string[];          // alice's subscriber, in order
  wrongPassword: number | null;
  anonymous: number | null;
  bobReadsAlice: string;       // what bob's subscription to alice/# got (nothing: denied)
}

function setUp(dir: string, port: number): string {
  const passwd = join(dir, 'passwd');
  for (const args of [['-c', '-b', passwd, 'alice', 'wonder land'], ['-H', 'sha512', '-b', passwd, 'bob', 'builder']]) {
    const r = spawnSync('mosquitto_passwd', args, { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  }
  writeFileSync(join(dir, 'acl'), [
    // Before the first user line: for anonymous clients only in mosquitto (none are let in
    // here), so alice's bob/# subscription gets nothing from it.
    'topic read bob/#',
    'user alice', 'topic readwrite alice/#', 'topic read public/#',
    'user bob', 'topic readwrite bob/#', 'topic write public/#', 'topic write alice/#',
    'pattern read clients/%u/#', '',
  ].join('\n'));
  // mosquitto started as root runs as user mosquitto: it must be able to read these.
  chmodSync(dir, 0o755);
  chmodSync(passwd, 0o644);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    '# used unchanged by mosquitto and ganglion',
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${join(dir, 'passwd')}`,
    `acl_file ${join(dir, 'acl')}`,
    `listener ${port} 127.0.0.1`,
    'max_inflight_messages 20',
    'max_queued_messages 200',
    'max_queued_bytes 1000000',
    'max_keepalive 300',
    'persistent_client_expiration 1h',
    'retain_available true',
    'sys_interval 10',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n'));
  return conf;
}

async function waitForPort(port: number, broker: Background): Promise<void> {
  await within(10000, `a broker on port ${port}`, (async () => {
    for (;;) {
      const r = await run('mosquitto_pub', ['-p', String(port), '-u', 'alice', '-P', 'wonder land', '-t', 'alice/ping', '-m', 'x'], 3000);
      if (r.code === 0) return;
      if (broker.errors().includes('Error')) throw new Error(broker.errors());
      await new Promise((r2) => setTimeout(r2, 100));
    }
  })());
}

/** The same clients against whichever broker listens on `port`. */
async function exercise(port: number): Promise<Seen> {
  const p = String(port);
  const sub = background('mosquitto_sub', ['-p', p, '-u', 'alice', '-P', 'wonder land', '-i', 'alice-sub', '-t', 'alice/#', '-t', 'public/#', '-t', 'bob/#', '-v', '-C', '3', '-W', '10']);
  const bobSub = background('mosquitto_sub', ['-p', p, '-u', 'bob', '-P', 'builder', '-i', 'bob-sub', '-t', 'alice/#', '-v', '-W', '4']);
  try {
    await new Promise((r) => setTimeout(r, 500));   // both subscribed (mosquitto_sub prints nothing until a message)
    const pub = (user: string, password: string, topic: string, msg: string): Promise<unknown> =>
      run('mosquitto_pub', ['-p', p, '-u', user, '-P', password, '-t', topic, '-m', msg, '-q', '1']);
    await pub('bob', 'builder', 'public/news', 'from bob');     // bob may write public/#, alice reads it
    await pub('bob', 'builder', 'bob/own', 'bob only');         // alice may not read bob/#
    await pub('alice', 'wonder land', 'public/x', 'denied');    // alice may not write public/#
    await pub('bob', 'builder', 'alice/inbox', 'to alice');     // bob may write alice/#, not read it
    await pub('alice', 'wonder land', 'alice/self', 'mine');
    const received = (await sub.lines(3, 10000)).slice(0, 3);
    const wrong = await run('mosquitto_pub', ['-p', p, '-u', 'alice', '-P', 'wrong', '-t', 'alice/x', '-m', 'no']);
    const anon = await run('mosquitto_pub', ['-p', p, '-t', 'alice/x', '-m', 'no']);
    const bob = await bobSub.done(10000);
    return { received, wrongPassword: wrong.code, anonymous: anon.code, bobReadsAlice: bob.stdout };
  } finally {
    sub.kill();
    bobSub.kill();
  }
}

test('one mosquitto.conf, mosquitto_passwd file and ACL file: mosquitto and ganglion serve the same clients the same way', async () => {
  if (!mosquittoCheck()) return;
  const mosquitto = mosquittoPath();
  if (mosquitto === null) {
    if (process.env.CI === 'true') throw new Error('mosquitto NOT FOUND (apt-get install mosquitto)');
    console.warn('mosquitto NOT FOUND: the mosquitto.conf comparison cannot run');
    return;
  }
  const builder = await import(join(ROOT, 'build.mjs')) as { buildCli(write?: boolean): Promise<Uint8Array> };
  await builder.buildCli(true);
  const tmp = tempDir('mosquitto-conf');
  try {
    const port = await freePort();
    const conf = setUp(tmp.dir, port);
    const results: Record<string, Seen> = {};
    for (const [name, cmd, args] of [['mosquitto', mosquitto, ['-c', conf]], ['ganglion', process.execPath, [CLI, '-c', conf]]] as Array<[string, string, string[]]>) {
      const broker = background(cmd, args);
      try {
        await waitForPort(port, broker);
        results[name] = await exercise(port);
        if (name === 'ganglion') assert.not.match(broker.errors(), /warning/, broker.errors());   // every directive here is one ganglion has
      } finally {
        broker.kill('SIGTERM');
        await broker.done(5000).catch(() => broker.kill());
      }
    }
    const expected = ['public/news from bob', 'alice/inbox to alice', 'alice/self mine'];
    assert.equal(results.mosquitto.received, expected, 'mosquitto');
    assert.equal(results.ganglion.received, expected, 'ganglion');
    for (const name of ['mosquitto', 'ganglion']) {
      assert.is.not(results[name].wrongPassword, 0, `${name}: a wrong password is refused`);
      assert.is.not(results[name].anonymous, 0, `${name}: anonymous is refused`);
      assert.is(results[name].bobReadsAlice, '', `${name}: bob cannot read alice/#`);
    }
  } finally {
    tmp.remove();
  }
});

test.run();
