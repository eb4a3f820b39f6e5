import * as tf from '@tensorflow/tfjs';
import type { KernelImplementation } from './kernel-implementation';

/** Added to the cosine denominator ‖p‖·‖w‖ so an all-zero patch or filter gives 0, not NaN. */
export const COSINE_EPSILON = 1e-8;
/**
 * sqrt is evaluated at max(v, SQRT_FLOOR): its gradient at 0 is infinite, and
 * 0 · ∞ = NaN would poison every weight. sqrt(1e-30) = 1e-15 is far below
 * COSINE_EPSILON, so values are unchanged.
 */
const SQRT_FLOOR = 1e-30;

function safeSqrt(t: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.maximum(t, SQRT_FLOOR));
}

export const cosine: KernelImplementation<'cosine'> = {
  forward: (terms) => {
    const norms = tf.mul(safeSqrt(terms.patchSquaredNorm()), safeSqrt(terms.filterSquaredNorm()));
    return tf.div(terms.lin(), tf.add(norms, COSINE_EPSILON)) as tf.Tensor4D;
  },
  reparametrisation: {},
  // Scale-free in w: neither a response of pᵀw alone nor a distance to a template.
  init: { kind: 'he' },
};
