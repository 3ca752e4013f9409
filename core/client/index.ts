// The client role of the core: the other side of the wire (a bridge's upstream, the probe).
export { CONNECTED, CONNECTING, DISCONNECTED, MqttClient, createClient } from './mqtt-client.js';
export type { ClientEvents, ClientStats } from './mqtt-client.js';
export type { ClientOptions, ClientWill } from './options.js';
export type { ClientEntryPoints } from './entry-points.js';
export type { OutMessage } from './outgoing.js';
// The states of an outgoing message, named for the client role (the broker's own differ).
export { AWAIT_PUBACK as OUT_AWAIT_PUBACK, AWAIT_PUBCOMP as OUT_AWAIT_PUBCOMP, AWAIT_PUBREC as OUT_AWAIT_PUBREC } from './outgoing.js';
