// Compile-time switches, replaced by esbuild's `define` in every build (build.mjs DEFINE),
// in the test loader (test/ts-hooks.mjs) and in the XS test bundles (test/xs/run.mjs).
// With __MQTT5__ false every MQTT 5 branch folds away and its code is left out of the
// bundle (a smaller device build); a CONNECT for protocol level 5 is then refused.
declare const __MQTT5__: boolean;
// With __SYS__ false the $SYS topics (core/broker/sys-topics.ts) are left out (the Espruino
// bundles, where sysIntervalMs is 0 anyway), and a sysIntervalMs above 0 is refused.
declare const __SYS__: boolean;
