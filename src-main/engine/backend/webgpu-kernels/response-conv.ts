// The kervolution responses of ops/response-conv2d.ts on webgpu: the response is
// the GEMM's epilogue (gemm.ts), written with the value it was computed from
// (t = z + c, or d²), which the gradient needs; the gradients' element-wise parts
// are one dispatch each. Polynomial (z + c)^d raises to the power in the same order
// as the composite's repeated squaring; the Gaussian computes (‖p‖² − 2z) + ‖w‖²,
// clamps at 0 and takes exp(d²·(−γ)), as the composite does.
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelConfig } from '../../ops/kernel-types';
import { GAUSSIAN_CONV2D, GAUSSIAN_CONV2D_GRAD, POLYNOMIAL_CONV2D, POLYNOMIAL_CONV2D_GRAD, type PolynomialConvAttrs, type ResponseConvAttrs } from '../../ops/response-conv2d';
import { runGemm, type GemmEpilogue } from './gemm';
import { convForwardProblem } from './gemm-problems';
import { FLAT_INDEX, FLAT_MAIN, flatWorkgroups, kernelBindings, runKernel, type Kernel, type TensorInfo, type WebGpuBackendInternals } from './runtime';

const vecType = (vec: 1 | 4) => (vec === 4 ? 'vec4<f32>' : 'f32');

/** WGSL statements that set `name` to base^degree, multiplying in integerPower's order (repeated squaring). */
export function powerStatements(name: string, base: string, degree: number): string {
  const lines: string[] = [];
  let result: string | null = null;
  let current = base;
  let k = 0;
  for (let n = degree; n > 0; n >>= 1) {
    if (n & 1) {
      if (result) {
        lines.push(`let ${name}_r${k} = ${result} * ${current};`);
        result = `${name}_r${k}`;
      } else result = current;
    }
    if (n > 1) {
      lines.push(`let ${name}_b${k} = ${current} * ${current};`);
      current = `${name}_b${k}`;
    }
    k += 1;
  }
  lines.push(`let ${name} = ${result};`);
  return lines.join('\n  ');
}

/** A per-output-channel parameter ([N] or one value [1]) read for outputs n..n+vec−1. */
function channelParameter(name: string, tensor: TensorInfo, vec: 1 | 4): { binding: { name: string; vec: 1 | 4; tensor: TensorInfo }; read: string } {
  const perChannel = tensor.shape[0] > 1;
  if (perChannel) return { binding: { name, vec, tensor }, read: vec === 4 ? `${name}[n / 4]` : `${name}[n]` };
  return { binding: { name, vec: 1, tensor }, read: `${vecType(vec)}(${name}[0])` };
}

const outputIndex = (vec: 1 | 4) => (vec === 4 ? '(m * u.N + n) / 4' : 'm * u.N + n');

function convInfo(x: TensorInfo, w: TensorInfo, a: ResponseConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], w.shape as [number, number, number, number], a.strides, 1, a.pad as tf.backend_util.ExplicitPadding);
}

function polynomialEpilogue(shape: number[], n: number, c: TensorInfo, degree: number): GemmEpilogue {
  const vec: 1 | 4 = n % 4 === 0 ? 4 : 1;
  const param = channelParameter('C', c, vec);
  return {
    key: `poly${vec}${param.binding.vec}d${degree}`,
    outputs: [
      { name: 'Y', vec, shape },
      { name: 'T', vec, shape },
    ],
    inputs: [param.binding],
    body: `  let t = v + ${param.read};\n  T[${outputIndex(vec)}] = t;\n  ${powerStatements('y', 't', degree)}\n  Y[${outputIndex(vec)}] = y;`,
    vec,
  };
}

function gaussianEpilogue(shape: number[], n: number, patchNorm: TensorInfo, filterNorm: TensorInfo, gamma: TensorInfo): GemmEpilogue {
  const vec: 1 | 4 = n % 4 === 0 ? 4 : 1;
  const T = vecType(vec);
  const wn = channelParameter('WN', filterNorm, vec);
  const g = channelParameter('GAMMA', gamma, vec);
  return {
    key: `gauss${vec}${g.binding.vec}`,
    outputs: [
      { name: 'Y', vec, shape },
      { name: 'D2', vec, shape },
    ],
    inputs: [{ name: 'PN', vec: 1, tensor: patchNorm }, wn.binding, g.binding],
    body: `  let d2 = max((${T}(PN[m]) - ${T}(2.0) * v) + ${wn.read}, ${T}(0.0));\n  D2[${outputIndex(vec)}] = d2;\n  Y[${outputIndex(vec)}] = exp(d2 * (-${g.read}));`,
    vec,
  };
}

function polynomialConv({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const { x, w, c } = inputs as Record<'x' | 'w' | 'c', TensorInfo>;
  const a = attrs as unknown as PolynomialConvAttrs;
  const info = convInfo(x, w, a);
  const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  return runGemm(backend as unknown as WebGpuBackendInternals, convForwardProblem(x, w, info, polynomialEpilogue(shape, info.outChannels, c, a.degree)));
}

function gaussianConv({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const { x, w, patchNorm, filterNorm, gamma } = inputs as Record<'x' | 'w' | 'patchNorm' | 'filterNorm' | 'gamma', TensorInfo>;
  const info = convInfo(x, w, attrs as unknown as ResponseConvAttrs);
  const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  return runGemm(backend as unknown as WebGpuBackendInternals, convForwardProblem(x, w, info, gaussianEpilogue(shape, info.outChannels, patchNorm, filterNorm, gamma)));
}

/** An element-wise gradient kernel over [rows, channels] with 4 channels at a time where they allow. */
function elementwiseKernel(key: string, vec: 1 | 4, outputs: string[], inputs: [string, 1 | 4][], body: string): Kernel {
  const T = vecType(vec);
  const kernel: Kernel = {
    key: `${key}_${vec}${inputs.map(([, v]) => v).join('')}`,
    uniforms: [
      ['n', 'i32'],
      ['CV', 'i32'],
    ],
    wgsl: () => `
${kernelBindings(kernel, outputs.map((name) => [name, T] as const), inputs.map(([name, v]) => [name, vecType(v)] as const))}
${FLAT_MAIN} {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  let c = i % u.CV;
  ${body}
}
`,
  };
  return kernel;
}

function runElementwise(backend: WebGpuBackendInternals, kernel: (vec: 1 | 4) => Kernel, shape: number[], inputs: TensorInfo[], outputs: number): TensorInfo[] {
  const channels = shape[shape.length - 1];
  const size = shape.reduce((p, d) => p * d, 1);
  const vec: 1 | 4 = channels % 4 === 0 ? 4 : 1;
  return runKernel(backend, kernel(vec), inputs, Array.from({ length: outputs }, () => ({ shape: [...shape] })), { n: size / vec, CV: channels / vec }, flatWorkgroups(size / vec));
}

function polynomialGrad({ inputs, attrs, backend }: KernelArgs): TensorInfo {
  const { dy, t } = inputs as Record<'dy' | 't', TensorInfo>;
  const { degree } = attrs as unknown as PolynomialConvAttrs;
  const kernel = (vec: 1 | 4) =>
    elementwiseKernel(`polygrad_d${degree}`, vec, ['DZ'], [['DY', vec], ['T', vec]], `let t = T[i];\n  ${powerStatements('p', 't', degree - 1)}\n  DZ[i] = DY[i] * (p * ${vecType(vec)}(${degree}.0));`);
  return runElementwise(backend as unknown as WebGpuBackendInternals, kernel, dy.shape, [dy, t], 1)[0];
}

function gaussianGrad({ inputs, backend }: KernelArgs): TensorInfo[] {
  const { dy, y, d2, gamma } = inputs as Record<'dy' | 'y' | 'd2' | 'gamma', TensorInfo>;
  const perChannel = gamma.shape[0] > 1;
  const kernel = (vec: 1 | 4) => {
    const T = vecType(vec);
    const gam = perChannel ? 'GAMMA[c]' : `${T}(GAMMA[0])`;
    return elementwiseKernel('gaussgrad', vec, ['DZ', 'DD2', 'E'], [['DY', vec], ['Y', vec], ['D2', vec], ['GAMMA', perChannel ? vec : 1]], `let g = DY[i] * Y[i];
  let dd2 = select(${T}(0.0), -${gam} * g, D2[i] > ${T}(0.0));
  DD2[i] = dd2;
  DZ[i] = ${T}(-2.0) * dd2;
  E[i] = -D2[i] * g;`);
  };
  return runElementwise(backend as unknown as WebGpuBackendInternals, kernel, dy.shape, [dy, y, d2, gamma], 3);
}

export function responseConvKernels(): KernelConfig[] {
  const entries: [string, (args: KernelArgs) => TensorInfo | TensorInfo[]][] = [
    [POLYNOMIAL_CONV2D, polynomialConv],
    [POLYNOMIAL_CONV2D_GRAD, polynomialGrad],
    [GAUSSIAN_CONV2D, gaussianConv],
    [GAUSSIAN_CONV2D_GRAD, gaussianGrad],
  ];
  return entries.map(([kernelName, kernelFunc]) => ({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] }));
}
