// The distance kervolutions (gaussian exp(−γ‖p − w‖²), euclidean, manhattan) must
// start with channels that tell real images apart: with He filters (w ≈ 0) every
// gaussian channel is ≈ exp(−γ‖p‖²), near copies of each other. Their filters start
// as k-means++-spread patches of the data (initDistanceKervolutions).
import * as tf from '@tensorflow/tfjs';
import { withSeededMathRandom } from '../../../../src-main/engine/train/seeded-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { Rng } from '../../../../src-main/engine/random';
import { buildModel } from '../../../../src-main/engine/models/build-model';
import { hasDistanceKervolution, initDistanceKervolutions, kMeansPlusPlusRows } from '../../../../src-main/engine/models/kerv-init';
import { modelConfigSchema, type KernelSpecInput } from '../../../../src-main/shared/run-config';
import { fashionSample } from './fashion-sample';

let templateImages: tf.Tensor4D;
let heldOutImages: tf.Tensor4D;

beforeAll(async () => {
  await initBackend('wasm');
  templateImages = fashionSample(128).x;
  heldOutImages = fashionSample(32, 5000).x;
});
afterAll(() => tf.dispose([templateImages, heldOutImages]));

/** Seeded: the thresholds below are statements about one fixed initialisation, not about luck with a draw. */
function lenet(kernel: KernelSpecInput): tf.LayersModel {
  return withSeededMathRandom(new Rng(1), () => buildModel(modelConfigSchema.parse({ arch: 'lenet5', kernel }), { inputShape: [28, 28, 1], numClasses: 10 }));
}

interface ChannelStats {
  /** Per channel: standard deviation over the held-out images' positions. */
  std: number[];
  /** Per channel: mean over the same positions. */
  mean: number[];
  /** Mean Pearson correlation between the response maps of two different channels. */
  meanCorrelation: number;
}

/** How the named convolution's output channels respond to the held-out images. */
function channelStats(model: tf.LayersModel, layerName: string): ChannelStats {
  const conv = model.getLayer(layerName);
  const probe = tf.model({ inputs: model.inputs, outputs: conv.output as tf.SymbolicTensor });
  const [mean, variance, correlation] = tf.tidy(() => {
    const y = probe.predict(heldOutImages) as tf.Tensor4D;
    const flat = tf.reshape(y, [-1, y.shape[3]]);
    const m = tf.moments(flat, 0);
    const z = tf.div(tf.sub(flat, m.mean), tf.add(tf.sqrt(m.variance), 1e-12));
    return [m.mean, m.variance, tf.div(tf.matMul(z, z, true, false), flat.shape[0])];
  });
  const channels = mean.size;
  const corr = correlation.dataSync();
  let sum = 0;
  for (let a = 0; a < channels; a++) for (let b = 0; b < channels; b++) if (a !== b) sum += corr[a * channels + b];
  const result = {
    std: Array.from(variance.dataSync(), Math.sqrt),
    mean: Array.from(mean.dataSync()),
    meanCorrelation: sum / (channels * (channels - 1)),
  };
  tf.dispose([mean, variance, correlation]);
  return result;
}

describe('initDistanceKervolutions', () => {
  it('makes the first gaussian (γ = 1) layer respond to real Fashion-MNIST patches, with distinct channels', async () => {
    const model = lenet({ type: 'gaussian', gamma: 1 });
    try {
      // as built (He filters, w ≈ 0) every channel is ≈ exp(−γ‖p‖²)·exp(−γ‖w‖²): the
      // channels are near copies of each other, in both layers
      const before = { conv1: channelStats(model, 'conv1'), conv2: channelStats(model, 'conv2') };
      expect(before.conv1.meanCorrelation).toBeGreaterThan(0.8);
      expect(before.conv2.meanCorrelation).toBeGreaterThan(0.9);

      const rng = new Rng(7);
      expect((await initDistanceKervolutions(model, templateImages, () => rng.next())).map((s) => s.layer)).toEqual(['conv1', 'conv2']);
      // on images the templates were not drawn from: channels respond to different patches
      const after = { conv1: channelStats(model, 'conv1'), conv2: channelStats(model, 'conv2') };
      expect(after.conv1.meanCorrelation).toBeLessThan(0.3);
      expect(after.conv2.meanCorrelation).toBeLessThan(0.8);
      // and most of them are live there (at γ = 1 a template matches few patches, so not all)
      expect(after.conv1.std.filter((std) => std > 1e-3).length).toBeGreaterThanOrEqual(4);
      // the bias centres each channel on the data
      for (const mean of [...after.conv1.mean, ...after.conv2.mean]) expect(Math.abs(mean)).toBeLessThan(0.05);
    } finally {
      model.dispose();
    }
  });

  it('brings euclidean outputs from −25…−150 into the range the tanh after them can use', async () => {
    const model = lenet({ type: 'euclidean' });
    try {
      const rng = new Rng(3);
      await initDistanceKervolutions(model, templateImages, () => rng.next());
      const { mean } = channelStats(model, 'conv1');
      for (const m of mean) expect(Math.abs(m)).toBeLessThan(2);
    } finally {
      model.dispose();
    }
  });

  it('applies only to the distance kernels, and draws the same filters from the same seed', async () => {
    const poly = lenet({ type: 'polynomial' });
    const a = lenet({ type: 'manhattan' });
    const b = lenet({ type: 'manhattan' });
    try {
      expect(hasDistanceKervolution(poly)).toBe(false);
      expect(await initDistanceKervolutions(poly, templateImages, Math.random)).toEqual([]);
      expect(hasDistanceKervolution(a)).toBe(true);
      const ra = new Rng(11);
      const rb = new Rng(11);
      await initDistanceKervolutions(a, templateImages, () => ra.next());
      await initDistanceKervolutions(b, templateImages, () => rb.next());
      const wa = a.getLayer('conv2').getWeights()[0].dataSync();
      const wb = b.getLayer('conv2').getWeights()[0].dataSync();
      expect(Array.from(wa)).toEqual(Array.from(wb));
    } finally {
      for (const model of [poly, a, b]) model.dispose();
    }
  });
});

describe('kMeansPlusPlusRows', () => {
  it('spreads its picks over distinct clusters instead of repeating the commonest row', () => {
    // 95 copies of one row (the "background") and 5 distinct outliers, 2-dimensional
    const rows = new Float32Array(200);
    for (let r = 95; r < 100; r++) rows.set([r, -r], 2 * r);
    const rng = new Rng(1);
    const picked = kMeansPlusPlusRows(rows, 2, 6, () => rng.next());
    const distinct = new Set(picked.map((r) => (r < 95 ? 'background' : r)));
    expect(distinct.size).toBe(6);
  });
});
