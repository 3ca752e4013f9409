// The client role of the core: the other side of the wire (a bridge's upstream, the probe).
export { CONNECTED, CONNECTING, DISCONNECTED, MqttClient, createClient } from './mqtt-client.js';
export type { ClientEvents, ClientStats } from './mqtt-client.js';
export type { ClientOptions, ClientWill } from './options.js';
export type { ClientEntryPoints } from './entry-points.js';
