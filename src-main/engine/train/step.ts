// One training step: forward in training mode (BatchNorm uses batch statistics and
// updates its moving averages), softmax cross-entropy, gradients of the trainable
// variables, optional global-norm clipping, one optimiser update. It returns the
// loss and accuracy as a 2-element tensor that the caller reads later, in a batch
// with other steps: no GPU→CPU sync per step.
import * as tf from '@tensorflow/tfjs';
import { batchAccuracy, crossEntropyLoss } from './loss';
import type { StepDiagnostics } from './diagnostics';
import type { TrainableVariable, TrainOptimizer } from './optimizer';

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

export type TrainStep = (x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number) => tf.Tensor1D;

/** A step that also samples the run's diagnostics (diagnostics.ts): their values, [diagnostics.names.length]. */
export type DiagnosedTrainStep = (x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number) => { metrics: tf.Tensor1D; diagnostics: tf.Tensor1D };

/** The trainable variables of a model, in model.trainableWeights order. */
export function trainableVariables(model: tf.LayersModel): TrainableVariable[] {
  return model.trainableWeights as unknown as TrainableVariable[];
}

/**
 * One step; with `diagnostics`, the forward pass goes through its forwardModel
 * (same layers, same ops, the kervolutions' outputs as extra outputs) and the
 * step returns their values too.
 */
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
      accuracy = tf.keep(batchAccuracy(logits, y));
      return crossEntropyLoss(logits, y, options.labelSmoothing);
    }, tfVariables);
    const rawGradients = tfVariables.map((v) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient for variable ${v.name}: is it used by the model?`);
      return g;
    });
    const gradients = options.gradClipNorm !== null ? clipByGlobalNorm(rawGradients, options.gradClipNorm) : rawGradients;
    optimizer.applyGradients(gradients, learningRate);
    // accuracy (and the activation statistics) were kept out of variableGrads' scope; they go once used.
    const kept = accuracy as unknown as tf.Scalar;
    const metrics = tf.stack([value, kept]) as tf.Tensor1D;
    kept.dispose();
    if (!diagnostics) return [metrics];
    const stats = activationStats as unknown as tf.Tensor1D;
    const values = diagnostics.collect(rawGradients, tfVariables, stats);
    stats.dispose();
    return [metrics, values];
  });
  return { metrics: metrics as tf.Tensor1D, diagnostics: (sampled as tf.Tensor1D | undefined) ?? null };
}

export function makeTrainStep(model: tf.LayersModel, optimizer: TrainOptimizer, options: StepOptions): TrainStep {
  const tfVariables = trainableVariables(model).map((v) => v.read() as tf.Variable);
  return (x, y, learningRate) => runStep(model, optimizer, options, tfVariables, null, x, y, learningRate).metrics;
}

export function makeDiagnosedTrainStep(model: tf.LayersModel, optimizer: TrainOptimizer, options: StepOptions, diagnostics: StepDiagnostics): DiagnosedTrainStep {
  const tfVariables = trainableVariables(model).map((v) => v.read() as tf.Variable);
  return (x, y, learningRate) => {
    const out = runStep(model, optimizer, options, tfVariables, diagnostics, x, y, learningRate);
    return { metrics: out.metrics, diagnostics: out.diagnostics as tf.Tensor1D };
  };
}
