// Kervolution (Wang et al., CVPR 2019): a convolution whose inner product pᵀw is
// replaced by a kernel function k(p, w) of the receptive field p and the filter w.
// Every kernel except manhattan is rewritten in terms of ordinary convolutions, so
// it costs about one conv and never materialises patches:
//   pᵀw        = conv(x, w)
//   ‖p‖²       = conv(Σ_c x², ones)      (one output channel: cheap)
//   ‖w‖²       = Σ w²                    (per output channel)
//   ‖p − w‖²   = ‖p‖² − 2 pᵀw + ‖w‖², clamped at 0 against rounding
// Gradients come from tfjs autodiff over these ops (manhattan: see its file).
import * as tf from '@tensorflow/tfjs';
import type { KernelSpec } from '../../shared/run-config';
import { convGeometry, convolve, toPair, type ConvGeometry, type Pair } from './conv-geometry';
import { manhattanConv2d } from './manhattan-conv2d';

/** A kernel parameter: a number, or a tensor that is a scalar or has one value per output channel [outC]. */
export type KernelParam = number | tf.Tensor;

/**
 * The op-level kernel: KernelSpec from the run config is assignable to it; here c,
 * d and gamma may also be tensors (scalar or [outC]) so a layer can learn them.
 * `learnable` is read by the layer, ignored by the op.
 */
export type KervKernel =
  | { type: 'linear' }
  | { type: 'polynomial'; c?: KernelParam; d?: number; learnable?: boolean }
  | { type: 'gaussian'; gamma?: KernelParam; learnable?: boolean }
  | { type: 'sigmoid'; c?: KernelParam; learnable?: boolean }
  | { type: 'manhattan' }
  | { type: 'euclidean' }
  | { type: 'cosine' };

export interface KervConv2dOptions {
  kernel: KervKernel | KernelSpec;
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilation?: number | [number, number];
}

/** Added to the cosine denominator ‖p‖·‖w‖ so an all-zero patch or filter gives 0, not NaN. */
export const COSINE_EPSILON = 1e-8;
/**
 * sqrt is evaluated at max(v, SQRT_FLOOR): its gradient at 0 is infinite, and
 * 0 · ∞ = NaN would poison every weight. sqrt(1e-30) = 1e-15 is far below
 * COSINE_EPSILON, so values are unchanged.
 */
const SQRT_FLOOR = 1e-30;

function checkParam(value: KernelParam, field: string, outC: number, min: { value: number; strict: boolean } | null): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`kernel.${field} must be a finite number, got ${value}`);
    if (min && (min.strict ? value <= min.value : value < min.value)) {
      throw new Error(`kernel.${field} must be ${min.strict ? '>' : '≥'} ${min.value}, got ${value}`);
    }
    return;
  }
  const ok = value.size === 1 ? value.rank <= 1 : value.rank === 1 && value.shape[0] === outC;
  if (!ok) throw new Error(`kernel.${field} must be a scalar or have shape [${outC}] (one per output channel), got [${value.shape.join(', ')}]`);
}

/** Validates the kernel against the filter's output channel count; returns d for polynomial. */
function validateKernel(kernel: KervKernel, outC: number): void {
  switch (kernel.type) {
    case 'polynomial': {
      const d = kernel.d ?? 3;
      if (!Number.isInteger(d) || d < 1) throw new Error(`kernel.d must be an integer ≥ 1, got ${d}`);
      checkParam(kernel.c ?? 1, 'c', outC, { value: 0, strict: false });
      return;
    }
    case 'gaussian':
      checkParam(kernel.gamma ?? 1, 'gamma', outC, { value: 0, strict: true });
      return;
    case 'sigmoid':
      checkParam(kernel.c ?? 0, 'c', outC, null);
      return;
    case 'linear':
    case 'manhattan':
    case 'euclidean':
    case 'cosine':
      return;
    default:
      throw new Error(`kernel.type must be one of linear, polynomial, gaussian, sigmoid, manhattan, euclidean, cosine, got ${JSON.stringify((kernel as { type: unknown }).type)}`);
  }
}

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

function safeSqrt(t: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.maximum(t, SQRT_FLOOR));
}

/** ‖p‖² for every output position, [batch, outH, outW, 1]. */
function patchSquaredNorm(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const channelSum = tf.sum(tf.square(x), 3, true) as tf.Tensor4D;
  return convolve(channelSum, tf.ones([g.kh, g.kw, 1, 1]) as tf.Tensor4D, g);
}

/** ‖w_o‖² per output channel, [outC]. */
function filterSquaredNorm(w: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.square(w), [0, 1, 2]) as tf.Tensor1D;
}

function squaredDistance(x: tf.Tensor4D, w: tf.Tensor4D, lin: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const d2 = tf.add(tf.sub(patchSquaredNorm(x, g), tf.mul(lin, 2)), filterSquaredNorm(w));
  return tf.relu(d2) as tf.Tensor4D; // rounding can make p ≈ w slightly negative
}

/**
 * Kervolution of x (NHWC [batch, h, w, inC]) with filters w ([kh, kw, inC, outC]);
 * padding and output size exactly as tf.conv2d. No bias. Returns [batch, outH, outW, outC].
 */
export function kervConv2d(x: tf.Tensor4D, w: tf.Tensor4D, options: KervConv2dOptions): tf.Tensor4D {
  const kernel = options.kernel as KervKernel;
  const strides: Pair = toPair(options.strides, 1, 'strides');
  const dilation: Pair = toPair(options.dilation, 1, 'dilation');
  const g = convGeometry(x.shape, w.shape, strides, options.padding ?? 'valid', dilation);
  validateKernel(kernel, g.outC);

  return tf.tidy(() => {
    if (kernel.type === 'manhattan') return manhattanConv2d(x, w, g);
    const lin = convolve(x, w, g);
    switch (kernel.type) {
      case 'linear':
        return lin;
      case 'polynomial':
        return integerPower(tf.add(lin, kernel.c ?? 1), kernel.d ?? 3) as tf.Tensor4D;
      case 'sigmoid':
        return tf.tanh(tf.add(lin, kernel.c ?? 0)) as tf.Tensor4D;
      case 'gaussian':
        return tf.exp(tf.mul(tf.neg(squaredDistance(x, w, lin, g)), kernel.gamma ?? 1)) as tf.Tensor4D;
      case 'euclidean':
        return tf.neg(squaredDistance(x, w, lin, g));
      case 'cosine': {
        const norms = tf.mul(safeSqrt(patchSquaredNorm(x, g)), safeSqrt(filterSquaredNorm(w)));
        return tf.div(lin, tf.add(norms, COSINE_EPSILON)) as tf.Tensor4D;
      }
    }
  });
}
