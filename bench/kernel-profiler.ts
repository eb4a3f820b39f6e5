// Per-kernel wall time of one training step, with nesting. tf.profile lists every
// kernel, including the tf ops that a kernel itself calls (the wasm training
// kernels in engine/backend/wasm-kernels.ts are written over tf ops), so summing
// its list counts those twice. Wrapping the engine's profiler records each
// kernel's depth as well: only the outermost kernels add up to the step.
// This reaches into tfjs internals (engine.profiler, engine.state.kernelDepth),
// which is acceptable in a benchmark and nowhere else.
import * as tf from '@tensorflow/tfjs';

export interface KernelRecord {
  name: string;
  /** 1 for a kernel called by the program, more for one called by another kernel. */
  depth: number;
  ms: number;
  inputShapes: number[][];
}

interface EngineInternals {
  profiler: { profileKernel: (name: string, inputs: Record<string, tf.Tensor | null>, f: () => tf.Tensor[]) => unknown };
  state: { kernelDepth: number };
}

export interface ProfiledRun<T> {
  result: T;
  /** Outermost kernels, in the order they ran. */
  kernels: KernelRecord[];
  /** Highest tensor bytes held at any point (tf.profile's peakBytes). */
  peakBytes: number;
}

/**
 * Runs fn under tf.profile and returns its outermost kernels with wall times.
 * Kernel times are wall clock around the kernel, which is exact on synchronous
 * backends (wasm, cpu); on asynchronous ones the profiler's own timer is used by
 * tfjs and our figure includes only the dispatch.
 */
export async function profileKernels<T>(fn: () => T): Promise<ProfiledRun<T>> {
  const engine = tf.engine() as unknown as EngineInternals;
  const profiler = engine.profiler;
  const original = profiler.profileKernel;
  const records: KernelRecord[] = [];
  profiler.profileKernel = function (name, inputs, f) {
    const depth = engine.state.kernelDepth;
    const start = performance.now();
    const out = original.call(profiler, name, inputs, f);
    const inputShapes = Object.values(inputs).map((t) => (t ? [...t.shape] : []));
    records.push({ name, depth, ms: performance.now() - start, inputShapes });
    return out;
  };
  let result!: T;
  try {
    const info = await tf.profile(() => {
      result = fn();
      return result as unknown as tf.TensorContainer;
    });
    const top = records.length ? Math.min(...records.map((r) => r.depth)) : 1;
    // Records are pushed when a kernel ends, so nested kernels precede their parent;
    // the order of the outermost ones is the program order.
    return { result, kernels: records.filter((r) => r.depth === top), peakBytes: info.peakBytes };
  } finally {
    profiler.profileKernel = original;
  }
}
