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
import type { BackendChoice } from '../../shared/run-config';
import type { RunEnvironment } from '../../shared/progress';
import { registerWasmTrainingKernels } from './wasm-kernels';

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

async function tryWasm(): Promise<string | null> {
  try {
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    registerWasmTrainingKernels();
    const ok = await tf.setBackend('wasm');
    return ok ? null : 'wasm backend failed to initialise';
  } catch (error) {
    return (error as Error).message;
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

/**
 * Initialises the backend once per process. `choice` comes from the run config;
 * KERV_BACKEND overrides 'auto'. Throws with the reason when a forced backend is
 * unavailable, rather than silently training somewhere else.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendSelection> {
  const wanted = choice === 'auto' ? ((process.env.KERV_BACKEND as BackendChoice | undefined) ?? 'auto') : choice;
  if (current && (wanted === 'auto' || current.backend === wanted || (wanted === 'tensorflow-gpu' && current.device !== cpuModel()))) {
    return current;
  }
  const tried: BackendSelection['tried'] = [];
  const candidates: BackendChoice[] = wanted === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [wanted];

  for (const candidate of candidates) {
    if (candidate === 'tensorflow-gpu') {
      const err = tryLoadNode('@tensorflow/tfjs-node-gpu');
      const gpu = err ? null : gpuName();
      if (!err && gpu && (await tf.setBackend('tensorflow'))) {
        tried.push({ name: candidate, available: true, detail: gpu });
        current = { backend: 'tensorflow', device: gpu, threads: os.cpus().length, tried };
        break;
      }
      tried.push({ name: candidate, available: false, detail: err ?? 'no GPU visible (nvidia-smi)' });
    } else if (candidate === 'tensorflow') {
      const err = tryLoadNode('@tensorflow/tfjs-node');
      if (!err && (await tf.setBackend('tensorflow'))) {
        tried.push({ name: candidate, available: true, detail: cpuModel() });
        current = { backend: 'tensorflow', device: cpuModel(), threads: os.cpus().length, tried };
        break;
      }
      tried.push({ name: candidate, available: false, detail: err ?? 'tensorflow backend failed to initialise' });
    } else if (candidate === 'wasm') {
      const err = await tryWasm();
      if (!err) {
        tried.push({ name: candidate, available: true, detail: `${cpuModel()}, single-threaded SIMD` });
        current = { backend: 'wasm', device: cpuModel(), threads: 1, tried };
        break;
      }
      tried.push({ name: candidate, available: false, detail: err });
    } else if (candidate === 'cpu') {
      await tf.setBackend('cpu');
      tried.push({ name: candidate, available: true, detail: `${cpuModel()}, pure JavaScript (slow reference)` });
      current = { backend: 'cpu', device: cpuModel(), threads: 1, tried };
      break;
    }
  }
  if (!current || (wanted !== 'auto' && current.tried !== tried)) {
    const reasons = tried.map((t) => `${t.name}: ${t.detail}`).join('; ');
    throw new Error(`Backend '${wanted}' is not available here (${reasons}). Allowed: ${['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].join(', ')}.`);
  }
  await tf.ready();
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
