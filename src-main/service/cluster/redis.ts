// Connections to the cluster's Redis. ioredis is BullMQ's Redis driver; it is
// loaded when a cluster is configured (require at run time), so a workbench
// without Redis never loads it. The small interface below is all the cluster
// code uses of it: raw commands (streams, hashes, keys) and pub/sub.
//
// URLs: redis://[user:password@]host[:port][/db] and rediss:// for TLS (ioredis
// parses them, including an ACL user name). Errors and logs show the URL with
// its password masked.
import { createRequire } from 'node:module';

type Arg = string | number | Buffer;

/** The part of an ioredis client the cluster uses. */
export interface RedisClient {
  status: string;
  call(command: string, ...args: Arg[]): Promise<unknown>;
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  multi(): { call(command: string, ...args: Arg[]): unknown; exec(): Promise<[Error | null, unknown][] | null> };
  subscribe(...channels: string[]): Promise<unknown>;
  connect(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient;

let ioredis: RedisConstructor | null = null;

function loadIORedis(): RedisConstructor {
  if (ioredis) return ioredis;
  try {
    const mod = createRequire(import.meta.url)('ioredis') as RedisConstructor | { default: RedisConstructor };
    ioredis = typeof mod === 'function' ? mod : mod.default;
    return ioredis;
  } catch (error) {
    throw new Error(`Redis support needs the 'ioredis' package, which is not installed (${(error as Error).message.split('\n')[0]}); run 'npm install'.`);
  }
}

/** The URL with its password replaced by ***, for messages and the UI. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable Redis URL)';
  }
}

/** Checks the URL's shape; returns it trimmed, or throws naming what is wrong. */
export function parseRedisUrl(url: string): string {
  const text = url.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`Redis URL '${text}' is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://… for TLS.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Redis URL ${maskRedisUrl(text)}: the scheme must be redis:// or rediss:// (TLS), not ${u.protocol}//.`);
  }
  if (!u.hostname) throw new Error(`Redis URL ${maskRedisUrl(text)} names no host.`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`Redis URL ${maskRedisUrl(text)}: the path must be a database number (e.g. /0), not '/${db}'.`);
  return text;
}

export interface ConnectOptions {
  /** Shown by CLIENT LIST on the server: which machine and role holds the connection. */
  connectionName?: string;
  /** Reconnect after a lost connection (default true): a restarted Redis is picked up again. */
  reconnect?: boolean;
}

/**
 * A client that connects lazily and reconnects forever (every 0.2–2 s) when the
 * server goes away; commands wait for the connection instead of failing, which is
 * what BullMQ's workers need (maxRetriesPerRequest: null).
 */
export function createRedisClient(url: string, options: ConnectOptions = {}): RedisClient {
  const Redis = loadIORedis();
  const client = new Redis(parseRedisUrl(url), {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectionName: options.connectionName,
    connectTimeout: 5000,
    retryStrategy: options.reconnect === false ? () => null : (times: number) => Math.min(200 * times, 2000),
  });
  // ioredis reports every failed reconnect as an 'error' event; without a listener Node would throw.
  client.on('error', () => {});
  return client;
}

/** Translates a connection error into what the user should check. */
export function describeRedisError(url: string, error: unknown): string {
  const where = maskRedisUrl(url);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? '';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return `Redis at ${where} refused the credentials (${message.trim()}). Check the user name and password in the URL (redis://USER:PASSWORD@host:port).`;
  }
  if (/NOAUTH/i.test(message)) {
    return `Redis at ${where} requires a password (${message.trim()}). Put it in the URL: redis://:PASSWORD@host:port (or redis://USER:PASSWORD@… for an ACL user).`;
  }
  if (/NOPERM/i.test(message)) {
    return `Redis at ${where}: the ACL user may not run a command the cluster needs (${message.trim()}). It needs the stream, hash, key, pub/sub and script commands on the kerv* and bull* keys.`;
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return `Cannot reach Redis at ${where}: connection refused. Is redis-server running there and listening on that port?`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(message)) {
    return `Cannot reach Redis at ${where}: the host name does not resolve (${message.trim()}).`;
  }
  if (/ETIMEDOUT|timed? ?out/i.test(message)) {
    const tls = where.startsWith('rediss:') ? ' With rediss://, the server must have TLS enabled on that port.' : '';
    return `Cannot reach Redis at ${where}: the connection timed out (a firewall, or the wrong host or port).${tls}`;
  }
  if (/SSL|TLS|certificate|wrong version number/i.test(message)) {
    return `TLS to Redis at ${where} failed (${message.trim()}). Use rediss:// only for a server with TLS enabled, and redis:// otherwise.`;
  }
  return `Redis at ${where}: ${message.trim()}`;
}

/**
 * Connects once, without retrying, and checks the server answers an
 * authenticated command: an unreachable server or a wrong password is reported
 * at once, with a clear message, instead of retrying forever in the background.
 */
export async function probeRedis(url: string, timeoutMs = 5000): Promise<void> {
  parseRedisUrl(url);
  const client = createRedisClient(url, { reconnect: false, connectionName: 'kerv-probe' });
  let firstError: unknown = null;
  client.on('error', (error: unknown) => (firstError ??= error));
  try {
    const attempt = (async () => {
      await client.connect();
      await client.call('PING');
    })();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref());
    await Promise.race([attempt, timeout]);
  } catch (error) {
    // The 'error' event says why (ECONNREFUSED, WRONGPASS); the rejection only that the connection closed.
    throw new Error(describeRedisError(url, firstError ?? error));
  } finally {
    client.disconnect();
  }
}
