// Kervolutions whose response is a function of the convolution, as one op each, so
// that a GPU computes the response in the convolution's output stage (its GEMM
// epilogue) instead of as separate element-wise passes, and the gradient's
// element-wise part as one kernel:
//
//   PolynomialConv2D      (x, w, c; degree) → (y = t^d, t = x⋆w + c)
//   PolynomialConv2DGrad  (dy, t; degree) → dz = dy·d·t^(d−1)
//   GaussianConv2D        (x, w, patchNorm, filterNorm, gamma) → (y = exp(−γ·d²), d² = max(‖p‖² − 2·x⋆w + ‖w‖², 0))
//   GaussianConv2DGrad    (dy, y, d², gamma) → (dz = 2γ·dy·y·[d² > 0], dd² = −γ·dy·y·[d² > 0], e = −d²·dy·y)
//
// c and γ are scalars ([1]) or one per output channel ([outC]). ‖p‖² ([b, oh, ow, 1])
// and ‖w‖² ([outC]) come from the caller's tf ops (kernels/kernel-implementation.ts),
// which also differentiate them; the op's gradient gives ∂/∂‖p‖² = Σ_o dd² and
// ∂/∂‖w‖² = Σ dd². x⋆w is an undilated NHWC convolution with explicit padding.
//
// Backend-neutral: the kernel names, the composite (the same tf ops the
// kervolutions ran before; what every backend without the kernels computes, and
// what autodiff differentiates there), the gradients, and the cpu kernels, the
// reference (webgpu: backend/webgpu-kernels/response-conv.ts).
import * as tf from '@tensorflow/tfjs';
import { asTensor, type KernelArgs, type KernelConfig, type TensorInfo } from './kernel-types';

export const POLYNOMIAL_CONV2D = 'PolynomialConv2D';
export const POLYNOMIAL_CONV2D_GRAD = 'PolynomialConv2DGrad';
export const GAUSSIAN_CONV2D = 'GaussianConv2D';
export const GAUSSIAN_CONV2D_GRAD = 'GaussianConv2DGrad';

type Padding4 = [[number, number], [number, number], [number, number], [number, number]];

export interface ResponseConvAttrs {
  strides: [number, number];
  /** Explicit NHWC padding: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
  pad: Padding4;
}

export interface PolynomialConvAttrs extends ResponseConvAttrs {
  degree: number;
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

/** A parameter as the kernels take it: [1] for one value, [outC] for one per output channel. */
export function asParameter(value: number | tf.Tensor): tf.Tensor1D {
  if (typeof value === 'number') return tf.tensor1d([value]);
  return (value.rank === 1 ? value : tf.reshape(value, [value.size])) as tf.Tensor1D;
}

const conv = (x: tf.Tensor, w: tf.Tensor, a: ResponseConvAttrs) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, a.strides, a.pad);

// ---- the responses as tf ops from x⋆w: what backends without the kernels compute, and the cpu kernels' reference ----

/** (z + c)^degree. */
export function polynomialOf(z: tf.Tensor, c: number | tf.Tensor, degree: number): tf.Tensor4D {
  return integerPower(tf.add(z, c), degree) as tf.Tensor4D;
}

/** ‖p − w‖² = max(‖p‖² − 2z + ‖w‖², 0): rounding can make it slightly negative for p ≈ w. */
export function squaredDistanceOf(z: tf.Tensor, patchNorm: tf.Tensor, filterNorm: tf.Tensor): tf.Tensor4D {
  return tf.relu(tf.add(tf.sub(patchNorm, tf.mul(z, 2)), filterNorm)) as tf.Tensor4D;
}

/** exp(−γ·d²). */
export function gaussianOf(d2: tf.Tensor, gamma: number | tf.Tensor): tf.Tensor4D {
  return tf.exp(tf.mul(d2, tf.neg(gamma))) as tf.Tensor4D;
}

// ---- the gradients' element-wise parts: the kernel where a backend has one, else tf ops ----

function polynomialDz(dy: tf.Tensor, t: tf.Tensor, degree: number): tf.Tensor {
  if (degree === 1) return dy;
  if (tf.getKernel(POLYNOMIAL_CONV2D_GRAD, tf.getBackend())) return tf.engine().runKernel(POLYNOMIAL_CONV2D_GRAD, { dy, t }, { degree }) as tf.Tensor;
  return tf.mul(dy, tf.mul(integerPower(t, degree - 1), degree));
}

function gaussianTerms(dy: tf.Tensor, y: tf.Tensor, d2: tf.Tensor, gamma: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (tf.getKernel(GAUSSIAN_CONV2D_GRAD, tf.getBackend())) return tf.engine().runKernel(GAUSSIAN_CONV2D_GRAD, { dy, y, d2, gamma }, {}) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const g = tf.mul(dy, y);
  const dd2 = tf.mul(tf.mul(g, tf.neg(gamma)), tf.cast(tf.greater(d2, 0), 'float32'));
  return [tf.mul(dd2, -2), dd2, tf.neg(tf.mul(d2, g))];
}

/** Σ over every axis but the last, or over all when the parameter is one value: its gradient. */
function parameterGradient(terms: tf.Tensor, parameter: tf.Tensor): tf.Tensor {
  return parameter.size === 1 ? tf.reshape(tf.sum(terms), parameter.shape) : tf.sum(terms, [0, 1, 2]);
}

const convAttrs = (a: ResponseConvAttrs) => ({ strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dimRoundingMode: undefined });

function inputGradient(dz: tf.Tensor, w: tf.Tensor, x: tf.Tensor, a: ResponseConvAttrs): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter: w }, { ...convAttrs(a), inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function filterGradient(x: tf.Tensor, dz: tf.Tensor, w: tf.Tensor, a: ResponseConvAttrs): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...convAttrs(a), filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

type GradConfig = Parameters<typeof tf.registerGradient>[0];

const GRADIENTS: GradConfig[] = [
  {
    kernelName: POLYNOMIAL_CONV2D,
    inputsToSave: ['x', 'w', 'c'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const a = attrs as unknown as PolynomialConvAttrs;
      const [x, w, c, t] = saved;
      const dz = polynomialDz((dys as tf.Tensor[])[0], t, a.degree);
      return { x: () => inputGradient(dz, w, x, a), w: () => filterGradient(x, dz, w, a), c: () => parameterGradient(dz, c) };
    },
  },
  {
    kernelName: GAUSSIAN_CONV2D,
    inputsToSave: ['x', 'w', 'gamma'],
    outputsToSave: [true, true],
    gradFunc: (dys, saved, attrs) => {
      const a = attrs as unknown as ResponseConvAttrs;
      const [x, w, gamma, y, d2] = saved;
      const [dz, dd2, e] = gaussianTerms((dys as tf.Tensor[])[0], y, d2, gamma);
      return {
        x: () => inputGradient(dz, w, x, a),
        w: () => filterGradient(x, dz, w, a),
        patchNorm: () => tf.sum(dd2, 3, true),
        filterNorm: () => tf.sum(dd2, [0, 1, 2]),
        gamma: () => parameterGradient(e, gamma),
      };
    },
  },
];

// ---- the cpu kernels (the reference): the composites over the kernels' inputs, the gradients' loops ----

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

/** dz = dy·d·t^(d−1) over plain arrays. */
export function polynomialDzReference(dy: ArrayLike<number>, t: ArrayLike<number>, degree: number): Float32Array {
  return Float32Array.from(dy, (d, i) => d * degree * t[i] ** (degree - 1));
}

/** (dz, dd², e) over plain arrays; γ per channel (the last axis, `channels` long) or one value. */
export function gaussianTermsReference(dy: ArrayLike<number>, y: ArrayLike<number>, d2: ArrayLike<number>, gamma: ArrayLike<number>, channels: number): Float32Array[] {
  const n = dy.length;
  const [dz, dd2, e] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const g = dy[i] * y[i];
    const gam = gamma.length === 1 ? gamma[0] : gamma[i % channels];
    dd2[i] = d2[i] > 0 ? -gam * g : 0;
    dz[i] = -2 * dd2[i];
    e[i] = -d2[i] * g;
  }
  return [dz, dd2, e];
}

const named = (inputs: KernelArgs['inputs']) => inputs as Record<string, TensorInfo>;

const CPU_KERNELS: KernelConfig['kernelFunc'][] = [
  ({ inputs, attrs, backend }) => {
    const { x, w, c } = named(inputs);
    const a = attrs as unknown as PolynomialConvAttrs;
    return tf.tidy(() => {
      const t = tf.add(conv(asTensor(x, backend), asTensor(w, backend), a), asTensor(c, backend));
      return [integerPower(t, a.degree), t];
    });
  },
  ({ inputs, attrs, backend }) => {
    const cpu = backend as unknown as CpuBackend;
    const { dy, t } = named(inputs);
    const dz = polynomialDzReference(cpu.data.get(dy.dataId).values, cpu.data.get(t.dataId).values, (attrs as unknown as PolynomialConvAttrs).degree);
    return cpu.makeTensorInfo([...dy.shape], 'float32', dz);
  },
  ({ inputs, attrs, backend }) => {
    const { x, w, patchNorm, filterNorm, gamma } = named(inputs);
    const t = (info: TensorInfo) => asTensor(info, backend);
    return tf.tidy(() => {
      const d2 = squaredDistanceOf(conv(asTensor(x, backend), asTensor(w, backend), attrs as unknown as ResponseConvAttrs), t(patchNorm), t(filterNorm));
      return [gaussianOf(d2, t(gamma)), d2];
    });
  },
  ({ inputs, backend }) => {
    const cpu = backend as unknown as CpuBackend;
    const { dy, y, d2, gamma } = named(inputs);
    const v = (info: TensorInfo) => cpu.data.get(info.dataId).values;
    return gaussianTermsReference(v(dy), v(y), v(d2), v(gamma), dy.shape[dy.shape.length - 1]).map((values) => cpu.makeTensorInfo([...dy.shape], 'float32', values));
  },
];

let registered = false;

/** Registers the gradients and the cpu kernels (once per process; other backends register theirs). */
export function registerResponseConv2d(): void {
  if (registered) return;
  for (const gradient of GRADIENTS) tf.registerGradient(gradient);
  [POLYNOMIAL_CONV2D, POLYNOMIAL_CONV2D_GRAD, GAUSSIAN_CONV2D, GAUSSIAN_CONV2D_GRAD].forEach((kernelName, i) => tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: CPU_KERNELS[i] }));
  registered = true;
}

/** Whether the current backend computes this response in the convolution (webgpu; the cpu reference): undilated only. */
export function fusesResponse(kernelName: typeof POLYNOMIAL_CONV2D | typeof GAUSSIAN_CONV2D, dilation: readonly number[]): boolean {
  return dilation.every((d) => d === 1) && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** (x⋆w + c)^degree through the fused kernel (see fusesResponse). */
export function polynomialConv2d(x: tf.Tensor4D, w: tf.Tensor4D, attrs: ResponseConvAttrs, c: number | tf.Tensor, degree: number): tf.Tensor4D {
  const [y] = tf.engine().runKernel(POLYNOMIAL_CONV2D, { x, w, c: asParameter(c) }, { ...attrs, degree } as unknown as tf.NamedAttrMap) as tf.Tensor4D[];
  return y;
}

/** exp(−γ·max(‖p‖² − 2·x⋆w + ‖w‖², 0)) through the fused kernel, given ‖p‖² ([b, oh, ow, 1]) and ‖w‖² ([outC]). */
export function gaussianConv2d(x: tf.Tensor4D, w: tf.Tensor4D, attrs: ResponseConvAttrs, patchNorm: tf.Tensor, filterNorm: tf.Tensor, gamma: number | tf.Tensor): tf.Tensor4D {
  const [y] = tf.engine().runKernel(GAUSSIAN_CONV2D, { x, w, patchNorm, filterNorm, gamma: asParameter(gamma) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D[];
  return y;
}
