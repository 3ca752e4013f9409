// MQTT over TLS (node:tls): certificate and key files, optionally client certificates
// checked against a CA, whose subject CN can stand for the user name.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import type { Server, TLSSocket, TlsOptions } from 'node:tls';
import type { Socket } from 'node:net';
import type { ListenerConfig } from './config.js';
import type { PortContext } from './transport.js';
import { attachSocket, remoteOf } from './transport.js';
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

// Why a handshake failed, in words, by Node's error code (OpenSSL's own text follows in brackets).
const TLS_FAILURES: Record<string, string> = {
  ERR_SSL_WRONG_VERSION_NUMBER: 'not TLS: a plain MQTT client on a TLS port?',
  ERR_SSL_HTTP_REQUEST: 'not TLS: a plain HTTP request on a TLS port',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'the client sent no certificate, and this listener requires one (requireCertificate)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the client does not trust this server\'s certificate (its CA is unknown to the client)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the client refused this server\'s certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the client refused this server\'s certificate',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher in common with the client',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'the client offers no TLS version this listener accepts (TLS 1.2 or later)',
  ERR_SSL_VERSION_TOO_LOW: 'the client offers no TLS version this listener accepts (TLS 1.2 or later)',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'the handshake did not finish in time (connectTimeoutMs)',
  ECONNRESET: 'the client closed the connection during the handshake (a client certificate the listener\'s CA did not sign ends this way too)',
};

/** A TLS handshake failure as a log line's reason: words first, then OpenSSL's reason. */
export function tlsFailure(err: Error & { code?: string; reason?: string }): string {
  const words = err.code !== undefined ? TLS_FAILURES[err.code] : undefined;
  const detail = err.reason ?? err.message.split('\n')[0];
  return words !== undefined ? `${words} [${detail}]` : detail;
}

/** The peer of a socket whose handshake failed: learnt at accept, as Node forgets it once the socket is gone. */
export function rememberPeer(raw: Socket): void {
  (raw as Socket & { ganglionPeer?: string }).ganglionPeer = remoteOf(raw);
}

export function peerOfFailed(socket: TLSSocket): string {
  const parent = (socket as TLSSocket & { _parent?: Socket & { ganglionPeer?: string } })._parent;
  if (parent && parent.ganglionPeer !== undefined) return parent.ganglionPeer;
  return socket.remoteAddress !== undefined ? remoteOf(socket) : '(address unknown)';
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
  server.on('connection', (socket: Socket) => {
    rememberPeer(socket);
    // The TCP socket, before its handshake: counted per address from here (pending-guard.ts).
    ctx.guard.admit(socket);
  });
  server.on('tlsClientError', (err, socket) => {
    ctx.logger.log('warn', `TLS handshake failed from ${peerOfFailed(socket)} on ${listener.name}: ${tlsFailure(err)}`);
    socket.destroy();
  });
  return listen(server, listener);
}
