import * as tf from '@tensorflow/tfjs';
import { LOG, MANHATTAN_MEDIAN, type KernelImplementation } from './kernel-implementation';

// exp(−γ‖p − w‖₁) = exp(γ · (−‖p − w‖₁)): the manhattan kernel's response (and its
// gradient, see manhattan-conv2d.ts) scaled and exponentiated.
export const laplacian: KernelImplementation<'laplacian'> = {
  forward: (terms, { gamma }) => tf.exp(tf.mul(terms.negatedManhattanDistance(), gamma)) as tf.Tensor4D,
  reparametrisation: { gamma: LOG('log_gamma') }, // γ = exp(log_gamma) > 0
  init: { kind: 'templates' },
  auto: { gamma: MANHATTAN_MEDIAN }, // γ = 1 / median ‖p − w‖₁
};
