// Kervolutional networks must start trainable: at initialisation a stack of
// polynomial kervolutions keeps its signal at the scale of an ordinary network,
// where He initialisation (right for the linear convolutions) makes it explode.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { buildModel } from '../../../../src-main/engine/models/build-model';
import { Rng } from '../../../../src-main/engine/random';
import { withSeededMathRandom } from '../../../../src-main/engine/train/seeded-random';
import { kernelResponse, kervBiasOffset, kervVarianceScale, reluSecondMoment } from '../../../../src-main/engine/models/kerv-init';
import { modelConfigSchema, type KernelSpec } from '../../../../src-main/shared/run-config';
import { fashionSample } from './fashion-sample';

const POLY: KernelSpec = { type: 'polynomial', c: 1, d: 3, learnable: false };
let images: tf.Tensor4D;

beforeAll(async () => {
  await initBackend('wasm');
  images = fashionSample(32).x;
});
afterAll(() => images.dispose());

describe('kervVarianceScale', () => {
  it('is He (2) for linear convolutions and for polynomial d = 1, whose response is linear', () => {
    expect(kervVarianceScale(null)).toBe(2);
    expect(kervVarianceScale({ type: 'linear' })).toBe(2);
    expect(kervVarianceScale({ type: 'polynomial', c: 3, d: 1, learnable: false })).toBe(2);
    // and the moment it equalises is He's: E[relu(z)²] = Var(z)/2
    expect(reluSecondMoment((z) => z, 2)).toBeCloseTo(1, 6);
  });

  it('shrinks the weights of amplifying polynomial kernels so the kervolution keeps a unit second moment', () => {
    const a = kervVarianceScale(POLY);
    expect(a).toBeGreaterThan(0.05);
    expect(a).toBeLessThan(0.15);
    expect(reluSecondMoment(kernelResponse(POLY)!, a)).toBeCloseTo(1, 4);
    // larger c or d amplify more and get smaller weights
    expect(kervVarianceScale({ ...POLY, c: 2 })).toBeLessThan(a);
    expect(kervVarianceScale({ ...POLY, d: 2 })).toBeGreaterThan(a);
  });

  it('starts the bias at −f(0), cancelling the c^d offset, and keeps He for saturating and distance kernels', () => {
    expect(kervBiasOffset({ ...POLY, c: 2 })).toBe(-8);
    expect(kervBiasOffset({ type: 'linear' })).toBe(0);
    expect(kervVarianceScale({ type: 'sigmoid', c: 0, learnable: false })).toBe(2);
    expect(kervVarianceScale({ type: 'gaussian', gamma: 1, learnable: false })).toBe(2);
  });
});

/**
 * Root mean square of the last convolution's response on real images, in
 * inference mode (BN statistics at their initial values); Infinity once it
 * overflows. Measured before any ReLU, which would turn NaN into 0.
 */
function lastConvRms(model: tf.LayersModel): number {
  const last = model.layers.filter((l) => ['Conv2D', 'KervConv2D'].includes(l.getClassName())).at(-1)!;
  const probe = tf.model({ inputs: model.inputs, outputs: last.output as tf.SymbolicTensor });
  const response = probe.predict(images) as tf.Tensor;
  const meanSquare = tf.mean(tf.square(response));
  const value = meanSquare.dataSync()[0];
  tf.dispose([response, meanSquare]);
  return Number.isNaN(value) ? Infinity : Math.sqrt(value);
}

/** Replaces every KervConv2D's filters with He weights (and a zero bias): the naive initialisation. */
function heInitialiseKervolutions(model: tf.LayersModel): void {
  for (const layer of model.layers.filter((l) => l.getClassName() === 'KervConv2D')) {
    const [kernel, ...rest] = layer.getWeights();
    const [kh, kw, inC] = kernel.shape as number[];
    const fanIn = kh * kw * inC;
    const he = tf.randomNormal(kernel.shape, 0, Math.sqrt(2 / fanIn), 'float32', 1);
    const zeros = rest.map((w) => tf.zerosLike(w));
    layer.setWeights([he, ...zeros]);
    tf.dispose([he, ...zeros]); // getWeights() hands out the variables' own values: not ours to dispose
  }
}

/** The middle value. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('networks with a cubic polynomial kervolution in every convolution, at initialisation', () => {
  // The scale at initialisation is a random variable with a heavy tail (cifar-cnn: 3 of 25 seeds
  // above 10× the linear network's, one at 248×), so one unseeded draw made this test fail by
  // luck. Five fixed seeds, and their median: deterministic, and a statement about the typical
  // network rather than one draw.
  const SEEDS = [1, 2, 3, 4, 5];
  for (const arch of ['convnet', 'cifar-cnn', 'lenet5', 'resnet18'] as const) {
    it(`${arch}: the deepest convolution responds at the scale of the linear network's`, () => {
      const widthMultiplier = arch === 'resnet18' ? 0.25 : 1;
      const data = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 };
      const build = (seed: number, kernel?: KernelSpec) =>
        withSeededMathRandom(new Rng(seed), () => buildModel(modelConfigSchema.parse({ arch, widthMultiplier, ...(kernel ? { kernel } : {}) }), data));
      const ratios = SEEDS.map((seed) => {
        const linear = build(seed);
        const kerv = build(seed, POLY);
        const linearRms = lastConvRms(linear);
        const calibrated = lastConvRms(kerv) / linearRms;
        // What the calibration prevents: the same network with He-initialised kervolutions.
        heInitialiseKervolutions(kerv);
        const naive = lastConvRms(kerv) / linearRms;
        linear.dispose();
        kerv.dispose();
        return { calibrated, naive };
      });
      const calibrated = median(ratios.map((r) => r.calibrated));
      expect(calibrated).toBeGreaterThan(1 / 10);
      expect(calibrated).toBeLessThan(10);
      expect(median(ratios.map((r) => r.naive))).toBeGreaterThan(10);
    });
  }
});
