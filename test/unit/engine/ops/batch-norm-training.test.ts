// The fused BatchNormTraining op, forward and gradient: the cpu kernel (the
// reference) against tf.moments + tf.batchNorm (+ ReLU) and their autodiff, and
// the wasm kernels against the cpu kernel, on the SIMD path (channels a multiple
// of 4) and the fallback (6 channels), with activations far from zero (mean ≈ 10
// std, where a one-pass variance loses its digits unless it is computed well).
// Then a model: training through the fused layers gives the loss and gradients
// of tfjs-layers' own batch norm and ReLU, and only a sole ReLU consumer is fused.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { fuseBatchNorm } from '../../../../src-main/engine/layers/fused-batch-norm';
import { BATCH_NORM_MOVING_AVERAGES, BATCH_NORM_TRAINING, batchNormMovingAverages, batchNormTraining, type FusedActivation } from '../../../../src-main/engine/ops/batch-norm-training';
import { maxRelativeError, randomValues, runOn } from '../backend/backend-helpers';

function inputs(shape: number[]) {
  const channels = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = randomValues(size, 3).map((v, i) => 10 + (i % channels) + 2 * v);
  return { x, scale: randomValues(channels, 4).map((v) => 1 + v / 2), offset: randomValues(channels, 5), upstream: randomValues(size, 6) };
}

/** y, mean, variance, then ∂/∂(x, scale, offset) of Σ y·upstream; through the op, or (reference) through tf ops. */
function batchNorm(shape: number[], activation: FusedActivation, via: 'op' | 'tf-ops') {
  return () => {
    const v = inputs(shape);
    const [x, scale, offset, upstream] = [tf.tensor(v.x, shape), tf.tensor1d(v.scale), tf.tensor1d(v.offset), tf.tensor(v.upstream, shape)];
    const forward = (input: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      if (via === 'op') return batchNormTraining(input, s as tf.Tensor1D, o as tf.Tensor1D, { epsilon: 1e-3, activation, collective: '' });
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      const normed = tf.batchNorm(input, mean, variance, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3);
      return { y: activation === 'relu' ? tf.relu(normed) : normed, mean, variance };
    };
    const { y, mean, variance } = forward(x, scale, offset);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(forward(a, b, c).y, upstream)))([x, scale, offset]);
    return [y, mean, variance, ...grads];
  };
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset'];

describe('BatchNormTraining', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const activation of ['linear', 'relu'] as const) {
    for (const shape of [[4, 5, 3, 8], [3, 4, 5, 6]]) {
      it(`${activation}, ${shape.join('×')}: cpu kernel = tf ops, wasm kernel = cpu kernel, forward and gradient`, async () => {
        const reference = await runOn('cpu', batchNorm(shape, activation, 'tf-ops'));
        const cpu = await runOn('cpu', batchNorm(shape, activation, 'op'));
        const wasm = await runOn('wasm', batchNorm(shape, activation, 'op'));
        cpu.forEach((values, i) => {
          expect(maxRelativeError(values, reference[i]), `${NAMES[i]}: cpu kernel vs tf ops`).toBeLessThan(1e-3);
          expect(maxRelativeError(wasm[i], values), `${NAMES[i]}: wasm vs cpu kernel`).toBeLessThan(2e-4);
        });
        // ReLU zeroes some outputs and the gradient behind them.
        if (activation === 'relu') expect(cpu[0].filter((v) => v === 0).length).toBeGreaterThan(0);
      });
    }
  }
});

describe('BatchNormMovingAverages', () => {
  it("the cpu kernel applies tfjs-layers' rule, value − (value − statistic)·(1 − momentum), as tf ops do", async () => {
    await initBackend('wasm');
    const run = (viaKernel: boolean) => () => {
      const kernel = tf.getKernel(BATCH_NORM_MOVING_AVERAGES, 'cpu') as Parameters<typeof tf.registerKernel>[0];
      if (!viaKernel) tf.unregisterKernel(BATCH_NORM_MOVING_AVERAGES, 'cpu');
      try {
        const [mean, variance] = [tf.tensor1d(randomValues(6, 1)), tf.tensor1d(randomValues(6, 2).map(Math.abs))];
        return batchNormMovingAverages(tf.tensor1d(randomValues(6, 3)), tf.tensor1d(randomValues(6, 4).map(Math.abs)), mean, variance, 0.9);
      } finally {
        if (!viaKernel) tf.registerKernel(kernel);
      }
    };
    const [kernelMean, kernelVariance] = await runOn('cpu', run(true));
    const [opsMean, opsVariance] = await runOn('cpu', run(false));
    expect(Array.from(kernelMean)).toEqual(Array.from(opsMean));
    expect(Array.from(kernelVariance)).toEqual(Array.from(opsVariance));
  });
});

describe('training through fused batch-norm layers', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  /** conv → BN → ReLU, and BN → add → ReLU (a residual: that ReLU has two inputs and stays a layer). */
  function model(): tf.LayersModel {
    const input = tf.input({ shape: [6, 6, 3] });
    const conv = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(conv)) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization().apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(a)) as tf.SymbolicTensor;
    const sum = tf.layers.activation({ activation: 'relu' }).apply(tf.layers.add().apply([a, b])) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(sum)) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: logits });
  }

  it('gives the loss and gradients of tfjs-layers batch norm and ReLU, and fuses only the sole ReLU consumer', () => {
    const step = (fused: boolean) => {
      const m = model();
      m.setWeights(m.getWeights().map((w, i) => tf.tensor(randomValues(w.size, 20 + i), w.shape)));
      const activations: FusedActivation[] = [];
      const kernel = tf.getKernel(BATCH_NORM_TRAINING, 'wasm') as Parameters<typeof tf.registerKernel>[0];
      tf.unregisterKernel(BATCH_NORM_TRAINING, 'wasm');
      tf.registerKernel({ ...kernel, kernelFunc: (args) => (activations.push((args.attrs as { activation: FusedActivation }).activation), kernel.kernelFunc(args)) });
      try {
        if (fused) fuseBatchNorm(m);
        const x = tf.tensor(randomValues(4 * 6 * 6 * 3, 9), [4, 6, 6, 3]);
        const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
        const variables = m.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
        // The weights after the forward pass include the moving averages it updated.
        return { out: [value, ...variables.map((v) => grads[v.name]), ...m.getWeights()].map((t) => t.dataSync() as Float32Array), activations };
      } finally {
        tf.unregisterKernel(BATCH_NORM_TRAINING, 'wasm');
        tf.registerKernel(kernel);
        m.dispose();
      }
    };
    const plain = step(false);
    const fused = step(true);
    expect(plain.activations).toEqual([]);
    expect(fused.activations).toEqual(['relu', 'linear']);
    plain.out.forEach((values, i) => expect(maxRelativeError(fused.out[i], values), `output ${i}`).toBeLessThan(1e-3));
  });
});
