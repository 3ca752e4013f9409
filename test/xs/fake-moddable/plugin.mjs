// esbuild plugin for bundling the Moddable port (ports/moddable/*.js) off the device: maps the
// SDK's module specifiers to the fakes beside this file and `ganglion` to the core's source.
// Used by test/xs/run.mjs for the XS cases, the allocation meter and the memory report.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

const MAP = {
  'embedded:io/socket/tcp': join(here, 'tcp.ts'),
  'embedded:io/socket/listener': join(here, 'listener.ts'),
  timer: join(here, 'timer.ts'),
  time: join(here, 'time.ts'),
  file: join(here, 'file.ts'),
  'mc/config': join(here, 'config.ts'),
  ganglion: join(root, 'core/index.ts'),
  'ganglion/store': join(root, 'ports/moddable/file-store.js'),
  'ganglion/server': join(root, 'ports/moddable/broker-server.js'),   // as ports/moddable/manifest.json names it
};

export const moddableFakes = {
  name: 'moddable-fakes',
  setup(b) {
    b.onResolve({ filter: /^(embedded:io\/socket\/(tcp|listener)|timer|time|file|mc\/config|ganglion|ganglion\/(server|store))$/ }, (args) => ({ path: MAP[args.path] }));
  },
};
