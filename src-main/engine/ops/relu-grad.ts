// ReLU's gradient as one kernel, `ReluGrad` (dy, x) → dy·[x > 0], where
// tfjs-core's gradient makes two (Step, then Multiply), each a pass and an
// allocation: on webgpu two dispatches per ReLU and step. ResNets keep a ReLU
// layer after every residual add (a batch norm's sole ReLU is fused into it,
// layers/fused-batch-norm.ts); plain CNNs without batch norm after every conv.
// Backend-neutral (activation-grad.ts), as tanh-grad.ts: the cpu kernel is the
// reference (webgpu: backend/webgpu-kernels/elementwise-grads.ts); a backend
// without the kernel computes tfjs-core's two ops.
import * as tf from '@tensorflow/tfjs';
import { registerActivationGrad } from './activation-grad';

export const RELU_GRAD = 'ReluGrad';

/** dx = dy where x > 0, else 0, over plain arrays. */
export function reluGradReference(dy: ArrayLike<number>, x: ArrayLike<number>, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

let registered = false;

/** Registers Relu's gradient through ReluGrad and the cpu kernel (once per process). */
export function registerReluGrad(): void {
  if (registered) return;
  registerActivationGrad({
    activation: 'Relu',
    kernelName: RELU_GRAD,
    saved: 'x',
    reference: reluGradReference,
    composite: (dy, x) => tf.mul(dy, tf.cast(tf.step(x), 'float32')),
  });
  registered = true;
}
