// Issue 14 §3: one subscriber that stops reading must not stall a topic for anyone else.
// Real sockets on loopback: a raw socket subscribes "flood/#" at QoS 1 and never reads
// again; mosquitto_sub, the healthy subscriber, reads the same topic; a publisher (raw
// node:net, 3.1.1 and then 5.0) floods QoS 1 with 20 messages in flight (mosquitto_pub's
// window), as fast as the broker acknowledges them. Checked: the
// healthy subscriber gets at least 90% of the messages the broker acknowledged and never
// waits more than 2 s between two of them; the publisher never gets a failure code; the
// stalled subscriber's backlog really filled (it lost messages, counted).
//
// Duration: the scenario floods for 20 s. In `npm test` each run floods for
// FLOOD_SECONDS (default 5) so the two take about 12 s: the backlog of the stalled
// subscriber fills within about 2 s at these rates, and the old failure (a publisher
// held holdTimeoutMs, 30 s, per message, or a 5.0 publisher refused with 0x97) shows at once
// as a gap over 2 s or as refused PUBACKs. `FLOOD_SECONDS=20 npm test` (or this file alone)
// runs the full 20 s each.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { TestServer } from './helpers.js';
import { spawn } from 'node:child_process';
import { mosquittoCheck, startTestServer, within } from './helpers.js';

const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? '5');
const WINDOW = 20;
const MAX_FLOOD_SECONDS = Math.max(FLOOD_SECONDS, 30);
const have = mosquittoCheck();

let s: TestServer;

// Node's defaults but a backlog of 8,000 messages (the bytes bound, 4 MiB, is the default):
// mosquitto_sub is a separate process on a shared machine and at 4,000 to 10,000 messages a
// second it falls behind by more than the default 1,000 at moments, and then loses messages
// to its own backlog, not to the stalled one's. 8,000 is about 1 s of the flood (README,
// "Sizing it"); the stalled subscriber still fills its backlog within about 2 s.
test.before(async () => {
  s = await startTestServer({ limits: { maxQueued: 8000 } });
});

test.after(async () => {
  await s.close();
});

function socket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(s.port(), '127.0.0.1', () => resolve(sock));
    sock.setNoDelay(true);
    sock.on('error', reject);
  });
}

const gen = (p: object, version = 4): Buffer => mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: version });

/** Subscribes "flood/#" at QoS 1 over a raw socket, then never reads from it again. */
async function stalledSubscriber(id: string): Promise<Socket> {
  const sock = await socket();
  sock.write(Buffer.concat([
    gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: id, clean: true, keepalive: 0 }),
    gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 1 }] }),
  ]));
  sock.pause();
  await within(3000, id + ' subscribed', (async () => {
    while ((s.server.broker.sessions.get(id)?.subscriptionCount ?? 0) < 1) await new Promise((r) => setTimeout(r, 10));
  })());
  return sock;
}

interface Flood {
  acked: number;      // PUBACKs with a success code
  refused: number;    // PUBACKs with a failure code (5.0)
  seconds: number;    // how long it flooded
}

/**
 * Publishes QoS 1 "flood/x" payloads "1", "2", ... for `seconds`, WINDOW unacknowledged at
 * most, and on (up to MAX_FLOOD_SECONDS) until `overflowed()` says the stalled subscriber's
 * backlog has filled: on a slow or busy machine `seconds` of flood may all fit in that
 * backlog and the kernel's socket buffers, and the scenario would not have happened. Then
 * waits for the last PUBACKs (bounded).
 */
async function flood(version: 4 | 5, seconds: number, overflowed: () => boolean): Promise<Flood> {
  const sock = await socket();
  const parser = mqttPacket.parser({ protocolVersion: version });
  const out: Flood = { acked: 0, refused: 0, seconds: 0 };
  let sent = 0;
  let open = 0;
  let stop = false;
  let connected = false;
  const pump = (): void => {
    if (!connected) return;
    const batch: Buffer[] = [];
    while (!stop && open < WINDOW) {
      sent++;
      open++;
      batch.push(gen({ cmd: 'publish', topic: 'flood/x', payload: String(sent), qos: 1, messageId: ((sent - 1) % 65535) + 1, retain: false, dup: false }, version));
    }
    if (batch.length > 0) sock.write(Buffer.concat(batch));
  };
  parser.on('packet', (p: mqttPacket.Packet) => {
    if (p.cmd === 'connack') {
      connected = true;
      pump();
    } else if (p.cmd === 'puback') {
      open--;
      const rc = (p as mqttPacket.IPubackPacket).reasonCode ?? 0;
      if (rc >= 0x80) out.refused++;
      else out.acked++;
      pump();
    }
  });
  sock.on('data', (b: Buffer) => parser.parse(b));
  sock.write(gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: 'flood-' + version, clean: true, keepalive: 0 }, version));
  try {
    const began = Date.now();
    while (Date.now() - began < seconds * 1000 || (!overflowed() && Date.now() - began < MAX_FLOOD_SECONDS * 1000)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    out.seconds = (Date.now() - began) / 1000;
    await within(10000, `the last PUBACKs (${open} open)`, (async () => { while (open > 0) await new Promise((r) => setTimeout(r, 10)); })());
  } finally {
    sock.destroy();
  }
  return out;
}

/** mosquitto_sub on "flood/#" at QoS 1: the payloads it printed and when each line came. */
function healthySubscriber(id: string): { got: Set<string>; times: number[]; stop(): void } {
  const child = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(s.port()), '-V', 'mqttv311', '-q', '1', '-t', 'flood/#', '-i', id],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  const got = new Set<string>();
  const times: number[] = [];
  let partial = '';
  child.stdout.on('data', (b: Buffer) => {
    const now = Date.now();
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() as string;
    for (const l of lines) {
      got.add(l);
      times.push(now);
    }
  });
  return { got, times, stop: () => child.kill('SIGKILL') };
}

async function subscribed(id: string): Promise<void> {
  await within(3000, id + ' subscribed', (async () => {
    while ((s.server.broker.sessions.get(id)?.subscriptionCount ?? 0) < 1) await new Promise((r) => setTimeout(r, 10));
  })());
}

async function scenario(version: 4 | 5): Promise<void> {
  const stalled = await stalledSubscriber('stalled-' + version);
  const healthy = healthySubscriber('healthy-' + version);
  try {
    await subscribed('healthy-' + version);
    const started = Date.now();
    const result = await flood(version, FLOOD_SECONDS, () => (s.server.broker.sessions.get('stalled-' + version)?.dropped ?? 0) > 0);
    // What was acknowledged and is still on its way (at most a backlog) comes in first.
    for (let last = -1; healthy.times.length !== last;) {
      last = healthy.times.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    const times = healthy.times;
    let gap = times.length > 0 ? times[0] - started : Infinity;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
    const stalledSession = s.server.broker.sessions.get('stalled-' + version);
    const healthySession = s.server.broker.sessions.get('healthy-' + version);
    const got = healthy.got.size;
    const line = `MQTT ${version === 4 ? '3.1.1' : '5.0'} publisher, ${result.seconds.toFixed(1)} s: ${result.acked} acknowledged, ${result.refused} refused; ` +
      `healthy subscriber got ${got} (${(100 * got / Math.max(1, result.acked)).toFixed(1)}%), longest wait ${gap} ms; ` +
      `lost: stalled subscriber ${stalledSession?.dropped ?? '?'}, healthy ${healthySession?.dropped ?? '?'}`;
    console.log(line);
    assert.is(result.refused, 0, line);
    assert.ok(result.acked > 0, line);
    assert.ok(got >= 0.9 * result.acked, line);
    assert.ok(gap <= 2000, line);
    assert.ok((stalledSession?.dropped ?? 0) > 0, 'the stalled subscriber\'s backlog filled: ' + line);
  } finally {
    healthy.stop();
    stalled.destroy();
  }
}

if (have) {
  test('issue 14 §3: a subscriber that stops reading stalls no one: a 3.1.1 publisher flooding QoS 1, the other subscriber gets >= 90% with no wait over 2 s', async () => {
    await scenario(4);
  });

  test('issue 14 §3: the same with a 5.0 publisher (no PUBACK 0x97)', async () => {
    await scenario(5);
  });
}

test.run();
