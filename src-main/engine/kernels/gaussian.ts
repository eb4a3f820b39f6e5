import * as tf from '@tensorflow/tfjs';
import { LOG, SQUARED_EUCLIDEAN_MEDIAN, type KernelImplementation } from './kernel-implementation';

export const gaussian: KernelImplementation<'gaussian'> = {
  // −γ, not −d: the sign flips one value per channel instead of the whole response (and its gradient).
  forward: (terms, { gamma }) => tf.exp(tf.mul(terms.squaredDistance(), tf.neg(gamma))) as tf.Tensor4D,
  reparametrisation: { gamma: LOG('log_gamma') }, // γ = exp(log_gamma) > 0
  init: { kind: 'templates' },
  auto: { gamma: SQUARED_EUCLIDEAN_MEDIAN }, // γ = 1 / median ‖p − w‖²
};
