// The package's version, read from its package.json: two folders up from this module both
// in the sources (ports/node/) and in the built package (dist/node/).
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'ganglion' && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // bundled into someone else's program: no package.json beside it
  }
  return 'unknown';
}
