// Real parts for the cluster tests (and the cluster benchmark, bench/cluster-bench.ts):
// private redis-server instances on free ports and real `kerv worker` / `kerv serve`
// processes with their own data folders. No vitest here, so the benchmark bundles it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeRedis } from '../../../src-main/service/cluster/redis';

/** The repository: the nearest folder above this module with a package.json (this file also runs bundled into out/node). */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = repositoryRoot(dirname(fileURLToPath(import.meta.url)));
const KERV = join(ROOT, 'out/node/kerv.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the condition holds (no fixed sleeps: the machine may be slow). */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 180_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RedisInstance {
  port: number;
  url: string;
  /** Stops the server (SIGTERM: a clean shutdown, which writes the append-only file when persistent). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Sends the server a signal: SIGSTOP pauses it with its sockets open (a Redis that stops answering), SIGCONT resumes it. */
  signal(signal: NodeJS.Signals): void;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

export async function startRedis(options: { password?: string; persistent?: boolean } = {}): Promise<RedisInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'kerv-redis-'));
  let child: ChildProcess | null = null;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', options.persistent ? 'yes' : 'no');
  if (options.persistent) args.push('--appendfsync', 'always');
  if (options.password) args.push('--requirepass', options.password);
  const url = `redis://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}`;
  const instance: RedisInstance = {
    port,
    url,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitFor('redis-server to answer', () => probeRedis(url, 1000).then(() => true, () => false), 30_000, 100);
    },
    stop() {
      return new Promise((resolve) => {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
    signal(signal) {
      child?.kill(signal);
    },
    async dispose() {
      instance.signal('SIGCONT'); // a paused server exits on SIGTERM only once it runs again
      await instance.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

export interface KervProcess {
  child: ChildProcess;
  dataDir: string;
  output(): string;
  /** SIGINT (Ctrl+C) or SIGKILL, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `kerv <args>` as a long-running process, output collected. */
export function spawnKerv(args: string[], dataDir: string, env: Record<string, string> = {}): KervProcess {
  const child = spawn(process.execPath, [KERV, ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    dataDir,
    output: () => output,
    exited,
    stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A `kerv worker` on its own data folder; resolves once it takes runs. Tests pass
 * a short --stall-timeout (a killed worker's runs move on in seconds); the
 * cluster benchmark passes none, to measure the defaults. `env` reaches the
 * worker and the training processes it forks (e.g. a test/hold.ts hold).
 */
export async function startWorker(redisUrl: string, name: string, extra: string[] = ['--stall-timeout', '4'], env: Record<string, string> = {}): Promise<KervProcess> {
  const dataDir = mkdtempSync(join(os.tmpdir(), `kerv-worker-${name}-`));
  const worker = spawnKerv(['worker', '--redis', redisUrl, '--name', name, ...extra], dataDir, env);
  await Promise.race([
    waitFor(`worker ${name} to start`, () => /taking runs/.test(worker.output()), 60_000),
    worker.exited.then((code) => {
      throw new Error(`kerv worker ${name} exited with ${code}:\n${worker.output()}`);
    }),
  ]);
  return worker;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(os.tmpdir(), prefix));
}
