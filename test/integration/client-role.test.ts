// The core's client role over real sockets (ports/node/client-socket.ts): against ganglion's
// Node port and against a real mosquitto, 3.1.1 and 5.0, QoS 0/1/2 both ways, TLS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CodecError, PublishPacket } from '../../core/index.js';
import { MqttClient } from '../../core/index.js';
import { ClientSocket, parseServerUrl } from '../../ports/node/client-socket.js';
import { makeCerts, startTestServer, tempDir, within } from './helpers.js';
import { Mosquitto, mosquittoOrSkip } from './mosquitto-broker.js';
import { readFileSync } from 'node:fs';
import type { TlsClientOptions } from '../../ports/node/client-socket.js';

interface Seen { messages: string[]; published: number[]; closes: Array<CodecError | null>; connected: number }

/** Connects, subscribes to t/#, publishes one message at each QoS and waits for all three back. */
async function roundTrip(url: string, version: number, tls: TlsClientOptions | null = null): Promise<Seen> {
  const seen: Seen = { messages: [], published: [], closes: [], connected: 0 };
  let wake = (): void => {};
  const changed = (): void => wake();
  const client = new MqttClient({ clientId: 'role-' + version, version, keepAlive: 5 }, {
    connected(c) { seen.connected++; c.subscribe([{ topicFilter: 't/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }], null, performance.now()); changed(); },
    subscribed(c) {
      for (const q of [0, 1, 2] as const) c.publish('t/' + q, 'qos ' + q, q, false, null, performance.now());
      changed();
    },
    message(_c, p: PublishPacket) { seen.messages.push(p.topic + ' ' + Buffer.from(p.payload).toString() + ' q' + p.qos); changed(); },
    published(_c, _t, rc) { seen.published.push(rc); changed(); },
    closed(_c, e) { seen.closes.push(e); changed(); },
  }, performance.now());
  const sock = new ClientSocket(client);
  sock.open(parseServerUrl(url, tls));
  try {
    await within(10000, `three messages back through ${url}`, new Promise<void>((resolve) => {
      wake = () => { if (seen.messages.length >= 3 && seen.published.length >= 3) resolve(); };
    }));
  } finally {
    sock.stop();
  }
  seen.messages.sort();
  return seen;
}

const EXPECTED = ['t/0 qos 0 q0', 't/1 qos 1 q1', 't/2 qos 2 q2'];

test('client role against ganglion (3.1.1 and 5.0): QoS 0/1/2 out and back, every message acknowledged', async () => {
  const s = await startTestServer({}, undefined, 'warn');
  try {
    for (const v of [4, 5]) {
      const seen = await roundTrip(`mqtt://127.0.0.1:${s.port()}`, v);
      assert.equal(seen.messages, EXPECTED, 'version ' + v);
      assert.equal(seen.published, [0, 0, 0]);
      assert.equal(seen.closes, [null]);   // our own disconnect() at the end
    }
  } finally {
    await s.close();
  }
});

test('client role against mosquitto (3.1.1 and 5.0): QoS 0/1/2 out and back', async () => {
  const bin = mosquittoOrSkip();
  if (bin === null) return;
  const m = await Mosquitto.start(bin);
  try {
    for (const v of [4, 5]) {
      const seen = await roundTrip(`mqtt://127.0.0.1:${m.port}`, v);
      assert.equal(seen.messages, EXPECTED, 'version ' + v);
      assert.equal(seen.published, [0, 0, 0]);
    }
  } finally {
    await m.stop();
  }
});

test('client role over TLS to ganglion, the server certificate checked against our CA', async () => {
  const tmp = tempDir('client-tls');
  const certs = makeCerts(tmp.dir);
  const s = await startTestServer({ listeners: [{ type: 'tls', port: 0, cert: certs.serverCert, key: certs.serverKey }] }, undefined, 'warn');
  try {
    const seen = await roundTrip(`mqtts://127.0.0.1:${s.port('tls')}`, 5, { ca: readFileSync(certs.ca) });
    assert.equal(seen.messages, EXPECTED);
  } finally {
    await s.close();
    tmp.remove();
  }
});

test.run();
