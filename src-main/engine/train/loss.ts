// Softmax cross-entropy with label smoothing over logits, and accuracy, as tf ops.
import * as tf from '@tensorflow/tfjs';

/**
 * Per-example cross-entropy of softmax(logits) against the labels smoothed as in
 * Szegedy et al. / PyTorch: target = (1 - ε) · onehot + ε / K. Computed through
 * logSoftmax so large logits do not overflow.
 */
export function perExampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logProbs = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), numClasses).toFloat();
    const targets = labelSmoothing > 0 ? tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / numClasses) : oneHot;
    return tf.neg(tf.sum(tf.mul(targets, logProbs), 1)) as tf.Tensor1D;
  });
}

/** Mean cross-entropy over the batch: the training objective. */
export function crossEntropyLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => tf.mean(perExampleCrossEntropy(logits, labels, labelSmoothing)) as tf.Scalar);
}

/** Fraction of the batch whose most probable class is the label. */
export function batchAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')) as tf.Scalar);
}
