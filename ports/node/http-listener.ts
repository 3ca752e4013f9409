// The operations listener ({ "type": "http" }): /metrics (Prometheus), /health, /status.json
// and / (the status page, one self-contained HTML file). Read-only. With a token, every
// request but /health must carry it ("Authorization: Bearer TOKEN", or ?token=TOKEN for a
// browser); config.ts refuses a listener beyond loopback without one.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ListenerConfig } from './config.js';
import type { Logger } from './logger.js';
import { listen } from './tcp-listener.js';
import STATUS_PAGE from './status-page.html';

/** What the listener serves, asked for at each request. */
export interface Operations {
  serving(): boolean;          // false while shutting down: /health answers 503
  trouble(): string | null;    // a failing part (the persistence journal): /health answers 503 with it
  metrics(): string;
  status(): object;
}

// The page may run only its own inline script and style and talk only to this server.
const PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";
const REQUEST_TIMEOUT_MS = 10000;
const MAX_SOCKETS = 64;

function tokenOf(req: IncomingMessage, url: URL): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && /^Bearer /i.test(h)) return h.slice(7).trim();
  return url.searchParams.get('token');
}

/** Constant-time: the time taken says nothing of how much of a guess was right. */
function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

export function listenHttp(listener: ListenerConfig, ops: Operations, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (url.pathname === '/health') {
      const ok = ops.serving();
      const trouble = ok ? ops.trouble() : null;
      send(res, ok && trouble === null ? 200 : 503, 'text/plain', !ok ? 'shutting down\n' : trouble === null ? 'ok\n' : trouble + '\n');
      return;
    }
    if (listener.token !== null && !sameToken(tokenOf(req, url), listener.token)) {
      logger.log('warn', `${listener.name}: ${req.method} ${url.pathname} from ${req.socket.remoteAddress ?? '?'}: refused, no valid token`);
      send(res, 401, 'text/plain', 'a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN\n', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    if (url.pathname === '/metrics') send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', ops.metrics());
    else if (url.pathname === '/status.json') send(res, 200, 'application/json', JSON.stringify(ops.status()));
    else if (url.pathname === '/') send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE, { 'Content-Security-Policy': PAGE_POLICY });
    else send(res, 404, 'text/plain', 'not found: /, /metrics, /health, /status.json\n');
  });
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.maxConnections = MAX_SOCKETS;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return listen(server, listener);
}
