// BatchMatMul with a transposed operand on the wasm backend, as an explicit
// transpose followed by a plain product. The backward pass of every dense layer
// multiplies by a transposed matrix (dx = dy·Wᵀ, dW = xᵀ·dy); tfjs-backend-wasm
// 4.22 runs those 3–8× slower than the plain product. Measured on LeNet-5's
// first dense layer ([64, 400] × [400, 120], same process, back to back, CPU
// time): dy·Wᵀ 4.0 → 1.8 ms and xᵀ·dy 4.5 → 0.8 ms. Plain products keep the
// wasm kernel.
import * as tf from '@tensorflow/tfjs';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;
type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

/** Swaps the last two axes. */
function transposeLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

/** The BatchMatMul kernel above, over the wasm package's own (whose setup it keeps; call before the backend starts). */
export function wasmTransposedMatMulKernel(): KernelConfig | null {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) return null;
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
      const backend = args.backend as unknown as { incRef(dataId: object): void };
      // Tensor views of the inputs (see asTensor in ops/kernel-types.ts).
      backend.incRef(a.dataId);
      backend.incRef(b.dataId);
      return tf.tidy(() => {
        const left = tf.engine().makeTensorFromTensorInfo(a);
        const right = tf.engine().makeTensorFromTensorInfo(b);
        return tf.matMul(transposeA ? transposeLastTwo(left) : left, transposeB ? transposeLastTwo(right) : right);
      });
    },
  };
}
