// A real mosquitto broker (Debian's package) for the client-role and bridge tests, on an
// ephemeral loopback port, started and stopped by the test; restart() brings it back on the
// same port (the upstream that went away).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, freePort, mosquittoPath } from '../bench/brokers/broker-process.js';
import { tempDir } from './helpers.js';

/** mosquitto's path, or null (loudly; with CI=true, missing mosquitto fails the run). */
export function mosquittoOrSkip(): string | null {
  const p = mosquittoPath();
  if (p !== null) return p;
  const msg = 'mosquitto NOT FOUND: the client-role and bridge tests against it cannot run (apt-get install mosquitto)';
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}\n`);
  return null;
}

export class Mosquitto {
  private child: ChildProcess | null = null;
  private readonly tmp = tempDir('mosquitto-upstream');
  log = '';

  private constructor(readonly bin: string, readonly port: number, private readonly extra: string[]) {}

  static async start(bin: string, extra: string[] = []): Promise<Mosquitto> {
    const m = new Mosquitto(bin, await freePort(), extra);
    await m.restart();
    return m;
  }

  /** (Re)starts it on its port and waits until it accepts connections. */
  async restart(): Promise<void> {
    chmodSync(this.tmp.dir, 0o755);   // mosquitto started as root reads its config as user mosquitto
    const conf = join(this.tmp.dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
      'max_queued_messages 100000', 'log_dest stderr', 'log_type error', 'log_type warning', ...this.extra, ''].join('\n'));
    const child = spawn(this.bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => { this.log = (this.log + d.toString()).slice(-4000); });
    const end = Date.now() + 10000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited at start: ${this.log}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > end) throw new Error(`mosquitto did not listen on ${this.port}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends it (SIGKILL: at once, as a crash would; SIGTERM: it writes its persistence first), and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGCONT');   // a paused one takes no other signal until it runs again
    c.kill(signal);
    await exited;
  }

  /** Stops it without ending it (SIGSTOP): its connections stay open and unanswered, as a hung server's. */
  pause(): void {
    if (this.child !== null) this.child.kill('SIGSTOP');
  }

  /** Lets it run again (SIGCONT). */
  resume(): void {
    if (this.child !== null) this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await this.kill();
    this.tmp.remove();
  }
}
