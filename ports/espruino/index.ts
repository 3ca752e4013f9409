// The Espruino bundle (dist/espruino/ganglion.js): the core, plus listen() over
// require("net"). Modules.addCached("ganglion", src) or the Web IDE's modules folder,
// then require("ganglion").listen({ port: 1883 }, hooks).
export * from '../../core/index.js';
export { Listener, listen, nowMs } from './listener.js';
export type { ListenHooks, ListenOptions } from './listener.js';
export { SocketTransport } from './socket-transport.js';
export { boardLimits } from './defaults.js';
