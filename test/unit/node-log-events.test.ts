// The Node port's log hook reads the event the core gives with each line (core/broker/
// log-events.ts), never the text: the level and what it adds (peer, user, a refusal's code in
// words) follow the event, and a peer's own strings in its lines are quoted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../core/index.js';
import { LOG_CLOSED, LOG_CONNECTED, LOG_DETAIL, LOG_FAULT, LOG_LIMIT, LOG_REFUSED } from '../../core/index.js';
import { buildConfig } from '../../ports/node/config.js';
import { createLogger } from '../../ports/node/logger.js';
import { makeHooks } from '../../ports/node/server.js';

function setup(): { lines: string[]; hooks: ReturnType<typeof makeHooks>; conn(clientId: string, username: string | null, version: number): Connection } {
  const config = buildConfig({ logLevel: 'debug' }, {}, '/');
  const lines: string[] = [];
  const logger = createLogger('debug', null, (level, line) => { lines.push(level + ' ' + line); });
  const hooks = makeHooks(config, logger, () => ({ users: null, acl: null }), {});
  const listener = { ...config.listeners[0], allowAnonymous: false };
  return {
    lines, hooks,
    conn(clientId, username, version) {
      return { clientId, username, version, transport: { remoteAddress: '127.0.0.1:5000', listener, certificateCN: null } } as unknown as Connection;
    },
  };
}

test('the level comes from the event, whatever the text says', () => {
  const s = setup();
  const log = s.hooks.log as (c: Connection | null, line: string, event: number, code: number) => void;
  log(null, 'internal error', LOG_DETAIL, -1);        // text that once meant "error"
  log(null, 'all fine', LOG_FAULT, -1);
  log(null, 'closing: nothing', LOG_LIMIT, -1);
  assert.equal(s.lines, ['debug internal error', 'error all fine', 'warn closing: nothing']);
});

test('who and where are added by event: a connect with its user, a refusal with its code in words, a close with the peer', () => {
  const s = setup();
  const log = s.hooks.log as (c: Connection | null, line: string, event: number, code: number) => void;
  log(s.conn('a', 'alice', 4), 'a: connected (MQTT 3.1.1)', LOG_CONNECTED, -1);
  log(s.conn('b', 'bob', 5), 'refused: CONNACK 0x86', LOG_REFUSED, 0x86);
  log(s.conn('c', null, 4), 'refused: CONNACK 0x5', LOG_REFUSED, 5);
  log(s.conn('d', null, 4), 'd: disconnected', LOG_CLOSED, -1);
  assert.equal(s.lines, [
    'info a: connected (MQTT 3.1.1) from 127.0.0.1:5000 on tcp 127.0.0.1:1883 as "alice"',
    'warn refused: CONNACK 0x86 (Bad User Name or Password) from 127.0.0.1:5000 on tcp 127.0.0.1:1883 user "bob"',
    'warn refused: CONNACK 0x5 (not authorized) from 127.0.0.1:5000 on tcp 127.0.0.1:1883',
    'info d: disconnected from 127.0.0.1:5000 on tcp 127.0.0.1:1883',
  ]);
});

test('a client id that is not plain text is quoted in the port\'s own lines: no forged log line', () => {
  const s = setup();
  s.hooks.authenticate?.(s.conn('x\nwarn forged', null, 4), null, null);
  assert.is(s.lines.length, 1);
  assert.is(s.lines[0], 'warn auth failed: "x\\nwarn forged" from 127.0.0.1:5000 on tcp 127.0.0.1:1883: anonymous clients are not allowed on this listener');
});

test.run();
