// The one place architectures get a convolution layer from: an ordinary
// tf.layers.conv2d when the kernel is linear (identical maths, fastest), a
// KervConv2D otherwise, with an initialiser chosen for the kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelSpec } from '../../shared/run-config';
import type { Initializer } from '../layers/initializers';
import { kervConv2dLayer } from '../layers/kerv-conv2d-layer';
import { kervBiasOffset, kervVarianceScale } from './kerv-init';
import type { ConvNode } from './spec';

/** The fields of an architecture's conv node that shape the layer itself. */
export type ConvLayerArgs = Pick<ConvNode, 'name' | 'filters' | 'kernelSize' | 'strides' | 'padding' | 'useBias'>;

/**
 * The filter initialiser for a convolution carrying this kernel (null = linear):
 * He for linear convolutions, the kernel-aware generalisation of He for
 * kervolutions (see kerv-init.ts). All convolutions but LeNet-5's feed a ReLU,
 * with or without batch norm between, so He is the right base (LeNet-5's tanh
 * layers were measured with it, see lenet5()). The layer's own default
 * (glorot scaled by the kernel's gain) suits a KervConv2D used alone; these
 * architectures pass this one explicitly so linear and kernelized convolutions in
 * one network start on the same footing.
 */
export function convInitializer(kernel: KernelSpec | null): Initializer {
  return tf.initializers.varianceScaling({ scale: kervVarianceScale(kernel), mode: 'fanIn', distribution: 'normal' });
}

export function isLinearKernel(kernel: KernelSpec | null): boolean {
  return kernel === null || kernel.type === 'linear';
}

export function convLayer(args: ConvLayerArgs, kernel: KernelSpec | null): tf.layers.Layer {
  const kernelInitializer = convInitializer(kernel);
  if (isLinearKernel(kernel)) return tf.layers.conv2d({ ...args, kernelInitializer, biasInitializer: 'zeros' });
  const biasInitializer = tf.initializers.constant({ value: kervBiasOffset(kernel) });
  return kervConv2dLayer({ ...args, kernelInitializer, biasInitializer, kernel: kernel as KernelSpec });
}
