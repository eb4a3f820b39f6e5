// One training step: forward in training mode (BatchNorm uses batch statistics and
// updates its moving averages), softmax cross-entropy, gradients of the trainable
// variables, optional global-norm clipping, one optimiser update. It returns the
// loss and accuracy as a 2-element tensor that the caller reads later, in a batch
// with other steps: no GPU→CPU sync per step.
import * as tf from '@tensorflow/tfjs';
import { batchAccuracy, crossEntropyLoss } from './loss';
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

/** The trainable variables of a model, in model.trainableWeights order. */
export function trainableVariables(model: tf.LayersModel): TrainableVariable[] {
  return model.trainableWeights as unknown as TrainableVariable[];
}

export function makeTrainStep(model: tf.LayersModel, optimizer: TrainOptimizer, options: StepOptions): TrainStep {
  const variables = trainableVariables(model);
  const tfVariables = variables.map((v) => v.read() as tf.Variable);
  return (x, y, learningRate) =>
    tf.tidy(() => {
      let accuracy: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        accuracy = tf.keep(batchAccuracy(logits, y));
        return crossEntropyLoss(logits, y, options.labelSmoothing);
      }, tfVariables);
      let gradients = tfVariables.map((v) => {
        const g = grads[v.name];
        if (!g) throw new Error(`no gradient for variable ${v.name}: is it used by the model?`);
        return g;
      });
      if (options.gradClipNorm !== null) gradients = clipByGlobalNorm(gradients, options.gradClipNorm);
      optimizer.applyGradients(gradients, learningRate);
      // accuracy was kept out of variableGrads' scope; it goes once stacked.
      const kept = accuracy as unknown as tf.Scalar;
      const metrics = tf.stack([value, kept]) as tf.Tensor1D;
      kept.dispose();
      return metrics;
    });
}
