// What the e2e tests drive: a real `kerv serve` child process on a temporary data
// folder (the real service, real worker processes, real SQLite, the real
// Fashion-MNIST files) and Debian's Chromium through playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import type { ApiArg, ApiChannel, ApiResult, WireMessage } from '../../src-main/shared/api';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RESULTS = join(ROOT, 'test-results', 'e2e');

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  output: () => string;
  stop(): Promise<number | null>;
}

/**
 * Starts `kerv serve` on a free port, or on `port` with `token` (to restart a
 * server where open pages will reconnect). `env` reaches the server and the
 * training processes it forks (e.g. a test/hold.ts hold).
 */
export async function startServe(dataDir: string, at: { port?: number; token?: string; env?: Record<string, string> } = {}): Promise<ServeProcess> {
  // --token=VALUE: a token may begin with '-', which a separate argument would make look like a flag.
  const args = [join(ROOT, 'out/node/kerv.js'), 'serve', '--port', String(at.port ?? 0), '--data-dir', dataDir, ...(at.token ? [`--token=${at.token}`] : [])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...at.env },
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: starting Node, the service and SQLite on a loaded machine is slow, never wrong.
    const timer = setTimeout(() => reject(new Error(`kerv serve printed no URL in 180 s:\n${output}`)), 180_000);
    const check = () => {
      const match = /Open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kerv serve exited with ${code}:\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A desktop-sized page on the workbench, with downloads allowed; page errors are
 * collected into `pageErrors` so each test file can assert the UI threw none.
 */
export async function openWorkbench(browser: Browser, serve: ServeProcess, pageErrors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, acceptDownloads: true });
  // Playwright's default 30 s per action is a timing assumption a loaded machine breaks;
  // a slow machine must make tests slower, not fail them.
  context.setDefaultTimeout(120_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(serve.url);
  await page.waitForSelector('nav.sidebar');
  return { context, page };
}

/** One request to the running server over its WebSocket (with the token), as a script would: checks what the UI did. */
export async function apiCall<C extends ApiChannel>(serve: ServeProcess, channel: C, arg: ApiArg<C>): Promise<ApiResult<C>> {
  const ws = new WebSocket(`${serve.origin.replace('http', 'ws')}/ws?token=${serve.token}`);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<WireMessage>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as WireMessage;
        if (message.kind === 'response' && message.id === 1) resolve(message);
      });
    });
    ws.send(JSON.stringify({ id: 1, channel, arg: arg ?? null }));
    const message = await reply;
    if (message.kind !== 'response') throw new Error('unreachable');
    if (!message.envelope.ok) throw new Error(`${channel}: ${message.envelope.error.message}`);
    return message.envelope.value as ApiResult<C>;
  } finally {
    ws.close();
  }
}
