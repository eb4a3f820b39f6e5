// The reference CNN of the benchmark, identical in bench/torch_baseline.py:
// three 3×3 'same' convolutions (32, 64, 128 filters, no bias: batch norm follows),
// each followed by batch norm, ReLU and 2×2 max-pooling, then a dense softmax head.
// Every convolution is either tf.conv2d ('conv') or a kervolution with one kernel.
import * as tf from '@tensorflow/tfjs';
import { kernelSpecSchema } from '../src-main/shared/run-config';
import { kervConv2dLayer } from '../src-main/engine/layers/kerv-conv2d-layer';
import { convInitializer } from '../src-main/engine/models/conv-layer';
import type { ConvVariant } from './options';

export const REFERENCE_FILTERS = [32, 64, 128] as const;

export interface ReferenceCnnShape {
  imageSize: number;
  channels: number;
  classes: number;
}

/**
 * 'linear' goes through the KervConv2D layer too, so its row measures the
 * kervolution op itself (the product's architectures route a linear kernel to
 * tf.layers.conv2d, which is the 'conv' row). Weights start as the product's
 * architectures start them (He, scaled by the kernel's gain).
 */
function convolution(variant: ConvVariant, filters: number): tf.layers.Layer {
  if (variant === 'conv') {
    return tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: convInitializer(null) });
  }
  // Default kernel parameters (polynomial c=1 d=3, gaussian gamma=1, ...), as a user gets them.
  const kernel = kernelSpecSchema.parse({ type: variant });
  return kervConv2dLayer({ filters, kernelSize: 3, padding: 'same', useBias: false, kernel, kernelInitializer: convInitializer(kernel) });
}

export function buildReferenceCnn(variant: ConvVariant, shape: ReferenceCnnShape): tf.LayersModel {
  const input = tf.input({ shape: [shape.imageSize, shape.imageSize, shape.channels] });
  let x: tf.SymbolicTensor = input;
  for (const filters of REFERENCE_FILTERS) {
    x = convolution(variant, filters).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: shape.classes }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: `reference-cnn-${variant}` });
}
