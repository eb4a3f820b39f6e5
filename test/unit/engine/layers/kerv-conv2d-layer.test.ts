// KervConv2D as a user of the workbench meets it: inside a tfjs model that is
// trained, saved in the standard tfjs format and loaded back.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../../src-main/engine/random';
import { withSeededMathRandom } from '../../../../src-main/engine/train/seeded-random';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelSpecInput } from '../../../../src-main/shared/run-config';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { KervConv2D, kervConv2dLayer } from '../../../../src-main/engine/layers/kerv-conv2d-layer';
import { kernelsWithLearnableParams } from '../../../../src-main/shared/kernels/index';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';

async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('nothing saved');
  // Through JSON, as a file on disk would go.
  const topology = JSON.parse(JSON.stringify((artifacts as tf.io.ModelArtifacts).modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({ ...(artifacts as tf.io.ModelArtifacts), modelTopology: topology }));
}

function input(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b), seed), shape);
}

const savedKernels: KernelSpecInput[] = [
  { type: 'polynomial', c: 0.5, d: 2, learnable: true },
  { type: 'gaussian', gamma: 0.3, learnable: true },
  { type: 'sigmoid', c: -0.2, learnable: true },
  { type: 'manhattan' },
  { type: 'euclidean' },
  { type: 'cosine' },
  { type: 'linear' },
];

describe('KervConv2D layer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const kernel of savedKernels) {
    it(`saves and loads in the tfjs format with the same outputs: ${JSON.stringify(kernel)}`, async () => {
      const model = tf.sequential({
        layers: [
          kervConv2dLayer({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same', kernel, name: 'kerv' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2 }),
        ],
      });
      // Move the learnable parameter away from its initial value so loading has to restore it.
      const kerv = model.getLayer('kerv') as KervConv2D;
      kerv.setWeights(kerv.getWeights().map((w, i) => (i < 2 ? w : tf.add(w, tf.linspace(0.1, 0.3, w.size)))));
      const x = input([2, 6, 6, 2], 5);
      const before = model.predict(x) as tf.Tensor;
      const loaded = await saveAndLoad(model);
      const loadedKerv = loaded.getLayer('kerv');
      expect(loadedKerv).toBeInstanceOf(KervConv2D);
      expect(JSON.parse(JSON.stringify(loadedKerv.getConfig()))).toEqual(JSON.parse(JSON.stringify(kerv.getConfig())));
      expect(loadedKerv.getWeights().map((w) => w.shape)).toEqual(kerv.getWeights().map((w) => w.shape));
      const after = loaded.predict(x) as tf.Tensor;
      expect(maxRelativeError(after.dataSync(), before.dataSync())).toBe(0);
      tf.dispose([x, before, after]);
    });
  }

  it('has one trainable parameter per output channel when the kernel is learnable, none otherwise', () => {
    const learnable = kervConv2dLayer({ filters: 4, kernelSize: 3, kernel: { type: 'gaussian', gamma: 0.5, learnable: true } });
    learnable.build([null, 5, 5, 2]);
    expect(learnable.trainableWeights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['kernel', [3, 3, 2, 4]],
      ['bias', [4]],
      ['log_gamma', [4]],
    ]);
    expect(Array.from(learnable.getWeights()[2].dataSync())).toEqual(new Array(4).fill(Math.fround(Math.log(0.5))));
    const fixed = kervConv2dLayer({ filters: 4, kernelSize: 3, useBias: false, kernel: { type: 'polynomial' } });
    fixed.build([null, 5, 5, 2]);
    expect(fixed.trainableWeights.map((w) => w.shape)).toEqual([[3, 3, 2, 4]]);
  });

  // Issue 22: a learned sigmoid c (stored as itself, no reparametrisation) was handed out as the
  // weight's own tensor, so the run's diagnostics disposed the weight and the run failed.
  for (const type of kernelsWithLearnableParams()) {
    it(`hands out its kernel parameters as new tensors the caller may dispose: ${type}`, () => {
      const layer = kervConv2dLayer({ filters: 2, kernelSize: 1, kernel: { type, learnable: 'scalar' } as KernelSpecInput });
      const x = tf.ones([1, 2, 2, 1]);
      const before = (layer.apply(x) as tf.Tensor).arraySync();
      const parameters = (layer as KervConv2D).kernelParameters();
      expect(parameters.length).toBeGreaterThan(0);
      tf.dispose(parameters.map((p) => p.value));
      expect((layer.apply(x) as tf.Tensor).arraySync()).toEqual(before);
      tf.dispose(x);
    });
  }

  it('trains its learnable parameters, and softplus / exp keep c ≥ 0 and γ > 0 however hard they are pushed', () => {
    // x = 0: a polynomial with d = 1 outputs exactly c, a gaussian outputs exp(−γ‖w‖²).
    const poly = kervConv2dLayer({ filters: 2, kernelSize: 1, useBias: false, kernel: { type: 'polynomial', c: 1, d: 1, learnable: true } });
    const gauss = kervConv2dLayer({ filters: 2, kernelSize: 1, useBias: false, kernel: { type: 'gaussian', gamma: 1, learnable: true }, kernelInitializer: 'ones' });
    const x = tf.zeros([1, 2, 2, 3]);
    const optimizer = tf.train.sgd(5);
    const cBefore = Array.from((poly.apply(x) as tf.Tensor).dataSync());
    for (let step = 0; step < 20; step++) {
      // Minimising c pushes it towards −∞; maximising −γ pushes γ towards 0 and below.
      optimizer.minimize(() => tf.add(tf.sum(poly.apply(x) as tf.Tensor), tf.neg(tf.sum(gauss.apply(x) as tf.Tensor))) as tf.Scalar);
    }
    const c = Array.from((poly.apply(x) as tf.Tensor).dataSync());
    const g = Array.from((gauss.apply(x) as tf.Tensor).dataSync());
    expect(cBefore.every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(c.every((v) => v >= 0 && v < 0.5)).toBe(true); // moved a long way down, never below 0
    expect(g.every((v) => v > Math.exp(-3) && v <= 1)).toBe(true); // exp(−γ·3) rose: γ shrank, stayed > 0
    tf.dispose(x);
  });

  it('reports the output shape it produces', () => {
    const layer = kervConv2dLayer({ filters: 5, kernelSize: [3, 2], strides: 2, dilationRate: 1, padding: 'valid', kernel: { type: 'euclidean' } });
    const x = tf.zeros([2, 9, 8, 3]);
    const y = layer.apply(x) as tf.Tensor;
    expect(layer.computeOutputShape([2, 9, 8, 3])).toEqual(y.shape);
    expect(y.shape).toEqual([2, 4, 4, 5]);
    tf.dispose([x, y]);
  });

  it('starts a deep polynomial stack at a sane scale with its default initializer (glorotUniform explodes)', () => {
    const stackStd = (kernelInitializer?: 'glorotUniform') =>
      tf.tidy(() => {
        let h = tf.randomNormal([2, 8, 8, 16], 0, 1, 'float32', 3);
        for (let i = 0; i < 6; i++) {
          h = kervConv2dLayer({ filters: 16, kernelSize: 3, padding: 'same', kernel: { type: 'polynomial' }, kernelInitializer }).apply(h) as tf.Tensor;
        }
        return tf.moments(h).variance.sqrt();
      });
    // Seeded: the initial weights are random draws, and a test must not depend on which.
    const withDefault = withSeededMathRandom(new Rng(11), () => stackStd()).dataSync()[0];
    const withGlorot = withSeededMathRandom(new Rng(11), () => stackStd('glorotUniform')).dataSync()[0];
    expect(Number.isFinite(withDefault) && withDefault < 100).toBe(true);
    expect(!(withGlorot < 1e6)).toBe(true);
  });

  it('keeps glorotUniform where no shrinking is needed: non-polynomial kernels and d = 1', () => {
    const scaleOf = (kernel: KernelSpecInput) => {
      const config = kervConv2dLayer({ filters: 2, kernelSize: 3, kernel }).getConfig().kernelInitializer as { config: { scale: number; mode: string } };
      return [config.config.scale, config.config.mode];
    };
    expect(scaleOf({ type: 'gaussian' })).toEqual([1, 'fanAvg']);
    expect(scaleOf({ type: 'polynomial', d: 1 })).toEqual([1, 'fanAvg']);
    const [defaultScale] = scaleOf({ type: 'polynomial' });
    expect(defaultScale).toBeGreaterThan(1 / 100);
    expect(defaultScale).toBeLessThan(1 / 30);
  });

  it('rejects bad arguments with messages naming the field', () => {
    expect(() => kervConv2dLayer({ filters: 0, kernelSize: 3, kernel: { type: 'linear' } })).toThrow(/filters must be a positive integer/);
    expect(() => kervConv2dLayer({ filters: 2, kernelSize: 3, kernel: { type: 'polynomial', d: 0 } })).toThrow(/kernel\.d/);
    expect(() => kervConv2dLayer({ filters: 2, kernelSize: 3, kernel: { type: 'rbf' } as never })).toThrow(/KervConv2D kernel/);
    expect(() => kervConv2dLayer({ filters: 2, kernelSize: 3, kernel: { type: 'linear' }, kernelInitializer: 'glorotMagic' as never })).toThrow(/kernelInitializer must be one of/);
    expect(() => kervConv2dLayer({ filters: 2, kernelSize: 3, padding: 'full' as never, kernel: { type: 'linear' } })).toThrow(/padding must be 'valid' or 'same'/);
  });
});
