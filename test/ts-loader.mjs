// Lets Node 20 import our TypeScript sources directly (tests, benchmarks): each .ts file is
// transformed with esbuild on load. Used as `node --import ./test/ts-loader.mjs file.ts`.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
