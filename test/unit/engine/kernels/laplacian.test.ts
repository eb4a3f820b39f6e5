// The Laplacian kernel exp(−γ‖p − w‖₁), added through the kernel registry only.
// Its float64 reference is built from the reference's own manhattan response
// (−‖p − w‖₁, patch by patch), so nothing here shares code with the engine:
// values for every geometry, gradients (x, w, per-channel γ) against central
// differences, the same gradients on the cpu backend (also through the tf-ops
// manhattan path GPUs use), and the layer a user trains, saves and loads.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { kervConv2d } from '../../../../src-main/engine/kernels/kerv-conv2d';
import { forceManhattanPath } from '../../../../src-main/engine/kernels/manhattan-conv2d';
import { KervConv2D, kervConv2dLayer } from '../../../../src-main/engine/layers/kerv-conv2d-layer';
import { buildModel } from '../../../../src-main/engine/models/build-model';
import { hasDistanceKervolution, initDistanceKervolutions } from '../../../../src-main/engine/models/kerv-init';
import { Rng } from '../../../../src-main/engine/random';
import { modelConfigSchema } from '../../../../src-main/shared/run-config';
import { maxRelativeError, randomValues, runOn } from '../backend/backend-helpers';
import { fashionSample } from '../models/fashion-sample';
import { numericGradient, referenceKervConv2d, type RefOptions } from './reference';

const X_SHAPE = [2, 5, 6, 2] as const;
const W_SHAPE = [3, 3, 2, 3] as const;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
// Small values keep exp(−γ‖p − w‖₁) away from 0 (a 18-value patch): relative errors stay meaningful.
const xValues = Float64Array.from(randomValues(size(X_SHAPE), 41)).map((v) => v * 0.3);
const wValues = Float64Array.from(randomValues(size(W_SHAPE), 42)).map((v) => v * 0.3);
const GAMMAS = [0.2, 0.5, 1];

type Geometry = Omit<RefOptions, 'kernel'>;
const geometries: Geometry[] = [];
for (const s of [1, 2]) for (const padding of ['valid', 'same'] as const) for (const d of [1, 2]) geometries.push({ strides: [s, s], padding, dilation: [d, d] });
const label = (g: Geometry) => `strides ${g.strides[0]}, ${g.padding}, dilation ${g.dilation[0]}`;

/** exp(−γ_o‖p − w_o‖₁) in float64, from the reference's manhattan response −‖p − w‖₁. */
function referenceLaplacian(x: Float64Array, w: Float64Array, gamma: ArrayLike<number>, g: Geometry) {
  const manhattan = referenceKervConv2d(x, X_SHAPE, w, W_SHAPE, { kernel: { type: 'manhattan' }, ...g });
  const outC = W_SHAPE[3];
  const values = manhattan.values.map((negL1, i) => Math.exp((gamma.length === 1 ? gamma[0] : gamma[i % outC]) * negL1));
  return { values, shape: manhattan.shape };
}

/** y and the gradients of Σ y ⊙ r with respect to x, w and γ, on the current backend. */
function valuesAndGradients(gamma: number[], g: Geometry, r: Float64Array, outShape: number[]): tf.Tensor[] {
  const x = tf.tensor4d(Float32Array.from(xValues), [...X_SHAPE]);
  const w = tf.tensor4d(Float32Array.from(wValues), [...W_SHAPE]);
  const p = tf.tensor1d(gamma);
  const rT = tf.tensor(Float32Array.from(r), outShape);
  const op = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => kervConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { kernel: { type: 'laplacian', gamma: c }, ...g });
  const y = op(x, w, p);
  return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(op(a, b, c), rT)))([x, w, p])];
}

describe('laplacian kervolution exp(−γ‖p − w‖₁)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => forceManhattanPath(null));

  for (const g of geometries) {
    it(`matches the float64 reference, values and gradients, ${label(g)}`, () => {
      const gammaValues = Float64Array.from(GAMMAS);
      const expected = referenceLaplacian(xValues, wValues, gammaValues, g);
      const r = Float64Array.from(randomValues(size(expected.shape), 43));
      const results = tf.tidy(() => valuesAndGradients(GAMMAS, g, r, expected.shape));
      const [y, gx, gw, gGamma] = results.map((t) => t.dataSync());
      expect(results[0].shape).toEqual(expected.shape);
      tf.dispose(results);
      expect(maxRelativeError(y, expected.values)).toBeLessThanOrEqual(1e-5);

      const f = () => {
        const out = referenceLaplacian(xValues, wValues, gammaValues, g).values;
        return out.reduce((sum, v, i) => sum + v * r[i], 0);
      };
      expect(maxRelativeError(gx, numericGradient(xValues, f))).toBeLessThan(2e-3);
      expect(maxRelativeError(gw, numericGradient(wValues, f))).toBeLessThan(2e-3);
      expect(maxRelativeError(gGamma, numericGradient(gammaValues, f))).toBeLessThan(2e-3);
    });
  }

  it('has the same values and gradients on the cpu backend, through the direct and the tf-ops manhattan paths', async () => {
    const g = geometries[3]; // strides 1, same, dilation 2
    const shape = referenceLaplacian(xValues, wValues, GAMMAS, g).shape;
    const r = Float64Array.from(randomValues(size(shape), 44));
    const onWasm = await runOn('wasm', () => valuesAndGradients(GAMMAS, g, r, shape));
    const onCpu = await runOn('cpu', () => valuesAndGradients(GAMMAS, g, r, shape));
    forceManhattanPath('tf-ops');
    const onCpuTfOps = await runOn('cpu', () => valuesAndGradients(GAMMAS, g, r, shape));
    // Float32 sums in another order differ by ~1e-4; a wrong or missing term is off by O(1).
    for (const other of [onCpu, onCpuTfOps]) {
      other.forEach((values, i) => expect(maxRelativeError(values, onWasm[i]), ['y', 'dx', 'dw', 'dγ'][i]).toBeLessThan(1e-3));
    }
  });

  it("takes a scalar γ, its declared default ('auto': without data √π / (2 · patch size)) when omitted, and rejects γ ≤ 0 naming the field", () => {
    const g = geometries[0];
    const x = tf.tensor4d(Float32Array.from(xValues), [...X_SHAPE]);
    const w = tf.tensor4d(Float32Array.from(wValues), [...W_SHAPE]);
    const byDefault = kervConv2d(x, w, { kernel: { type: 'laplacian' }, ...g });
    expect(maxRelativeError(byDefault.dataSync(), referenceLaplacian(xValues, wValues, [Math.sqrt(Math.PI) / (2 * W_SHAPE[0] * W_SHAPE[1] * W_SHAPE[2])], g).values)).toBeLessThanOrEqual(1e-5);
    expect(() => kervConv2d(x, w, { kernel: { type: 'laplacian', gamma: 0 } })).toThrow(/kernel\.gamma must be > 0/);
    tf.dispose([x, w, byDefault]);
  });

  it('learns γ per channel as log_gamma in a layer that saves and loads in the tfjs format', async () => {
    const model = tf.sequential({
      layers: [kervConv2dLayer({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', kernel: { type: 'laplacian', gamma: 0.5, learnable: true }, name: 'kerv' }), tf.layers.flatten()],
    });
    const kerv = model.getLayer('kerv') as KervConv2D;
    expect(kerv.trainableWeights.map((v) => [v.originalName.split('/').pop(), v.shape])).toEqual([
      ['kernel', [3, 3, 2, 3]],
      ['bias', [3]],
      ['log_gamma', [3]],
    ]);
    kerv.setWeights(kerv.getWeights().map((v, i) => (i < 2 ? v : tf.tensor1d([-1, 0, 0.5]))));
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const artifacts = saved as unknown as tf.io.ModelArtifacts;
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: JSON.parse(JSON.stringify(artifacts.modelTopology)) }));
    expect((loaded.getLayer('kerv').getConfig() as { kernel: unknown }).kernel).toEqual({ type: 'laplacian', gamma: 0.5, learnable: 'channel' }); // true, saved as what it means
    const x = tf.tensor4d(randomValues(2 * 6 * 6 * 2, 45), [2, 6, 6, 2]);
    const [before, after] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(maxRelativeError(after.dataSync(), before.dataSync())).toBe(0);
    tf.dispose([x, before, after]);
  });

  it('starts LeNet-5 from data templates, like the other distance kernels, and gives finite, distinct logits', async () => {
    const { x } = fashionSample(64);
    const model = buildModel(modelConfigSchema.parse({ arch: 'lenet5', kernel: { type: 'laplacian', gamma: 0.1 } }), { inputShape: [28, 28, 1], numClasses: 10 });
    expect(hasDistanceKervolution(model)).toBe(true);
    const rng = new Rng(7);
    expect((await initDistanceKervolutions(model, x, () => rng.next())).length).toBe(2);
    const logits = model.predict(x) as tf.Tensor2D;
    const values = logits.dataSync();
    const spread = tf.tidy(() => tf.moments(logits, 0).variance.mean().dataSync()[0]);
    expect(Array.from(values).every(Number.isFinite)).toBe(true);
    expect(spread).toBeGreaterThan(1e-6); // the images are told apart
    tf.dispose([x, logits]);
    model.dispose();
  });
});
