// The `ganglion` command keeps V8's young generation at its starting size (two 1 MB
// semi-spaces) instead of letting it grow to 16 MB each. What a broker holds is mostly
// long-lived (sockets, sessions, retained messages) and what it allocates per message dies
// at once. Measured on 2026-12-03 (README, "Figures"): the grown young generation was 32 MB
// of RSS, which V8 keeps until the broker has been idle for a while; kept small, a burst of
// 5,000 connects cost 4.0 KB a connection instead of 6.4 KB, and the fleet of 1,000 clients
// 84 MB of RSS instead of 96 (one run each); the floods' deliveries per CPU second were 4-10% lower
// (medians of 3 interleaved rounds on a busy machine). Node flags given to the command
// (`node --max-semi-space-size=16 ganglion-cli.js`, or in NODE_OPTIONS) win. main.ts applies
// it once the store is loaded: a start-up that rebuilds a large store may grow it meanwhile.
import { setFlagsFromString } from 'node:v8';

const FLAG = /semi-space/;

/**
 * Stops the young generation from growing, unless the node flags already say how big it may
 * be. V8 reads the growth factor each time it would grow the young generation, so it can be
 * set after start-up, before the first connection.
 */
export function keepYoungGenerationSmall(execArgv: string[], nodeOptions: string | undefined): boolean {
  for (let i = 0; i < execArgv.length; i++) if (FLAG.test(execArgv[i])) return false;
  if (nodeOptions !== undefined && FLAG.test(nodeOptions)) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
