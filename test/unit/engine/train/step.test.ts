import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { optimizerConfigSchema } from '../../../../src-main/shared/run-config';
import { TrainOptimizer } from '../../../../src-main/engine/train/optimizer';
import { makeTrainStep, trainableVariables } from '../../../../src-main/engine/train/step';
import { evaluate } from '../../../../src-main/engine/train/evaluate';
import { crossEntropyLoss } from '../../../../src-main/engine/train/loss';

beforeAll(async () => {
  await initBackend('wasm');
});

function tinyBatchNormModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }),
      tf.layers.batchNormalization({ momentum: 0.5 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
    ],
  });
}

function batch(n: number, seed: number) {
  const x = tf.randomNormal([n, 6, 6, 1], 2, 3, 'float32', seed) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 4), 'int32');
  return { x, y };
}

describe('training step', () => {
  it('runs BatchNorm in training mode (moving averages move) and evaluation in inference mode', async () => {
    const model = tinyBatchNormModel();
    const bn = model.layers[1];
    const movingMean = () => Array.from(bn.getWeights()[2].dataSync());
    expect(movingMean()).toEqual([0, 0, 0]);
    const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({ type: 'sgd', lr: 0.1 }), trainableVariables(model));
    const step = makeTrainStep(model, optimizer, { labelSmoothing: 0, gradClipNorm: null });
    const { x, y } = batch(8, 3);
    const metrics = step(x, y, 0.1);
    const [loss] = Array.from(await metrics.data());
    expect(movingMean().some((v) => Math.abs(v) > 0.1)).toBe(true);

    // The step's loss came from batch statistics: recomputing it in training mode (which
    // moves the averages again, harmlessly here) must differ from the inference-mode loss.
    const inference = await evaluate(model, [{ x: x.dataSync() as Float32Array, y: y.dataSync() as Int32Array, shape: [8, 6, 6, 1] }], 4);
    const predicted = tf.tidy(() => crossEntropyLoss(model.predict(x) as tf.Tensor2D, y));
    expect(inference.loss).toBeCloseTo((await predicted.data())[0], 4);
    expect(inference.loss).not.toBeCloseTo(loss, 2);
    expect(inference.confusion.flat().reduce((a, b) => a + b, 0)).toBe(8);
    tf.dispose([metrics, predicted, x, y]);
    optimizer.dispose();
    model.dispose();
  });

  it('lowers the loss on a fixed batch and allocates no tensors per step', async () => {
    const model = tinyBatchNormModel();
    const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({ type: 'adamw', lr: 0.01, weightDecay: 0.01 }), trainableVariables(model));
    const step = makeTrainStep(model, optimizer, { labelSmoothing: 0.1, gradClipNorm: 1 });
    const { x, y } = batch(16, 4);
    const losses: number[] = [];
    let before = 0;
    for (let i = 0; i < 30; i++) {
      if (i === 2) before = tf.memory().numTensors;
      const metrics = step(x, y, 0.01);
      losses.push((await metrics.data())[0]);
      metrics.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[29]).toBeLessThan(losses[0] * 0.7);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
