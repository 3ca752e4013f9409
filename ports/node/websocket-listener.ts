// MQTT over WebSocket (ws, and wss over TLS) on node:http / node:https, no dependency:
// the RFC 6455 opening handshake with the `mqtt` subprotocol, then binary frames both ways.
// Everything the core writes during one tick goes out as one binary frame (one header,
// the frames after it, corked into one writev). Pings are answered, fragmented messages
// are passed through piece by piece, and either side may start the close handshake.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Connection } from '../../core/index.js';
import { CLOSED, LOG_CLOSED } from '../../core/index.js';
import type { Client } from './client.js';
import type { Trace } from './packet-trace.js';
import type { ListenerConfig } from './config.js';
import { listen } from './tcp-listener.js';
import { certificateCN, peerOfFailed, rememberPeer, tlsFailure, tlsOptions } from './tls-listener.js';
import type { Flushable, PortContext, PortTransport } from './transport.js';
import { connectToCore, countClosed, countOpened, endSocket, lost, receive, remoteOf, tracing, writable } from './transport.js';
import { socketFault } from './socket-guard.js';
import {
  CLOSE_NORMAL, CLOSE_NO_STATUS, FrameParser, OP_BINARY, OP_CLOSE, OP_PONG, acceptKey, chooseProtocol,
  closePayload, controlFrame, frameHeader, validKey,
} from './websocket.js';

export class WebSocketTransport implements PortTransport, Flushable {
  connection: Connection | null = null;
  client: Client | null = null;
  trace: Trace | null = null;
  remoteAddress: string;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private closeSent = false;
  private highWater: number;

  constructor(
    private socket: Socket,
    private ctx: PortContext,
    public listener: ListenerConfig,
    public certificateCN: string | null,
  ) {
    this.remoteAddress = remoteOf(socket);
    this.highWater = socket.writableHighWaterMark;
  }

  write(frame: Uint8Array): boolean {
    if (this.closeSent || this.socket.destroyed) return true;
    if ((frame[0] & 0xf0) === 0x30) this.ctx.latency.sample();
    if (this.trace !== null) this.trace.out.push(frame);
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      this.ctx.flusher.add(this);
    }
    // Past the high-water mark: send now, and let the socket's 'drain' say when to go on.
    if (this.pendingBytes >= this.highWater) return this.send();
    return !this.socket.writableNeedDrain;
  }

  flush(): void {
    this.scheduled = false;
    if (this.pendingBytes > 0) this.send();
  }

  /** The pending frames as one binary WebSocket frame; false: the socket is over its mark. */
  private send(): boolean {
    const s = this.socket;
    const list = this.pending;
    s.cork();
    s.write(frameHeader(OP_BINARY, this.pendingBytes));
    let ok = true;
    for (let i = 0; i < list.length; i++) ok = s.write(list[i]);
    s.uncork();
    list.length = 0;
    this.pendingBytes = 0;
    return ok;
  }

  /** The core is done with the connection: the close handshake, then the socket ends. */
  close(): void {
    this.sendClose(CLOSE_NORMAL, '');
  }

  sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.flush();
    this.closeSent = true;
    if (this.socket.destroyed) return;
    this.socket.write(controlFrame(OP_CLOSE, code === CLOSE_NO_STATUS ? new Uint8Array(0) : closePayload(code, reason)));
    endSocket(this.socket, this.ctx.closeTimeoutMs);
  }

  pong(payload: Uint8Array): void {
    if (this.closeSent || this.socket.destroyed) return;
    this.flush();
    this.socket.write(controlFrame(OP_PONG, payload));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

function refuse(ctx: PortContext, listener: ListenerConfig, socket: Socket, status: number, text: string, extra = ''): void {
  ctx.logger.log('info', `WebSocket upgrade from ${remoteOf(socket)} on ${listener.name} refused: ${status} ${text}`);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n${extra}\r\n${text}\n`);
}

/** Checks the opening handshake (RFC 6455 §4.2.1); answers it or refuses with HTTP. */
function upgrade(ctx: PortContext, listener: ListenerConfig, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const h = req.headers;
  const url = (req.url ?? '/').split('?')[0];
  if (listener.path !== null && url !== listener.path) return refuse(ctx, listener, socket, 404, 'Not Found');
  if (req.method !== 'GET') return refuse(ctx, listener, socket, 405, 'Method Not Allowed');
  if ((h.upgrade ?? '').toLowerCase() !== 'websocket' || !/\bupgrade\b/i.test(h.connection ?? '')) {
    return refuse(ctx, listener, socket, 400, 'Bad Request: not a WebSocket upgrade');
  }
  if (h['sec-websocket-version'] !== '13') return refuse(ctx, listener, socket, 426, 'Upgrade Required', 'Sec-WebSocket-Version: 13\r\n');
  const key = h['sec-websocket-key'];
  if (!validKey(key)) return refuse(ctx, listener, socket, 400, 'Bad Request: Sec-WebSocket-Key');
  // [MQTT-6.0.0-3] [MQTT-6.0.0-4] the client offers "mqtt" and the server selects it.
  const protocol = chooseProtocol(h['sec-websocket-protocol'] as string | undefined);
  if (protocol === null) return refuse(ctx, listener, socket, 400, 'Bad Request: the subprotocol must be mqtt');

  socket.setNoDelay(true);
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(key as string)}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  const cn = 'encrypted' in socket ? certificateCN(socket as TLSSocket) : null;
  const t = new WebSocketTransport(socket, ctx, listener, cn);
  t.trace = tracing(ctx, t);
  countOpened(ctx, listener);
  const c = connectToCore(ctx, t);
  ctx.guard.attached(socket, c);
  t.connection = c;
  let reason = 'closed by the client';
  const end = (why: string): void => {
    reason = why;
    if (c.state !== CLOSED) {
      ctx.broker.log(c, `connection lost (${reason})`, LOG_CLOSED);   // the log hook adds who and where
      lost(ctx, c);
    }
  };
  const guard = (where: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      socketFault(ctx.broker, socket, c, where, e);   // that socket only, never the process
    }
  };
  const parser = new FrameParser({
    data: (piece) => receive(ctx, c, piece),
    ping: (payload) => t.pong(payload),
    pong: () => {},
    close: (code, why) => {
      // Answer the close with the same code (RFC 6455 §5.5.1) before the core lets go.
      t.sendClose(code === CLOSE_NO_STATUS ? CLOSE_NORMAL : code, '');
      end(`WebSocket close ${code}${why ? ' ' + why : ''}`);
    },
    error: (code, message) => {
      t.sendClose(code, message);
      end(`WebSocket: ${message}`);
    },
  }, listener.maxFrameSize);
  socket.on('data', (chunk: Buffer) => guard('data', () => parser.push(chunk)));
  socket.on('drain', () => guard('drain', () => writable(ctx, c)));
  socket.on('error', (err) => {
    reason = err.message;
    socket.destroy();
  });
  socket.on('close', () => {
    ctx.sockets.delete(socket);
    countClosed(ctx, listener);
    guard('close', () => end(reason));
  });
  if (head.length > 0) guard('data', () => parser.push(head));
}

export function listenWebSocket(ctx: PortContext, listener: ListenerConfig): Promise<Server> {
  const plain = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
    res.end('MQTT over WebSocket: connect with the "mqtt" subprotocol\n');
  };
  const server = listener.type === 'wss'
    ? createHttpsServer(tlsOptions(listener, ctx.broker.limits.connectTimeoutMs), plain)
    : createHttpServer(plain);
  // A client that opens a socket and never finishes its request is cut off.
  server.headersTimeout = ctx.broker.limits.connectTimeoutMs;
  server.requestTimeout = ctx.broker.limits.connectTimeoutMs;
  if (listener.type === 'wss') {
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      ctx.logger.log('warn', `TLS handshake failed from ${peerOfFailed(socket)} on ${listener.name}: ${tlsFailure(err)}`);
      socket.destroy();
    });
  }
  server.on('connection', (socket: Socket) => {
    if (listener.type === 'wss') rememberPeer(socket);
    ctx.guard.admit(socket);
    ctx.sockets.add(socket);
    socket.on('close', () => ctx.sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      upgrade(ctx, listener, req, socket, head);
    } catch (e) {
      socketFault(ctx.broker, socket, null, 'upgrade', e);
    }
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return listen(server, listener);
}
