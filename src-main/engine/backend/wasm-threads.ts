// Both (all) CPU cores for the wasm backend: tfjs-backend-wasm's threaded SIMD
// build, whose XNNPACK kernels (convolutions, matrix products, element-wise
// arithmetic) split their work over a pool of pthreads. Every other kernel still
// runs on the calling thread, and the arithmetic of each element is the same, so
// a run with N threads computes what a run with 1 thread computes, up to the
// order of float additions inside XNNPACK.
//
// tfjs 4.22 does not start this build in Node; four workarounds, none of which
// patch a file in node_modules (see shared/research/webgpu-and-threads.md):
//  1. tfjs forces WASM_HAS_MULTITHREAD_SUPPORT off in Node (tfjs issue 3830): set it on.
//  2. Emscripten starts its pthread workers from `blob:` URLs, which Node's Worker
//     refuses (ERR_WORKER_PATH). While the backend starts, the text of every Blob
//     made is remembered; a Worker class given to Emscripten starts that text as
//     an eval'd worker, and hands it the main script as text too (its own loader
//     would read the blob: URL as a file).
//  3. tfjs sizes the pool from os.cpus() (half of the cores): while the backend
//     starts, os.cpus() reports enough cores for the count asked for.
//  4. The pool's workers would keep the process alive after the work is done:
//     they never hold a reference on the event loop.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

/** The main script, sent to a worker as text behind this prefix instead of a blob: URL. */
const INLINE_SCRIPT = 'kerv-inline-script:';

/**
 * The bundled wasm package (dist/tf-backend-wasm.node.js) refers to these module
 * variables from inside the factory it sends to the workers as source text; a
 * worker defines them before running that text.
 */
const WORKER_GLOBALS =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;";

/** Appended to Emscripten's worker script: its importScripts learns to run inline text. */
const WORKER_SUFFIX = `
;{
  const importFile = global.importScripts;
  global.importScripts = (file) =>
    file.startsWith(${JSON.stringify(INLINE_SCRIPT)}) ? (0, eval)(${JSON.stringify(WORKER_GLOBALS)} + file.slice(${INLINE_SCRIPT.length})) : importFile(file);
}`;

interface TextBlob extends Blob {
  kervText?: string;
}

/** blob: URL → the text it was made from (recorded while the backend starts). */
const blobTexts = new Map<string, string>();
/** Emscripten's pthread worker script: the same text for every worker. */
let workerScript: string | null = null;

/** The Worker class Emscripten uses for its pthreads (workarounds 2 and 4). */
class InlineScriptWorker extends NodeWorker {
  constructor(url: string | URL, options: WorkerOptions = {}) {
    const text = blobTexts.get(String(url)) ?? workerScript;
    if (text === null) throw new Error(`wasm threads: no script recorded for the worker at ${String(url)}`);
    workerScript = text;
    super(text + WORKER_SUFFIX, { ...options, eval: true });
    super.unref();
  }

  override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
    const m = message as { cmd?: string; urlOrBlob?: TextBlob | string };
    if (m && m.cmd === 'load' && typeof m.urlOrBlob === 'object' && m.urlOrBlob?.kervText !== undefined) {
      message = { ...m, urlOrBlob: INLINE_SCRIPT + m.urlOrBlob.kervText };
    }
    super.postMessage(message, transfer);
  }

  /** Emscripten refs a worker while a pthread runs on it; the pool's threads run forever, so never. */
  override ref(): void {}
}

let workerClassInstalled = false;

function installWorkerClass(): void {
  if (workerClassInstalled) return;
  // Emscripten assigns globalThis.Worker = worker_threads.Worker when its factory runs; keep ours.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => InlineScriptWorker, set: () => {} });
  workerClassInstalled = true;
}

/** Runs `start` with Blobs remembering their text and os.cpus() reporting `cores` (workarounds 2, 3). */
async function whileStarting<T>(cores: number, start: () => Promise<T>): Promise<T> {
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  type BlobParts = NonNullable<ConstructorParameters<typeof OriginalBlob>[0]>; // Node's Blob, not the DOM's
  globalThis.Blob = class RecordingBlob extends OriginalBlob {
    readonly kervText: string;
    constructor(parts: BlobParts = [], options?: ConstructorParameters<typeof OriginalBlob>[1]) {
      super(parts, options);
      this.kervText = parts.every((p) => typeof p === 'string') ? parts.join('') : '';
    }
  };
  URL.createObjectURL = (blob: Blob) => {
    const url = originalCreateObjectURL(blob);
    const text = (blob as TextBlob).kervText;
    if (text !== undefined) blobTexts.set(url, text);
    return url;
  };
  os.cpus = () => {
    const real = originalCpus();
    return Array.from({ length: cores }, (_, i) => real[i % real.length]);
  };
  try {
    return await start();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
  }
}

/**
 * Starts the wasm backend with `threads` threads (1: the single-threaded SIMD
 * build, as before) and returns the count XNNPACK really uses. Call once per
 * process, in place of tf.setBackend('wasm'): the build and pool are fixed for
 * the life of the process.
 */
export async function startWasmBackend(threads: number): Promise<{ ok: boolean; threads: number }> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a whole number ≥ 1, got ${threads}`);
  if (threads === 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const ok = await tf.setBackend('wasm');
    return { ok, threads: 1 };
  }
  installWorkerClass();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  // The pool is sized to half the cores it is told of.
  const ok = await whileStarting(2 * threads, () => tf.setBackend('wasm'));
  return { ok, threads: ok ? getThreadsCount() : 1 };
}
