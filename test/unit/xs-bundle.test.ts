// What the XS broker bundle (dist/xs/ganglion.js, the Moddable app's "ganglion" module) holds:
// the broker and its codec, not the client role (core/client/), which a broker on the device
// never runs (issue 18 §4). esbuild marks each source file's part of a bundle with a
// `// core/...` comment, so the built files say which sources went in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourcesOf(file: string): string[] {
  const path = join(root, file);
  if (!existsSync(path)) spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  const out: string[] = [];
  const re = /^\s*\/\/ (core\/\S+\.ts)$/gm;
  const text = readFileSync(path, 'utf8');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1]);
  return out;
}

for (const file of ['dist/xs/ganglion.js', 'dist/xs/ganglion.iife.js']) {
  test(file + ': the broker without the client role', () => {
    const sources = sourcesOf(file);
    assert.ok(sources.indexOf('core/broker/broker.ts') >= 0, 'the broker is in it: ' + sources.length + ' sources');
    assert.equal(sources.filter((s) => s.startsWith('core/client/')), [], 'client role sources in ' + file);
  });
}

test('dist/node/ganglion.js keeps the client role (the probe and the bridge use it)', () => {
  assert.ok(sourcesOf('dist/node/ganglion.js').indexOf('core/client/mqtt-client.ts') >= 0);
});

test.run();
