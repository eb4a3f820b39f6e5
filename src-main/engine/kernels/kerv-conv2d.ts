// Kervolution (Wang et al., CVPR 2019): a convolution whose inner product pᵀw is
// replaced by a kernel function k(p, w) of the receptive field p and the filter w.
// This op is generic: the kernel's declaration (shared/kernels/<type>.ts) says
// which parameters it has and their ranges, its implementation
// (engine/kernels/<type>.ts) computes the response from shared terms of the
// convolution (kernel-implementation.ts: pᵀw, ‖p‖², ‖w‖², distances), so a kernel
// costs about one conv and never materialises patches. Gradients come from tfjs
// autodiff over those ops (manhattan: see its file).
import * as tf from '@tensorflow/tfjs';
import { kernelDeclaration, type KernelSpec, type KernelType } from '../../shared/kernels/index';
import type { KernelParamDeclaration } from '../../shared/kernels/define';
import { convGeometry, toPair, type Pair } from './conv-geometry';
import { KervTerms, type KernelParam, type OpParams } from './kernel-implementation';
import { kernelImplementation, medianHeuristic } from './registry';

export type { KernelParam } from './kernel-implementation';
export { COSINE_EPSILON } from './cosine';
export { integerPower } from './polynomial';

/**
 * The op-level kernel: a KernelSpec from the run config is assignable to it; here
 * learnable parameters may also be tensors (scalar or [outC]) so a layer can learn
 * them, and omitted parameters take their declared defaults. `learnable` is read
 * by the layer, ignored by the op.
 */
export type KervKernel = { [T in KernelType]: { type: T; learnable?: unknown } & { [K in keyof OpParams<T>]?: OpParams<T>[K] | 'auto' } }[KernelType];

export interface KervConv2dOptions {
  kernel: KervKernel | KernelSpec;
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilation?: number | [number, number];
}

function checkNumber(value: number, field: string, p: KernelParamDeclaration): void {
  const what = p.kind === 'integer' ? 'an integer ' : '';
  const bound = p.min ? `${p.min.exclusive ? '>' : '≥'} ${p.min.value}` : '';
  if (!Number.isFinite(value)) throw new Error(`kernel.${field} must be a finite number, got ${value}`);
  const belowMin = p.min && (p.min.exclusive ? value <= p.min.value : value < p.min.value);
  if ((p.kind === 'integer' && !Number.isInteger(value)) || belowMin) {
    throw new Error(`kernel.${field} must be ${what}${bound}`.trimEnd() + `, got ${value}`);
  }
}

/**
 * The kernel's parameters, defaulted and checked against its declaration and the
 * filter's output channel count. 'auto' here, with no data to choose from, is the
 * median heuristic's data-free value for a patch of patchSize values (see
 * MedianHeuristic); a KervConv2D layer keeps its own, data-chosen value as a weight.
 */
function resolveParams(kernel: Record<string, unknown> & { type: string }, declared: Record<string, KernelParamDeclaration>, outC: number, patchSize: number): Record<string, KernelParam> {
  const params: Record<string, KernelParam> = {};
  for (const [field, p] of Object.entries(declared)) {
    const given = kernel[field] ?? p.default;
    const value = (given === 'auto' ? 1 / medianHeuristic(kernel.type, field).expectedUnitDistance(patchSize) : given) as KernelParam;
    if (typeof value === 'number') {
      checkNumber(value, field, p);
    } else if (!p.learnable || !(value instanceof tf.Tensor)) {
      throw new Error(`kernel.${field} must be a number${p.learnable ? ' or a tensor' : ''}, got ${String(value)}`);
    } else {
      const ok = value.size === 1 ? value.rank <= 1 : value.rank === 1 && value.shape[0] === outC;
      if (!ok) throw new Error(`kernel.${field} must be a scalar or have shape [${outC}] (one per output channel), got [${value.shape.join(', ')}]`);
    }
    params[field] = value;
  }
  return params;
}

/**
 * Kervolution of x (NHWC [batch, h, w, inC]) with filters w ([kh, kw, inC, outC]);
 * padding and output size exactly as tf.conv2d. No bias. Returns [batch, outH, outW, outC].
 */
export function kervConv2d(x: tf.Tensor4D, w: tf.Tensor4D, options: KervConv2dOptions): tf.Tensor4D {
  const kernel = options.kernel as unknown as Record<string, unknown> & { type: string };
  const strides: Pair = toPair(options.strides, 1, 'strides');
  const dilation: Pair = toPair(options.dilation, 1, 'dilation');
  const g = convGeometry(x.shape, w.shape, strides, options.padding ?? 'valid', dilation);
  const declaration = kernelDeclaration(kernel.type);
  const implementation = kernelImplementation(kernel.type);
  const params = resolveParams(kernel, declaration.params, g.outC, w.shape[0] * w.shape[1] * w.shape[2]);
  return tf.tidy(() => implementation.forward(new KervTerms(x, w, g), params));
}
