// The convolution that reads the images trains without computing their gradient
// (tf.fused.conv2d with a linear activation, as in LeNet-5 and the reference CNN,
// would), with the same loss and gradients as tfjs-layers' own.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { skipImageGradient } from '../../../../src-main/engine/layers/input-convolution';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';

describe('the input convolution in training', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('computes the loss and gradients of the Conv2D layer, and no gradient for the images', () => {
    const step = (skip: boolean) => {
      const input = tf.input({ shape: [6, 6, 2] });
      const conv = tf.layers.activation({ activation: 'tanh' }).apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input)) as tf.SymbolicTensor;
      const second = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2 }).apply(conv) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(second)) as tf.SymbolicTensor });
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(randomValues(w.size, 30 + i), w.shape)));
      expect(skip ? skipImageGradient(model) : 0).toBe(skip ? 1 : 0); // the first conv only
      const kernel = tf.getKernel('Conv2DBackpropInput', 'wasm') as Parameters<typeof tf.registerKernel>[0];
      let inputGradients = 0;
      tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
      tf.registerKernel({ ...kernel, kernelFunc: (args) => ((inputGradients += 1), kernel.kernelFunc(args)) });
      try {
        const x = tf.tensor(randomValues(3 * 6 * 6 * 2, 8), [3, 6, 6, 2]);
        const labels = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3);
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
        return { values: [value, ...variables.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array), inputGradients };
      } finally {
        tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
        tf.registerKernel(kernel);
        model.dispose();
      }
    };
    const [fused, skipped] = [step(false), step(true)];
    // The second conv's input gradient is needed either way; the first's only by tf.fused.conv2d.
    expect([fused.inputGradients, skipped.inputGradients]).toEqual([2, 1]);
    fused.values.forEach((values, i) => expect(maxRelativeError(skipped.values[i], values), `output ${i}`).toBeLessThan(1e-4));
  });
});
