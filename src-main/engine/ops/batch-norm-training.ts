// Batch normalisation in training mode as one op, forward and backward, instead
// of tf.moments + tf.batchNorm (+ ReLU) and their autodiff: tfjs-layers' path is
// ~12 kernels forward and ~30 backward per layer, each a pass over the
// activation; PyTorch and cuDNN make two passes each way. So do these kernels:
//
//   BatchNormTraining      (x [..., C], scale [C], offset [C]) → (y, mean [C], variance [C])
//     pass 1: Σx and Σx² per channel (one read of x);
//     pass 2: y = act((x − mean)·scale/√(variance + ε) + offset), act = identity or ReLU.
//   BatchNormTrainingGrad  (dy, x, scale, mean, variance, y) → (dx, dscale, doffset)
//     pass 1: with g = dy·act'(y): Σg and Σg·(x − mean) per channel;
//     pass 2: dx = γr·g − γr·Σg/M − (x − mean)·γr³·Σg(x − mean)/M, r = 1/√(variance + ε).
//
// mean and variance (biased, over every axis but the last) feed the layer's
// moving averages only: they are not differentiated (a loss that used them
// would get no gradient through them). ReLU is fused in when a ReLU layer is the batch norm's one consumer
// (layers/fused-batch-norm.ts).
//
// Data parallelism (engine/parallel/): with attrs.collective set, each kernel
// sums its per-channel partial sums over the replicas between its two passes,
// through the reducer the replica's thread installed (setBatchNormCollective),
// so every shard normalises with the whole batch's statistics and gradient terms.
// The scale and offset gradients stay this shard's: the replicas' are summed
// with every other gradient.
//
// This module is backend-neutral: the kernel names, the maths per channel, the
// gradient, and the cpu backend's kernels, the reference every other backend's
// kernels are tested against (wasm: backend/wasm-batch-norm.ts). A backend
// without the kernels trains through the same maths as tf ops (batchNormTraining).
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelConfig, TensorInfo } from './kernel-types';

export const BATCH_NORM_TRAINING = 'BatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'BatchNormTrainingGrad';
/**
 * The layer's moving statistics after a training step, both in one kernel
 * (tfjs-layers' rule, value − (value − statistic)·(1 − momentum), is 3 kernels
 * per statistic as tf ops: on webgpu 6 dispatches per layer and step):
 *   BatchNormMovingAverages (movingMean, movingVariance, mean, variance; momentum) → (movingMean', movingVariance')
 */
export const BATCH_NORM_MOVING_AVERAGES = 'BatchNormMovingAverages';

export type FusedActivation = 'linear' | 'relu';

export interface BatchNormTrainingAttrs {
  /** Added to the variance before its square root. */
  epsilon: number;
  /** Applied to the normalised output (and its gradient fused into the backward pass). */
  activation: FusedActivation;
  /** Non-empty: the label under which the replicas of a data-parallel step sum their statistics. */
  collective: string;
}


/** Sums `values` element-wise over the replicas of a data-parallel step; every replica calls it with the same label. */
export type ReplicaReducer = (label: string, values: Float64Array) => Float64Array;

let replicaReducer: ReplicaReducer | null = null;

/** Installs (or, with null, removes) this thread's reducer for kernels whose attrs name a collective. */
export function setBatchNormCollective(reduce: ReplicaReducer | null): void {
  replicaReducer = reduce;
}

/** The whole batch's sums: this shard's alone, or summed over the replicas. */
export function acrossReplicas(attrs: BatchNormTrainingAttrs, phase: 'statistics' | 'gradient', local: Float64Array): Float64Array {
  if (!attrs.collective) return local;
  if (!replicaReducer) throw new Error(`${BATCH_NORM_TRAINING} '${attrs.collective}': no data-parallel reducer on this thread`);
  return replicaReducer(`${attrs.collective}/${phase}`, local);
}

/** The channel count and the rows of x seen as [rows, channels]. */
export function rowsAndChannels(shape: readonly number[]): [number, number] {
  const channels = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / channels, channels];
}

/** The activation's output floor: y = max(value, floor). */
export function activationFloor(activation: FusedActivation): number {
  return activation === 'relu' ? 0 : -Infinity;
}

export interface BatchStatistics {
  mean: Float32Array;
  variance: Float32Array;
  /** Rows of the whole batch (every shard's). */
  rows: number;
}

/** From [Σx (C), Σx² (C), rows] (float64, the whole batch's): the mean and biased variance, rounded to float32. */
export function statisticsFromSums(sums: Float64Array, channels: number): BatchStatistics {
  const rows = sums[2 * channels];
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = sums[c] / rows;
    mean[c] = m;
    variance[c] = Math.max(0, sums[channels + c] / rows - m * m);
  }
  return { mean, variance, rows };
}

/** [Σx, Σx², rows] from the sums of d = x − shift (Σd, Σd²) over `rows` rows. */
export function unshiftedSums(shifted: Float64Array, shift: ArrayLike<number>, channels: number, rows: number): Float64Array {
  const sums = new Float64Array(2 * channels + 1);
  for (let c = 0; c < channels; c++) {
    const s = shift[c];
    const d = shifted[c];
    sums[c] = d + rows * s;
    sums[channels + c] = shifted[channels + c] + 2 * s * d + rows * s * s;
  }
  sums[2 * channels] = rows;
  return sums;
}

/** 1/√(variance + ε) per channel. */
export function inverseStd(variance: ArrayLike<number>, epsilon: number): Float64Array {
  return Float64Array.from(variance as ArrayLike<number>, (v) => 1 / Math.sqrt(v + epsilon));
}

/** Forward coefficients per channel, float32[3C]: mean, scale·r, offset (y = (x − mean)·a + offset). */
export function forwardCoefficients(stats: BatchStatistics, scale: ArrayLike<number>, offset: ArrayLike<number>, epsilon: number): Float32Array {
  const channels = stats.mean.length;
  const r = inverseStd(stats.variance, epsilon);
  const k = new Float32Array(3 * channels);
  for (let c = 0; c < channels; c++) {
    k[c] = stats.mean[c];
    k[channels + c] = scale[c] * r[c];
    k[2 * channels + c] = offset[c];
  }
  return k;
}

export interface GradientTerms {
  /** Per channel, float32[4C]: mean, a, b, d with dx = a·g − b − (x − mean)·d. */
  coefficients: Float32Array;
  dscale: Float32Array;
  doffset: Float32Array;
}

/**
 * From this shard's [Σg (C), Σg·(x − mean) (C), rows]: the scale and offset
 * gradients (this shard's) and the dx coefficients (from the whole batch's sums).
 */
export function gradientTerms(attrs: BatchNormTrainingAttrs, local: Float64Array, mean: ArrayLike<number>, variance: ArrayLike<number>, scale: ArrayLike<number>): GradientTerms {
  const channels = mean.length;
  const whole = acrossReplicas(attrs, 'gradient', local);
  const rows = whole[2 * channels];
  const r = inverseStd(variance, attrs.epsilon);
  const coefficients = new Float32Array(4 * channels);
  const dscale = new Float32Array(channels);
  const doffset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const a = scale[c] * r[c];
    coefficients[c] = mean[c];
    coefficients[channels + c] = a;
    coefficients[2 * channels + c] = (a * whole[c]) / rows;
    coefficients[3 * channels + c] = (a * r[c] * r[c] * whole[channels + c]) / rows;
    dscale[c] = local[channels + c] * r[c];
    doffset[c] = local[c];
  }
  return { coefficients, dscale, doffset };
}

// ---- the reference: plain loops, the cpu backend's kernels ----

export interface ForwardResult {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** The forward kernel over plain arrays (x as [rows, channels]). */
export function forwardReference(x: Float32Array, channels: number, scale: ArrayLike<number>, offset: ArrayLike<number>, attrs: BatchNormTrainingAttrs): ForwardResult {
  const local = new Float64Array(2 * channels + 1);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    local[c] += x[i];
    local[channels + c] += x[i] * x[i];
  }
  local[2 * channels] = x.length / channels;
  const stats = statisticsFromSums(acrossReplicas(attrs, 'statistics', local), channels);
  const k = forwardCoefficients(stats, scale, offset, attrs.epsilon);
  const floor = activationFloor(attrs.activation);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    y[i] = Math.max((x[i] - k[c]) * k[channels + c] + k[2 * channels + c], floor);
  }
  return { y, mean: stats.mean, variance: stats.variance };
}

export interface BackwardResult {
  dx: Float32Array;
  dscale: Float32Array;
  doffset: Float32Array;
}

/** The gradient kernel over plain arrays (x, dy and y as [rows, channels]). */
export function backwardReference(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array,
  scale: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  attrs: BatchNormTrainingAttrs,
): BackwardResult {
  const channels = mean.length;
  const relu = attrs.activation === 'relu';
  const g = Float32Array.from(dy, (d, i) => (!relu || y[i] > 0 ? d : 0));
  const local = new Float64Array(2 * channels + 1);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    local[c] += g[i];
    local[channels + c] += g[i] * (x[i] - mean[c]);
  }
  local[2 * channels] = x.length / channels;
  const terms = gradientTerms(attrs, local, mean, variance, scale);
  const k = terms.coefficients;
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    dx[i] = g[i] * k[channels + c] - k[2 * channels + c] - (x[i] - k[c]) * k[3 * channels + c];
  }
  return { dx, dscale: terms.dscale, doffset: terms.doffset };
}

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

const valuesOf = (backend: CpuBackend, info: TensorInfo) => backend.data.get(info.dataId).values as Float32Array;

function cpuForward({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const cpu = backend as unknown as CpuBackend;
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', TensorInfo>;
  const channels = x.shape[x.shape.length - 1];
  const out = forwardReference(valuesOf(cpu, x), channels, valuesOf(cpu, scale), valuesOf(cpu, offset), attrs as unknown as BatchNormTrainingAttrs);
  return [cpu.makeTensorInfo([...x.shape], 'float32', out.y), cpu.makeTensorInfo([channels], 'float32', out.mean), cpu.makeTensorInfo([channels], 'float32', out.variance)];
}

function cpuBackward({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const cpu = backend as unknown as CpuBackend;
  const { dy, x, scale, mean, variance, y } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance' | 'y', TensorInfo>;
  const v = (info: TensorInfo) => valuesOf(cpu, info);
  const out = backwardReference(v(dy), v(x), v(y), v(scale), v(mean), v(variance), attrs as unknown as BatchNormTrainingAttrs);
  const channels = mean.shape[0];
  return [cpu.makeTensorInfo([...x.shape], 'float32', out.dx), cpu.makeTensorInfo([channels], 'float32', out.dscale), cpu.makeTensorInfo([channels], 'float32', out.doffset)];
}

/** The moving averages over plain arrays: value − (value − statistic)·(1 − momentum), rounded to float32 at each step as tf ops are. */
export function movingAveragesReference(moving: Float32Array, statistic: Float32Array, momentum: number): Float32Array {
  const decay = Math.fround(1 - momentum);
  return Float32Array.from(moving, (value, c) => Math.fround(value - Math.fround(Math.fround(value - statistic[c]) * decay)));
}

function cpuMovingAverages({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const cpu = backend as unknown as CpuBackend;
  const { movingMean, movingVariance, mean, variance } = inputs as Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', TensorInfo>;
  const { momentum } = attrs as unknown as { momentum: number };
  const update = (moving: TensorInfo, statistic: TensorInfo) => cpu.makeTensorInfo([...moving.shape], 'float32', movingAveragesReference(valuesOf(cpu, moving), valuesOf(cpu, statistic), momentum));
  return [update(movingMean, mean), update(movingVariance, variance)];
}

/**
 * The moving mean and variance after a step with these batch statistics. On a
 * backend without the kernel: the same rule as tf ops.
 */
export function batchNormMovingAverages(movingMean: tf.Tensor, movingVariance: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, momentum: number): [tf.Tensor, tf.Tensor] {
  if (tf.getKernel(BATCH_NORM_MOVING_AVERAGES, tf.getBackend())) {
    return tf.engine().runKernel(BATCH_NORM_MOVING_AVERAGES, { movingMean, movingVariance, mean, variance }, { momentum }) as [tf.Tensor, tf.Tensor];
  }
  const update = (moving: tf.Tensor, statistic: tf.Tensor) => tf.sub(moving, tf.mul(tf.sub(moving, statistic), 1 - momentum));
  return [update(movingMean, mean), update(movingVariance, variance)];
}

const gradient: Parameters<typeof tf.registerGradient>[0] = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    // The engine hands zeros for the statistics' gradients: they feed the moving averages only.
    const dy = (dys as tf.Tensor[])[0];
    const [x, scale, y, mean, variance] = saved;
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, scale, mean, variance, y }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};

let registered = false;

/** Registers the gradient and the cpu kernels (once per process; other backends register theirs). */
export function registerBatchNormTraining(): void {
  if (registered) return;
  tf.registerGradient(gradient);
  tf.registerKernel({ kernelName: BATCH_NORM_TRAINING, backendName: 'cpu', kernelFunc: cpuForward as KernelConfig['kernelFunc'] });
  tf.registerKernel({ kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'cpu', kernelFunc: cpuBackward as KernelConfig['kernelFunc'] });
  tf.registerKernel({ kernelName: BATCH_NORM_MOVING_AVERAGES, backendName: 'cpu', kernelFunc: cpuMovingAverages as KernelConfig['kernelFunc'] });
  registered = true;
}

export interface BatchNormTrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Batch norm of x over every axis but the last, with the batch's statistics, the
 * activation fused in. On a backend without the kernels: the same maths as tf
 * ops (one thread only: the collectives need the kernels).
 */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, attrs: BatchNormTrainingAttrs): BatchNormTrainingResult {
  if (tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend())) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  if (attrs.collective) throw new Error(`${BATCH_NORM_TRAINING} has no kernel on the ${tf.getBackend()} backend, which data-parallel batch norm needs`);
  return tf.tidy(() => {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const normed = tf.batchNorm(x, mean, variance, offset, scale, attrs.epsilon);
    return { y: attrs.activation === 'relu' ? tf.relu(normed) : normed, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
