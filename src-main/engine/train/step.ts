// One training step: forward in training mode (BatchNorm uses batch statistics and
// updates its moving averages), softmax cross-entropy, gradients of the trainable
// variables, optional global-norm clipping, one optimiser update. It returns the
// loss and accuracy as a 2-element tensor that the caller reads later, in a batch
// with other steps: no GPU→CPU sync per step.
import * as tf from '@tensorflow/tfjs';
import { batchAccuracy, crossEntropyLoss, perExampleCrossEntropy } from './loss';
import type { StepDiagnostics } from './diagnostics';
import type { TrainableVariable, TrainOptimizer } from './optimizer';
import { fuseBatchNorm } from '../layers/fused-batch-norm';
import { skipImageGradient } from '../layers/input-convolution';

export interface StepOptions {
  labelSmoothing: number;
  /** Clip the global gradient norm to this; null = no clipping. */
  gradClipNorm: number | null;
}

/** Scales every gradient by min(1, maxNorm / globalNorm), as torch.nn.utils.clip_grad_norm_. */
export function clipByGlobalNorm(gradients: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const squares = gradients.map((g) => tf.sum(tf.square(g)));
    const globalNorm = tf.sqrt(tf.addN(squares));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(globalNorm, 1e-6)));
    return gradients.map((g) => tf.mul(g, scale));
  });
}

/**
 * Swaps in the training calls of the model's layers that train through fewer
 * passes: fused batch norm (+ ReLU) and no gradient for the images. Idempotent;
 * data-parallel groups do it with their collectives (parallel/sync-batch-norm.ts).
 */
export function prepareForTraining(model: tf.LayersModel): void {
  fuseBatchNorm(model);
  skipImageGradient(model);
}

export type TrainStep = (x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number) => tf.Tensor1D;

/** A step that also samples the run's diagnostics (diagnostics.ts): their values, [diagnostics.names.length]. */
export type DiagnosedTrainStep = (x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number) => { metrics: tf.Tensor1D; diagnostics: tf.Tensor1D };

/** The trainable variables of a model, in model.trainableWeights order. */
export function trainableVariables(model: tf.LayersModel): TrainableVariable[] {
  return model.trainableWeights as unknown as TrainableVariable[];
}

/** One shard's part of a step: what a data-parallel step sums over its shards (engine/parallel/). */
export interface ShardGradients {
  /** Σ of the shard's per-example losses ÷ the whole batch's size: the batch mean when the shard is the batch. */
  loss: tf.Scalar;
  /** The shard's correct predictions ÷ the whole batch's size. */
  accuracy: tf.Scalar;
  /** ∂loss/∂variable, index-aligned with the variables. */
  gradients: tf.Tensor[];
  /** With diagnostics: mean and std of each kervolution's output on this shard. */
  activationStats: tf.Tensor1D | null;
}

/**
 * Forward (training mode) and backward over `x`, a shard of a batch of
 * `batchSize` rows (the batch itself when they are equal). With `diagnostics`,
 * the forward pass goes through its forwardModel (same layers, same ops, the
 * kervolutions' outputs as extra outputs). Call inside tf.tidy.
 */
export function shardGradients(
  model: tf.LayersModel,
  tfVariables: tf.Variable[],
  diagnostics: StepDiagnostics | null,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  labelSmoothing: number,
  batchSize: number,
): ShardGradients {
  const whole = x.shape[0] === batchSize;
  let accuracy: tf.Scalar | null = null;
  let activationStats: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    let logits: tf.Tensor2D;
    if (diagnostics) {
      const outputs = diagnostics.forwardModel.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
      const [out, ...activations] = Array.isArray(outputs) ? outputs : [outputs]; // one output: no kervolution
      logits = out as tf.Tensor2D;
      activationStats = tf.keep(diagnostics.activationStats(activations));
    } else {
      logits = model.apply(x, { training: true }) as tf.Tensor2D;
    }
    const shardAccuracy = batchAccuracy(logits, y);
    // Kept out of variableGrads' scope, which disposes everything but the loss.
    accuracy = tf.keep(whole ? shardAccuracy : (tf.mul(shardAccuracy, x.shape[0] / batchSize) as tf.Scalar));
    if (whole) return crossEntropyLoss(logits, y, labelSmoothing);
    return tf.div(tf.sum(perExampleCrossEntropy(logits, y, labelSmoothing)), batchSize) as tf.Scalar;
  }, tfVariables);
  const gradients = tfVariables.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for variable ${v.name}: is it used by the model?`);
    return g;
  });
  // Back into the caller's tidy scope.
  const tracked = (kept: tf.Tensor | null) => {
    if (!kept) return null;
    const copy = tf.clone(kept);
    kept.dispose();
    return copy;
  };
  return { loss: value, accuracy: tracked(accuracy) as tf.Scalar, gradients, activationStats: tracked(activationStats) as tf.Tensor1D | null };
}

/**
 * The rest of a step, once the batch's loss and gradients are known: optional
 * clipping, one optimiser update, the [loss, accuracy] metrics and, with
 * diagnostics, their values. Call inside tf.tidy.
 */
export function finishStep(
  optimizer: TrainOptimizer,
  options: StepOptions,
  tfVariables: tf.Variable[],
  diagnostics: StepDiagnostics | null,
  batch: ShardGradients,
  learningRate: number,
): [tf.Tensor1D] | [tf.Tensor1D, tf.Tensor1D] {
  const rawGradients = batch.gradients;
  const gradients = options.gradClipNorm !== null ? clipByGlobalNorm(rawGradients, options.gradClipNorm) : rawGradients;
  optimizer.applyGradients(gradients, learningRate);
  const metrics = tf.stack([batch.loss, batch.accuracy]) as tf.Tensor1D;
  if (!diagnostics) return [metrics];
  const values = diagnostics.collect(rawGradients, tfVariables, batch.activationStats ?? tf.tensor1d([]));
  return [metrics, values];
}

/** One step of the whole batch on this thread. */
function runStep(
  model: tf.LayersModel,
  optimizer: TrainOptimizer,
  options: StepOptions,
  tfVariables: tf.Variable[],
  diagnostics: StepDiagnostics | null,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  learningRate: number,
): { metrics: tf.Tensor1D; diagnostics: tf.Tensor1D | null } {
  const [metrics, sampled] = tf.tidy(() => {
    const batch = shardGradients(model, tfVariables, diagnostics, x, y, options.labelSmoothing, x.shape[0]);
    return finishStep(optimizer, options, tfVariables, diagnostics, batch, learningRate);
  });
  return { metrics, diagnostics: sampled ?? null };
}

export function makeTrainStep(model: tf.LayersModel, optimizer: TrainOptimizer, options: StepOptions): TrainStep {
  prepareForTraining(model);
  const tfVariables = trainableVariables(model).map((v) => v.read() as tf.Variable);
  return (x, y, learningRate) => runStep(model, optimizer, options, tfVariables, null, x, y, learningRate).metrics;
}

export function makeDiagnosedTrainStep(model: tf.LayersModel, optimizer: TrainOptimizer, options: StepOptions, diagnostics: StepDiagnostics): DiagnosedTrainStep {
  prepareForTraining(model);
  const tfVariables = trainableVariables(model).map((v) => v.read() as tf.Variable);
  return (x, y, learningRate) => {
    const out = runStep(model, optimizer, options, tfVariables, diagnostics, x, y, learningRate);
    return { metrics: out.metrics, diagnostics: out.diagnostics as tf.Tensor1D };
  };
}
