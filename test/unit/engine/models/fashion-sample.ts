// A few real Fashion-MNIST images (Debian's dataset-fashion-mnist), normalised
// with the training set's mean and standard deviation, for tests that need data
// with real structure rather than noise.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseIdxImages, parseIdxLabels } from '../../../../src-main/engine/data/formats/idx';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const MEAN = 0.286;
const STD = 0.353;

export function fashionSample(count: number, offset = 0): { x: tf.Tensor4D; labels: Int32Array } {
  const imagesFile = `${FOLDER}/train-images-idx3-ubyte.gz`;
  const labelsFile = `${FOLDER}/train-labels-idx1-ubyte.gz`;
  const images = parseIdxImages(gunzipSync(readFileSync(imagesFile)), imagesFile);
  const labels = parseIdxLabels(gunzipSync(readFileSync(labelsFile)), labelsFile, 10);
  const pixels = images.images.subarray(offset * 784, (offset + count) * 784);
  const x = tf.tensor4d(Float32Array.from(pixels, (v) => (v / 255 - MEAN) / STD), [count, 28, 28, 1]);
  return { x, labels: Int32Array.from(labels.subarray(offset, offset + count)) };
}
