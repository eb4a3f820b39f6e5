// Activation gradients as one webgpu dispatch each, for the ops that define them
// (engine/ops/, whose cpu kernels are the reference): TanhGrad dy·(1 − y²) and
// ReluGrad dy·[x > 0]. tfjs-core's gradients are 3 and 2 element-wise kernels.
import type { KernelArgs, KernelConfig } from '../../ops/kernel-types';
import { RELU_GRAD } from '../../ops/relu-grad';
import { TANH_GRAD } from '../../ops/tanh-grad';
import { FLAT_INDEX, FLAT_MAIN, flatWorkgroups, kernelBindings, runKernel, type Kernel, type TensorInfo, type WebGpuBackendInternals } from './runtime';

/** dx[i] from dy[i] and the saved tensor S[i], in WGSL over T (f32 or vec4<f32>). */
const RULES = {
  [TANH_GRAD]: { saved: 'y', body: (T: string) => `DY[i] * (${T}(1.0) - S[i] * S[i])` },
  [RELU_GRAD]: { saved: 'x', body: (T: string) => `select(${T}(0.0), DY[i], S[i] > ${T}(0.0))` },
} as const;

type Rule = keyof typeof RULES;

function gradKernel(rule: Rule, vec: 1 | 4): Kernel {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const kernel: Kernel = {
    key: `actgrad_${rule}_${vec}`,
    uniforms: [['n', 'i32']],
    wgsl: () => `
${kernelBindings(kernel, [['DX', T]], [['DY', T], ['S', T]])}
${FLAT_MAIN} {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  DX[i] = ${RULES[rule].body(T)};
}
`,
  };
  return kernel;
}

function kernelFor(rule: Rule): KernelConfig {
  const kernelFunc = ({ inputs, backend }: KernelArgs): TensorInfo => {
    const dy = inputs.dy as TensorInfo;
    const saved = inputs[RULES[rule].saved] as TensorInfo;
    const size = dy.shape.reduce((a, b) => a * b, 1);
    const vec: 1 | 4 = size % 4 === 0 ? 4 : 1;
    return runKernel(backend as unknown as WebGpuBackendInternals, gradKernel(rule, vec), [dy, saved], [{ shape: [...dy.shape] }], { n: size / vec }, flatWorkgroups(size / vec))[0];
  };
  return { kernelName: rule, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}

export function elementwiseGradKernels(): KernelConfig[] {
  return (Object.keys(RULES) as Rule[]).map(kernelFor);
}
