// Exp on the wasm backend in WebAssembly SIMD (simd/training.wat: Cephes' expf in
// four lanes, within a few ulp: 1e-6 relatively). tfjs-backend-wasm 4.22 calls the C library's expf per
// element: 42 ms of the gaussian reference CNN's profiled step (its responses
// exp(−γ‖p − w‖²) over every activation), ~12 ns an element. The last size % 4
// elements go through Math.exp; other dtypes keep the wasm kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '../ops/kernel-types';
import { simdFor, type WasmBackend } from './wasm-simd';

/** The Exp kernel above, over the wasm package's own (whose setup it keeps; call before the backend starts). */
export function wasmExpKernel(): KernelConfig | null {
  const original = tf.getKernel('Exp', 'wasm');
  if (!original) return null;
  return {
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      const backend = args.backend as unknown as WasmBackend;
      const simd = simdFor(backend);
      if (x.dtype !== 'float32' || !simd) return original.kernelFunc(args);
      const out = backend.makeOutput([...x.shape], 'float32');
      const size = x.shape.reduce((a, b) => a * b, 1);
      const vectors = size & ~3;
      simd.passes.exp(simd.address(x), simd.address(out), vectors);
      // Views after the allocation, which may have grown (and detached) the heap.
      const [input, output] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
      for (let i = vectors; i < size; i++) output[i] = Math.exp(input[i]);
      return out;
    },
  };
}
