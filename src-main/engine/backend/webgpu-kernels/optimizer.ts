// The webgpu kernel of OptimizerUpdate (ops/optimizer-update.ts, whose cpu kernel
// is the reference): one dispatch per parameter tensor writes the new parameter
// and its new slots (momentum buffer, or Adam's moments) together. The rules and
// the order of their float operations are the reference's. The learning rate and
// Adam's bias corrections change from step to step, so their uniforms are written
// afresh each time instead of cached.
import { OPTIMIZER_UPDATE, slotCount, type OptimizerUpdateAttrs } from '../../ops/optimizer-update';
import type { KernelArgs, KernelConfig } from '../../ops/kernel-types';
import { FLAT_INDEX, FLAT_MAIN, flatWorkgroups, kernelBindings, runKernel, type Kernel, type TensorInfo, type WebGpuBackendInternals } from './runtime';

type Rule = 'sgd' | 'sgd-momentum' | 'sgd-nesterov' | 'adam';

function ruleOf(a: OptimizerUpdateAttrs): Rule {
  if (a.algorithm !== 'sgd') return 'adam';
  if (a.momentum === 0) return 'sgd';
  return a.nesterov ? 'sgd-nesterov' : 'sgd-momentum';
}

/** The update of element i, in WGSL over T (f32 or vec4<f32>). */
function ruleBody(rule: Rule, T: string): string {
  switch (rule) {
    case 'sgd':
      return `P_OUT[i] = P[i] - ${T}(u.lr) * (G[i] + ${T}(u.weightDecay) * P[i]);`;
    case 'sgd-momentum':
    case 'sgd-nesterov': {
      const update = rule === 'sgd-nesterov' ? `g + ${T}(u.momentum) * b` : 'b';
      return `let g = G[i] + ${T}(u.weightDecay) * P[i];
  let b = ${T}(u.momentum) * S0[i] + g;
  S0_OUT[i] = b;
  P_OUT[i] = P[i] - ${T}(u.lr) * (${update});`;
    }
    case 'adam':
      return `let g = G[i] + ${T}(u.coupled) * P[i];
  let m = ${T}(u.beta1) * S0[i] + ${T}(1.0 - u.beta1) * g;
  let v = ${T}(u.beta2) * S1[i] + ${T}(1.0 - u.beta2) * g * g;
  S0_OUT[i] = m;
  S1_OUT[i] = v;
  P_OUT[i] = P[i] * ${T}(u.shrink) - (${T}(u.lr) * (m / ${T}(u.correction1))) / (sqrt(v / ${T}(u.correction2)) + ${T}(u.epsilon));`;
  }
}

function updateKernel(rule: Rule, vec: 1 | 4): Kernel {
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const slots = rule === 'sgd' ? 0 : rule === 'adam' ? 2 : 1;
  const outputs = ['P_OUT', 'S0_OUT', 'S1_OUT'].slice(0, 1 + slots);
  const inputs = ['P', 'G', 'S0', 'S1'].slice(0, 2 + slots);
  const kernel: Kernel = {
    key: `optimizer_${rule}_${vec}`,
    uniforms: [
      ['n', 'i32'],
      ['lr', 'f32'],
      ['weightDecay', 'f32'],
      ['momentum', 'f32'],
      ['beta1', 'f32'],
      ['beta2', 'f32'],
      ['epsilon', 'f32'],
      ['correction1', 'f32'],
      ['correction2', 'f32'],
      ['shrink', 'f32'],
      ['coupled', 'f32'],
    ],
    cacheUniforms: false,
    wgsl: () => `
${kernelBindings(kernel, outputs.map((name) => [name, T] as const), inputs.map((name) => [name, T] as const))}
${FLAT_MAIN} {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  ${ruleBody(rule, T)}
}
`,
  };
  return kernel;
}

function update({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const a = attrs as unknown as OptimizerUpdateAttrs;
  const named = inputs as Record<string, TensorInfo>;
  const slots = ['slot0', 'slot1'].slice(0, slotCount(a)).map((name) => named[name]);
  const param = named.param;
  const size = param.shape.reduce((x, y) => x * y, 1);
  const vec: 1 | 4 = size % 4 === 0 ? 4 : 1;
  const decoupled = a.algorithm === 'adamw';
  const values = {
    n: size / vec,
    lr: a.learningRate,
    weightDecay: a.weightDecay,
    momentum: a.momentum,
    beta1: a.beta1,
    beta2: a.beta2,
    epsilon: a.epsilon,
    correction1: 1 - a.beta1 ** a.step,
    correction2: 1 - a.beta2 ** a.step,
    shrink: decoupled ? 1 - a.learningRate * a.weightDecay : 1,
    coupled: decoupled ? 0 : a.weightDecay,
  };
  const outputs = [param, ...slots].map(() => ({ shape: [...param.shape] }));
  return runKernel(backend as unknown as WebGpuBackendInternals, updateKernel(ruleOf(a), vec), [param, named.grad, ...slots], outputs, values, flatWorkgroups(size / vec));
}

export function optimizerKernels(): KernelConfig[] {
  return [{ kernelName: OPTIMIZER_UPDATE, backendName: 'webgpu', kernelFunc: update as unknown as KernelConfig['kernelFunc'] }];
}
