// Password checks, a few at a time and fairly shared between remote addresses. A hash takes
// tens of milliseconds of a thread-pool thread; 64 guesses that arrive together from one
// address would otherwise occupy every thread for seconds and a real login from anywhere
// else would queue behind them. Here at most `concurrency` checks run at once, and the next
// one comes from the waiting address with the fewest failures behind it, ties going to the
// one served least recently: a login from a clean address waits at most for the checks
// already running. Failures are counted when the next check is chosen, not when a check
// joins the queue: a burst that arrived together is sorted out as soon as its first guesses
// fail. At most `maxQueued` wait; past that `run` answers null at once.

interface Job {
  priority: () => number;     // failures behind this address and user name, now (lower goes first)
  start: () => void;
}

interface Waiting {
  key: string;
  servedSeq: number;          // when this key last had a check started
  running: number;            // its checks running now (the entry stays while any run or wait)
  jobs: Job[];
}

export class CheckQueue {
  readonly concurrency: number;
  readonly maxQueued: number;
  private running = 0;
  private queued = 0;
  private seq = 0;
  private readonly waiting = new Map<string, Waiting>();

  constructor(concurrency: number, maxQueued: number) {
    this.concurrency = Math.max(1, concurrency);
    this.maxQueued = maxQueued;
  }

  /** Runs `check` in its turn: its result, or null if too many are waiting already. */
  run<T>(key: string, priority: () => number, check: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.concurrency && this.queued >= this.maxQueued) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      let w = this.waiting.get(key);
      if (w === undefined) {
        w = { key, servedSeq: -1, running: 0, jobs: [] };
        this.waiting.set(key, w);
      }
      const entry = w;
      const start = (): void => {
        this.running++;
        entry.running++;
        check().then(resolve, reject).finally(() => {
          this.running--;
          entry.running--;
          if (entry.running === 0 && entry.jobs.length === 0) this.waiting.delete(entry.key);
          this.next();
        });
      };
      w.jobs.push({ priority, start });
      this.queued++;
      this.next();
    });
  }

  /** Checks running and waiting (for tests and logs). */
  get size(): { running: number; queued: number } {
    return { running: this.running, queued: this.queued };
  }

  private next(): void {
    while (this.running < this.concurrency && this.queued > 0) {
      let best: Waiting | null = null;
      let bestPriority = 0;
      this.waiting.forEach((w) => {
        if (w.jobs.length === 0) return;
        const p = w.jobs[0].priority();
        if (best === null || p < bestPriority || (p === bestPriority && w.servedSeq < best.servedSeq)) {
          best = w;
          bestPriority = p;
        }
      });
      const w = best as unknown as Waiting;
      const job = w.jobs.shift() as Job;
      this.queued--;
      w.servedSeq = this.seq++;
      job.start();
    }
  }
}
