// Evaluation in inference mode (BatchNorm uses its moving averages, dropout is
// off). Loss sums and the confusion matrix accumulate on the device and are read
// once at the end, so an evaluation costs one sync, not one per batch.
import * as tf from '@tensorflow/tfjs';
import type { SamplePrediction } from '../../shared/progress';
import { perExampleCrossEntropy } from './loss';

export interface EvalBatch {
  x: Float32Array;
  y: Int32Array;
  shape: [number, number, number, number];
}

export interface EvaluationResult {
  /** Mean cross-entropy (no label smoothing: the loss of the predictions themselves). */
  loss: number;
  accuracy: number;
  count: number;
  perClassAccuracy: number[];
  /** confusion[trueClass][predictedClass] = count */
  confusion: number[][];
}

function toTensors(batch: EvalBatch): [tf.Tensor4D, tf.Tensor1D] {
  return [tf.tensor4d(batch.x, batch.shape), tf.tensor1d(batch.y, 'int32')];
}

export async function evaluate(model: tf.LayersModel, batches: Iterable<EvalBatch>, numClasses: number): Promise<EvaluationResult> {
  let lossSum: tf.Scalar = tf.scalar(0);
  let confusion: tf.Tensor2D = tf.zeros([numClasses, numClasses]);
  let count = 0;
  for (const batch of batches) {
    const [x, y] = toTensors(batch);
    const [nextLoss, nextConfusion] = tf.tidy(() => {
      const logits = model.apply(x, { training: false }) as tf.Tensor2D;
      const predicted = tf.argMax(logits, 1);
      const counts = tf.matMul(tf.oneHot(y, numClasses).toFloat(), tf.oneHot(predicted, numClasses).toFloat(), true, false);
      return [tf.add(lossSum, tf.sum(perExampleCrossEntropy(logits, y))) as tf.Scalar, tf.add(confusion, counts) as tf.Tensor2D];
    });
    lossSum.dispose();
    confusion.dispose();
    x.dispose();
    y.dispose();
    lossSum = nextLoss;
    confusion = nextConfusion;
    count += batch.y.length;
  }
  const [lossValue, matrix] = await Promise.all([lossSum.data(), confusion.array()]);
  lossSum.dispose();
  confusion.dispose();
  return evaluationResult(lossValue[0], matrix, count);
}

/** The summary of an evaluation from its sums: total loss, confusion counts, image count. */
export function evaluationResult(lossSum: number, matrix: number[][], count: number): EvaluationResult {
  const rows = matrix.map((row) => row.map((v) => Math.round(v)));
  const correct = rows.reduce((sum, row, i) => sum + row[i], 0);
  return {
    loss: count > 0 ? lossSum / count : NaN,
    accuracy: count > 0 ? correct / count : NaN,
    count,
    perClassAccuracy: rows.map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total > 0 ? row[i] / total : 0;
    }),
    confusion: rows,
  };
}

/**
 * The sums one shard of an evaluation batch contributes, read at once (CPU
 * backends, for data-parallel evaluation): [Σ loss, confusion row-major...].
 */
export function evaluationSums(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number): Float64Array {
  const sums = tf.tidy(() => {
    const logits = model.apply(x, { training: false }) as tf.Tensor2D;
    const counts = tf.matMul(tf.oneHot(y, numClasses).toFloat(), tf.oneHot(tf.argMax(logits, 1), numClasses).toFloat(), true, false);
    return tf.concat([tf.reshape(tf.sum(perExampleCrossEntropy(logits, y)), [1]), tf.reshape(counts, [-1])]);
  });
  const values = Float64Array.from(sums.dataSync());
  sums.dispose();
  return values;
}

/** Top-3 classes with probabilities and the loss of the true label, for each image of the fixed sample set. */
export async function predictSamples(model: tf.LayersModel, batch: EvalBatch, topK = 3): Promise<SamplePrediction[]> {
  if (batch.y.length === 0) return [];
  const [x, y] = toTensors(batch);
  const [values, indices, losses] = tf.tidy(() => {
    const logits = model.apply(x, { training: false }) as tf.Tensor2D;
    const k = Math.min(topK, logits.shape[1]);
    const { values, indices } = tf.topk(tf.softmax(logits), k);
    return [values, indices, perExampleCrossEntropy(logits, y)];
  });
  x.dispose();
  y.dispose();
  const [p, c, l] = await Promise.all([values.array(), indices.array(), losses.data()]);
  tf.dispose([values, indices, losses]);
  return p.map((probs, i) => ({
    sampleIndex: i,
    top: probs.map((probability, j) => ({ classIndex: c[i][j], probability })),
    loss: l[i],
  }));
}
