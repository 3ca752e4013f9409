// The `ganglion` command's entry point (bundled to dist/node/ganglion-cli.js by build.mjs).
import { main } from './cli.js';
import { keepYoungGenerationSmall } from './young-generation.js';

keepYoungGenerationSmall(process.execArgv, process.env.NODE_OPTIONS);
const code = await main(process.argv.slice(2));
if (code !== null) process.exit(code);
