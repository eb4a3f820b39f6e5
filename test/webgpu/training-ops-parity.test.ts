// The fused training ops' webgpu kernels (engine/backend/webgpu-kernels/) against
// their cpu kernels, the reference (engine/ops/): batch norm
// forward and gradient, linear and with the fused ReLU, with channels a multiple
// of 4 (vec4) and not, over one chunk of rows and over many (statistics combined
// across chunks), on activations far from zero (mean ≈ 10 std); the moving
// averages; the activation gradients; the polynomial and Gaussian kervolution
// responses fused into the convolution; every optimiser rule over three steps, on
// sizes a multiple of 4 and not.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { batchNormMovingAverages, batchNormTraining, type FusedActivation } from '../../src-main/engine/ops/batch-norm-training';
import { optimizerUpdate, slotCount, type OptimizerUpdateAttrs } from '../../src-main/engine/ops/optimizer-update';
import { countDispatches } from '../../src-main/engine/backend/webgpu-dispatches';
import { maxRelativeError, randomValues } from '../unit/engine/backend/backend-helpers';
import { hasSoftwareVulkan } from './software-vulkan';
import { kervConv2d } from '../../src-main/engine/kernels/kerv-conv2d';
import { computeOn } from './webgpu-test-helpers';
import { OPTIMIZER_CASES } from '../unit/engine/ops/optimizer-cases';

/**
 * As the other webgpu parity tests. The GPU computes the statistics in float32 and
 * the reference in float64: the mean can differ by an ulp, which moves an output
 * near 0 across the fused ReLU's edge (seen: dscale 6e-4 off on 4×5×3×8).
 */
const TOLERANCE = 1e-3;

/** y, mean, variance, then ∂/∂(x, scale, offset) of Σ y·upstream, through the op. */
function batchNorm(shape: number[], activation: FusedActivation): () => tf.Tensor[] {
  return () => {
    const channels = shape[shape.length - 1];
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(randomValues(size, 3).map((v, i) => 10 + (i % channels) + 2 * v), shape);
    const scale = tf.tensor1d(randomValues(channels, 4).map((v) => 1 + v / 2));
    const offset = tf.tensor1d(randomValues(channels, 5));
    const upstream = tf.tensor(randomValues(size, 6), shape);
    const forward = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => batchNormTraining(a, s as tf.Tensor1D, o as tf.Tensor1D, { epsilon: 1e-3, activation, collective: '' });
    const { y, mean, variance } = forward(x, scale, offset);
    const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(forward(a, s, o).y, upstream)))([x, scale, offset]);
    const [movingMean, movingVariance] = batchNormMovingAverages(tf.tensor1d(randomValues(channels, 7)), tf.tensor1d(randomValues(channels, 8).map(Math.abs)), mean, variance, 0.9);
    return [y, mean, variance, ...grads, movingMean, movingVariance];
  };
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset', 'moving mean', 'moving variance'];


/** Three updates from the same start: the final parameter and slots. */
function threeSteps(attrs: Omit<OptimizerUpdateAttrs, 'step'>, size: number): () => tf.Tensor[] {
  return () => {
    let param: tf.Tensor = tf.tensor1d(randomValues(size, 1));
    let slots: tf.Tensor[] = Array.from({ length: slotCount(attrs) }, (_, i) => tf.tensor1d(randomValues(size, 2 + i).map(Math.abs)));
    for (let step = 1; step <= 3; step++) [param, ...slots] = optimizerUpdate(param, tf.tensor1d(randomValues(size, 10 + step)), slots, { ...attrs, step });
    return [param, ...slots];
  };
}

describe.skipIf(!hasSoftwareVulkan())('fused training ops on webgpu match their cpu kernels', () => {
  beforeAll(async () => {
    await initBackend('cpu');
    await initBackend('webgpu');
  });

  for (const activation of ['linear', 'relu'] as const) {
    for (const shape of [[4, 5, 3, 8], [3, 4, 5, 6], [8, 16, 16, 4]]) {
      it(`batch norm, ${activation}, ${shape.join('×')}: forward, gradient, moving averages`, async () => {
        const expected = await computeOn('cpu', batchNorm(shape, activation));
        const actual = await computeOn('webgpu', batchNorm(shape, activation));
        actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]), NAMES[i]).toBeLessThan(TOLERANCE));
      });
    }
  }

  it('batch norm takes 3 dispatches forward, 3 backward and 1 for both moving averages', async () => {
    await tf.setBackend('webgpu');
    const { count } = countDispatches(() => tf.tidy(() => batchNorm([2, 4, 4, 8], 'relu')()));
    // 2 of them (one forward inside tf.grads's recomputation) + gradient + moving averages, plus the test's own ops.
    expect(count.byProgram).toMatchObject({ bnsums: 3, bncombine: 2, bnapply: 2, bngradterms: 1, bngraddx: 1, bnmoving: 1 });
  });

  it('activation gradients (TanhGrad, ReluGrad) on 12 and 10 values, one dispatch each', async () => {
    const grads = (size: number) => () => {
      const x = tf.tensor1d(Float32Array.from(randomValues(size, 20), (v, i) => (i % 5 === 0 ? 0 : 3 * v)));
      const upstream = tf.tensor1d(randomValues(size, 21));
      return [tf.tanh, tf.relu].map((f) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), upstream)))(x));
    };
    for (const size of [12, 10]) {
      const expected = await computeOn('cpu', grads(size));
      const actual = await computeOn('webgpu', grads(size));
      actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]), `${size} values, ${['tanh', 'relu'][i]}`).toBeLessThan(TOLERANCE));
    }
    await tf.setBackend('webgpu');
    const { count } = countDispatches(() => tf.tidy(() => grads(12)()));
    expect(count.byProgram.actgrad).toBe(2);
  });

  // The kervolution responses computed in the convolution's epilogue (ops/response-conv2d.ts):
  // one value or one per channel, 8 output channels (4 at a time) or 3, strides 1 and 2.
  for (const [kernel, param] of [['polynomial', 'per channel'], ['polynomial', 'scalar'], ['gaussian', 'per channel'], ['gaussian', 'scalar']] as const) {
    it(`${kernel} response with ${param} parameter: forward and gradients (x, w, parameter)`, async () => {
      for (const [outC, strides] of [[8, 1], [3, 2]]) {
        const run = () => {
          const x = tf.tensor4d(randomValues(2 * 6 * 5 * 4, 30), [2, 6, 5, 4]);
          const w = tf.tensor4d(randomValues(3 * 3 * 4 * outC, 31).map((v) => v * 0.5), [3, 3, 4, outC]);
          const p = param === 'scalar' ? tf.scalar(kernel === 'polynomial' ? 0.7 : 0.2) : tf.tensor1d(randomValues(outC, 32).map((v) => 0.3 + Math.abs(v) / 2));
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            kervConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { kernel: kernel === 'polynomial' ? { type: 'polynomial', d: 3, c } : { type: 'gaussian', gamma: c }, strides, padding: 'same' });
          const y = f(x, w, p);
          return [y, ...tf.grads(f)([x, w, p], tf.tensor(randomValues(y.size, 33), y.shape))];
        };
        const expected = await computeOn('cpu', run);
        const actual = await computeOn('webgpu', run);
        actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]), `${outC} channels, strides ${strides}: ${['y', 'dx', 'dw', 'dparam'][i]}`).toBeLessThan(TOLERANCE));
      }
    });
  }

  it('a polynomial response costs no dispatch beyond its convolution', async () => {
    await tf.setBackend('webgpu');
    const { count } = countDispatches(() =>
      tf.tidy(() => kervConv2d(tf.zeros([1, 6, 6, 4]) as tf.Tensor4D, tf.zeros([3, 3, 4, 8]) as tf.Tensor4D, { kernel: { type: 'polynomial', d: 3, c: tf.ones([8]) } })),
    );
    expect(count.byProgram).toEqual({ gemm: 1 });
  });

  for (const rule of OPTIMIZER_CASES) {
    it(`optimizer update, ${rule.name}: three steps on 12 and 10 values`, async () => {
      for (const size of [12, 10]) {
        const expected = await computeOn('cpu', threeSteps(rule.attrs, size));
        const actual = await computeOn('webgpu', threeSteps(rule.attrs, size));
        expect(actual).toHaveLength(1 + slotCount(rule.attrs));
        actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]), `${size} values, output ${i}`).toBeLessThan(TOLERANCE));
      }
    });
  }
});
