// MQTT over TCP (node:net): one Connection per socket. Only bytes and signals move here;
// every rule lives in the core.
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import type { ListenerConfig } from './config.js';
import type { PortContext } from './transport.js';
import { attachSocket } from './transport.js';

export function listenTcp(ctx: PortContext, listener: ListenerConfig): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => {
    ctx.guard.admit(socket);
    attachSocket(ctx, socket, listener, null);
  });
  return listen(server, listener);
}

/** Starts `server` on the listener's host and port; rejects with a message naming it. */
export function listen<S extends { listen(port: number, host: string, cb: () => void): unknown; once(e: string, f: (err: Error) => void): unknown; removeAllListeners(e: string): unknown }>(server: S, listener: ListenerConfig): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: Error) => reject(new Error(`listener ${listener.name}: ${err.message}`)));
    server.listen(listener.port, listener.host, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}
