// The password file: one `user:$scrypt$N$r$p$salt$hash` line per user (salt and hash in
// base64), salted scrypt from node:crypto. `ganglion passwd FILE USER` writes it; the
// server reads it at start and again on SIGHUP. Blank lines and `#` comments are kept.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface PasswordEntry {
  user: string;
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export const DEFAULT_COST = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scryptAsync(password: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, keyLength = KEY_LENGTH): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: 128 * N * r bytes plus headroom, so the stored cost always verifies.
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A user name the file can hold: not empty, no ':', no control characters. */
export function validUser(user: string): boolean {
  return user.length > 0 && user.length <= 65535 && !/[:\u0000-\u001f\u007f]/.test(user);
}

/** One entry's text (after `user:`) for a password, with a fresh random salt. */
export async function hashPassword(password: string | Uint8Array, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const hash = await scryptAsync(bytes, salt, cost.N, cost.r, cost.p);
  return `$scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Parses the file; throws an Error naming the file line of the first bad entry. */
export function parsePasswordFile(text: string, name = 'password file'): Map<string, PasswordEntry> {
  const users = new Map<string, PasswordEntry>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const where = `${name}:${i + 1}`;
    if (colon <= 0) throw new Error(`${where}: expected user:$scrypt$N$r$p$salt$hash`);
    const user = line.slice(0, colon);
    const parts = line.slice(colon + 1).split('$');
    // ['', 'scrypt', N, r, p, salt, hash]
    if (parts.length !== 7 || parts[0] !== '' || parts[1] !== 'scrypt') {
      throw new Error(`${where}: user "${user}": not a $scrypt$ hash (make one with: ganglion passwd FILE USER)`);
    }
    const N = Number(parts[2]), r = Number(parts[3]), p = Number(parts[4]);
    if (!Number.isInteger(N) || N < 2 || N > (1 << 20) || (N & (N - 1)) !== 0 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) {
      throw new Error(`${where}: user "${user}": bad scrypt cost N=${parts[2]} r=${parts[3]} p=${parts[4]}`);
    }
    const salt = Buffer.from(parts[5], 'base64');
    const hash = Buffer.from(parts[6], 'base64');
    if (salt.length < 8 || hash.length < 16 || hash.length > 128) throw new Error(`${where}: user "${user}": salt or hash too short`);
    if (users.has(user)) throw new Error(`${where}: user "${user}" appears twice`);
    users.set(user, { user, N, r, p, salt, hash });
  }
  return users;
}

/** Whether `password` is the entry's, compared in constant time. */
export async function verifyPassword(entry: PasswordEntry, password: Uint8Array | null): Promise<boolean> {
  const key = await scryptAsync(password === null ? new Uint8Array(0) : password, entry.salt, entry.N, entry.r, entry.p, entry.hash.length);
  return key.length === entry.hash.length && timingSafeEqual(key, entry.hash);
}

/** The file's text with `user` set to `hashed` (replacing its line, or appended). */
export function setUser(text: string, user: string, hashed: string): string {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const line = `${user}:${hashed}`;
  const i = lines.findIndex((l) => l.startsWith(user + ':'));
  if (i >= 0) lines[i] = line;
  else lines.push(line);
  return lines.join('\n') + '\n';
}

/** The file's text without `user`; null when the user is not there. */
export function deleteUser(text: string, user: string): string | null {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const kept = lines.filter((l) => !l.startsWith(user + ':'));
  if (kept.length === lines.length) return null;
  return kept.length === 0 || (kept.length === 1 && kept[0] === '') ? '' : kept.join('\n') + '\n';
}
