import * as tf from '@tensorflow/tfjs';
import { polynomialVarianceScale } from '../layers/polynomial-init';
import type { KernelImplementation } from './kernel-implementation';

/** t^d for an integer d ≥ 1 by repeated squaring: exact gradients for negative t too (unlike pow via log). */
export function integerPower(t: tf.Tensor, d: number): tf.Tensor {
  let result: tf.Tensor | null = null;
  let base = t;
  for (let n = d; n > 0; n >>= 1) {
    if (n & 1) result = result ? tf.mul(result, base) : base;
    if (n > 1) base = tf.square(base);
  }
  return result as tf.Tensor;
}

/** Below this a polynomial c = 0 cannot be written as softplus(c_raw); learnable c starts here instead. */
const SOFTPLUS_FLOOR = 1e-3;

export const polynomial: KernelImplementation<'polynomial'> = {
  forward: (terms, { c, d }) => integerPower(tf.add(terms.lin(), c), d) as tf.Tensor4D,
  // c = softplus(c_raw) ≥ 0.
  reparametrisation: {
    c: { weightName: 'c_raw', toRaw: (c) => Math.log(Math.expm1(Math.max(c, SOFTPLUS_FLOOR))), fromRaw: (raw) => tf.softplus(raw) },
  },
  init: { kind: 'response', response: (spec) => (z) => (z + spec.c) ** spec.d },
  glorotScale: (spec) => polynomialVarianceScale(spec.c, spec.d),
};
