// `Object.freeze` for the Espruino bundles (build.mjs defines Object.freeze as __freeze):
// only a guard against our own mistakes, and Espruino has none. Its own file so that a bundle
// that needs no Map (the store, ganglion-store.js) gets this without shim.ts's StringMap.
export function __freeze<T>(x: T): T {
  return x;
}
