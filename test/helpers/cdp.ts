// A small driver for a real headless Chromium: the Chrome DevTools Protocol over the pipe
// Chromium opens with --remote-debugging-pipe (file descriptors 3 and 4, messages ended by
// a NUL byte), so no WebSocket client and no dependency. Debian's `chromium` package.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Chromium binary: $CHROMIUM, else `chromium` on the PATH; null when there is none. */
export function chromiumPath(): string | null {
  const candidates = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['chromium', 'chromium-browser'];
  for (const c of candidates) if (!spawnSync(c, ['--version'], { encoding: 'utf8' }).error) return c;
  return null;
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
  method: string;
}

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners: Array<(method: string, params: Record<string, unknown>, sessionId: string | undefined) => void> = [];
  private input: Writable;
  private profile: string;
  private exited = false;

  private constructor(private child: ChildProcess, profile: string) {
    this.profile = profile;
    this.input = child.stdio[3] as Writable;
    const output = child.stdio[4] as Readable;
    let buf = '';
    output.setEncoding('utf8');
    output.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const msg = JSON.parse(buf.slice(0, i)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
        buf = buf.slice(i + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (p && msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
          else if (p) p.resolve(msg.result ?? {});
        } else if (msg.method) {
          for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
        }
      }
    });
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited before answering ${p.method}`));
      this.pending.clear();
    });
  }

  static async launch(binary: string): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'ganglion-chromium-'));
    const child = spawn(binary, [
      '--headless', '--remote-debugging-pipe', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
      `--user-data-dir=${profile}`, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });   // its own process group: close() ends its helpers too
    child.stderr?.resume();
    const b = new Browser(child, profile);
    await b.send('Browser.getVersion');
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`chromium has exited (${method})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.input.write(JSON.stringify(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId }) + '\0');
    });
  }

  on(f: (method: string, params: Record<string, unknown>, sessionId: string | undefined) => void): void {
    this.listeners.push(f);
  }

  /** A new tab of `width` x `height` CSS pixels, not yet navigated. */
  async newPage(width: number, height: number): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    const page = new Page(this, sessionId);
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  /**
   * Ends Chromium and removes its profile. Browser.close first, so Chromium stops its helper
   * processes and finishes writing the profile itself; the whole process group is killed if
   * it has not exited within 5 s. A profile that still cannot be removed (a helper process
   * writing into it as it goes, ENOTEMPTY) is left in the temporary folder: that is cleanup,
   * never the page's behaviour, so it does not fail a test.
   */
  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.send('Browser.close').catch(() => { /* it exits before answering */ });
      const timer = setTimeout(() => { try { process.kill(-(this.child.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await gone;
      clearTimeout(timer);
    }
    try { process.kill(-(this.child.pid as number), 'SIGKILL'); } catch { /* the group has ended */ }
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (e) {
      console.error(`chromium profile ${this.profile} left behind: ${(e as Error).message}`);
    }
  }
}

export class Page {
  /** Every URL the page requested (Network domain), and what it printed to its console. */
  readonly requests: string[] = [];
  readonly console: string[] = [];

  constructor(private browser: Browser, readonly sessionId: string) {
    browser.on((method, params, sid) => {
      if (sid !== sessionId) return;
      if (method === 'Network.requestWillBeSent') this.requests.push((params.request as { url: string }).url);
      if (method === 'Runtime.consoleAPICalled') this.console.push((params.args as Array<{ value?: unknown }>).map((a) => String(a.value)).join(' '));
      if (method === 'Runtime.exceptionThrown') this.console.push('exception: ' + JSON.stringify(params.exceptionDetails));
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    await this.send('Network.enable');
    const r = await this.send('Page.navigate', { url }) as { errorText?: string };
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
  }

  /** The value of a JavaScript expression in the page (Promises awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }) as { result: { value?: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value as T;
  }

  /** Polls `expression` until it is truthy, or rejects after `ms` naming it. */
  async waitFor(expression: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      if (await this.evaluate<boolean>(`Boolean(${expression})`)) return;
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${expression}; console: ${this.console.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' }) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
