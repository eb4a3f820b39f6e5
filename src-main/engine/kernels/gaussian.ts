import * as tf from '@tensorflow/tfjs';
import { LOG, SQUARED_EUCLIDEAN_MEDIAN, type KernelImplementation } from './kernel-implementation';

export const gaussian: KernelImplementation<'gaussian'> = {
  forward: (terms, { gamma }) => tf.exp(tf.mul(tf.neg(terms.squaredDistance()), gamma)) as tf.Tensor4D,
  reparametrisation: { gamma: LOG('log_gamma') }, // γ = exp(log_gamma) > 0
  init: { kind: 'templates' },
  auto: { gamma: SQUARED_EUCLIDEAN_MEDIAN }, // γ = 1 / median ‖p − w‖²
};
