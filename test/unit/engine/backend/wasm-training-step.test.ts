// One training step of a tiny model built from every layer kind the
// architectures use — conv, kervolution, batch norm, max / average / global
// average / global max pooling, ReLU, a residual add, concatenation, dense,
// softmax cross-entropy, Adam and SGD with momentum — must give the same loss, gradients and updated weights on
// wasm as on tfjs's pure-JS cpu reference. A kernel missing on wasm fails here
// with "Cannot find registered kernel".
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { kervConv2dLayer } from '../../../../src-main/engine/layers/kerv-conv2d-layer';
import { maxRelativeError, randomValues, runOn } from './backend-helpers';

const BATCH = 4;
const CLASSES = 3;

function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  // No bias before batch norm (as the architectures do): its exact gradient is 0,
  // and Adam would turn the rounding noise of that 0 into a full-size step.
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  const branch = kervConv2dLayer({ filters: 4, kernelSize: 3, padding: 'same', kernel: { type: 'polynomial', learnable: true } }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.add().apply([h, branch]) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.averagePooling2d({ poolSize: 1 }).apply(h) as tf.SymbolicTensor;
  const average = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const maximum = tf.layers.globalMaxPooling2d({}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.concatenate().apply([average, maximum]) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: CLASSES }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

function trainingStep(optimizerName: 'adam' | 'sgd'): tf.Tensor[] {
  const model = buildModel();
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(randomValues(w.size, 100 + i), w.shape).mul(0.5)));
  const x = tf.tensor(randomValues(BATCH * 8 * 8 * 2, 7), [BATCH, 8, 8, 2]);
  const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), CLASSES);
  const optimizer = optimizerName === 'adam' ? tf.train.adam(0.01) : tf.train.momentum(0.1, 0.9);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    variables,
  );
  optimizer.applyGradients(variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  const out = [value, ...variables.map((v) => grads[v.name]), ...variables.map((v) => tf.clone(v))];
  optimizer.dispose();
  model.dispose();
  return out;
}

describe('a training step on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`matches the cpu backend (${optimizer}): loss, every gradient and the updated weights`, async () => {
      const wasm = await runOn('wasm', () => trainingStep(optimizer));
      const cpu = await runOn('cpu', () => trainingStep(optimizer));
      expect(wasm.length).toBe(cpu.length);
      const variableCount = (wasm.length - 1) / 2;
      expect(variableCount).toBe(10); // conv 1 + batch norm 2 + kervolution 3 (with c) + conv 2 + dense 2
      expect(Number.isFinite(cpu[0][0])).toBe(true);
      expect(Math.abs(wasm[0][0] - cpu[0][0]) / Math.abs(cpu[0][0])).toBeLessThan(1e-5);
      for (let i = 1; i < wasm.length; i++) {
        const what = i <= variableCount ? `gradient ${i - 1}` : `updated weight ${i - 1 - variableCount}`;
        expect(maxRelativeError(wasm[i], cpu[i]), what).toBeLessThan(1e-3);
      }
    });
  }
});
