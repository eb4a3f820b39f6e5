// `kerv serve` under attack (issue 10): the real service behind the real server
// on a real socket. DNS rebinding (a foreign Host with a matching Origin),
// prototype pollution through the WebSocket, frames with extra keys, and a
// corrupt database at start-up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src-main/server/server';
import { Workbench } from '../../../src-main/service/workbench';
import type { WireMessage } from '../../../src-main/shared/api';
import { connectSocket, httpGet } from './clients';

const KERV = resolve('out/node/kerv.js');

/** Sends one frame and resolves with the response to it. */
function call(ws: WebSocket, frame: unknown): Promise<WireMessage & { kind: 'response' }> {
  const id = (typeof frame === 'string' ? JSON.parse(frame) : frame).id as number;
  return new Promise((resolvePromise) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (message.kind === 'response' && message.id === id) {
        ws.off('message', onMessage);
        resolvePromise(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('kerv serve against hostile requests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerv-hostile-serve-'));
  let wb: Workbench;
  let server: RunningServer;
  let wsUrl: string;

  beforeAll(async () => {
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>kerv</title>');
    wb = await Workbench.open({ dataDir: join(dir, 'data'), appVersion: '0.0.0-test', startQueue: false });
    server = await startServer({ api: wb, staticDir: join(dir, 'static') });
    wsUrl = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  });

  afterAll(async () => {
    await server?.close();
    await wb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finding 10: a DNS-rebinding request (foreign Host, matching Origin, even with the token) is refused', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const rebinding = await httpGet(`${base}/index.html?token=${server.token}`, { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` });
    expect(rebinding.status).toBe(421);
    expect(rebinding.body).toMatch(/--host/);
    await expect(connectSocket(wsUrl, { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` })).rejects.toThrow(/421/);
    // Loopback names still work.
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`]) {
      expect((await httpGet(`${base}/index.html`, { Host: host, Cookie: `kerv_token=${server.token}` })).status).toBe(200);
    }
    const ws = await connectSocket(wsUrl, { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` });
    ws.close();
  });

  it('names given with --host are accepted as Host', async () => {
    const named = await startServer({ api: wb, staticDir: join(dir, 'static'), allowedHosts: ['gpu-box.lab'] });
    try {
      const ok = await httpGet(`http://127.0.0.1:${named.port}/index.html`, { Host: `gpu-box.lab:${named.port}`, Cookie: `kerv_token=${named.token}` });
      expect(ok.status).toBe(200);
      const other = await httpGet(`http://127.0.0.1:${named.port}/index.html`, { Host: `other.lab:${named.port}`, Cookie: `kerv_token=${named.token}` });
      expect(other.status).toBe(421);
    } finally {
      await named.close();
    }
  });

  it('finding 3: a __proto__ sweep axis over the WebSocket is refused and the server keeps answering', async () => {
    const ws = await connectSocket(wsUrl);
    try {
      const polluting = await call(ws, { id: 1, channel: 'sweeps:start', arg: { base: {}, grid: { '__proto__.hasOwnProperty': [1] } } });
      expect(polluting.envelope.ok).toBe(false);
      const raw = await call(ws, '{"id": 2, "channel": "runs:start", "arg": {"config": {"__proto__": {"isAdmin": true}}}}');
      expect(raw.envelope).toMatchObject({ ok: false, error: { message: expect.stringMatching(/__proto__/) } });
      expect(typeof ({} as { hasOwnProperty: unknown }).hasOwnProperty).toBe('function');
      const after = await call(ws, { id: 3, channel: 'runs:list', arg: {} });
      expect(after.envelope.ok).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('a frame with keys besides id, channel and arg is refused with an answer naming them', async () => {
    const ws = await connectSocket(wsUrl);
    try {
      const answer = await call(ws, { id: 7, channel: 'runs:list', arg: {}, __proto__x: 1, extra: true });
      expect(answer.envelope).toMatchObject({ ok: false, error: { message: expect.stringMatching(/"extra"/) } });
    } finally {
      ws.close();
    }
  });
});

describe('finding 11: kerv serve on a corrupt database', () => {
  it('says which file is not a workbench database, without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerv-corrupt-'));
    try {
      writeFileSync(join(dir, 'workbench.sqlite'), Buffer.alloc(8192, 7));
      const result = spawnSync(process.execPath, [KERV, 'serve', '--data-dir', dir, '--port', '0'], { encoding: 'utf8', timeout: 120_000 });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/workbench\.sqlite: the file is not a valid workbench database/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('finding 4: kerv train --config /dev/zero', () => {
  it('is refused at once: not a regular file', () => {
    const result = spawnSync(process.execPath, [KERV, 'train', '--config', '/dev/zero'], { encoding: 'utf8', timeout: 120_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/--config: cannot read '\/dev\/zero': .*not a regular file/);
  });
});
