// The status page (ports/node/status-page.html) in a real headless Chromium: it loads, its
// plots and client list update while MQTT.js clients publish, and it asks nothing of any
// server but this one. SCREENSHOT=FILE keeps a screenshot there (outside the repository).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Browser as BrowserType, Page } from '../helpers/cdp.js';
import { Browser, chromiumPath } from '../helpers/cdp.js';
import type { TestServer } from './helpers.js';
import { startTestServer, within } from './helpers.js';

const binary = chromiumPath();
if (binary === null) {
  const msg = 'chromium NOT FOUND: the status page test cannot run (apt-get install chromium)';
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}\n`);
}

let s: TestServer;
let browser: BrowserType | null = null;
const clients: MqttClient[] = [];

test.before(async () => {
  s = await startTestServer({ listeners: [{ type: 'tcp', port: 0 }, { type: 'http', port: 0 }] }, undefined, 'warn');
  if (binary !== null) browser = await within(20000, 'chromium to start', Browser.launch(binary));
});

test.after(async () => {
  for (const c of clients) c.end(true);
  if (browser !== null) await browser.close();
  await s.close();
});

/** Pixels of a canvas that are not transparent: the plot has drawn something. */
const inked = (id: string): string => `(() => { const c = document.getElementById('${id}'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`;

test('the status page loads, then its plots and client list follow the traffic; no other server is asked', async () => {
  if (browser === null) return;
  const origin = `http://127.0.0.1:${s.port('http')}`;
  const page: Page = await browser.newPage(1280, 900);
  await page.goto(origin + '/');
  await page.waitFor("document.body && document.body.dataset.updates >= '1'", 10000);
  assert.is(await page.evaluate<string>("document.getElementById('state').textContent"), 'serving');
  assert.is(await page.evaluate<number>("document.querySelectorAll('#clients tr').length"), 0);
  const blank = await page.evaluate<number>(inked('rates'));

  const port = s.port();
  const sub = await within(5000, 'sub', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'page-watcher', reconnectPeriod: 0, protocolVersion: 5 }));
  const pub = await within(5000, 'pub', mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'page-publisher', reconnectPeriod: 0 }));
  clients.push(sub, pub);
  await sub.subscribeAsync('page/#', { qos: 1 });
  // Traffic until the page shows it: 50 messages every 100 ms, for at most 15 s.
  let sending = true;
  const traffic = (async () => {
    for (let i = 0; sending && i < 150; i++) {
      for (let k = 0; k < 50; k++) pub.publish('page/t', 'x'.repeat(32), { qos: 0 });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await page.waitFor("document.querySelector('#clients tr[data-client-id=\"page-watcher\"]')", 10000);
    // Two steps of traffic on the plot: a line, not only a point.
    await page.waitFor("Number(document.getElementById('rates').dataset.max) > 0 && Number(document.getElementById('rates').dataset.points) >= 3", 15000);
    await page.waitFor("Number(document.getElementById('latency').dataset.max) > 0", 15000);
  } finally {
    sending = false;
    await traffic;
  }
  const row = await page.evaluate<string[]>("Array.from(document.querySelector('#clients tr[data-client-id=\"page-watcher\"]').cells).map((c) => c.textContent)");
  assert.equal(row.slice(0, 2), ['page-watcher', '5.0']);
  assert.match(row[2], /^127\.0\.0\.1:\d+$/);
  assert.is(row[5], '1');   // subscriptions
  assert.ok((await page.evaluate<number>(inked('rates'))) > blank, 'the rates plot drew its lines');
  assert.ok(Number(await page.evaluate<string>("document.getElementById('rates').dataset.points")) >= 1);

  const shot = await page.screenshot();
  assert.equal([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47]);   // "PNG"
  if (process.env.SCREENSHOT) writeFileSync(process.env.SCREENSHOT, shot);
  // One self-contained file: the page and its /status.json polls, nothing else.
  assert.ok(page.requests.length >= 2, page.requests.join(' '));
  for (const url of page.requests) assert.ok(url.startsWith(origin + '/'), url);
  assert.equal(page.console, []);
});

test.run();
