// Tanh's gradient as one kernel, `TanhGrad` (dy, y) → dy·(1 − y²), where
// tfjs-core's gradient makes three (Square, Sub, Multiply), each a pass and an
// allocation: LeNet-5 and the sigmoid kervolution have a tanh after every layer.
// Backend-neutral (activation-grad.ts): the kernel name, the gradient (registered
// for every backend: one without the kernel computes the same three ops) and the
// cpu backend's kernel, the reference (wasm: backend/wasm-elementwise.ts; webgpu:
// backend/webgpu-kernels/elementwise-grads.ts).
import * as tf from '@tensorflow/tfjs';
import { registerActivationGrad } from './activation-grad';

export const TANH_GRAD = 'TanhGrad';

/** dx = dy·(1 − y²) over plain arrays. */
export function tanhGradReference(dy: ArrayLike<number>, y: ArrayLike<number>, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
}

let registered = false;

/** Registers Tanh's gradient through TanhGrad and the cpu kernel (once per process). */
export function registerTanhGrad(): void {
  if (registered) return;
  registerActivationGrad({
    activation: 'Tanh',
    kernelName: TANH_GRAD,
    saved: 'y',
    reference: tanhGradReference,
    composite: (dy, y) => tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy),
  });
  registered = true;
}
