// gamma: 'auto' (the gaussian and laplacian default): the median heuristic, chosen
// per layer when the templates are drawn from data. The expected values here are
// computed by the test's own loops over every patch of a small fixed input, not by
// the engine's helpers; the layer then computes the kernel with exactly that γ,
// keeps it as a weight (non-trainable unless learnable) through a save and load,
// and without data starts from 1 / the expected distance of unit-variance patches.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { kervConv2d, type KervKernel } from '../../../../src-main/engine/kernels/kerv-conv2d';
import { KervConv2D, kervConv2dLayer } from '../../../../src-main/engine/layers/kerv-conv2d-layer';
import { describeTemplateStart, initDistanceKervolutions, medianTemplateDistance } from '../../../../src-main/engine/models/kerv-init';
import { SQUARED_EUCLIDEAN_MEDIAN } from '../../../../src-main/engine/kernels/kernel-implementation';
import { Rng } from '../../../../src-main/engine/random';
import type { KernelSpecInput } from '../../../../src-main/shared/run-config';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

const X_SHAPE = [2, 5, 5, 2] as const; // 2 × 3 × 3 = 18 patch positions: all of them are candidates
const FILTERS = 3;
const K = 3;
const DIM = K * K * X_SHAPE[3];

function oneLayerModel(kernel: KernelSpecInput): { model: tf.Sequential; layer: KervConv2D } {
  const layer = kervConv2dLayer({ inputShape: X_SHAPE.slice(1), filters: FILTERS, kernelSize: K, kernel, name: 'kerv' });
  const model = tf.sequential({ layers: [layer] });
  return { model, layer };
}

/** Every patch of x (NHWC), flattened in [kh, kw, C] order, by the test's own loops. */
function allPatches(x: Float32Array): number[][] {
  const [n, h, w, c] = X_SHAPE;
  const patches: number[][] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i + K <= h; i++)
      for (let j = 0; j + K <= w; j++) {
        const patch: number[] = [];
        for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) for (let ch = 0; ch < c; ch++) patch.push(x[((b * h + i + di) * w + j + dj) * c + ch]);
        patches.push(patch);
      }
  return patches;
}

/** The layer's templates, one row per output channel, from its filter [K, K, C, FILTERS]. */
function templates(layer: KervConv2D): number[][] {
  const w = layer.getWeights()[0].dataSync();
  return Array.from({ length: FILTERS }, (_, o) => Array.from({ length: DIM }, (_, e) => w[e * FILTERS + o]));
}

function naiveMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const squared = (p: number[], t: number[]) => p.reduce((sum, v, e) => sum + (v - t[e]) ** 2, 0);
const l1 = (p: number[], t: number[]) => p.reduce((sum, v, e) => sum + Math.abs(v - t[e]), 0);

/** The median distance between every patch and every template, a template's own patch (distance 0) left out. */
function expectedMedian(x: Float32Array, layer: KervConv2D, distance: (p: number[], t: number[]) => number): number {
  const ds: number[] = [];
  for (const t of templates(layer)) for (const p of allPatches(x)) if (squared(p, t) > 0) ds.push(distance(p, t));
  return naiveMedian(ds);
}

const gammaOf = (layer: KervConv2D): number[] => {
  const [{ value }] = layer.kernelParameters();
  const values = Array.from(value.dataSync());
  value.dispose();
  return values;
};

describe("kernel parameter 'auto' (the median heuristic)", () => {
  it('medianTemplateDistance: the median over candidates × templates, leaving out a template’s own row', () => {
    const rows = Float32Array.from([0, 1, 3, 7]); // dim 1
    // template row 0: 1, 9, 49 → 9
    expect(medianTemplateDistance(rows, 1, [0], SQUARED_EUCLIDEAN_MEDIAN.distance)).toBe(9);
    // templates 0 and 3 (value 7): 1, 9, 49 and 49, 36, 16 → (16 + 36) / 2
    expect(medianTemplateDistance(rows, 1, [0, 3], SQUARED_EUCLIDEAN_MEDIAN.distance)).toBe(26);
  });

  for (const [type, distance, name] of [
    ['gaussian', squared, '‖p − w‖²'],
    ['laplacian', l1, '‖p − w‖₁'],
  ] as const) {
    it(`${type}: sets γ = 1 / the median ${name} of the data patches to the drawn templates, and computes with it`, async () => {
      const xValues = Float32Array.from(randomValues(X_SHAPE.reduce((a, b) => a * b, 1), 7));
      const x = tf.tensor4d(xValues, [...X_SHAPE]);
      const { model, layer } = oneLayerModel({ type, gamma: 'auto' });
      try {
        const rng = new Rng(5);
        const [start] = await initDistanceKervolutions(model, x, () => rng.next());
        const m = expectedMedian(xValues, layer, distance);
        expect(start.layer).toBe('kerv');
        expect(start.auto).toHaveLength(1);
        expect(start.auto[0].param).toBe('gamma');
        expect(start.auto[0].dataFree).toBe(false);
        expect(Math.abs(start.auto[0].median - m) / m).toBeLessThan(1e-5);
        // stored as log γ in float32
        const [gamma] = gammaOf(layer);
        expect(Math.abs(gamma * m - 1)).toBeLessThan(1e-5);
        expect(describeTemplateStart(start)).toMatch(new RegExp(`^kerv: γ = ${gamma.toPrecision(3).replace('.', '\\.')} \\(1 / median distance`));
        // the layer's response is the kernel at that γ (the bias was centred on the data)
        const bias = layer.getWeights()[1];
        const expected = tf.tidy(() => tf.add(kervConv2d(x, layer.getWeights()[0] as tf.Tensor4D, { kernel: { type, gamma: 1 / m } as KervKernel }), bias));
        const actual = model.predict(x) as tf.Tensor;
        expect(maxRelativeError(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-4);
        tf.dispose([expected, actual]);
      } finally {
        model.dispose();
        x.dispose();
      }
    });
  }

  it("holds a fixed 'auto' γ as a non-trainable weight [1]; learnable 'channel' starts every channel there", async () => {
    const xValues = Float32Array.from(randomValues(X_SHAPE.reduce((a, b) => a * b, 1), 8));
    const x = tf.tensor4d(xValues, [...X_SHAPE]);
    const fixed = oneLayerModel({ type: 'gaussian' }); // 'auto' is the default
    const learned = oneLayerModel({ type: 'gaussian', gamma: 'auto', learnable: 'channel' });
    try {
      expect(fixed.layer.trainableWeights.map((w) => w.originalName.split('/').pop())).toEqual(['kernel', 'bias']);
      expect(fixed.layer.nonTrainableWeights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([['log_gamma', [1]]]);
      expect(learned.layer.trainableWeights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
        ['kernel', [K, K, X_SHAPE[3], FILTERS]],
        ['bias', [FILTERS]],
        ['log_gamma', [FILTERS]],
      ]);
      const [ra, rb] = [new Rng(9), new Rng(9)];
      await initDistanceKervolutions(fixed.model, x, () => ra.next());
      await initDistanceKervolutions(learned.model, x, () => rb.next());
      const m = expectedMedian(xValues, learned.layer, squared);
      for (const g of gammaOf(learned.layer)) expect(Math.abs(g * m - 1)).toBeLessThan(1e-5);
      expect(gammaOf(fixed.layer)).toEqual([gammaOf(learned.layer)[0]]); // same seed, same templates, same γ
    } finally {
      fixed.model.dispose();
      learned.model.dispose();
      x.dispose();
    }
  });

  it('without data starts at 1 / the expected distance of unit-variance patches (2·dim; 2·dim/√π for L1), as the op does', () => {
    const g = oneLayerModel({ type: 'gaussian' });
    const l = oneLayerModel({ type: 'laplacian' });
    try {
      expect(gammaOf(g.layer)[0]).toBeCloseTo(1 / (2 * DIM), 6);
      expect(gammaOf(l.layer)[0]).toBeCloseTo(Math.sqrt(Math.PI) / (2 * DIM), 6);
      const x = tf.tensor4d(randomValues(X_SHAPE.reduce((a, b) => a * b, 1), 3), [...X_SHAPE]);
      const w = g.layer.getWeights()[0] as tf.Tensor4D;
      const [byDefault, explicit] = [kervConv2d(x, w, { kernel: { type: 'gaussian' } }), kervConv2d(x, w, { kernel: { type: 'gaussian', gamma: 1 / (2 * DIM) } })];
      expect(maxRelativeError(byDefault.dataSync(), explicit.dataSync())).toBeLessThan(1e-6);
      tf.dispose([x, byDefault, explicit]);
    } finally {
      g.model.dispose();
      l.model.dispose();
    }
  });

  it('keeps the chosen γ through a save and load in the tfjs format (the config still says auto)', async () => {
    const xValues = Float32Array.from(randomValues(X_SHAPE.reduce((a, b) => a * b, 1), 11));
    const x = tf.tensor4d(xValues, [...X_SHAPE]);
    const { model, layer } = oneLayerModel({ type: 'gaussian', gamma: 'auto' });
    try {
      const rng = new Rng(1);
      await initDistanceKervolutions(model, x, () => rng.next());
      const chosen = gammaOf(layer)[0];
      expect(chosen).not.toBeCloseTo(1 / (2 * DIM), 6); // the data moved it
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const artifacts = saved as unknown as tf.io.ModelArtifacts;
      const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: JSON.parse(JSON.stringify(artifacts.modelTopology)) }));
      const loadedLayer = loaded.getLayer('kerv') as KervConv2D;
      expect((loadedLayer.getConfig() as { kernel: unknown }).kernel).toEqual({ type: 'gaussian', gamma: 'auto', learnable: false });
      expect(gammaOf(loadedLayer)).toEqual([chosen]);
      const [before, after] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(maxRelativeError(after.dataSync(), before.dataSync())).toBe(0);
      tf.dispose([before, after]);
      loaded.dispose();
    } finally {
      model.dispose();
      x.dispose();
    }
  });
});
