// Synchronised batch normalisation for data-parallel training: the batch
// statistics (mean, variance) are those of the whole batch, not of one shard,
// and so are their gradient terms, so N shards compute what one thread computes.
//
// Per layer and step, three collectives (shared-state.ts): Σx and the row count
// (→ mean), Σ(x − mean)² (→ variance, two passes as tf.moments does), and in the
// backward pass the shard's partial ∂L/∂mean and ∂L/∂variance (the "Σdy" and
// "Σdy·x̂" terms), summed because each shard's objective is its part of the batch
// loss. Then ∂L/∂x = ∂L/∂mean / N + ∂L/∂variance · 2(x − mean) / N, locally.
//
// tfjs-layers' BatchNormalization computes its statistics with a module-internal
// tf.moments call; in a data-parallel run each BatchNormalization layer's call()
// is replaced (on that model instance only) by one that takes its statistics from
// here and updates the moving averages with tfjs-layers' own formula. Inference
// (moving averages) and the saved model format are untouched.
import * as tf from '@tensorflow/tfjs';
import { layersOfClass } from './layers-of-class';
import type { SharedState } from './shared-state';

interface BatchNormInternals {
  name: string;
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: tf.LayerVariable | null;
  beta?: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

/**
 * The mean and (biased) variance over every axis but the last, of the whole
 * batch spread over the ranks of `state`, differentiable with respect to this
 * rank's `x`. Returned stacked: [2, C].
 */
export function synchronizedMoments(x: tf.Tensor, state: SharedState, label: string): tf.Tensor2D {
  const channels = x.shape[x.rank - 1];
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const moments = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const sums = readAndDispose(tf.sum(input, axes));
    const counted = state.allReduce([...sums, input.size / channels], `${label}/sum`);
    const rows = counted[channels];
    const mean = tf.tensor1d(Float32Array.from(counted.subarray(0, channels), (v) => v / rows));
    const squares = readAndDispose(tf.tidy(() => tf.sum(tf.square(tf.sub(input, mean)), axes)));
    const variance = tf.tensor1d(Float32Array.from(state.allReduce(squares, `${label}/variance`), (v) => v / rows));
    save([input, mean]);
    return {
      value: tf.stack([mean, variance]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedMean] = saved;
        const partial = (dy as tf.Tensor).dataSync();
        const total = state.allReduce(partial, `${label}/gradient`);
        const dMean = tf.tensor1d(Float32Array.from(total.subarray(0, channels), (v) => v / rows));
        const dVarianceTwice = tf.tensor1d(Float32Array.from(total.subarray(channels), (v) => (2 * v) / rows));
        return tf.add(dMean, tf.mul(tf.sub(savedX, savedMean), dVarianceTwice));
      },
    };
  });
  return moments(x) as tf.Tensor2D;
}

function readAndDispose(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** tfjs-layers' moving average: value' = value − (value − batchStatistic) · (1 − momentum). */
function movingAverage(variable: tf.LayerVariable, statistic: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, statistic), 1 - momentum)));
  });
}

function trainingCall(layer: BatchNormInternals, input: tf.Tensor, state: SharedState): tf.Tensor {
  return tf.tidy(() => {
    const stacked = synchronizedMoments(input, state, layer.name);
    const [mean, variance] = tf.unstack(stacked) as [tf.Tensor1D, tf.Tensor1D];
    const normed = tf.batchNorm(input, mean, variance, layer.beta?.read() as tf.Tensor1D | undefined, layer.gamma?.read() as tf.Tensor1D | undefined, layer.epsilon);
    movingAverage(layer.movingMean, mean, layer.momentum);
    movingAverage(layer.movingVariance, variance, layer.momentum);
    return normed;
  });
}

const batchNormLayers = (layers: tf.layers.Layer[]) => layersOfClass<BatchNormInternals>(layers, 'BatchNormalization');

/** Makes every BatchNormalization layer of `model` normalise over the whole batch of the ranks of `state` when training. */
export function synchronizeBatchNorm(model: tf.LayersModel, state: SharedState): number {
  const layers = batchNormLayers(model.layers);
  for (const layer of layers) {
    const inference = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      const axis = layer.axis < 0 ? layer.axis + input.rank : layer.axis;
      if (!kwargs.training) return inference(inputs, kwargs);
      if (axis !== input.rank - 1) throw new Error(`data-parallel batch norm: layer ${layer.name} normalises axis ${layer.axis}; only the channels-last axis is supported`);
      return trainingCall(layer, input, state);
    };
  }
  return layers.length;
}

/** The widest batch-norm layer of a model (its collectives carry 2 values per channel). */
export function maxBatchNormChannels(model: tf.LayersModel): number {
  return Math.max(0, ...batchNormLayers(model.layers).map((layer) => layer.movingMean.shape[0] ?? 0));
}
