// What the embedding application's hooks see of one client: its MQTT identity and the
// port's facts about its socket, read through to the core's Connection (made once per
// connection, when a hook first asks).
import type { Connection } from '../../core/index.js';
import type { PortTransport } from './transport.js';

export class Client {
  /** The core's connection (its session, limits and state), for what this view leaves out. */
  readonly connection: Connection;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  /** The client id (assigned by the broker when the client sent an empty one). */
  get clientId(): string {
    return this.connection.clientId;
  }

  /** The user name it authenticated as (a certificate's CN with useIdentityAsUsername), or null. */
  get username(): string | null {
    return this.connection.username;
  }

  /** The protocol level of its CONNECT: 3 (MQTT 3.1), 4 (3.1.1) or 5 (5.0); 0 before CONNECT. */
  get protocolVersion(): number {
    return this.connection.version;
  }

  /** "address:port" of the peer. */
  get remoteAddress(): string {
    return (this.connection.transport as PortTransport).remoteAddress;
  }

  /** The name of the listener it came in on ("tcp 127.0.0.1:1883" unless the config names it). */
  get listener(): string {
    return (this.connection.transport as PortTransport).listener.name;
  }

  /** The subject CN of its verified TLS client certificate, or null. */
  get certificateCN(): string | null {
    return (this.connection.transport as PortTransport).certificateCN;
  }
}

/** The one Client of a connection. */
export function clientOf(c: Connection): Client {
  const t = c.transport as PortTransport;
  if (t.client === null) t.client = new Client(c);
  return t.client;
}
