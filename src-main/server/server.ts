// `kerv serve`: the HTTP + WebSocket adapter of the API contract. It serves the
// same renderer bundle Electron loads, and carries {id, channel, arg} requests
// over one WebSocket, answering each with an Envelope and pushing every service
// event to every connected tab.
//
// Security model (the UI can start CPU-heavy work and delete runs, so it must not
// be reachable by other users or other web pages):
// - binds 127.0.0.1 unless `host` says otherwise;
// - a random token is printed in the URL (http://127.0.0.1:PORT/?token=...). The
//   first load with the right token sets an HttpOnly, SameSite=Strict cookie and
//   redirects to `/`, so the token leaves the address bar and history; every later
//   request (static files and the WebSocket upgrade) must carry that cookie or the
//   token as a query parameter, otherwise 401;
// - WebSocket upgrades from another origin are refused even with the cookie
//   (cross-site WebSocket hijacking);
// - every request must name this server in its Host header: a loopback name
//   (localhost, 127.0.0.1, [::1]) or a name given with --host. A DNS-rebinding
//   page (evil.example resolving to 127.0.0.1) sends its own name and is refused
//   before the token is even looked at;
// - requests are bounded (MAX_REQUEST_BYTES per WebSocket message, MAX_BUNDLE_BYTES
//   per upload) and every frame is checked: {id, channel, arg} and nothing else;
// - a Content-Security-Policy allows only the app's own scripts.
//
// Besides the page and the socket, one HTTP route carries run bundles (files the
// browser uploads or downloads; see bundle-routes.ts), behind the same token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_EVENT_NAMES, type WireMessage, type WorkbenchApi } from '../shared/api';
import { invokeToEnvelope } from '../shared/envelope';
import { limitValue } from '../shared/limits';
import { handleBundleRoute } from './bundle-routes';
import { handleModelRoute } from './model-routes';
import { readStaticFile } from './static-files';

export const TOKEN_COOKIE = 'kerv_token';
export const WS_PATH = '/ws';
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export interface ServeOptions {
  api: WorkbenchApi;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 127.0.0.1 unless deliberately exposed. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests, scripts); a random one otherwise. */
  token?: string;
  /**
   * Host names (besides the loopback ones) requests may carry in their Host
   * header, e.g. the machine's name when serving a network; `host` is always one.
   */
  allowedHosts?: string[];
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte and ECharts set style attributes at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(request: IncomingMessage, name: string): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function requestUrl(request: IncomingMessage): URL {
  return new URL(request.url ?? '/', 'http://localhost');
}

function isAuthorized(request: IncomingMessage, token: string): boolean {
  return sameToken(requestUrl(request).searchParams.get('token'), token) || sameToken(cookieValue(request, TOKEN_COOKIE), token);
}

/** The host name of a Host header ("[::1]:5317" → "::1"), lower-cased; null when malformed. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::\d{1,5})?$/i.exec(header.trim());
  if (!match) return null;
  return (match[1] ?? match[2]).toLowerCase().replace(/\.$/, '');
}

/** DNS rebinding: the Host header must be a name this server answers to. */
function isAllowedHost(request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const name = hostName(request.headers.host);
  return name !== null && allowed.has(name);
}

/** A browser sends Origin on WebSocket upgrades; it must be this server itself. */
function isSameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser (scripts, tests)
  return origin === `http://${request.headers.host}`;
}

function baseHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    // The token may be in the URL on the first load; never leak it.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}

function refuse(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}

async function handleHttp(request: IncomingMessage, response: ServerResponse, options: { token: string; staticDir: string; api: WorkbenchApi; allowedHosts: ReadonlySet<string> }) {
  const url = requestUrl(request);
  if (!isAllowedHost(request, options.allowedHosts)) {
    request.resume();
    return refuse(response, 421, `Misdirected request: this server answers to ${[...options.allowedHosts].join(', ')}, not '${request.headers.host ?? ''}'. Start kerv serve with --host NAME to allow another name.`);
  }
  if (!isAuthorized(request, options.token)) {
    request.resume();
    return refuse(response, 401, 'Unauthorized: open the URL with the token that `kerv serve` printed.');
  }
  const routeContext = { api: options.api, headers: baseHeaders(), sameOrigin: isSameOrigin(request) };
  if (await handleBundleRoute(request, response, url, routeContext)) return;
  if (await handleModelRoute(request, response, url, routeContext)) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed');
  const queryToken = url.searchParams.get('token');
  if (queryToken !== null) {
    // Trade the token in the URL for a cookie and drop it from the address bar.
    url.searchParams.delete('token');
    response.writeHead(302, {
      ...baseHeaders(),
      'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`,
      Location: url.pathname + (url.search || ''),
    });
    return response.end();
  }
  const file = await readStaticFile(options.staticDir, url.pathname);
  if (!file) return refuse(response, 404, 'Not found');
  response.writeHead(200, { ...baseHeaders(), 'Content-Type': file.contentType, 'Content-Length': String(file.body.length) });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

function send(socket: WebSocket, message: WireMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/** One WebSocket message: validates the frame, calls the service, answers with an envelope. */
async function handleMessage(api: WorkbenchApi, socket: WebSocket, data: string): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    socket.close(1007, 'Messages must be JSON');
    return;
  }
  const frame = parsed as { id?: unknown; channel?: unknown; arg?: unknown } | null;
  if (!frame || typeof frame !== 'object' || Array.isArray(frame) || !Number.isSafeInteger(frame.id)) {
    socket.close(1008, 'Messages must be {id, channel, arg} with an integer id');
    return;
  }
  const extra = Object.keys(frame).filter((key) => key !== 'id' && key !== 'channel' && key !== 'arg');
  if (extra.length > 0) {
    const message = `A request frame holds only id, channel and arg; unexpected: ${extra.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}`;
    send(socket, { kind: 'response', id: frame.id as number, envelope: { ok: false, error: { message, code: 'invalid_input' } } });
    return;
  }
  const envelope = await invokeToEnvelope(api, frame.channel, frame.arg);
  send(socket, { kind: 'response', id: frame.id as number, envelope });
}

/** The names the Host header may carry: the loopback ones, the bound host and any allowed with --host. */
function allowedHostNames(host: string, extra: string[] = []): ReadonlySet<string> {
  return new Set([...LOOPBACK_NAMES, host, ...extra].map((name) => hostName(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name) ?? name));
}

/** A WebSocket upgrade passes the same checks as a page load, plus the origin check (cross-site WebSocket hijacking). */
function upgradeRefusal(request: IncomingMessage, token: string, allowedHosts: ReadonlySet<string>): string | null {
  if (!isAllowedHost(request, allowedHosts)) return '421 Misdirected Request';
  if (requestUrl(request).pathname !== WS_PATH) return '404 Not Found';
  if (!isAuthorized(request, token)) return '401 Unauthorized';
  if (!isSameOrigin(request)) return '403 Forbidden';
  return null;
}

/** A connected tab: its requests answered one envelope each; tracked in `sockets` while open, for the events. */
function serveSocket(api: WorkbenchApi, ws: WebSocket, sockets: Set<WebSocket>): void {
  sockets.add(ws);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'Text frames only');
    void handleMessage(api, ws, data.toString());
  });
  ws.on('close', () => sockets.delete(ws));
  ws.on('error', () => sockets.delete(ws));
}

/** One subscription per event for the whole server, fanned out to every open tab; returns the unsubscribes. */
function broadcastEvents(api: WorkbenchApi, sockets: ReadonlySet<WebSocket>): (() => void)[] {
  return API_EVENT_NAMES.map((event) =>
    api.on(event, (payload) => {
      const message = JSON.stringify({ kind: 'event', event, payload } satisfies WireMessage);
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message);
    }),
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolvePromise, rejectPromise) => {
    server.once('error', rejectPromise);
    server.listen(port, host, () => {
      server.off('error', rejectPromise);
      resolvePromise();
    });
  });
}

/**
 * A new access token: 192 random bits as hex. Not base64url: its alphabet has '-',
 * and a token that begins with one reads as a flag when passed back as
 * `--token X` (main's CI failed that way, 1 run in 64).
 */
export function newAccessToken(): string {
  return randomBytes(24).toString('hex');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newAccessToken();
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limitValue('MAX_REQUEST_BYTES') });
  const allowedHosts = allowedHostNames(host, options.allowedHosts);

  const server: Server = createServer((request, response) => {
    handleHttp(request, response, { token, staticDir: options.staticDir, api: options.api, allowedHosts }).catch((error: unknown) => {
      if (!response.headersSent) refuse(response, 500, (error as Error).message);
      else response.destroy();
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(request, token, allowedHosts);
    if (refusal) {
      socket.write(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  wss.on('connection', (ws: WebSocket) => serveSocket(options.api, ws, sockets));
  const unsubscribe = broadcastEvents(options.api, sockets);

  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    async close() {
      for (const off of unsubscribe) off();
      for (const ws of sockets) ws.close(1001, 'Server shutting down');
      wss.close();
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}
