// Records for the store tests (test/store/, test/xs/store-cases.ts): opaque bytes a test can
// tell apart, `size` bytes long, the id in the first two. ECMAScript built-ins only (XS).
export function rec(id: number, size: number): Uint8Array {
  const r = new Uint8Array(size);
  for (let i = 0; i < size; i++) r[i] = (id * 31 + i * 7) & 255;
  r[0] = id & 255;
  if (size > 1) r[1] = (id >> 8) & 255;
  return r;
}
