// Dropout in a data-parallel step: every rank draws the mask of the whole batch
// (the same random stream on every rank: the step's Math.random is seeded from
// the run's ops Rng, replica-worker.ts) and keeps its shard's rows, so the masks
// are the ones a single thread draws for the batch, row for row. tfjs-layers'
// Dropout draws its mask in the input's shape; in a data-parallel run each
// Dropout layer's call() is replaced (on that model instance only) by this one.
// Its arithmetic is tf.dropout's: x · floor(u + keep) / keep, u uniform in [0, 1).
import * as tf from '@tensorflow/tfjs';
import { layersOfClass } from '../layers/layers-of-class';
import type { SharedState } from './shared-state';

interface DropoutInternals {
  rate: number;
  seed?: number;
  noiseShape?: (number | null)[] | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

export function shardDropout(model: tf.LayersModel, state: SharedState): number {
  const layers = layersOfClass<DropoutInternals>(model.layers, 'Dropout');
  for (const layer of layers) {
    const original = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      if (!kwargs.training || !(layer.rate > 0 && layer.rate < 1)) return original(inputs, kwargs);
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const { start, count } = state.shard(state.rank);
        // The mask of the whole batch, in the noise shape tfjs-layers would use (the input's, by default).
        const noise = layer.noiseShape ? layer.noiseShape.map((d, i) => d ?? x.shape[i]) : [...x.shape];
        const perRow = noise[0] === x.shape[0];
        const wholeShape = perRow ? [state.batchSize, ...noise.slice(1)] : noise;
        const keep = 1 - layer.rate;
        const mask = tf.div(tf.floor(tf.add(tf.randomUniform(wholeShape, 0, 1, 'float32', layer.seed), keep)), keep);
        const mine = perRow ? tf.slice(mask, [start, ...wholeShape.slice(1).map(() => 0)], [count, ...wholeShape.slice(1)]) : mask;
        return tf.mul(x, mine);
      });
    };
  }
  return layers.length;
}
