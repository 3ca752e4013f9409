// Compile-time switches, replaced by esbuild's `define` in every build (build.mjs DEFINE),
// in the test loader (test/ts-hooks.mjs) and in the XS test bundles (test/xs/run.mjs).
// With __MQTT5__ false every MQTT 5 branch folds away and its code is left out of the
// bundle (a smaller device build); a CONNECT for protocol level 5 is then refused.
declare const __MQTT5__: boolean;
// With __SYS__ false the $SYS topics (core/broker/sys-topics.ts) are left out (the Espruino
// bundles, where sysIntervalMs is 0 anyway), and a sysIntervalMs above 0 is refused.
declare const __SYS__: boolean;
// With __STORE__ false the state records, the journal, start-up from records and snapshots
// (core/broker/state/ but owner.ts) are left out (the small Espruino bundles: a board that keeps
// nothing in flash carries none of it), and a durable store is refused by createBroker.
declare const __STORE__: boolean;
// With __COMPACT__ true a few hot spots take a smaller, slower shape (the Espruino builds,
// where code is RAM: the MQTT 5 properties by their table, core/codec/properties.ts).
declare const __COMPACT__: boolean;
// With __AUTH__ false there is no 5.0 enhanced authentication (core/broker/handlers/auth.ts):
// a CONNECT naming a method gets CONNACK 0x8C, an AUTH is a Protocol Error, and the
// authenticateEnhanced hook is refused by createBroker (the small Espruino bundles).
declare const __AUTH__: boolean;
// With __CLIENT__ false the codec has only the server's side: no encoder for CONNECT,
// SUBSCRIBE, UNSUBSCRIBE and no decoder for CONNACK, SUBACK, UNSUBACK, which a client never
// sends to a server (a Protocol Error either way); the small Espruino bundles.
declare const __CLIENT__: boolean;
