// Latency monitoring: the time from reading a PUBLISH off a socket to handing each copy
// to a subscriber's socket. Routing is synchronous inside connection.receive(), so the
// server takes t0 before receive and every PUBLISH frame written during that call is one
// sample. Samples go into a fixed log-linear histogram (no allocation per sample) that
// counts from the start (/metrics); a LatencyWindow reads the samples since its last look
// (the status page's plot, the periodic report on $SYS).

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
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;          // microseconds, of every sample
  /** Start of the receive() being timed, from performance.now(); -1 when none. */
  t0 = -1;

  /** One sample, in microseconds. */
  record(us: number): void {
    let v = Math.round(us);
    if (v < 0) v = 0;
    if (v > 0x7fffffff) v = 0x7fffffff;
    this.counts[bucketOf(v)]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Records now - t0 when a receive() is being timed. */
  sample(): void {
    if (this.t0 >= 0) this.record((performance.now() - this.t0) * 1000);
  }

  /** The value at quantile q (0..1): an upper bound within the bucket's precision, capped at max. */
  quantile(q: number): number {
    return quantileOf(this.counts, null, this.count, q, this.max);
  }

  /** How many samples were at most `us` microseconds (a bucket straddling `us` counts as above it). */
  countAtMost(us: number): number {
    let n = 0;
    for (let i = 0; i < BUCKETS && upperOf(i) <= us; i++) n += this.counts[i];
    return n;
  }

  summary(): LatencySummary {
    return { count: this.count, p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }
}

/** The quantile of counts (less `minus`, when given) holding `count` samples. */
function quantileOf(counts: Uint32Array, minus: Uint32Array | null, count: number, q: number, max: number): number {
  if (count <= 0) return 0;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += minus === null ? counts[i] : counts[i] - minus[i];
    if (seen >= rank) return Math.min(upperOf(i), max);
  }
  return max;
}

/** The samples a histogram took since the window last looked. */
export class LatencyWindow {
  private seen = new Uint32Array(BUCKETS);
  private seenCount = 0;

  /** p50/p99/max of the samples since the last take() (max: the top bucket's bound), then a new window. */
  take(h: LatencyHistogram): LatencySummary {
    if (h.count < this.seenCount) {   // the histogram was reset: everything in it is new
      this.seen.fill(0);
      this.seenCount = 0;
    }
    const n = h.count - this.seenCount;
    let top = -1;
    for (let i = BUCKETS - 1; i >= 0 && top < 0 && n > 0; i--) if (h.counts[i] !== this.seen[i]) top = i;
    const max = top < 0 ? 0 : Math.min(upperOf(top), h.max);
    const out = { count: n, p50: quantileOf(h.counts, this.seen, n, 0.5, max), p99: quantileOf(h.counts, this.seen, n, 0.99, max), max };
    this.seen.set(h.counts);
    this.seenCount = h.count;
    return out;
  }
}

export const _internals = { bucketOf, upperOf };
