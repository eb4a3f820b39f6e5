// Counts the compute dispatches the webgpu backend records. Every dispatch, tfjs's
// programs and this project's kernels alike, goes through one recorder
// (webgpu-kernels/runtime.ts), which announces it here. The count is exact on any
// adapter (software Vulkan and Dawn's null backend included), so it is the number
// a training step's GPU work is measured by where no GPU is at hand, and a test
// can guard it (a count is deterministic, a timing is not).
import * as tf from '@tensorflow/tfjs';

export interface DispatchCount {
  total: number;
  /** Per program family: the shader key up to its first '_' (binary, reduce, transpose, conv2DMM, gemm, ...). */
  byProgram: Record<string, number>;
}

export interface DispatchCounter extends DispatchCount {
  /** Stops counting; the numbers stay. */
  stop(): void;
}

/** The program's family, from the key it was built with (class names do not survive minification). */
export function programFamily(shaderKey: string): string {
  return shaderKey.split('_')[0];
}

const active = new Set<DispatchCount>();
const recorders = new WeakSet<object>();

/** Declares that this backend's dispatches are announced through recordDispatch (the runtime does, once installed). */
export function markDispatchRecorder(backend: object): void {
  recorders.add(backend);
}

/** Called once per dispatch, with the program's shader key. */
export function recordDispatch(shaderKey: string): void {
  if (active.size === 0) return;
  const family = programFamily(shaderKey);
  for (const count of active) {
    count.total += 1;
    count.byProgram[family] = (count.byProgram[family] ?? 0) + 1;
  }
}

/** Counts every dispatch of the current (webgpu) backend from now until stop(); counters may overlap. */
export function startCountingDispatches(): DispatchCounter {
  if (tf.getBackend() !== 'webgpu') throw new Error(`counting dispatches needs the webgpu backend, not ${tf.getBackend()}`);
  if (!recorders.has(tf.backend())) throw new Error('this webgpu backend was not started through engine/backend/webgpu.ts, so its dispatches are not announced');
  const counter: DispatchCounter = {
    total: 0,
    byProgram: {},
    stop: () => void active.delete(counter),
  };
  active.add(counter);
  return counter;
}

/** Runs fn on the current (webgpu) backend and counts the dispatches it records. */
export function countDispatches<T>(fn: () => T): { result: T; count: DispatchCount } {
  const counter = startCountingDispatches();
  try {
    return { result: fn(), count: counter };
  } finally {
    counter.stop();
  }
}
