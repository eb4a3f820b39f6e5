import * as tf from '@tensorflow/tfjs';
import { polynomialVarianceScale } from '../layers/polynomial-init';
import { fusesResponse, polynomialConv2d, polynomialOf, POLYNOMIAL_CONV2D } from '../ops/response-conv2d';
import type { KernelImplementation } from './kernel-implementation';

export { integerPower } from '../ops/response-conv2d';

/** Below this a polynomial c = 0 cannot be written as softplus(c_raw); learnable c starts here instead. */
const SOFTPLUS_FLOOR = 1e-3;

export const polynomial: KernelImplementation<'polynomial'> = {
  // On webgpu (and the cpu reference) the response is the convolution's epilogue: one kernel.
  forward: (terms, { c, d }) =>
    fusesResponse(POLYNOMIAL_CONV2D, terms.geometry.dilation) ? polynomialConv2d(terms.x, terms.w, terms.convAttrs(), c, d) : polynomialOf(terms.lin(), c, d),
  // c = softplus(c_raw) ≥ 0.
  reparametrisation: {
    c: { weightName: 'c_raw', toRaw: (c) => Math.log(Math.expm1(Math.max(c, SOFTPLUS_FLOOR))), fromRaw: (raw) => tf.softplus(raw) },
  },
  init: { kind: 'response', response: (spec) => (z) => (z + spec.c) ** spec.d },
  glorotScale: (spec) => polynomialVarianceScale(spec.c, spec.d),
};
