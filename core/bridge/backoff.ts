// The wait before a bridge tries its upstreams again after every one failed: exponential
// from backoffMinMs, doubling with each round that failed, at most backoffMaxMs, and
// jittered between half and the whole of it, so the bridges of many sites that lost the
// same cluster do not all reconnect in the same millisecond. The random source is passed
// in (the core reads no clock and owns no generator); a deadline is nowMs + this.

/** Doublings counted at most: past them backoffMaxMs holds anyway (2^20 x 1 ms is 17 min). */
const MAX_DOUBLINGS = 20;

/**
 * The wait after `failures` rounds failed in a row (1 for the first), in whole milliseconds.
 * `random()` gives a number in [0, 1), as Math.random does.
 */
export function backoffMs(failures: number, minMs: number, maxMs: number, random: () => number): number {
  let base = minMs;
  const n = failures < MAX_DOUBLINGS ? failures : MAX_DOUBLINGS;
  for (let i = 0; i < n && base < maxMs; i++) base = base * 2;
  if (base > maxMs) base = maxMs;
  let r = random();
  if (!(r >= 0 && r < 1)) r = 0.5;   // a broken source still gives a wait within bounds
  return Math.round(base / 2 + r * base / 2);
}
