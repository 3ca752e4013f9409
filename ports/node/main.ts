// The `ganglion` command's entry point (bundled to dist/node/ganglion-cli.js by build.mjs).
import { main } from './cli.js';
import { keepYoungGenerationSmall } from './young-generation.js';

// From when the store is loaded, before the first connection: rebuilding a million queued
// messages allocates them all at once, and a young generation of 1 MB scavenges hundreds of
// times on the way (README, "Persistence").
const code = await main(process.argv.slice(2), () => keepYoungGenerationSmall(process.execArgv, process.env.NODE_OPTIONS));
if (code !== null) process.exit(code);
