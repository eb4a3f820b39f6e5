// Picks the tfjs backend a run computes on: the best one available, or the one a
// config field / CLI flag / KERV_BACKEND / the settings force. Order of preference:
// tensorflow on GPU (tfjs-node-gpu) → webgpu on a hardware GPU (Dawn, webgpu.ts)
// → tensorflow on CPU (tfjs-node) → wasm → cpu.
// tfjs-node and -gpu are optional dependencies: where libtensorflow could not be
// downloaded at install time they are absent, and we fall through. Automatic
// selection skips a software WebGPU adapter (a CPU emulating a GPU, far slower
// than wasm) and says so; forcing webgpu takes it, with a warning.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { BACKENDS, type BackendChoice } from '../../shared/run-config';
import type { RunEnvironment } from '../../shared/progress';
import { registerBroadcastingBatchNormGradient } from './batchnorm-gradient';
import { registerBatchNormTraining } from '../ops/batch-norm-training';
import { registerOptimizerUpdate } from '../ops/optimizer-update';
import { registerReluGrad } from '../ops/relu-grad';
import { registerResponseConv2d } from '../ops/response-conv2d';
import { registerTanhGrad } from '../ops/tanh-grad';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { probeWebGpu, startWebGpuBackend, webGpuOptionsFrom, type WebGpuOptions } from './webgpu';
import { startWasmBackend } from './wasm-threads';

const require = createRequire(import.meta.url);

export interface BackendSelection {
  backend: string;
  device: string;
  threads: number;
  /** Why each candidate was or was not used, for `kerv` output and the settings screen. */
  tried: { name: string; available: boolean; detail: string }[];
  /** What a user should know about the choice (a skipped or a forced software GPU adapter); shown with the run. */
  notes: string[];
}

/** How a process chooses: what 'auto' in a run config means here, wasm's threads and Dawn's options. */
export interface BackendOptions {
  /**
   * Threads for the wasm backend (default 1). It takes effect when wasm first
   * starts in this process; later calls report the count it started with.
   */
  threads?: number;
  /** The backend for a config that says 'auto' (the workbench settings' default); KERV_BACKEND wins over it. */
  defaultBackend?: BackendChoice;
  /** Dawn's adapter and native API; KERV_WEBGPU_ADAPTER / KERV_WEBGPU_BACKEND fill what is not given. */
  webgpu?: WebGpuOptions;
}

/** A software adapter against wasm, measured on the 2-core build machine (research/webgpu-and-threads.md). */
const SOFTWARE_SLOWDOWN = '40–240× slower than wasm';

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

type Attempt = { selection: Omit<BackendSelection, 'tried' | 'notes'>; note?: string } | { failure: string; available?: boolean; note?: string };

/** Tries one candidate; a failure carries the reason shown to the user. */
async function attempt(candidate: Exclude<BackendChoice, 'auto'>, auto: boolean, options: BackendOptions): Promise<Attempt> {
  switch (candidate) {
    case 'tensorflow-gpu': {
      const err = tryLoadNode('@tensorflow/tfjs-node-gpu');
      if (err) return { failure: err };
      const gpu = gpuName();
      if (!gpu) return { failure: 'no GPU visible (nvidia-smi)' };
      if (!(await tf.setBackend('tensorflow'))) return { failure: 'tensorflow backend failed to initialise' };
      return { selection: { backend: 'tensorflow', device: gpu, threads: os.cpus().length } };
    }
    case 'webgpu': {
      const webgpu = webGpuOptionsFrom(options.webgpu);
      const probe = await probeWebGpu(webgpu);
      if ('failure' in probe) return { failure: probe.failure };
      const { device, software } = probe.adapter;
      if (software && auto) {
        // Usable (tests force it), so the settings screen offers it; never chosen for a user.
        const note = `webgpu: skipped the software adapter ${device} (a CPU emulating a GPU, ${SOFTWARE_SLOWDOWN}); --backend webgpu uses it anyway`;
        return { failure: `software adapter ${device}: ${SOFTWARE_SLOWDOWN}, so auto skips it (force with --backend webgpu)`, available: true, note };
      }
      const err = await startWebGpuBackend(webgpu);
      if (err) return { failure: err };
      const selection = { backend: 'webgpu', device: software ? `${device}, software` : device, threads: 1 };
      if (!software) return { selection };
      return { selection, note: `webgpu: running on the software adapter ${device} as asked: it emulates a GPU on the CPU, ${SOFTWARE_SLOWDOWN}` };
    }
    case 'tensorflow': {
      const err = tryLoadNode('@tensorflow/tfjs-node');
      if (err) return { failure: err };
      if (!(await tf.setBackend('tensorflow'))) return { failure: 'tensorflow backend failed to initialise' };
      return { selection: { backend: 'tensorflow', device: cpuModel(), threads: os.cpus().length } };
    }
    case 'wasm': {
      const started = await tryWasm(options.threads ?? 1);
      if ('failure' in started) return started;
      return { selection: { backend: 'wasm', device: cpuModel(), threads: started.threads } };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) return { failure: 'cpu backend failed to initialise' };
      return { selection: { backend: 'cpu', device: cpuModel(), threads: 1 } };
  }
}

function detailOf(candidate: BackendChoice, selection: Omit<BackendSelection, 'tried' | 'notes'>): string {
  if (candidate === 'wasm') return `${selection.device}, ${selection.threads === 1 ? 'single-threaded SIMD' : `SIMD, ${selection.threads} threads`}`;
  if (candidate === 'cpu') return `${selection.device}, pure JavaScript (slow reference)`;
  return selection.device;
}

/** The run config's choice; for 'auto', KERV_BACKEND, then the settings' default. */
function wantedBackend(choice: BackendChoice, defaultBackend: BackendChoice = 'auto'): BackendChoice {
  if (choice !== 'auto') return choice;
  const fromEnv = process.env.KERV_BACKEND;
  if (fromEnv === undefined || fromEnv === '') return defaultBackend;
  if (!(BACKENDS as readonly string[]).includes(fromEnv)) {
    throw new Error(`KERV_BACKEND must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(fromEnv)}`);
  }
  return fromEnv as BackendChoice;
}

/** Every candidate, best first. */
export const BACKEND_LADDER: readonly Exclude<BackendChoice, 'auto'>[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * Initialises the backend once per process. `choice` comes from the run config;
 * KERV_BACKEND, then options.defaultBackend, stand in for 'auto'. Throws with the
 * reason when a forced backend is unavailable, rather than silently training
 * somewhere else.
 */
export async function initBackend(choice: BackendChoice = 'auto', options: BackendOptions = {}): Promise<BackendSelection> {
  const wanted = wantedBackend(choice, options.defaultBackend);
  // Gradients are registered per kernel, for every backend at once (batchnorm-gradient.ts), with the fused ops' cpu kernels.
  registerBroadcastingBatchNormGradient();
  registerBatchNormTraining();
  registerOptimizerUpdate();
  registerTanhGrad();
  registerReluGrad();
  registerResponseConv2d();
  if (current && (wanted === 'auto' || current.backend === wanted || (wanted === 'tensorflow-gpu' && current.backend === 'tensorflow' && current.device !== cpuModel()))) {
    // Tests switch backends to compare them; come back to the selected one.
    if (tf.getBackend() !== current.backend) await tf.setBackend(current.backend);
    return current;
  }
  const tried: BackendSelection['tried'] = [];
  const notes: string[] = [];
  const candidates = wanted === 'auto' ? BACKEND_LADDER : [wanted];
  let selected: BackendSelection | null = null;
  for (const candidate of candidates) {
    const result = await attempt(candidate, wanted === 'auto', options);
    if (result.note) notes.push(result.note);
    if ('failure' in result) {
      tried.push({ name: candidate, available: result.available ?? false, detail: result.failure });
      continue;
    }
    tried.push({ name: candidate, available: true, detail: detailOf(candidate, result.selection) });
    selected = { ...result.selection, tried, notes };
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
