// The debug trace of packets (ports/node/packet-trace.ts) and the log formats and file
// (ports/node/logger.ts): bytes split anywhere give the same lines, a huge PUBLISH is
// described from its head alone, payloads and passwords never appear.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECT, PUBLISH, SUBSCRIBE, encode } from '../../core/index.js';
import type { Connection } from '../../core/index.js';
import { PacketTrace } from '../../ports/node/packet-trace.js';
import { LogFile, formatLine } from '../../ports/node/logger.js';

const te = new TextEncoder();
const conn = (version: number, clientId: string): Connection => ({ version, clientId } as unknown as Connection);

function lines(bytes: Uint8Array, cuts: number[], version = 4, clientId = 'c1'): string[] {
  const out: string[] = [];
  const t = new PacketTrace('in', () => conn(version, clientId), (l) => out.push(l));
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    t.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

const stream = (): Uint8Array => {
  const parts = [
    encode({ type: CONNECT, protocolName: 'MQTT', protocolVersion: 4, cleanStart: true, keepAlive: 30, properties: null, clientId: 'c1', will: null,
      username: 'alice', password: te.encode('hunter2') }, 4),
    encode({ type: SUBSCRIBE, packetId: 7, properties: null, subscriptions: [{ topicFilter: 'a/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, 4),
    encode({ type: PUBLISH, dup: false, qos: 1, retain: true, topic: 'a/b', packetId: 9, properties: null, payload: te.encode('secret payload') }, 4),
  ];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return all;
};

test('one line per packet, the same however the bytes are split; no payload, no password', () => {
  const bytes = stream();
  const whole = lines(bytes, []);
  assert.equal(whole, [
    'in  "c1" CONNECT level 4 keep-alive 30 clean client id "c1" user name password (32 bytes)',
    'in  "c1" SUBSCRIBE id 7 "a/#" qos 1 (10 bytes)',
    'in  "c1" PUBLISH qos 1 retain id 9 topic "a/b" payload 14 bytes (23 bytes)',
  ]);
  for (let cut = 1; cut < bytes.length; cut++) assert.equal(lines(bytes, [cut]), whole, `cut at ${cut}`);
  assert.equal(lines(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)), whole, 'byte by byte');
  const text = whole.join('\n');
  assert.not.ok(text.includes('secret') || text.includes('hunter2'));
});

test('a 1 MB PUBLISH is described from its first bytes; the packet after it still is', () => {
  const big = encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 't', packetId: 0, properties: null, payload: new Uint8Array(1 << 20) }, 4);
  const next = encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'after', packetId: 0, properties: null, payload: te.encode('x') }, 4);
  const both = new Uint8Array(big.length + next.length);
  both.set(big, 0);
  both.set(next, big.length);
  assert.equal(lines(both, [100, 70000, big.length - 3]), [
    `in  "c1" PUBLISH qos 0 topic "t" payload ${1 << 20} bytes (${big.length} bytes)`,
    'in  "c1" PUBLISH qos 0 topic "after" payload 1 bytes (10 bytes)',
  ]);
});

test('5.0: properties are skipped, not shown; a topic is quoted so a hostile one cannot forge a line', () => {
  const p = encode({ type: PUBLISH, dup: false, qos: 0, retain: false, topic: 'x\ny', packetId: 0, properties: { contentType: 'text/secret', userProperties: [['k', 'v']] }, payload: te.encode('body') }, 5);
  const [line] = lines(p, [], 5);
  assert.match(line, /^in  "c1" PUBLISH qos 0 topic "x\\ny" payload 4 bytes \(\d+ bytes\)$/);
  assert.not.ok(line.includes('secret'));
});

test('log lines as text or JSON; a log file reopened by name after it was moved', () => {
  const at = new Date('2026-01-02T03:04:05.006Z');
  assert.is(formatLine('text', at, 'warn', 'a "line"'), '2026-01-02T03:04:05.006Z warn a "line"');
  assert.equal(JSON.parse(formatLine('json', at, 'info', 'a\nline')), { time: '2026-01-02T03:04:05.006Z', level: 'info', msg: 'a\nline' });
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-logfile-'));
  try {
    const f = new LogFile(join(dir, 'g.log'));
    f.write('one');
    renameSync(join(dir, 'g.log'), join(dir, 'g.log.1'));
    f.write('two');          // still the moved file, as logrotate expects until SIGHUP
    f.reopen();
    f.write('three');
    f.close();
    f.write('four');         // after close: dropped
    assert.is(readFileSync(join(dir, 'g.log.1'), 'utf8'), 'one\ntwo\n');
    assert.is(readFileSync(join(dir, 'g.log'), 'utf8'), 'three\n');
    assert.throws(() => new LogFile(join(dir, 'no/such/dir.log')), /cannot open the log file .*no\/such\/dir\.log/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
