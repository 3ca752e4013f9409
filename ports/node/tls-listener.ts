// MQTT over TLS (node:tls): certificate and key files, optionally client certificates
// checked against a CA, whose subject CN can stand for the user name.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import type { Server, TLSSocket, TlsOptions } from 'node:tls';
import type { ListenerConfig } from './config.js';
import type { PortContext } from './transport.js';
import { attachSocket } from './transport.js';
import { listen } from './tcp-listener.js';
import { socketFault } from './socket-guard.js';

/** node:tls options for a tls or wss listener, reading its PEM files. */
export function tlsOptions(listener: ListenerConfig, handshakeTimeoutMs: number): TlsOptions {
  const read = (file: string | null, what: string): Buffer | undefined => {
    if (file === null) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`listener ${listener.name}: cannot read ${what} file ${file}: ${(e as Error).message}`);
    }
  };
  return {
    cert: read(listener.cert, 'cert'),
    key: read(listener.key, 'key'),
    ca: read(listener.ca, 'ca'),
    // Ask for a certificate whenever a CA is given; refuse the handshake without one only
    // when it is required.
    requestCert: listener.ca !== null,
    rejectUnauthorized: listener.requireCertificate,
    handshakeTimeout: handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  };
}

/** The subject CN of a verified client certificate, or null. */
export function certificateCN(socket: TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  const cn = cert && cert.subject ? cert.subject.CN : undefined;
  return typeof cn === 'string' && cn !== '' ? cn : null;
}

export function listenTls(ctx: PortContext, listener: ListenerConfig): Promise<Server> {
  const server = createServer(tlsOptions(listener, ctx.broker.limits.connectTimeoutMs), (socket) => {
    let cn: string | null = null;
    try {
      cn = certificateCN(socket);
    } catch (e) {
      socketFault(ctx.broker, socket, null, 'certificate', e);   // that socket only
      return;
    }
    attachSocket(ctx, socket, listener, cn);
  });
  server.on('tlsClientError', (err, socket) => {
    ctx.logger.log('warn', `TLS handshake failed from ${socket.remoteAddress ?? '?'} on ${listener.name}: ${err.message}`);
    socket.destroy();
  });
  return listen(server, listener);
}
