// How the service starts a training process. The default forks the bundled
// worker (out/node/train-worker.js) with child_process; the Electron adapter
// supplies a launcher built on utilityProcess. Either way the service sees the
// same small handle, so the run lifecycle is tested here without Electron.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFromWorker, type FromWorker, type ToWorker } from './messages';

export interface WorkerHandle {
  send(msg: ToWorker): void;
  onMessage(fn: (msg: FromWorker) => void): void;
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  pid: number | undefined;
}

export interface WorkerLauncher {
  launch(): WorkerHandle;
}

/**
 * Finds out/node/train-worker.js. When this module is itself bundled into
 * out/node/*.js the worker sits beside it; from source (tests, tsx) it is under
 * the repository's out/node.
 */
export function defaultWorkerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'train-worker.js'), resolve(here, '../../../out/node/train-worker.js')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new Error(`Training worker bundle not found (looked in ${candidates.join(', ')}); run 'npm run build:node' first.`);
  }
  return found;
}

function wrapChild(child: ChildProcess): WorkerHandle {
  // An unhandled 'error' (failed spawn, a send racing the exit) would crash the service;
  // the 'exit' that follows tells the scheduler what became of the run.
  child.on('error', (error) => console.error(`training worker ${child.pid ?? '(not started)'}: ${error.message}`));
  return {
    pid: child.pid,
    send(msg) {
      // A worker that already exited cannot receive; its exit handler reports why.
      if (child.connected) child.send(msg);
    },
    onMessage(fn) {
      child.on('message', (raw) => {
        if (isFromWorker(raw)) fn(raw);
      });
    },
    onExit(fn) {
      child.on('exit', (code, signal) => fn(code, signal));
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export interface ForkLauncherOptions {
  /** The worker script; defaults to the bundled out/node/train-worker.js. */
  script?: string;
  /** Extra environment for the worker (merged over process.env). */
  env?: Record<string, string>;
  execArgv?: string[];
}

/** child_process.fork of the bundled worker, with stdout/stderr passed through. */
export function forkLauncher(options: ForkLauncherOptions = {}): WorkerLauncher {
  return {
    launch() {
      const script = options.script ?? defaultWorkerScript();
      const child = fork(script, [], {
        env: { ...process.env, ...options.env },
        execArgv: options.execArgv ?? [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      return wrapChild(child);
    },
  };
}
