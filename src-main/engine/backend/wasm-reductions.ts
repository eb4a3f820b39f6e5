// Faster Sum and Mean on the wasm backend for the reductions training is made of:
// over the leading axes of a tensor (batch-norm statistics and their gradients
// reduce an NHWC activation over N, H and W; bias gradients over the batch).
// tfjs-backend-wasm 4.22 reduces only over the innermost axes, so it first
// transposes the whole tensor (a full-size copy in a strided order), then sums.
// Seen as a [M, C] matrix, the same reduction is one pass down its rows,
// reading the wasm heap in place. Measured as CPU time of the 17 Sums in one
// training step of the reference CNN (same process, back to back, loaded
// machine): wasm kernel 193 ms, this pass 67–79 ms. A product with a row of
// ones measured 232 ms there: XNNPACK packs its weight operand again for every
// new tensor (it is fast only for the same tensor, as in a micro-benchmark).
// With the SIMD pass (simd/training.wat; the last columns % 4 one by one) it is one
// more order of magnitude: 0.6 ms for the [64·32·32, 32] of the first batch
// norm. Sums accumulate in float64 (SIMD: per tile of 32 rows in float32 first).
// Every other case (innermost axes, int32, all axes) keeps the wasm kernel.
import * as tf from '@tensorflow/tfjs';
import { simdFor, type WasmBackend } from './wasm-simd';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;
type ReductionAttrs = { axis: number | number[]; keepDims: boolean };

const BACKEND = 'wasm';

/**
 * How many leading axes a reduction covers, when it covers exactly axes
 * 0..k−1 of a float32 tensor and leaves at least one axis; otherwise null.
 */
export function leadingReduction(shape: readonly number[], dtype: string, axis: number | number[]): number | null {
  if (dtype !== 'float32' || shape.length < 2) return null;
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length) return null;
  return axes.every((a, i) => a === i) ? axes.length : null;
}

/** out[c] = scale · Σ_m x[m·columns + c], over the `rows` rows of x seen as [rows, columns]. */
export function sumRows(x: Float32Array, rows: number, columns: number, scale: number, out: Float32Array): void {
  const acc = new Float64Array(columns);
  for (let m = 0, i = 0; m < rows; m++) {
    for (let c = 0; c < columns; c++, i++) acc[c] += x[i];
  }
  for (let c = 0; c < columns; c++) out[c] = acc[c] * scale;
}

function leadingAxesKernel(kernelName: 'Sum' | 'Mean'): KernelConfig | null {
  const original = tf.getKernel(kernelName, BACKEND);
  if (!original) return null;
  return {
    kernelName,
    backendName: BACKEND,
    // The engine runs setupFunc when the backend starts: the original's binds its wasm function.
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      const { axis, keepDims } = args.attrs as unknown as ReductionAttrs;
      const k = leadingReduction(x.shape, x.dtype, axis);
      if (k === null) return original.kernelFunc(args);
      const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
      const kept = x.shape.slice(k);
      const backend = args.backend as unknown as WasmBackend;
      const columns = kept.reduce((a, b) => a * b, 1);
      const scale = kernelName === 'Mean' ? 1 / rows : 1;
      const out = backend.makeOutput(keepDims ? [...new Array<number>(k).fill(1), ...kept] : kept, 'float32');
      const simd = simdFor(backend);
      if (simd && columns > 0 && rows > 0) {
        const sums = simd.scratch(8 * columns);
        new Float64Array(simd.heap(), sums, columns).fill(0);
        simd.passes.columnSums(simd.address(x), rows, columns, sums);
        const totals = new Float64Array(simd.heap(), sums, columns);
        backend.typedArrayFromHeap(out).set(Float32Array.from(totals, (v) => v * scale));
        return out;
      }
      // Views after the allocation, which may have grown (and detached) the heap.
      sumRows(backend.typedArrayFromHeap(x), rows, columns, scale, backend.typedArrayFromHeap(out));
      return out;
    },
  };
}

/** The Sum and Mean kernels above, built over the wasm package's own (call once, before the backend starts). */
export function wasmReductionKernels(): KernelConfig[] {
  return [leadingAxesKernel('Sum'), leadingAxesKernel('Mean')].filter((k): k is KernelConfig => k !== null);
}
