// The Espruino bridge bundle (dist/espruino/ganglion-bridge.js): require("ganglion-bridge"),
// loaded beside the broker bundle only by a program that bridges to a bigger broker (README,
// "When one broker is not enough"). It carries its own copy of the codec, the core's client
// role (core/client) and bridge (core/bridge), which the broker bundles leave out, and the
// outgoing sockets over require("net") (client-socket.ts).
//
//   var site = require("ganglion").listen({ port: 1883 }, {});
//   var up = require("ganglion-bridge").bridge(site, { addresses: [...], topics: [...] });
export { bridge, EspruinoBridge } from './bridge-port.js';
export type { BridgeStartOptions, Site } from './bridge-port.js';
export { MqttClient, createClient } from '../../core/client/index.js';
export type { ClientEvents, ClientOptions, ClientStats } from '../../core/client/index.js';
export { ClientSocket, UpstreamTransport } from './client-socket.js';
export type { ClientSocketOwner } from './client-socket.js';
export type { ClientEntryPoints } from '../../core/client/index.js';
