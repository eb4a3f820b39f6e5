// The broadcasting FusedBatchNorm gradient against tfjs-core's own (tiling) one, on
// wasm and on the pure-JS cpu backend: dx, dmean, dvariance, dscale and doffset for
// per-channel statistics (inference form), the training form (mean and variance
// from tf.moments, so their gradients flow back into x). Scale and offset are always
// given: without either, tfjs-core 4.22's autodiff of batchNorm fails before any
// gradient function runs (it records the missing input), so there is nothing to compare.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastingBatchNormGradient, FUSED_BATCH_NORM } from '../../../../src-main/engine/backend/batchnorm-gradient';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { maxRelativeError, randomValues, runOn } from './backend-helpers';

const X_SHAPE = [3, 4, 5, 6] as const;
const C = X_SHAPE[3];
const EPSILON = 1e-3;
const TOLERANCE = 1e-6;

const xValues = randomValues(X_SHAPE.reduce((a: number, b: number) => a * b, 1), 41).map((v) => v * 2 + 0.5);
const upstream = randomValues(xValues.length, 42);
const perChannel = (seed: number, scale: number, shift: number) => randomValues(C, seed).map((v) => v * scale + shift);
const meanValues = perChannel(43, 0.3, 0);
const varianceValues = perChannel(44, 0.4, 1);
const scaleValues = perChannel(45, 0.5, 1);
const offsetValues = perChannel(46, 0.5, 0);

type Form = 'per-channel statistics' | 'training (moments of x)';

/** Gradients of Σ batchNorm(...) ⊙ r with respect to every tensor input of the form. */
function gradients(form: Form): tf.Tensor[] {
  const x = tf.tensor4d(xValues, [...X_SHAPE]);
  const r = tf.tensor4d(upstream, [...X_SHAPE]);
  const mean = tf.tensor1d(meanValues);
  const variance = tf.tensor1d(varianceValues);
  const scale = tf.tensor1d(scaleValues);
  const offset = tf.tensor1d(offsetValues);
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, r));
  switch (form) {
    case 'per-channel statistics':
      return tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
        loss(tf.batchNorm(a, m, v, o, s, EPSILON)),
      )([x, mean, variance, scale, offset]);
    case 'training (moments of x)':
      return tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const moments = tf.moments(a, [0, 1, 2]);
        return loss(tf.batchNorm(a, moments.mean, moments.variance, o, s, EPSILON));
      })([x, scale, offset]);
  }
}

describe('broadcasting FusedBatchNorm gradient', () => {
  const original = tf.getGradient(FUSED_BATCH_NORM);

  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    tf.registerGradient(original);
  });

  it('is the FusedBatchNorm gradient once initBackend has run', () => {
    expect(original).not.toBe(broadcastingBatchNormGradient);
    expect(tf.getGradient(FUSED_BATCH_NORM)).toBe(broadcastingBatchNormGradient);
  });

  /** The gradients with the given gradient config registered, on one backend. */
  async function withGradient(config: typeof original, backend: 'wasm' | 'cpu', form: Form): Promise<Float32Array[]> {
    tf.registerGradient(config);
    return runOn(backend, () => gradients(form));
  }

  for (const backend of ['wasm', 'cpu'] as const) {
    for (const form of ['per-channel statistics', 'training (moments of x)'] as const) {
      it(`matches tfjs-core's gradient on ${backend}: ${form}`, async () => {
        const expected = await withGradient(original, backend, form);
        const actual = await withGradient(broadcastingBatchNormGradient, backend, form);
        expect(actual.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) {
          expect(expected[i].every(Number.isFinite)).toBe(true);
          expect(maxRelativeError(actual[i], expected[i]), `gradient ${i}`).toBeLessThanOrEqual(TOLERANCE);
        }
      });
    }
  }

  it('runs no Tile kernel in the backward pass, where tfjs-core tiles 1/√variance to the activation size', async () => {
    const tileCalls = async (config: typeof original) => {
      tf.registerGradient(config);
      const info = await tf.profile(() => {
        tf.dispose(tf.tidy(() => gradients('per-channel statistics')));
      });
      return info.kernels.filter((k) => k.name === 'Tile').length;
    };
    expect(await tileCalls(original)).toBeGreaterThan(0);
    expect(await tileCalls(broadcastingBatchNormGradient)).toBe(0);
  });
});
