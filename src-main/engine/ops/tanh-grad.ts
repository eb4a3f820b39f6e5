// Tanh's gradient as one kernel, `TanhGrad` (dy, y) → dy·(1 − y²), where
// tfjs-core's gradient makes three (Square, Sub, Multiply), each a pass and an
// allocation: LeNet-5 and the sigmoid kervolution have a tanh after every layer.
// Backend-neutral: the kernel name, the gradient (registered for every backend:
// one without the kernel computes the same three ops) and the cpu backend's
// kernel, the reference (wasm: backend/wasm-elementwise.ts).
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelConfig, TensorInfo } from './kernel-types';

export const TANH_GRAD = 'TanhGrad';

/** dx = dy·(1 − y²) over plain arrays. */
export function tanhGradReference(dy: ArrayLike<number>, y: ArrayLike<number>, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
}

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

function cpuKernel({ inputs, backend }: KernelArgs): TensorInfo {
  const cpu = backend as unknown as CpuBackend;
  const { dy, y } = inputs as Record<'dy' | 'y', TensorInfo>;
  const dx = new Float32Array(dy.shape.reduce((a, b) => a * b, 1));
  tanhGradReference(cpu.data.get(dy.dataId).values, cpu.data.get(y.dataId).values, dx);
  return cpu.makeTensorInfo([...dy.shape], 'float32', dx);
}

let registered = false;

/** Registers Tanh's gradient through TanhGrad and the cpu kernel (once per process). */
export function registerTanhGrad(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: TANH_GRAD, backendName: 'cpu', kernelFunc: cpuKernel as KernelConfig['kernelFunc'] });
  tf.registerGradient({
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      const d = dy as tf.Tensor;
      if (d.dtype === 'float32' && tf.getKernel(TANH_GRAD, tf.getBackend())) return { x: () => tf.engine().runKernel(TANH_GRAD, { dy: d, y }) as tf.Tensor };
      return { x: () => tf.mul(tf.sub(tf.scalar(1), tf.square(y)), d) };
    },
  });
  registered = true;
}
