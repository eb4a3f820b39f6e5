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
import * as tf from '@tensorflow/tfjs';
import type { KernelSpec } from '../../shared/run-config';
import { KervConv2D } from '../layers/kerv-conv2d-layer';
import type { Initializer } from '../layers/initializers';
import { FlatTemplate } from '../layers/template-init';

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

const DISTANCE_KERNELS = new Set(['gaussian', 'euclidean', 'manhattan']);

/**
 * The filter initialiser for the distance kernels (see layers/template-init.ts):
 * flat templates at the input's scale; null for every other kernel.
 */
export function distanceTemplateInitializer(kernel: KernelSpec | null): Initializer | null {
  if (kernel === null || !DISTANCE_KERNELS.has(kernel.type)) return null;
  return new FlatTemplate({ levelStd: Number(process.env.KT_LEVEL ?? 1), jitterStd: Number(process.env.KT_JIT ?? 0) });
}

function isDistanceKervolution(layer: tf.layers.Layer): layer is KervConv2D {
  return layer instanceof KervConv2D && DISTANCE_KERNELS.has(layer.kernelSpec.type);
}

/** outC patches of x [N, H, W, C] at random valid positions, as a filter [kh, kw, C, outC]. */
function samplePatches(x: tf.Tensor4D, layer: KervConv2D, random: () => number): tf.Tensor4D {
  const [kh, kw] = layer.kernelSize;
  const [dh, dw] = layer.dilationRate;
  const [n, h, w] = x.shape;
  const spanH = (kh - 1) * dh + 1;
  const spanW = (kw - 1) * dw + 1;
  if (h < spanH || w < spanW) throw new Error(`layer ${layer.name}: input ${h}×${w} smaller than its ${spanH}×${spanW} filter`);
  return tf.tidy(() => {
    const patches: tf.Tensor[] = [];
    for (let o = 0; o < layer.filters; o++) {
      const b = Math.floor(random() * n);
      const i = Math.floor(random() * (h - spanH + 1));
      const j = Math.floor(random() * (w - spanW + 1));
      const window = tf.slice(x, [b, i, j, 0], [1, spanH, spanW, -1]);
      const taps = tf.stridedSlice(window, [0, 0, 0, 0], [1, spanH, spanW, x.shape[3]], [1, dh, dw, 1]);
      patches.push(tf.reshape(taps, [kh, kw, x.shape[3], 1]));
    }
    return tf.concat(patches, 3) as tf.Tensor4D;
  });
}

/**
 * Data-dependent start for the distance kervolutions: each filter becomes a real
 * patch of the layer's input on the batch x, layer by layer in graph order (so a
 * later layer samples what the already-initialised earlier ones produce).
 * Returns the names of the layers it set.
 */
export function initDistanceTemplatesFromData(model: tf.LayersModel, x: tf.Tensor4D, random: () => number = Math.random): string[] {
  const done: string[] = [];
  for (const layer of model.layers) {
    if (!isDistanceKervolution(layer)) continue;
    const probe = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const input = probe.predict(x) as tf.Tensor4D;
    const templates = samplePatches(input, layer, random);
    const [, ...rest] = layer.getWeights();
    layer.setWeights([templates, ...rest]);
    if (process.env.KT_CENTER && layer.useBias) {
      const weights = layer.getWeights();
      const out = tf.tidy(() => {
        const zeroBias = weights.map((w, k) => (k === 1 ? tf.zerosLike(w) : w));
        layer.setWeights(zeroBias);
        const y = layer.apply(input) as tf.Tensor4D;
        return tf.neg(tf.mean(y, [0, 1, 2]));
      });
      layer.setWeights(weights.map((w, k) => (k === 1 ? out : w)));
      out.dispose();
    }
    tf.dispose([input, templates]);
    done.push(layer.name);
  }
  return done;
}
