// The tfjs kernel types the engine's own kernels are written against (tfjs
// exports them only through registerKernel's signature).
import type * as tf from '@tensorflow/tfjs';

export type KernelConfig = Parameters<typeof tf.registerKernel>[0];
export type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
export type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;
