// The Node port's one timer for the core's deadlines (keep-alive, connect timeout, will
// delay, session expiry, held publishers, $SYS): armed for broker.nextDeadline() and
// re-armed after every call into the core, so nothing fires early and an idle broker does
// not wake each second. The clock is performance.now(): monotonic (a wall-clock change
// moves no deadline) and fractional, so a deadline is never met early by a rounding.
import { performance } from 'node:perf_hooks';
import type { Broker } from '../../core/index.js';
import { portFault } from './socket-guard.js';

/** The port's clock, in the core's milliseconds. */
export function portNow(): number {
  return performance.now();
}

export class DeadlineTimer {
  private armedAt = -1;          // the deadline the timer is set for; -1: none
  private handle: NodeJS.Timeout | null = null;
  private started = false;       // listening: before that, nothing keeps the process alive
  private stopped = false;
  private readonly fire = (): void => {
    this.handle = null;
    this.armedAt = -1;
    // Node may wake up to a millisecond before the time asked for (its loop clock is
    // truncated): the core then does nothing yet and the timer is armed again for the rest.
    try {
      this.broker.timeout(portNow());
    } catch (e) {
      portFault(this.broker, 'timer', e);   // the core guards timeout(); this is the last line
    }
    this.after();
  };

  constructor(private readonly broker: Broker) {
    // A hook's late answer is handled now, at this clock's time, and the timer re-armed.
    broker.wake = (): void => {
      broker.timeout(portNow());
      this.after();
    };
  }

  /** After a call into the core: arm the timer for the next deadline if it changed. */
  after(): void {
    const at = this.broker.nextDeadline();
    if (at === this.armedAt || !this.started || this.stopped) return;
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.armedAt = at;
    if (at < 0) return;
    const ms = Math.ceil(at - portNow());
    this.handle = setTimeout(this.fire, ms < 1 ? 1 : ms > 0x7fffffff ? 0x7fffffff : ms);
  }

  /** The server listens: from now on the timer follows the deadlines. */
  start(): void {
    this.started = true;
    this.after();
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
  }
}
