// What the e2e tests drive: a real `kerv serve` child process on a temporary data
// folder (the real service, real worker processes, real SQLite, the real
// Fashion-MNIST files) and Debian's Chromium through playwright-core.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RESULTS = join(ROOT, 'test-results', 'e2e');

/** The renderer bundle the server serves; built once if this checkout has none. */
export function ensureRendererBuilt(): void {
  if (existsSync(join(ROOT, 'out/renderer/index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  output: () => string;
  stop(): Promise<number | null>;
}

export async function startServe(dataDir: string): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'out/node/kerv.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kerv serve printed no URL in 60 s:\n${output}`)), 60_000);
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
