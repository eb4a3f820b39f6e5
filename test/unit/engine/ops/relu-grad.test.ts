// ReLU's gradient through the ReluGrad kernel is tfjs-core's, dy·step(x) (0 at x = 0):
// the cpu kernel (the reference) against the composite a backend without the kernel runs.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { RELU_GRAD } from '../../../../src-main/engine/ops/relu-grad';
import { randomValues, runOn } from '../backend/backend-helpers';

/** ∂Σ(relu(x)·u)/∂x, on inputs with exact zeros among them. */
function gradient(viaKernel: boolean) {
  return () => {
    const kernel = tf.getKernel(RELU_GRAD, 'cpu') as Parameters<typeof tf.registerKernel>[0];
    if (!viaKernel) tf.unregisterKernel(RELU_GRAD, 'cpu');
    try {
      const x = tf.tensor1d(Float32Array.from(randomValues(37, 1), (v, i) => (i % 5 === 0 ? 0 : v)));
      const upstream = tf.tensor1d(randomValues(37, 2));
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), upstream)))(x)];
    } finally {
      if (!viaKernel) tf.registerKernel(kernel);
    }
  };
}

describe('ReluGrad', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it("the cpu kernel gives tfjs-core's gradient, zero where x ≤ 0", async () => {
    const [kernel] = await runOn('cpu', gradient(true));
    const [composite] = await runOn('cpu', gradient(false));
    // dy·0 is −0 where dy < 0; the kernel writes +0. Equal as numbers.
    const plusZero = (values: Float32Array) => Array.from(values, (v) => v + 0);
    expect(plusZero(kernel)).toEqual(plusZero(composite));
    expect(kernel[0]).toBe(0);
  });
});
