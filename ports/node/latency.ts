// Latency monitoring: the time from reading a PUBLISH off a socket to handing each copy
// to a subscriber's socket. Routing is synchronous inside connection.receive(), so the
// server takes t0 before receive and every PUBLISH frame written during that call is one
// sample. Samples go into a fixed log-linear histogram (no allocation per sample).

const SUB_BITS = 4;                      // 16 sub-buckets per power of two: under 6.25% error
const SUB = 1 << SUB_BITS;
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

/** Bucket index of a value in microseconds (integers; exact below 2 * SUB). */
function bucketOf(us: number): number {
  if (us < SUB * 2) return us;
  const exp = 31 - Math.clz32(us);                 // us >= 32: exp >= 5
  const shift = exp - SUB_BITS;
  return (shift + 1) * SUB + ((us >>> shift) - SUB);
}

/** The largest value a bucket holds. */
function upperOf(bucket: number): number {
  if (bucket < SUB * 2) return bucket;
  const shift = Math.floor(bucket / SUB) - 1;
  const mantissa = (bucket % SUB) + SUB;
  return (mantissa + 1) * Math.pow(2, shift) - 1;
}

export interface LatencySummary {
  count: number;
  p50: number;      // microseconds
  p99: number;
  max: number;
}

export class LatencyHistogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  /** Start of the receive() being timed, from performance.now(); -1 when none. */
  t0 = -1;

  /** One sample, in microseconds. */
  record(us: number): void {
    let v = Math.round(us);
    if (v < 0) v = 0;
    if (v > 0x7fffffff) v = 0x7fffffff;
    this.counts[bucketOf(v)]++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Records now - t0 when a receive() is being timed. */
  sample(): void {
    if (this.t0 >= 0) this.record((performance.now() - this.t0) * 1000);
  }

  /** The value at quantile q (0..1): an upper bound within the bucket's precision, capped at max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(upperOf(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return { count: this.count, p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

export const _internals = { bucketOf, upperOf };
