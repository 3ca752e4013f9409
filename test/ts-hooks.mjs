// Module hooks for test/ts-loader.mjs: resolve `./x.js` to `./x.ts` when only the .ts exists
// (the sources import with .js extensions, as TypeScript wants), and strip types on load.
import { transform } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The Moddable port's SDK modules, for ports/moddable/*.js loaded on Node (test/port-kit/):
// the fakes beside test/xs/fake-moddable/plugin.mjs, which maps them the same way for XS.
const MODDABLE = {
  'embedded:io/socket/tcp': 'test/xs/fake-moddable/tcp.ts',
  'embedded:io/socket/listener': 'test/xs/fake-moddable/listener.ts',
  timer: 'test/xs/fake-moddable/timer.ts',
  time: 'test/xs/fake-moddable/time.ts',
  ganglion: 'core/index.ts',
};

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL && context.parentURL.includes('/ports/moddable/') && Object.prototype.hasOwnProperty.call(MODDABLE, specifier)) {
    const root = context.parentURL.slice(0, context.parentURL.indexOf('/ports/moddable/') + 1);
    return nextResolve(new URL(MODDABLE[specifier], root).href, context);
  }
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/')) && context.parentURL) {
    const url = new URL(specifier, context.parentURL);
    const ts = url.href.slice(0, -3) + '.ts';
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(ts))) {
      return nextResolve(ts, context);
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  // An .html file is its text (esbuild's text loader does the same in build.mjs).
  if (url.startsWith('file:') && url.endsWith('.html')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const path = fileURLToPath(url);
    const source = await readFile(path, 'utf8');
    const out = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: path, sourcemap: 'inline', define: { __MQTT5__: 'true', __SYS__: 'true', __STORE__: 'true', __COMPACT__: 'false', __AUTH__: 'true', __CLIENT__: 'true' } });
    return { format: 'module', source: out.code, shortCircuit: true };
  }
  return nextLoad(url, context);
}
