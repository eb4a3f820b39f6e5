// Tanh on the wasm backend as 2·σ(2x) − 1. tfjs-backend-wasm 4.22 computes tanh
// element by element with the C library's tanh, while its sigmoid is XNNPACK's
// vectorised (and threaded) one: measured on [64, 28, 28, 6] (LeNet-5's first
// activation; same process, back to back, CPU time) 7.5–9.2 ms → 0.5 ms for σ,
// about 1.2 ms with the two element-wise ops around it. LeNet-5 and the sigmoid
// kervolution spend a tenth of their step in Tanh.
// Accuracy: the identity is exact; in float32 the result is within ~2.5e-7 of
// tanh absolutely (σ(2x) sits near 0.5 for small x, where floats are 6e-8
// apart), far below what training notices; tested against the cpu backend.
import * as tf from '@tensorflow/tfjs';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;

/** The Tanh kernel above, over the wasm package's own (whose setup it keeps; call before the backend starts). */
export function wasmTanhKernel(): KernelConfig | null {
  const original = tf.getKernel('Tanh', 'wasm');
  if (!original) return null;
  return {
    kernelName: 'Tanh',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32') return original.kernelFunc(args);
      // A Tensor view of the input (see asTensor in wasm-kernels.ts).
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return tf.tidy(() => {
        const input = tf.engine().makeTensorFromTensorInfo(x);
        return tf.sub(tf.mul(tf.sigmoid(tf.mul(input, tf.scalar(2))), tf.scalar(2)), tf.scalar(1));
      });
    },
  };
}
