// The tfjs kernel types the engine's own kernels are written against (tfjs
// exports them only through registerKernel's signature).
import * as tf from '@tensorflow/tfjs';

export type KernelConfig = Parameters<typeof tf.registerKernel>[0];
export type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
export type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;

/**
 * A Tensor view of a kernel input, sharing its data, for kernels written over tf
 * ops. The engine does not count a wrapper as a reference, so the backend's count
 * is raised here; disposing the wrapper (by the surrounding tidy) lowers it again
 * and leaves the input alive.
 */
export function asTensor<R extends tf.Rank>(info: TensorInfo, backend: KernelArgs['backend']): tf.Tensor<R> {
  (backend as unknown as { incRef(dataId: object): void }).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}
