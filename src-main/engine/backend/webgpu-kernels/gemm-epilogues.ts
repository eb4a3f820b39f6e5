// What the GEMM core (gemm.ts) stores for each output: the plain product, or the
// product with a bias and an activation (tfjs's fused conv and matmul). The
// kervolutions' responses are epilogues too (kerv-conv.ts). Outputs are [z][m][n]
// row-major: NHWC for a convolution (z = 0), [batch, M, N] for a matmul.
import type { GemmEpilogue } from './gemm';
import type { TensorInfo } from './runtime';

/** Activations tfjs fuses into conv/matmul that need no extra input (prelu, which needs its weights, is left to tfjs). */
export const FUSABLE_ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const;
export type FusableActivation = (typeof FUSABLE_ACTIVATIONS)[number];

export function isFusableActivation(name: string | null | undefined): name is FusableActivation {
  return name == null || (FUSABLE_ACTIVATIONS as readonly string[]).includes(name);
}

/** WGSL of the activation of `x` (f32 or vec4<f32>, per `vec`); leaky ReLU's slope is baked in. */
function activation(name: FusableActivation, vec: 1 | 4, alpha: number): string {
  const t = vec === 4 ? 'vec4<f32>' : 'f32';
  switch (name) {
    case 'linear':
      return 'x';
    case 'relu':
      return `max(x, ${t}(0.0))`;
    case 'relu6':
      return `clamp(x, ${t}(0.0), ${t}(6.0))`;
    case 'elu':
      return `select(exp(x) - ${t}(1.0), x, x >= ${t}(0.0))`;
    case 'sigmoid':
      return `${t}(1.0) / (${t}(1.0) + exp(-x))`;
    case 'leakyrelu':
      return `select(x * ${t}(${alpha.toPrecision(9)}), x, x >= ${t}(0.0))`;
  }
}

const outputIndex = (vec: 1 | 4) => (vec === 4 ? '((z * u.M + m) * u.N + n) / 4' : '(z * u.M + m) * u.N + n');

/** C = act(product + bias): bias per n, or none; activation linear for the plain product. */
export function biasActivationEpilogue(outShape: number[], n: number, bias: TensorInfo | null, act: FusableActivation = 'linear', alpha = 0.2): GemmEpilogue {
  const vec: 1 | 4 = n % 4 === 0 ? 4 : 1;
  const biased = bias ? `v + BIAS[${vec === 4 ? 'n / 4' : 'n'}]` : 'v';
  return {
    key: `out${vec}${bias ? 'b' : ''}${act === 'leakyrelu' ? `leakyrelu${alpha}` : act}`,
    outputs: [{ name: 'C', vec, shape: outShape }],
    inputs: bias ? [{ name: 'BIAS', vec, tensor: bias }] : [],
    body: `  let x = ${biased};\n  C[${outputIndex(vec)}] = ${activation(act, vec, alpha)};`,
    vec,
  };
}
