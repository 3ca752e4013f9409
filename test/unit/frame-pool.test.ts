// The frame pool (core/codec/frame-pool.ts): buffers given back are handed out again for a
// frame of the same size, never twice, and a few at most are kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FramePool } from '../../core/index.js';
import type { FrameAllocator } from '../../core/index.js';

test('a released buffer comes back for the next frame of its size, not for another size', () => {
  const pool = new FramePool(null, 512);
  const a = pool.alloc(20);
  pool.release(a);
  assert.is.not(pool.alloc(21), a);
  assert.is(pool.alloc(20), a);
  assert.is.not(pool.alloc(20), a, 'taken: a second alloc of that size gets a new buffer');
});

test('released twice, a buffer is still handed out once', () => {
  const pool = new FramePool(null, 512);
  const a = pool.alloc(8);
  pool.release(a);
  pool.release(a);
  assert.is(pool.alloc(8), a);
  assert.is.not(pool.alloc(8), a);
});

test('frames over maxBytes are not kept, nor empty ones', () => {
  const pool = new FramePool(null, 64);
  const big = pool.alloc(65);
  pool.release(big);
  assert.is.not(pool.alloc(65), big);
  const small = pool.alloc(64);
  pool.release(small);
  assert.is(pool.alloc(64), small);
});

test('at most 4 frames are kept: a fifth release replaces one of them', () => {
  const pool = new FramePool(null, 512);
  const frames = [10, 11, 12, 13, 14].map((n) => pool.alloc(n));
  for (const f of frames) pool.release(f);
  const back = [10, 11, 12, 13, 14].filter((n, i) => pool.alloc(n) === frames[i]);
  assert.is(back.length, 4, 'kept sizes: ' + back.join(', '));
  assert.ok(back.indexOf(14) >= 0, 'the newest is kept');
});

test('without a free buffer of the size, the fallback allocator supplies it', () => {
  const sizes: number[] = [];
  const fallback: FrameAllocator = { alloc(n: number) { sizes.push(n); return new Uint8Array(n); } };
  const pool = new FramePool(fallback, 512);
  const a = pool.alloc(30);
  pool.release(a);
  pool.alloc(30);
  pool.alloc(31);
  assert.equal(sizes, [30, 31]);
});

test.run();
