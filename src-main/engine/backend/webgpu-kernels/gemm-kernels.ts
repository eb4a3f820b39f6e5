// tfjs's convolution and matrix-product kernels on webgpu, replaced by the GEMM
// core (gemm.ts): Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter
// (tfjs 4.22 has only a naive loop for it: one thread per filter element running
// over batch·H·W), BatchMatMul and _FusedMatMul. What the core does not cover
// (NCHW, PReLU's weights, integer tensors) goes to tfjs's own kernel.
import * as tf from '@tensorflow/tfjs';
import { runGemm } from './gemm';
import { biasActivationEpilogue, isFusableActivation, type FusableActivation } from './gemm-epilogues';
import { convFilterGradientProblem, convForwardProblem, convInputGradientProblem, matMulProblem } from './gemm-problems';
import { holdsFloat32, type TensorInfo, type WebGpuBackendInternals } from './runtime';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelFunc = KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

type Shape4 = [number, number, number, number];
const shape4 = (t: TensorInfo) => t.shape as Shape4;

function convInfo(xShape: Shape4, filterShape: Shape4, a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

const outShape = (info: tf.backend_util.Conv2DInfo) => [info.batchSize, info.outHeight, info.outWidth, info.outChannels];

/** Whether every given tensor's buffer holds float32 (a cast int32 tensor keeps its int32 buffer on webgpu). */
function allFloat(args: KernelArgs, ...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => !t || holdsFloat32(args.backend as unknown as WebGpuBackendInternals, t));
}

function conv2d(args: KernelArgs, fallback: KernelFunc): ReturnType<KernelFunc> {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const a = args.attrs as unknown as ConvAttrs;
  if (a.dataFormat === 'NCHW' || preluActivationWeights || !isFusableActivation(a.activation) || !allFloat(args, x, filter, bias)) return fallback(args);
  const info = convInfo(shape4(x as TensorInfo), shape4(filter as TensorInfo), a);
  const epilogue = biasActivationEpilogue(outShape(info), info.outChannels, bias ?? null, (a.activation ?? 'linear') as FusableActivation, a.leakyreluAlpha);
  return runGemm(args.backend as unknown as WebGpuBackendInternals, convForwardProblem(x as TensorInfo, filter as TensorInfo, info, epilogue))[0];
}

function conv2dBackpropInput(args: KernelArgs, fallback: KernelFunc): ReturnType<KernelFunc> {
  const { dy, filter } = args.inputs as Record<string, TensorInfo>;
  const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  if (a.dataFormat === 'NCHW' || !allFloat(args, dy, filter)) return fallback(args);
  const info = convInfo(a.inputShape, shape4(filter), a);
  const epilogue = biasActivationEpilogue([...a.inputShape], info.inChannels, null);
  return runGemm(args.backend as unknown as WebGpuBackendInternals, convInputGradientProblem(dy, filter, info, epilogue))[0];
}

function conv2dBackpropFilter(args: KernelArgs, fallback: KernelFunc): ReturnType<KernelFunc> {
  const { x, dy } = args.inputs as Record<string, TensorInfo>;
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  if (a.dataFormat === 'NCHW' || !allFloat(args, x, dy)) return fallback(args);
  const info = convInfo(shape4(x), a.filterShape, a);
  const epilogue = biasActivationEpilogue([...a.filterShape], info.outChannels, null);
  return runGemm(args.backend as unknown as WebGpuBackendInternals, convFilterGradientProblem(x, dy, info, epilogue))[0];
}

function batchMatMul(args: KernelArgs, fallback: KernelFunc): ReturnType<KernelFunc> {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
  if (!a || !b || preluActivationWeights || !isFusableActivation(attrs.activation) || !allFloat(args, a, b, bias)) return fallback(args);
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = attrs.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return fallback(args); // tfjs reports the mismatch
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const shape = { batch: Math.max(batchA, batchB), batchA, batchB, m, n, k, transposeA: attrs.transposeA, transposeB: attrs.transposeB };
  // A bias of shape [N] (a dense layer's) fuses; any other broadcast is left to tfjs.
  if (bias && !(bias.shape.length === 1 && bias.shape[0] === n)) return fallback(args);
  const epilogue = biasActivationEpilogue([...outer, m, n], n, bias ?? null, (attrs.activation ?? 'linear') as FusableActivation, attrs.leakyreluAlpha);
  return runGemm(args.backend as unknown as WebGpuBackendInternals, matMulProblem(a, b, shape, epilogue))[0];
}

const REPLACED: Record<string, (args: KernelArgs, fallback: KernelFunc) => ReturnType<KernelFunc>> = {
  Conv2D: conv2d,
  FusedConv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  BatchMatMul: batchMatMul,
  _FusedMatMul: batchMatMul,
};

/** The webgpu kernels above, each holding tfjs's own as its fallback; call while tfjs's are registered. */
export function gemmKernels(): KernelConfig[] {
  return Object.entries(REPLACED).map(([kernelName, kernel]) => {
    const original = tf.getKernel(kernelName, 'webgpu');
    if (!original) throw new Error(`tfjs-backend-webgpu has no ${kernelName} kernel to replace`);
    return { kernelName, backendName: 'webgpu', kernelFunc: (args: KernelArgs) => kernel(args, original.kernelFunc) };
  });
}
