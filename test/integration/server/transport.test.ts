// The `kerv serve` transport on its own: token gate, static files, CSP, the
// WebSocket request/response envelope and pushed events. The service behind it is
// a small in-test implementation of the {invoke, on} contract (the e2e tests run
// the real one); everything else here is the real server on a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { newAccessToken, startServer, CONTENT_SECURITY_POLICY, type RunningServer } from '../../../src-main/server/server';
import { runNotFound } from '../../../src-main/shared/errors';
import { ConfigError } from '../../../src-main/shared/run-config';
import { API_EVENT_NAMES, type ApiEventName, type ApiEvents, type WireMessage, type WorkbenchApi } from '../../../src-main/shared/api';
import { startServe } from '../../e2e/harness';
import { connectSocket, httpGet } from './clients';

function makeService() {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const api: WorkbenchApi = {
    async invoke(channel, arg) {
      if (channel === 'runs:get' && (arg as { id: number }).id === 99999) throw runNotFound(99999);
      if (channel === 'runs:get') return { id: (arg as { id: number }).id, name: 'run' } as never;
      if (channel === 'runs:start') throw new ConfigError('Invalid run config: epochs: too small', [{ path: 'epochs', message: 'too small' }]);
      throw new Error(`not in this test: ${channel}`);
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => listeners.get(event)?.forEach((l) => l(payload));
  return { api, emit, listenerCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0) };
}

function nextMessage(ws: WebSocket, predicate: (m: WireMessage) => boolean) {
  return new Promise<WireMessage>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (predicate(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
  });
}

describe('kerv serve transport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerv-serve-'));
  const staticDir = join(dir, 'renderer');
  const service = makeService();
  let server: RunningServer;
  let origin: string;

  beforeAll(async () => {
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>workbench</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'outside the bundle');
    server = await startServer({ api: service.api, staticDir, port: 0 });
    origin = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds to loopback and prints a URL carrying a long random token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`${origin}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('makes tokens that never begin with "-" (the start of a flag when passed back as `--token X`)', () => {
    // base64url tokens began with '-' one time in 64: main's CI failed on one.
    const tokens = Array.from({ length: 2000 }, newAccessToken);
    expect(tokens.filter((t) => t.startsWith('-'))).toEqual([]);
    expect(new Set(tokens).size).toBe(2000);
    expect(tokens.every((t) => t.length >= 32)).toBe(true);
  });

  it('`kerv serve --token=-…` takes a token that begins with "-"', async () => {
    const token = '-leading-dash-token-0123456789';
    const serve = await startServe(join(dir, 'cli-data'), { token });
    try {
      expect(serve.token).toBe(token);
      expect((await httpGet(`${serve.origin}/?token=${token}`)).status).not.toBe(401);
      expect((await httpGet(`${serve.origin}/?token=x${token.slice(1)}`)).status).toBe(401);
    } finally {
      await serve.stop();
    }
  });

  it('refuses pages and assets without the token', async () => {
    expect((await httpGet(`${origin}/`)).status).toBe(401);
    expect((await httpGet(`${origin}/assets/app.js`)).status).toBe(401);
    expect((await httpGet(`${origin}/?token=wrong-${server.token}`)).status).toBe(401);
    expect((await httpGet(`${origin}/`, { Cookie: 'kerv_token=nope' })).status).toBe(401);
  });

  it('trades the token for an HttpOnly SameSite cookie, then serves the bundle with a CSP', async () => {
    const first = await httpGet(server.url);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toContain(`kerv_token=${server.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');

    const page = await httpGet(`${origin}/`, { Cookie: `kerv_token=${server.token}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>workbench</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await httpGet(`${origin}/assets/app.js`, { Cookie: `kerv_token=${server.token}` });
    expect(script.headers['content-type']).toContain('text/javascript');
  });

  it('never serves files outside the bundle', async () => {
    const res = await httpGet(`${origin}/..%2fsecret.txt`, { Cookie: `kerv_token=${server.token}` });
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the bundle');
  });

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    await expect(connectSocket(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/401/);
    await expect(
      connectSocket(`ws://127.0.0.1:${server.port}/ws`, { Cookie: `kerv_token=${server.token}`, Origin: 'http://evil.example' }),
    ).rejects.toThrow(/403/);
  });

  it('answers requests with envelopes, keeps validation issues, refuses unknown channels and pushes events', async () => {
    const ws = await connectSocket(`ws://127.0.0.1:${server.port}/ws`, { Cookie: `kerv_token=${server.token}`, Origin: origin });
    try {
      const ok = nextMessage(ws, (m) => m.kind === 'response' && m.id === 1);
      ws.send(JSON.stringify({ id: 1, channel: 'runs:get', arg: { id: 7 } }));
      expect(await ok).toEqual({ kind: 'response', id: 1, envelope: { ok: true, value: { id: 7, name: 'run' } } });

      const invalid = nextMessage(ws, (m) => m.kind === 'response' && m.id === 2);
      ws.send(JSON.stringify({ id: 2, channel: 'runs:start', arg: { config: { epochs: 0 } } }));
      expect(await invalid).toMatchObject({
        envelope: { ok: false, error: { message: 'Invalid run config: epochs: too small', code: 'invalid_input', issues: [{ path: 'epochs', message: 'too small' }] } },
      });

      const missing = nextMessage(ws, (m) => m.kind === 'response' && m.id === 4);
      ws.send(JSON.stringify({ id: 4, channel: 'runs:get', arg: { id: 99999 } }));
      expect(await missing).toEqual({ kind: 'response', id: 4, envelope: { ok: false, error: { message: 'Run 99999 not found.', code: 'not_found' } } });

      const unknown = nextMessage(ws, (m) => m.kind === 'response' && m.id === 3);
      ws.send(JSON.stringify({ id: 3, channel: 'fs:readFile', arg: '/etc/passwd' }));
      expect(await unknown).toMatchObject({ envelope: { ok: false, error: { message: 'Unknown channel "fs:readFile"', code: 'invalid_input' } } });

      const event = nextMessage(ws, (m) => m.kind === 'event');
      service.emit('run:status', { id: 7, status: 'completed', error: null });
      expect(await event).toEqual({ kind: 'event', event: 'run:status', payload: { id: 7, status: 'completed', error: null } });
    } finally {
      ws.close();
    }
  });

  it('closes a socket that sends a malformed frame', async () => {
    const ws = await connectSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"channel": "runs:get"}');
    expect(await closed).toBe(1008);
  });

  it('unsubscribes from the service when closed', async () => {
    const other = await startServer({ api: service.api, staticDir, port: 0 });
    const before = service.listenerCount();
    await other.close();
    // One listener per pushed event, all released.
    expect(service.listenerCount()).toBe(before - API_EVENT_NAMES.length);
  });
});
