// Element-wise kernels of the wasm backend, where tfjs-backend-wasm 4.22 calls the
// C library per element:
//   Exp       Cephes' expf in four SIMD lanes (simd/training.wat; 1e-6 relatively,
//             0, +∞ and NaN kept): 3 ns an element where the package's took ~12
//             (42 ms of the gaussian reference CNN's profiled step);
//   Tanh      2·σ(2x) − 1, σ being XNNPACK's vectorised sigmoid: 4 ms per 2 M
//             elements where the package's tanh took ~9× longer and a SIMD
//             tanh from the exp above 7.5 ms (same process, back to back). The
//             identity is exact; in float32 the result is within ~2.5e-7 of tanh
//             absolutely (σ(2x) sits near 0.5 for small x, where floats are 6e-8
//             apart), far below what training notices;
//   TanhGrad  dy·(1 − y²) (ops/tanh-grad.ts) in one SIMD pass for tfjs-core's three.
// LeNet-5 and the sigmoid kervolution have a tanh after every layer. The last
// size % 4 elements go through the JS reference; other dtypes keep the package's kernels.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '../ops/kernel-types';
import { TANH_GRAD, tanhGradReference } from '../ops/tanh-grad';
import { simdFor, type Simd, type WasmBackend } from './wasm-simd';

/**
 * A float32 element-wise kernel: `pass` over the first size & ~3 elements of the
 * inputs into a fresh output, `tail` over the rest; null where there is no SIMD.
 */
function elementwise(
  backend: WasmBackend,
  inputs: TensorInfo[],
  pass: (simd: Simd, addresses: number[], out: number, n: number) => void,
  tail: (inputs: Float32Array[], out: Float32Array) => void,
): TensorInfo | null {
  const simd = simdFor(backend);
  if (!simd || inputs.some((info) => info.dtype !== 'float32')) return null;
  const shape = [...inputs[0].shape];
  const out = backend.makeOutput(shape, 'float32');
  const size = shape.reduce((a, b) => a * b, 1);
  const vectors = size & ~3;
  pass(simd, inputs.map((info) => simd.address(info)), simd.address(out), vectors);
  // Views after the allocation, which may have grown (and detached) the heap.
  tail(inputs.map((info) => backend.typedArrayFromHeap(info).subarray(vectors)), backend.typedArrayFromHeap(out).subarray(vectors));
  return out;
}

/** A unary kernel over the wasm package's own (whose setup it keeps; call before the backend starts). */
function unary(kernelName: 'Exp', pass: (simd: Simd) => (x: number, y: number, n: number) => void, scalar: (v: number) => number): KernelConfig | null {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return null;
  return {
    ...original,
    kernelFunc: (args) =>
      elementwise(
        args.backend as unknown as WasmBackend,
        [args.inputs.x as TensorInfo],
        (simd, [x], out, n) => pass(simd)(x, out, n),
        ([x], out) => out.forEach((_, i) => (out[i] = scalar(x[i]))),
      ) ?? original.kernelFunc(args),
  };
}

const tanhGradKernel: KernelConfig = {
  kernelName: TANH_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as unknown as WasmBackend;
    const { dy, y } = inputs as Record<'dy' | 'y', TensorInfo>;
    const out = elementwise(wasm, [dy, y], (simd, [d, v], dx, n) => simd.passes.tanhGrad(d, v, dx, n), ([d, v], dx) => tanhGradReference(d, v, dx));
    if (out) return out;
    const dx = wasm.makeOutput([...dy.shape], 'float32');
    tanhGradReference(wasm.typedArrayFromHeap(dy), wasm.typedArrayFromHeap(y), wasm.typedArrayFromHeap(dx));
    return dx;
  },
};

function tanhKernel(): KernelConfig | null {
  const original = tf.getKernel('Tanh', 'wasm');
  if (!original) return null;
  return {
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32') return original.kernelFunc(args);
      // A Tensor view of the input (see asTensor in ops/kernel-types.ts).
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return tf.tidy(() => {
        const input = tf.engine().makeTensorFromTensorInfo(x);
        return tf.sub(tf.mul(tf.sigmoid(tf.mul(input, tf.scalar(2))), tf.scalar(2)), tf.scalar(1));
      });
    },
  };
}

/** Exp, Tanh and TanhGrad for the wasm backend (call once, before the backend starts). */
export function wasmElementwiseKernels(): KernelConfig[] {
  return [unary('Exp', (simd) => simd.passes.exp, Math.exp), tanhKernel(), tanhGradKernel].filter((k): k is KernelConfig => k !== null);
}
