// What every XS case file needs about bytes and results, with nothing from the host (no
// Buffer, no TextEncoder): it runs inside XS as well as in Node.

export interface CaseResult {
  name: string;
  result: string;
  problem: string;
}

const HEX = '0123456789abcdef';

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX.charAt(b[i] >> 4) + HEX.charAt(b[i] & 15);
  return s;
}

/** '30 07 00 03' -> bytes; spaces are ignored. */
export function bytes(h: string): Uint8Array {
  const clean = squash(h);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/** Hex without its spaces. */
export function squash(h: string): string {
  return h.split(' ').join('');
}

export function byteHex(n: number): string {
  return HEX.charAt((n >> 4) & 15) + HEX.charAt(n & 15);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

/** `actual` against `expected` (hex, spaces ignored, `..` = any byte). */
export function sameBytes(expected: string, actual: string): boolean {
  const e = squash(expected);
  if (e.length !== actual.length) return false;
  for (let i = 0; i < e.length; i += 2) {
    const pair = e.substr(i, 2);
    if (pair !== '..' && pair !== actual.substr(i, 2)) return false;
  }
  return true;
}

export function errorText(e: unknown): string {
  if (e !== null && typeof e === 'object' && typeof (e as Error).message === 'string') {
    return 'threw ' + String((e as Error).name) + ': ' + (e as Error).message;
  }
  return 'threw ' + String(e);
}
