// The password file: one `user:HASH` line per user. `ganglion passwd FILE USER` writes
// salted scrypt, `$scrypt$N$r$p$salt$hash` (salt and hash in base64). Files made by
// mosquitto_passwd are read as they are: `$7$iterations$salt$hash` (PBKDF2-HMAC-SHA512, its
// default) and `$6$salt$hash` (one SHA-512 of password then salt, mosquitto 1.6 and earlier).
// All are checked asynchronously (libuv's thread pool, or WebCrypto), never blocking the event
// loop. The server reads the file at start and again on SIGHUP. Blank lines and `#` comments are kept.
import { pbkdf2, randomBytes, scrypt, timingSafeEqual, webcrypto } from 'node:crypto';

export type HashKind = 'scrypt' | 'pbkdf2-sha512' | 'sha512';

export interface PasswordEntry {
  user: string;
  kind: HashKind;
  N: number;              // scrypt cost (0 for the others)
  r: number;
  p: number;
  iterations: number;     // PBKDF2 iterations (0 for the others)
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

function pbkdf2Async(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keyLength, 'sha512', (err, key) => (err ? reject(err) : resolve(key)));
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
    if (colon <= 0) throw new Error(`${where}: expected user:$scrypt$N$r$p$salt$hash (or a mosquitto_passwd $7$ / $6$ hash)`);
    const user = line.slice(0, colon);
    const entry = parseHash(user, line.slice(colon + 1), where);
    if (users.has(user)) throw new Error(`${where}: user "${user}" appears twice`);
    users.set(user, entry);
  }
  return users;
}

function parseHash(user: string, text: string, where: string): PasswordEntry {
  const parts = text.split('$');
  const entry: PasswordEntry = { user, kind: 'scrypt', N: 0, r: 0, p: 0, iterations: 0, salt: Buffer.alloc(0), hash: Buffer.alloc(0) };
  let salt: string, hash: string;
  if (parts.length === 7 && parts[0] === '' && parts[1] === 'scrypt') {
    // ['', 'scrypt', N, r, p, salt, hash]
    const N = Number(parts[2]), r = Number(parts[3]), p = Number(parts[4]);
    if (!Number.isInteger(N) || N < 2 || N > (1 << 20) || (N & (N - 1)) !== 0 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) {
      throw new Error(`${where}: user "${user}": bad scrypt cost N=${parts[2]} r=${parts[3]} p=${parts[4]}`);
    }
    entry.N = N;
    entry.r = r;
    entry.p = p;
    salt = parts[5];
    hash = parts[6];
  } else if (parts.length === 5 && parts[0] === '' && parts[1] === '7') {
    // mosquitto_passwd's default: ['', '7', iterations, salt, hash]
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10000000) {
      throw new Error(`${where}: user "${user}": bad PBKDF2 iteration count ${parts[2]}`);
    }
    entry.kind = 'pbkdf2-sha512';
    entry.iterations = iterations;
    salt = parts[3];
    hash = parts[4];
  } else if (parts.length === 4 && parts[0] === '' && parts[1] === '6') {
    // mosquitto_passwd -H sha512: ['', '6', salt, hash]
    entry.kind = 'sha512';
    salt = parts[2];
    hash = parts[3];
  } else {
    throw new Error(`${where}: user "${user}": not a $scrypt$, $7$ or $6$ hash (make one with: ganglion passwd FILE USER, or mosquitto_passwd)`);
  }
  entry.salt = Buffer.from(salt, 'base64');
  entry.hash = Buffer.from(hash, 'base64');
  const hashLength = entry.kind === 'scrypt' ? entry.hash.length >= 16 && entry.hash.length <= 128 : entry.hash.length === 64;
  if (entry.salt.length < 8 || !hashLength) throw new Error(`${where}: user "${user}": salt or hash of the wrong length`);
  return entry;
}

/**
 * An entry no password matches (a random hash), of the kind and cost most of `users` have:
 * an unknown user name is checked against it, so that it costs as long as a known one.
 */
export function dummyEntry(users: Map<string, PasswordEntry>): PasswordEntry {
  const seen = new Map<string, { n: number; e: PasswordEntry }>();
  let most: PasswordEntry | null = null, mostN = 0;
  users.forEach((e) => {
    const key = `${e.kind} ${e.N} ${e.r} ${e.p} ${e.iterations} ${e.salt.length} ${e.hash.length}`;
    const s = seen.get(key) ?? { n: 0, e };
    s.n++;
    seen.set(key, s);
    if (s.n > mostN) {
      mostN = s.n;
      most = e;
    }
  });
  const like: PasswordEntry = most ?? { user: '', kind: 'scrypt', N: DEFAULT_COST.N, r: DEFAULT_COST.r, p: DEFAULT_COST.p, iterations: 0, salt: Buffer.alloc(SALT_LENGTH), hash: Buffer.alloc(KEY_LENGTH) };
  return { ...like, user: '', salt: randomBytes(like.salt.length), hash: randomBytes(like.hash.length) };
}

/** Whether `password` is the entry's, compared in constant time. */
export async function verifyPassword(entry: PasswordEntry, password: Uint8Array | null): Promise<boolean> {
  const given = password === null ? new Uint8Array(0) : password;
  let key: Buffer;
  if (entry.kind === 'scrypt') key = await scryptAsync(given, entry.salt, entry.N, entry.r, entry.p, entry.hash.length);
  else if (entry.kind === 'pbkdf2-sha512') key = await pbkdf2Async(given, entry.salt, entry.iterations, entry.hash.length);
  else key = Buffer.from(await webcrypto.subtle.digest('SHA-512', Buffer.concat([given, entry.salt])));
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
