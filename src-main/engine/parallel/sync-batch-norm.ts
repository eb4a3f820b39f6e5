// Synchronised batch normalisation for data-parallel training: the batch
// statistics (mean, variance) are those of the whole batch, not of one shard,
// and so are their gradient terms, so N shards compute what one thread computes.
//
// Every batch-norm layer trains through the fused BatchNormTraining op
// (ops/batch-norm-training.ts, layers/fused-batch-norm.ts); here each layer's op
// is given a collective (its name) and the thread a reducer over the shared
// memory (shared-state.ts). Per layer and step that makes two collectives, each
// between the op's two passes: Σx, Σx² and the row count in the forward pass
// (→ mean and variance), Σg and Σg·(x − mean) in the backward pass (→ ∂L/∂x),
// summed because each shard's objective is its part of the batch loss. The
// scale and offset gradients stay the shard's own, summed with the others.
// Inference (moving averages) and the saved model format are untouched.
import type * as tf from '@tensorflow/tfjs';
import { collectiveBatchNorm } from '../layers/fused-batch-norm';
import { layersOfClass } from '../layers/layers-of-class';
import { setBatchNormCollective } from '../ops/batch-norm-training';
import type { SharedState } from './shared-state';

/** Makes every BatchNormalization layer of `model` normalise over the whole batch of the ranks of `state` when training. */
export function synchronizeBatchNorm(model: tf.LayersModel, state: SharedState): number {
  setBatchNormCollective((label, values) => state.allReduce(values, label));
  return collectiveBatchNorm(model);
}

/** The widest batch-norm layer of a model (its collectives carry 2 values per channel, and the row count). */
export function maxBatchNormChannels(model: tf.LayersModel): number {
  return Math.max(0, ...layersOfClass<{ movingMean: tf.LayerVariable }>(model.layers, 'BatchNormalization').map((layer) => layer.movingMean.shape[0] ?? 0));
}
