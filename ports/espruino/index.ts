// The Espruino bundle (dist/espruino/ganglion.js): listen() over require("net"), and of the
// core only what a program on the board uses (createBroker for a custom port, the codec's
// encode and Decoder for tools and tests). Every export costs bytes of code in the board's
// RAM, so the rest of the core stays internal here; the other builds export all of it.
// Modules.addCached("ganglion", src) or the Web IDE's modules folder, then
// require("ganglion").listen({ port: 1883 }, hooks).
export { createBroker, Decoder, encode, MQTT_3_1, MQTT_3_1_1, MQTT_5 } from '../../core/index.js';
export type { Broker, BrokerOptions, Connection, Hooks, Message, Transport } from '../../core/index.js';
export { Listener, listen, nowMs } from './listener.js';
export type { ListenHooks, ListenOptions } from './listener.js';
export { SocketTransport } from './socket-transport.js';
export { boardLimits } from './defaults.js';
