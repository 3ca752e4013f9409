// A login with a user name and password, as the authenticate hook answers it: the throttle's
// turn (a timer, never a busy wait), then the password check in the fair queue, against the
// user's hash or, for an unknown name, a dummy hash of the same kind (the same work and the
// same answer either way), then the failure counted and logged with the remote address.
import type { Connection } from '../../core/index.js';
import { CLOSED, RC_SERVER_BUSY, quote } from '../../core/index.js';
import type { CheckQueue } from './check-queue.js';
import type { Logger } from './logger.js';
import type { LoginThrottle } from './login-throttle.js';
import { addressKey } from './login-throttle.js';
import type { PasswordEntry } from './password-file.js';
import { verifyPassword } from './password-file.js';

export interface PasswordLogin {
  logger: Logger;
  throttle: LoginThrottle;
  checks: CheckQueue;
  now: () => number;
  /** The users now (the file may be re-read meanwhile) and the dummy for unknown names. */
  users: () => { users: Map<string, PasswordEntry>; dummy: PasswordEntry };
}

function later<T>(ms: number, value: T): Promise<T> {
  return new Promise<T>((resolve) => setTimeout(resolve, ms, value).unref());
}

/** true, false (bad user name or password) or RC_SERVER_BUSY; `who` names the client in logs. */
export function passwordLogin(l: PasswordLogin, c: Connection, address: string, who: string, username: string, password: Uint8Array | null): Promise<boolean | number> {
  const { throttle, logger } = l;
  // Peer text in logs is quoted and cut (a user name can be 64 KB of anything).
  const wait = throttle.admit(address, username, l.now());
  if (wait < 0) {
    // Answered late: a flood of connections gets its refusals no faster than its turns.
    logger.log('warn', `auth refused: ${who}: user ${quote(username)}: too many failed logins from ${address} or for this user; answering "server busy" unchecked in ${throttle.options.maxDelayMs} ms`);
    return later(throttle.options.maxDelayMs, RC_SERVER_BUSY);
  }
  const check = (): Promise<boolean | number> => {
    // A client that gave up while waiting costs no hash.
    if (c.state === CLOSED) return Promise.resolve(false);
    const priority = (): number => throttle.failuresOf('address', address, l.now()) + throttle.failuresOf('user', username, l.now());
    const checked = l.checks.run(addressKey(address), priority, () => {
      const { users, dummy } = l.users();
      const entry = users.get(username);
      return verifyPassword(entry ?? dummy, password).then((ok) => ok && entry !== undefined ? 'ok' : entry === undefined ? 'unknown user' : 'wrong password for user');
    });
    return checked.then((result) => {
      if (result === null) {
        logger.log('warn', `auth refused: ${who}: user ${quote(username)}: ${l.checks.maxQueued} password checks waiting already; answering "server busy" unchecked`);
        return RC_SERVER_BUSY;
      }
      if (result === 'ok') return true;
      const nowMs = l.now();
      throttle.failed(address, username, nowMs);
      const next = throttle.delay(Math.max(throttle.failuresOf('address', address, nowMs), throttle.failuresOf('user', username, nowMs)));
      logger.log('warn', `auth failed: ${who}: ${result} ${quote(username)}` + (wait > 0 ? ` (waited ${Math.round(wait)} ms for its turn)` : '') +
        `; the next login from ${address} or as ${quote(username)} waits ${next} ms`);
      return false;
    });
  };
  return wait === 0 ? check() : later(wait, null).then(check);
}
