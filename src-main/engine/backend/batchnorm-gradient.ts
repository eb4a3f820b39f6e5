// The FusedBatchNorm gradient of tfjs-core 4.22 with one change: ∂/∂x multiplies dy
// by 1/√(variance + ε) through broadcasting instead of first tiling that [C] vector
// to the full activation size [N, H, W, C]. The tile is a full-size kernel of its
// own (~25% of a ResNet-18 training step on wasm, by tf.profile); broadcasting folds
// it into the multiply. Everything else — the maths and the order of every float
// operation — is tfjs-core's (src/gradients/FusedBatchNorm_grad.ts), so results
// are identical, element for element.
import * as tf from '@tensorflow/tfjs';

type GradConfig = Parameters<typeof tf.registerGradient>[0];

export const FUSED_BATCH_NORM = 'FusedBatchNorm';

export const broadcastingBatchNormGradient: GradConfig = {
  kernelName: FUSED_BATCH_NORM,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const scaleValue = scale ?? tf.scalar(1);
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = mean.rank === 1;
    const reduce = (t: tf.Tensor) => tf.reshape(perChannel ? tf.sum(t, reductionAxes) : t, mean.shape);

    const xMinusMean = tf.sub(x, mean);
    const dyTimesScaleValue = tf.mul(dy, scaleValue);
    const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
    return {
      // [C] broadcasts over the leading axes of dy: the product tfjs-core forms after tiling.
      x: () => tf.reshape(tf.mul(tf.mul(dy, oneOverSqrtVariance), scaleValue), x.shape),
      mean: () => reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScaleValue)),
      variance: () => reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)),
      scale: () => reduce(tf.mul(dy, tf.mul(xMinusMean, oneOverSqrtVariance))),
      offset: () => reduce(dy),
    };
  },
};

/** Replaces tfjs-core's FusedBatchNorm gradient (for every backend: the registry is global). */
export function registerBroadcastingBatchNormGradient(): void {
  tf.registerGradient(broadcastingBatchNormGradient);
}
