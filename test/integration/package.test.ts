// The package as a user gets it: `npm pack`, the tarball installed into a fresh project
// (offline: it has no dependencies), `npx ganglion --version`, the installed command serving
// real clients, and the README's "Embedding on Node" program (test/package/embed.ts)
// type-checked against the installed declarations, compiled and run with an authenticate hook.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Background } from './helpers.js';
import { ROOT, background, haveMosquittoClients, mosquittoCheck, run, tempDir, within } from './helpers.js';

const tmp = tempDir('package');
const project = join(tmp.dir, 'app');
const started: Background[] = [];
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let tarball = '';

test.before(async () => {
  mosquittoCheck();
  // npm pack runs prepack (node build.mjs): the tarball holds what the build made now.
  const pack = await run('npm', ['pack', '--silent', '--pack-destination', tmp.dir], 60000, undefined, ROOT);
  assert.is(pack.code, 0, pack.stderr);
  tarball = join(tmp.dir, pack.stdout.trim().split('\n').pop() as string);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], 60000, undefined, project);
  assert.is(install.code, 0, install.stdout + install.stderr);
});

test.after(() => {
  for (const b of started) b.kill();
  tmp.remove();
});

/** The "listening on ... port N" of a started program. */
async function portFrom(b: Background, re: RegExp): Promise<number> {
  await within(8000, `${re} from ${b.errors()}`, (async () => {
    while (!re.test(b.output())) await b.lines(b.output().split('\n').filter(Boolean).length + 1, 8000);
  })());
  return Number((re.exec(b.output()) as RegExpExecArray)[1]);
}

test('the tarball holds only built files and package.json, README; no dependencies, not private', async () => {
  const list = await run('tar', ['tzf', tarball]);
  assert.is(list.code, 0, list.stderr);
  const files = list.stdout.trim().split('\n');
  for (const f of files) assert.ok(/^package\/(dist\/.+|package\.json|README\.md)$/.test(f), f);
  for (const f of ['dist/node/ganglion.js', 'dist/node/server.js', 'dist/node/ganglion-cli.js', 'dist/types/core/index.d.ts', 'dist/types/ports/node/index.d.ts']) {
    assert.ok(files.includes('package/' + f), f);
  }
  const pkg = JSON.parse(readFileSync(join(project, 'node_modules/ganglion/package.json'), 'utf8')) as Record<string, unknown>;
  assert.is(pkg.private, undefined);
  assert.is(pkg.dependencies, undefined);
});

test('npx ganglion --version in the fresh project', async () => {
  const r = await run('npx', ['--no-install', 'ganglion', '--version'], 20000, undefined, project);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), version);
});

test('the installed command serves a real client', async () => {
  const g = background(join(project, 'node_modules/.bin/ganglion'), ['-p', '0'], undefined, project);
  started.push(g);
  const port = await portFrom(g, /mqtt:\/\/127\.0\.0\.1:(\d+)/);
  if (haveMosquittoClients()) {
    // Retained, so the subscriber started after it gets it whenever it is ready.
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-r', '-q', '1', '-t', 'pkg/a', '-m', 'from the tarball']);
    assert.is(pub.code, 0, pub.stderr);
    const sub = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'pkg/#', '-v', '-C', '1', '-W', '5']);
    assert.is(sub.code, 0, sub.stderr);
    assert.is(sub.stdout, 'pkg/a from the tarball\n');
  } else {
    const c = await within(5000, 'connect', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 }));
    await c.subscribeAsync('pkg/#');
    const got = new Promise<string>((resolve) => c.on('message', (_t, p) => resolve(p.toString())));
    await c.publishAsync('pkg/a', 'from the tarball');
    assert.is(await within(4000, 'message', got), 'from the tarball');
    c.end(true);
  }
  g.kill('SIGTERM');
  assert.is((await g.done(6000)).code, 0);
});

test('the README program type-checks against the installed declarations and runs with its authenticate hook', async () => {
  copyFileSync(join(ROOT, 'test/package/embed.ts'), join(project, 'embed.ts'));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const tsconfig = (files: string[]): string => JSON.stringify({
    compilerOptions: {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'out',
      types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files,
  });
  writeFileSync(join(project, 'tsconfig.json'), tsconfig(['embed.ts']));
  const built = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], 60000, undefined, project);
  assert.is(built.code, 0, built.stdout + built.stderr);
  // A wrong type is caught: the declarations are real, not `any`.
  writeFileSync(join(project, 'wrong.ts'), "import { createServer } from 'ganglion/node';\ncreateServer({ listeners: [{ type: 'tcp', port: '1883' }] });\n");
  writeFileSync(join(project, 'tsconfig.wrong.json'), tsconfig(['wrong.ts']));
  const wrong = await run(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', 'tsconfig.wrong.json'], 60000, undefined, project);
  assert.is.not(wrong.code, 0, wrong.stdout);
  assert.match(wrong.stdout, /wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);

  const app = background(process.execPath, [join(project, 'out/embed.js')], { ...process.env, PORT: '0' }, project);
  started.push(app);
  const port = await portFrom(app, /listening on port (\d+)/);
  const connect = (password: string): Promise<mqtt.MqttClient> =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 4000, username: 'alice', password });
  const refused = await connect('guess').then((c) => { c.end(true); return 'accepted'; }, (e: Error) => e.message);
  assert.match(refused, /Bad username or password/);
  const c = await within(5000, 'alice connects', connect('secret'));
  const status = new Promise<string>((resolve) => c.on('message', (t, p) => { if (t === 'status') resolve(p.toString()); }));
  await c.subscribeAsync('status');
  assert.is(await within(4000, 'retained status', status), 'up');
  await c.publishAsync('sensors/t', '21.5', { qos: 1 });
  await app.lines(3, 4000);
  c.end(true);
  assert.match(app.output(), /refused alice from 127\.0\.0\.1:\d+/);
  assert.match(app.output(), /sensors\/t: 21\.5/);
  app.kill('SIGINT');
  assert.is((await app.done(6000)).code, 0);
});

test.run();
