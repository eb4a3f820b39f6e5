// An activation's gradient as one kernel (dy, saved) → dx, instead of tfjs-core's
// chain of element-wise kernels (each a pass and an allocation): the pattern of
// tanh-grad.ts and relu-grad.ts. Each defines its kernel name, the tensor its
// gradient reads (the activation's input x or output y), the reference loop (the
// cpu backend's kernel) and tfjs-core's composite for backends without the kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelConfig, TensorInfo } from './kernel-types';

export interface ActivationGrad {
  /** The activation's tfjs kernel (Tanh, Relu). */
  activation: string;
  kernelName: string;
  /** What the gradient reads besides dy: the activation's input or its output. */
  saved: 'x' | 'y';
  /** dx = f(dy, saved) over plain arrays. */
  reference(dy: ArrayLike<number>, saved: ArrayLike<number>, dx: Float32Array): void;
  /** The same as tf ops (tfjs-core's own gradient). */
  composite(dy: tf.Tensor, saved: tf.Tensor): tf.Tensor;
}

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

/** Registers the activation's gradient through the kernel, and the cpu kernel. Call once per process. */
export function registerActivationGrad(grad: ActivationGrad): void {
  const cpuKernel = ({ inputs, backend }: KernelArgs): TensorInfo => {
    const cpu = backend as unknown as CpuBackend;
    const dy = inputs.dy as TensorInfo;
    const saved = inputs[grad.saved] as TensorInfo;
    const dx = new Float32Array(dy.shape.reduce((a, b) => a * b, 1));
    grad.reference(cpu.data.get(dy.dataId).values, cpu.data.get(saved.dataId).values, dx);
    return cpu.makeTensorInfo([...dy.shape], 'float32', dx);
  };
  tf.registerKernel({ kernelName: grad.kernelName, backendName: 'cpu', kernelFunc: cpuKernel as KernelConfig['kernelFunc'] });
  tf.registerGradient({
    kernelName: grad.activation,
    ...(grad.saved === 'x' ? { inputsToSave: ['x'] } : { outputsToSave: [true] }),
    gradFunc: (dy, savedTensors) => {
      const [saved] = savedTensors;
      const d = dy as tf.Tensor;
      if (d.dtype === 'float32' && saved.dtype === 'float32' && tf.getKernel(grad.kernelName, tf.getBackend())) {
        return { x: () => tf.engine().runKernel(grad.kernelName, { dy: d, [grad.saved]: saved }) as tf.Tensor };
      }
      return { x: () => grad.composite(d, saved) };
    },
  });
}
