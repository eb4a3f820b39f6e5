// Every kervolution kernel × stride × padding, forward and gradients (x, w and a
// learnable parameter), on webgpu against wasm. The wasm side is checked against
// a float64 reference elsewhere (test/unit/engine/kernels); here the question is
// whether the GPU path computes the same thing. Tiny sizes: software Vulkan runs
// every shader on the CPU.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convGeometry } from '../../src-main/engine/kernels/conv-geometry';
import { kervConv2d, type KervKernel } from '../../src-main/engine/kernels/kerv-conv2d';
import { manhattanConv2d, manhattanPath } from '../../src-main/engine/kernels/manhattan-conv2d';
import { KERNEL_TYPES } from '../../src-main/shared/run-config';
import { maxRelativeError, randomValues } from '../unit/engine/backend/backend-helpers';
import { hasSoftwareVulkan } from './software-vulkan';
import { computeOn, startWasmAndWebGpu } from './webgpu-test-helpers';

const X_SHAPE: [number, number, number, number] = [2, 5, 6, 2];
const W_SHAPE: [number, number, number, number] = [3, 3, 2, 3];
const TOLERANCE = 1e-3;
const xValues = randomValues(2 * 5 * 6 * 2, 31);
const wValues = randomValues(3 * 3 * 2 * 3, 32).map((v) => v * 0.6);

/** Each kernel with, where it has one, a parameter per output channel as a tensor (as a learnable one is). */
const KERNELS: { type: (typeof KERNEL_TYPES)[number]; param?: number[]; make: (p: tf.Tensor | null) => KervKernel }[] = [
  { type: 'linear', make: () => ({ type: 'linear' }) },
  { type: 'polynomial', param: [0.5, 1, 1.5], make: (c) => ({ type: 'polynomial', d: 3, c: c as tf.Tensor }) },
  { type: 'gaussian', param: [0.1, 0.3, 0.6], make: (gamma) => ({ type: 'gaussian', gamma: gamma as tf.Tensor }) },
  { type: 'sigmoid', param: [0, 0.2, -0.3], make: (c) => ({ type: 'sigmoid', c: c as tf.Tensor }) },
  { type: 'manhattan', make: () => ({ type: 'manhattan' }) },
  { type: 'euclidean', make: () => ({ type: 'euclidean' }) },
  { type: 'cosine', make: () => ({ type: 'cosine' }) },
  { type: 'laplacian', param: [0.1, 0.3, 0.6], make: (gamma) => ({ type: 'laplacian', gamma: gamma as tf.Tensor }) },
];

/** y and the gradients of Σ y ⊙ R with respect to x, w and the parameter. */
function forwardAndGradients(kernel: (typeof KERNELS)[number], strides: number, padding: 'valid' | 'same'): tf.Tensor[] {
  const x = tf.tensor4d(xValues, X_SHAPE);
  const w = tf.tensor4d(wValues, W_SHAPE);
  const p = kernel.param ? tf.tensor1d(kernel.param) : null;
  const f = (xs: tf.Tensor4D, ws: tf.Tensor4D, ps: tf.Tensor | null) => kervConv2d(xs, ws, { kernel: kernel.make(ps), strides, padding });
  const y = f(x, w, p);
  const r = tf.tensor(randomValues(y.size, 33), y.shape);
  const inputs = p ? [x, w, p] : [x, w];
  const grads = tf.grads((...args: tf.Tensor[]) => f(args[0] as tf.Tensor4D, args[1] as tf.Tensor4D, args[2] ?? null))(inputs, r);
  return [y, ...grads];
}

describe.skipIf(!hasSoftwareVulkan())('kervolution kernels on webgpu match wasm', () => {
  beforeAll(async () => {
    await startWasmAndWebGpu();
  });

  expect(KERNELS.map((k) => k.type)).toEqual([...KERNEL_TYPES]);

  for (const kernel of KERNELS) {
    it(`${kernel.type}: forward and gradients, strides 1 and 2, padding valid and same`, async () => {
      for (const strides of [1, 2]) {
        for (const padding of ['valid', 'same'] as const) {
          const expected = await computeOn('wasm', () => forwardAndGradients(kernel, strides, padding));
          const actual = await computeOn('webgpu', () => forwardAndGradients(kernel, strides, padding));
          const names = ['y', 'dx', 'dw', 'dparam'];
          const errors = Object.fromEntries(actual.map((a, i) => [names[i], maxRelativeError(a, expected[i])]));
          for (const [name, error] of Object.entries(errors)) {
            expect(error, `${kernel.type} strides ${strides} ${padding}: ${name}`).toBeLessThan(TOLERANCE);
          }
        }
      }
    });
  }

  it('manhattan on webgpu takes the chunked tf-ops path, and its chunks add up (budget of 16 values)', async () => {
    await tf.setBackend('webgpu');
    expect(manhattanPath()).toBe('tf-ops');
    const g = convGeometry(X_SHAPE, W_SHAPE, [1, 1], 'same', [1, 1]);
    const run = (chunk?: number) => () => {
      const x = tf.tensor4d(xValues, X_SHAPE);
      const w = tf.tensor4d(wValues, W_SHAPE);
      const r = tf.tensor(randomValues(2 * 5 * 6 * 3, 34), [2, 5, 6, 3]);
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) => manhattanConv2d(a, b, g, chunk);
      return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w], r)];
    };
    const expected = await computeOn('wasm', run());
    const chunked = await computeOn('webgpu', run(16));
    chunked.forEach((values, i) => expect(maxRelativeError(values, expected[i])).toBeLessThan(TOLERANCE));
  });
});
