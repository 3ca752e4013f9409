// The states of a client connection, in order (connection.ts): a leaf module, so that what
// only reads a connection's state (fault.ts, pending.ts, routing, delivery) depends on nothing
// that handles packets.

export const AWAIT_CONNECT = 0, CONNECTING = 1, ACTIVE = 2, CLOSED = 3;
