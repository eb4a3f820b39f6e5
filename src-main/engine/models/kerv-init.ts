// Initialisation for kervolutions whose response is a function of the inner
// product, k(p, w) = f(pᵀw): polynomial f(z) = (z + c)^d, sigmoid f(z) = tanh(z + c).
//
// He initialisation picks Var(w) = 2/fan_in so that a conv + ReLU keeps the second
// moment of its input: E[relu(z)²] = E[x²] with z = pᵀw. The same condition,
// solved for f instead of the identity, is what keeps a stack of kervolutions
// finite: z ~ N(0, a/fan_in · fan_in · E[x²]) with E[x²] = 1, and we choose a so that
// E[relu(f(z) − f(0))²] = 1. (For f(z) = z this gives a = 2, He exactly.)
//
// The f(0) = c^d offset is subtracted by starting the bias at −f(0) where the
// layer has one; where batch norm follows, its mean subtraction does the same.
// Without that, the offset feeds every next layer a mean of c^d per input and
// the second moment grows with depth even for small weights. Measured here at
// initialisation with polynomial (c = 1, d = 3) kervolutions in every conv, on
// unit-variance inputs: with He weights the logits of the 3-conv convnet reached
// a standard deviation of 7e14 and the 4-conv cifar-cnn overflowed float32; with
// He shrunk by the kernel's squared slope (He/9) but no offset correction,
// cifar-cnn still reached 1e10. With this initialisation both stay at 2–4.
//
// For the default polynomial (c = 1, d = 3) this gives a ≈ 0.088 (vs He's 2): the
// kervolution starts in its near-linear regime, f(z) − 1 ≈ 3z (3² · 0.088 ≈ 0.8,
// close to He's unit slope), so the backward pass keeps its scale too.
import type { KernelSpec } from '../../shared/run-config';

type Response = (z: number) => number;

/** f for kernels of the form f(pᵀw); null for the distance kernels (gaussian, euclidean, manhattan, cosine). */
export function kernelResponse(kernel: KernelSpec | null): Response | null {
  if (kernel === null) return (z) => z;
  switch (kernel.type) {
    case 'linear':
      return (z) => z;
    case 'polynomial':
      return (z) => (z + kernel.c) ** kernel.d;
    case 'sigmoid':
      return (z) => Math.tanh(z + kernel.c);
    default:
      return null;
  }
}

const STANDARD_NORMAL_STEPS = 1200;
const STANDARD_NORMAL_RANGE = 12;

/** E[relu(f(√variance · u) − f(0))²] for u ~ N(0, 1), by the trapezoid rule on ±12σ. */
export function reluSecondMoment(f: Response, variance: number): number {
  const scale = Math.sqrt(variance);
  const offset = f(0);
  const h = (2 * STANDARD_NORMAL_RANGE) / STANDARD_NORMAL_STEPS;
  let sum = 0;
  for (let i = 0; i <= STANDARD_NORMAL_STEPS; i++) {
    const u = -STANDARD_NORMAL_RANGE + i * h;
    const y = Math.max(0, f(scale * u) - offset);
    const weight = i === 0 || i === STANDARD_NORMAL_STEPS ? 0.5 : 1;
    sum += weight * y * y * Math.exp(-0.5 * u * u);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

const HE_SCALE = 2;
const cache = new Map<string, number>();

/**
 * The variance-scaling factor a (Var(w) = a / fan_in) for a kernel, as described
 * above. Never above He's 2: a kernel whose response saturates (sigmoid) cannot
 * reach a unit second moment, and larger weights would only saturate it further.
 * The distance kernels keep He, since their response depends on ‖p − w‖, not on
 * the scale of pᵀw alone.
 */
export function kervVarianceScale(kernel: KernelSpec | null): number {
  const f = kernelResponse(kernel);
  if (!f) return HE_SCALE;
  const key = JSON.stringify(kernel);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let result = HE_SCALE;
  if (reluSecondMoment(f, HE_SCALE) > 1) {
    // The moment grows with the variance: bisect on log a between 1e-8 and He.
    let lo = Math.log(1e-8);
    let hi = Math.log(HE_SCALE);
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (reluSecondMoment(f, Math.exp(mid)) > 1) hi = mid;
      else lo = mid;
    }
    result = Math.exp((lo + hi) / 2);
  }
  cache.set(key, result);
  return result;
}

/** The starting bias that removes the kernel's response at zero, −f(0). */
export function kervBiasOffset(kernel: KernelSpec | null): number {
  const f = kernelResponse(kernel);
  const offset = f ? f(0) : 0;
  return offset === 0 ? 0 : -offset;
}
