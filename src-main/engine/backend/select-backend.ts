// Picks the tfjs backend a run computes on: the best one available, or the one a
// config field / CLI flag / KERV_BACKEND forces. Order of preference:
// tensorflow on GPU (tfjs-node-gpu) → tensorflow on CPU (tfjs-node) → wasm → cpu.
// tfjs-node and -gpu are optional dependencies: where libtensorflow could not be
// downloaded at install time they are absent, and we fall through to wasm.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { BACKENDS, type BackendChoice } from '../../shared/run-config';
import type { RunEnvironment } from '../../shared/progress';
import { registerBroadcastingBatchNormGradient } from './batchnorm-gradient';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { startWasmBackend } from './wasm-threads';

const require = createRequire(import.meta.url);

export interface BackendSelection {
  backend: string;
  device: string;
  threads: number;
  /** Why each candidate was or was not used, for `kerv` output and the settings screen. */
  tried: { name: string; available: boolean; detail: string }[];
}

let current: BackendSelection | null = null;

function cpuModel(): string {
  const cpus = os.cpus();
  return cpus.length > 0 ? `${cpus[0].model.trim()} (${cpus.length} cores)` : 'unknown CPU';
}

/** Loads a tfjs-node flavour, which registers the 'tensorflow' backend as a side effect. */
function tryLoadNode(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): string | null {
  try {
    require(pkg);
    return null;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

/** Threads the wasm backend was started with: fixed for the life of the process (see wasm-threads.ts). */
let wasmThreads: number | null = null;

async function tryWasm(threads: number): Promise<{ threads: number } | { failure: string }> {
  try {
    if (wasmThreads !== null) {
      const ok = await tf.setBackend('wasm');
      return ok ? { threads: wasmThreads } : { failure: 'wasm backend failed to initialise' };
    }
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    registerWasmTrainingKernels();
    const started = await startWasmBackend(threads);
    if (!started.ok) return { failure: 'wasm backend failed to initialise' };
    wasmThreads = started.threads;
    return { threads: started.threads };
  } catch (error) {
    return { failure: (error as Error).message };
  }
}

function gpuName(): string | null {
  // tfjs-node-gpu does not expose the device name; nvidia-smi does where a GPU is.
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 5000 })
      .toString()
      .trim();
    return out.split('\n')[0] || null;
  } catch {
    return null;
  }
}

type Attempt = { selection: Omit<BackendSelection, 'tried'> } | { failure: string };

/** Tries one candidate; a failure carries the reason shown to the user. */
async function attempt(candidate: Exclude<BackendChoice, 'auto'>, threads: number): Promise<Attempt> {
  switch (candidate) {
    case 'tensorflow-gpu': {
      const err = tryLoadNode('@tensorflow/tfjs-node-gpu');
      if (err) return { failure: err };
      const gpu = gpuName();
      if (!gpu) return { failure: 'no GPU visible (nvidia-smi)' };
      if (!(await tf.setBackend('tensorflow'))) return { failure: 'tensorflow backend failed to initialise' };
      return { selection: { backend: 'tensorflow', device: gpu, threads: os.cpus().length } };
    }
    case 'tensorflow': {
      const err = tryLoadNode('@tensorflow/tfjs-node');
      if (err) return { failure: err };
      if (!(await tf.setBackend('tensorflow'))) return { failure: 'tensorflow backend failed to initialise' };
      return { selection: { backend: 'tensorflow', device: cpuModel(), threads: os.cpus().length } };
    }
    case 'wasm': {
      const started = await tryWasm(threads);
      if ('failure' in started) return started;
      return { selection: { backend: 'wasm', device: cpuModel(), threads: started.threads } };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) return { failure: 'cpu backend failed to initialise' };
      return { selection: { backend: 'cpu', device: cpuModel(), threads: 1 } };
  }
}

function detailOf(candidate: BackendChoice, selection: Omit<BackendSelection, 'tried'>): string {
  if (candidate === 'wasm') return `${selection.device}, ${selection.threads === 1 ? 'single-threaded SIMD' : `SIMD, ${selection.threads} threads`}`;
  if (candidate === 'cpu') return `${selection.device}, pure JavaScript (slow reference)`;
  return selection.device;
}

function wantedBackend(choice: BackendChoice): BackendChoice {
  if (choice !== 'auto') return choice;
  const fromEnv = process.env.KERV_BACKEND;
  if (fromEnv === undefined || fromEnv === '') return 'auto';
  if (!(BACKENDS as readonly string[]).includes(fromEnv)) {
    throw new Error(`KERV_BACKEND must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(fromEnv)}`);
  }
  return fromEnv as BackendChoice;
}

export interface BackendOptions {
  /**
   * Threads for the wasm backend (default 1). It takes effect when wasm first
   * starts in this process; later calls report the count it started with.
   */
  threads?: number;
}

/**
 * Initialises the backend once per process. `choice` comes from the run config;
 * KERV_BACKEND overrides 'auto'. Throws with the reason when a forced backend is
 * unavailable, rather than silently training somewhere else.
 */
export async function initBackend(choice: BackendChoice = 'auto', options: BackendOptions = {}): Promise<BackendSelection> {
  const wanted = wantedBackend(choice);
  // Gradients are registered per kernel, for every backend at once (batchnorm-gradient.ts).
  registerBroadcastingBatchNormGradient();
  if (current && (wanted === 'auto' || current.backend === wanted || (wanted === 'tensorflow-gpu' && current.device !== cpuModel()))) {
    // Tests switch backends to compare them; come back to the selected one.
    if (tf.getBackend() !== current.backend) await tf.setBackend(current.backend);
    return current;
  }
  const tried: BackendSelection['tried'] = [];
  const candidates: Exclude<BackendChoice, 'auto'>[] = wanted === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [wanted];
  let selected: BackendSelection | null = null;
  for (const candidate of candidates) {
    const result = await attempt(candidate, options.threads ?? 1);
    if ('failure' in result) {
      tried.push({ name: candidate, available: false, detail: result.failure });
      continue;
    }
    tried.push({ name: candidate, available: true, detail: detailOf(candidate, result.selection) });
    selected = { ...result.selection, tried };
    break;
  }
  if (!selected) {
    const reasons = tried.map((t) => `${t.name}: ${t.detail}`).join('; ');
    throw new Error(`Backend '${wanted}' is not available here (${reasons}). Allowed: ${BACKENDS.join(', ')}.`);
  }
  await tf.ready();
  current = selected;
  return current;
}

/** The run environment reported in every run's metadata. */
export function describeEnvironment(selection: BackendSelection, appVersion: string): RunEnvironment {
  return {
    backend: selection.backend,
    device: selection.device,
    threads: selection.threads,
    tfjsVersion: tf.version.tfjs,
    appVersion,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    nodeVersion: process.versions.node,
  };
}
