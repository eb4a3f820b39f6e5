// The webgpu kernels of the fused batch-norm ops (ops/batch-norm-training.ts, whose
// cpu kernels are the reference), with x seen as [R rows, C channels]:
//   BatchNormTraining        3 dispatches: per-chunk statistics (one read of x),
//                            their combination per channel (mean, variance), and
//                            y = act((x − mean)·scale·r + offset), r = 1/√(variance + ε)
//   BatchNormTrainingGrad    3 dispatches: per-chunk Σg and Σg·(x − mean), g = dy·act'(y);
//                            per channel dscale, doffset and dx's coefficients; then
//                            dx = a·g − b − (x − mean)·d (a = scale·r, b = a·Σg/R, d = a·r²·Σg(x − mean)/R)
//   BatchNormMovingAverages  1 dispatch for both statistics of a layer
// Rows are split into chunks so that enough workgroups share the reads; each chunk
// keeps its statistics as (mean, M2) from sums shifted by its first row, and the
// chunks combine by the parallel-variance identity, so a large mean never cancels
// a small variance in float32. Channels go 4 at a time (vec4) when C allows.
import type { BatchNormTrainingAttrs } from '../../ops/batch-norm-training';
import { BATCH_NORM_MOVING_AVERAGES, BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, rowsAndChannels } from '../../ops/batch-norm-training';
import type { KernelArgs, KernelConfig } from '../../ops/kernel-types';
import { FLAT_INDEX, FLAT_MAIN, flatWorkgroups, kernelBindings, runKernel, type Kernel, type StorageBinding, type TensorInfo, type WebGpuBackendInternals } from './runtime';

const LANES = 16;

interface Layout {
  rows: number;
  channels: number;
  vec: 1 | 4;
  /** Channel vectors: channels / vec. */
  cv: number;
  chunks: number;
  chunkRows: number;
}

/** Chunks of at least 64 rows, as many as it takes for about 512 workgroups. */
function layoutOf(shape: readonly number[]): Layout {
  const [rows, channels] = rowsAndChannels(shape);
  const vec: 1 | 4 = channels % 4 === 0 ? 4 : 1;
  const cv = channels / vec;
  const blocks = Math.ceil(cv / LANES);
  const chunks = Math.max(1, Math.min(Math.ceil(rows / 64), Math.ceil(512 / blocks)));
  const chunkRows = Math.ceil(rows / chunks);
  return { rows, channels, vec, cv, chunks: Math.ceil(rows / chunkRows), chunkRows };
}

const t = (vec: 1 | 4) => (vec === 4 ? 'vec4<f32>' : 'f32');
const scalars = (...names: string[]): StorageBinding[] => names.map((name) => [name, 'f32']);

const LAYOUT_UNIFORMS = [
  ['R', 'i32'],
  ['C', 'i32'],
  ['CV', 'i32'],
  ['chunks', 'i32'],
  ['chunkRows', 'i32'],
] as const;

function layoutValues(l: Layout): Record<string, number> {
  return { R: l.rows, C: l.channels, CV: l.cv, chunks: l.chunks, chunkRows: l.chunkRows };
}

/**
 * Per chunk of rows and per channel, two sums reduced over the chunk's rows: workgroups
 * of 16 channel lanes × 16 row lanes, a tree over the row lanes, one write per
 * channel to P[chunk][2][C]. `terms` sets t1, t2 for row r (it may read the
 * thread's `shift`); `finish` turns the sums s1, s2 over n rows into v1, v2.
 */
function chunkSumsKernel(key: string, vec: 1 | 4, inputs: string[], terms: string, finish: string, shift: boolean): Kernel {
  const T = t(vec);
  const kernel: Kernel = {
    key: `bnsums_${key}_${vec}`,
    uniforms: LAYOUT_UNIFORMS,
    wgsl: () => `
${kernelBindings(kernel, [['P', 'f32']], inputs.map((name) => [name, T] as const))}
var<workgroup> w1: array<${T}, ${LANES * LANES}>;
var<workgroup> w2: array<${T}, ${LANES * LANES}>;

@compute @workgroup_size(${LANES}, ${LANES}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let cv = i32(wid.x) * ${LANES} + i32(lid.x);
  let chunk = i32(wid.y);
  let r0 = chunk * u.chunkRows;
  let r1 = min(u.R, r0 + u.chunkRows);
  var s1 = ${T}(0.0);
  var s2 = ${T}(0.0);
  if (cv < u.CV) {
    ${shift ? 'let shift = X[r0 * u.CV + cv];' : ''}
    for (var r = r0 + i32(lid.y); r < r1; r = r + ${LANES}) {
      let i = r * u.CV + cv;
${terms}
      s1 = s1 + t1;
      s2 = s2 + t2;
    }
  }
  let slot = i32(lid.y) * ${LANES} + i32(lid.x);
  w1[slot] = s1;
  w2[slot] = s2;
  workgroupBarrier();
  for (var stride = ${LANES / 2}; stride > 0; stride = stride / 2) {
    if (i32(lid.y) < stride) {
      w1[slot] = w1[slot] + w1[slot + stride * ${LANES}];
      w2[slot] = w2[slot] + w2[slot + stride * ${LANES}];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && cv < u.CV) {
    let n = f32(r1 - r0);
    let s1 = w1[slot];
    let s2 = w2[slot];
    ${shift ? 'let shift = X[r0 * u.CV + cv];' : ''}
${finish}
    for (var c = 0; c < ${vec}; c = c + 1) {
      P[(chunk * 2) * u.C + cv * ${vec} + c] = ${vec === 4 ? 'v1[c]' : 'v1'};
      P[(chunk * 2 + 1) * u.C + cv * ${vec} + c] = ${vec === 4 ? 'v2[c]' : 'v2'};
    }
  }
}
`,
  };
  return kernel;
}

/** Chunk statistics: mean = shift + Σd/n and M2 = Σd² − (Σd)²/n, d = x − the chunk's first row. */
const statisticsKernel = (vec: 1 | 4) =>
  chunkSumsKernel('stats', vec, ['X'], '      let d = X[i] - shift;\n      let t1 = d;\n      let t2 = d * d;', '    let v1 = shift + s1 / n;\n    let v2 = max(s2 - s1 * s1 / n, ' + t(vec) + '(0.0));', true);

/**
 * What the backward kernels read: y only where the fused ReLU masks the gradient
 * (a binding the shader does not read is not part of its layout).
 */
function gradientInputs(relu: boolean): string[] {
  return relu ? ['DY', 'X', 'Y', 'MEAN'] : ['DY', 'X', 'MEAN'];
}

/** Σg and Σg·(x − mean) per chunk, g = dy masked by the fused ReLU. */
const gradientSumsKernel = (vec: 1 | 4, relu: boolean) =>
  chunkSumsKernel(
    `grad${relu ? 'relu' : ''}`,
    vec,
    gradientInputs(relu),
    `      let g = ${relu ? `select(${t(vec)}(0.0), DY[i], Y[i] > ${t(vec)}(0.0))` : 'DY[i]'};\n      let t1 = g;\n      let t2 = g * (X[i] - MEAN[cv]);`,
    '    let v1 = s1;\n    let v2 = s2;',
    false,
  );

/**
 * Combines the chunks' (mean, M2) per channel: the mean as the first chunk's plus
 * the weighted mean of the others' offsets from it, then M2 = Σ M2_chunk +
 * n_chunk·(mean_chunk − mean)² (the parallel-variance identity, Chan et al.), in
 * two passes over the chunks so that no running update rounds the mean repeatedly.
 */
function combineKernel(): Kernel {
  const kernel: Kernel = {
    key: 'bncombine',
    uniforms: LAYOUT_UNIFORMS,
    wgsl: () => `
${kernelBindings(kernel, scalars('MEAN', 'VARIANCE'), scalars('P'))}
fn rows(k: i32) -> f32 { return f32(min(u.chunkRows, u.R - k * u.chunkRows)); }
${FLAT_MAIN} {
  let c = ${FLAT_INDEX};
  if (c >= u.C) { return; }
  let first = P[c];
  var offsets = 0.0;
  for (var k = 1; k < u.chunks; k = k + 1) {
    offsets = offsets + rows(k) * (P[(k * 2) * u.C + c] - first);
  }
  let mean = first + offsets / f32(u.R);
  var m2 = 0.0;
  for (var k = 0; k < u.chunks; k = k + 1) {
    let delta = P[(k * 2) * u.C + c] - mean;
    m2 = m2 + P[(k * 2 + 1) * u.C + c] + rows(k) * delta * delta;
  }
  MEAN[c] = mean;
  VARIANCE[c] = m2 / f32(u.R);
}
`,
  };
  return kernel;
}

function applyKernel(vec: 1 | 4, relu: boolean): Kernel {
  const T = t(vec);
  const kernel: Kernel = {
    key: `bnapply_${vec}${relu ? 'relu' : ''}`,
    uniforms: [...LAYOUT_UNIFORMS, ['epsilon', 'f32']],
    wgsl: () => `
${kernelBindings(kernel, [['Y', T]], ['X', 'SCALE', 'OFFSET', 'MEAN', 'VARIANCE'].map((name) => [name, T] as const))}
${FLAT_MAIN} {
  let i = ${FLAT_INDEX};
  if (i >= u.R * u.CV) { return; }
  let c = i % u.CV;
  let y = (X[i] - MEAN[c]) * (SCALE[c] * inverseSqrt(VARIANCE[c] + ${T}(u.epsilon))) + OFFSET[c];
  Y[i] = ${relu ? `max(y, ${T}(0.0))` : 'y'};
}
`,
  };
  return kernel;
}

/** dscale = Σg(x − mean)·r, doffset = Σg, and dx's coefficients [a, b, d] per channel (as ops/batch-norm-training.ts's gradientTerms). */
function gradientTermsKernel(): Kernel {
  const kernel: Kernel = {
    key: 'bngradterms',
    uniforms: [...LAYOUT_UNIFORMS, ['epsilon', 'f32']],
    wgsl: () => `
${kernelBindings(kernel, scalars('DSCALE', 'DOFFSET', 'COEF'), scalars('P', 'SCALE', 'VARIANCE'))}
${FLAT_MAIN} {
  let c = ${FLAT_INDEX};
  if (c >= u.C) { return; }
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = 0; k < u.chunks; k = k + 1) {
    sg = sg + P[(k * 2) * u.C + c];
    sgx = sgx + P[(k * 2 + 1) * u.C + c];
  }
  let r = inverseSqrt(VARIANCE[c] + u.epsilon);
  let a = SCALE[c] * r;
  DSCALE[c] = sgx * r;
  DOFFSET[c] = sg;
  COEF[c] = a;
  COEF[u.C + c] = a * sg / f32(u.R);
  COEF[2 * u.C + c] = a * r * r * sgx / f32(u.R);
}
`,
  };
  return kernel;
}

function inputGradientKernel(vec: 1 | 4, relu: boolean): Kernel {
  const T = t(vec);
  const kernel: Kernel = {
    key: `bngraddx_${vec}${relu ? 'relu' : ''}`,
    uniforms: LAYOUT_UNIFORMS,
    wgsl: () => `
${kernelBindings(kernel, [['DX', T]], [...gradientInputs(relu), 'COEF'].map((name) => [name, T] as const))}
${FLAT_MAIN} {
  let i = ${FLAT_INDEX};
  if (i >= u.R * u.CV) { return; }
  let c = i % u.CV;
  let g = ${relu ? `select(${T}(0.0), DY[i], Y[i] > ${T}(0.0))` : 'DY[i]'};
  DX[i] = COEF[c] * g - COEF[u.CV + c] - (X[i] - MEAN[c]) * COEF[2 * u.CV + c];
}
`,
  };
  return kernel;
}

function movingAveragesKernel(): Kernel {
  const kernel: Kernel = {
    key: 'bnmoving',
    uniforms: [
      ['C', 'i32'],
      ['decay', 'f32'],
    ],
    wgsl: () => `
${kernelBindings(kernel, scalars('NEW_MEAN', 'NEW_VARIANCE'), scalars('MOVING_MEAN', 'MOVING_VARIANCE', 'MEAN', 'VARIANCE'))}
${FLAT_MAIN} {
  let c = ${FLAT_INDEX};
  if (c >= u.C) { return; }
  NEW_MEAN[c] = MOVING_MEAN[c] - (MOVING_MEAN[c] - MEAN[c]) * u.decay;
  NEW_VARIANCE[c] = MOVING_VARIANCE[c] - (MOVING_VARIANCE[c] - VARIANCE[c]) * u.decay;
}
`,
  };
  return kernel;
}

function disposeAll(backend: WebGpuBackendInternals, infos: TensorInfo[]): void {
  for (const info of infos) (backend as unknown as { disposeData(dataId: object): void }).disposeData(info.dataId);
}

function requireOneThread(attrs: BatchNormTrainingAttrs): void {
  if (attrs.collective) throw new Error(`${BATCH_NORM_TRAINING} '${attrs.collective}': data-parallel batch norm runs on CPU threads, not on webgpu`);
}

function forward({ inputs, attrs, backend: b }: KernelArgs): TensorInfo[] {
  const backend = b as unknown as WebGpuBackendInternals;
  const a = attrs as unknown as BatchNormTrainingAttrs;
  requireOneThread(a);
  const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', TensorInfo>;
  const l = layoutOf(x.shape);
  const values = { ...layoutValues(l), epsilon: a.epsilon };
  const [partial] = runKernel(backend, statisticsKernel(l.vec), [x], [{ shape: [l.chunks, 2, l.channels] }], values, [Math.ceil(l.cv / LANES), l.chunks, 1]);
  const [mean, variance] = runKernel(backend, combineKernel(), [partial], [{ shape: [l.channels] }, { shape: [l.channels] }], values, flatWorkgroups(l.channels));
  const [y] = runKernel(backend, applyKernel(l.vec, a.activation === 'relu'), [x, scale, offset, mean, variance], [{ shape: [...x.shape] }], values, flatWorkgroups(l.rows * l.cv));
  disposeAll(backend, [partial]);
  return [y, mean, variance];
}

function backward({ inputs, attrs, backend: b }: KernelArgs): TensorInfo[] {
  const backend = b as unknown as WebGpuBackendInternals;
  const a = attrs as unknown as BatchNormTrainingAttrs;
  requireOneThread(a);
  const { dy, x, scale, mean, variance, y } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance' | 'y', TensorInfo>;
  const relu = a.activation === 'relu';
  const l = layoutOf(x.shape);
  const values = { ...layoutValues(l), epsilon: a.epsilon };
  const read = relu ? [dy, x, y, mean] : [dy, x, mean];
  const [partial] = runKernel(backend, gradientSumsKernel(l.vec, relu), read, [{ shape: [l.chunks, 2, l.channels] }], values, [Math.ceil(l.cv / LANES), l.chunks, 1]);
  const [dscale, doffset, coefficients] = runKernel(
    backend,
    gradientTermsKernel(),
    [partial, scale, variance],
    [{ shape: [l.channels] }, { shape: [l.channels] }, { shape: [3, l.channels] }],
    values,
    flatWorkgroups(l.channels),
  );
  const [dx] = runKernel(backend, inputGradientKernel(l.vec, relu), [...read, coefficients], [{ shape: [...x.shape] }], values, flatWorkgroups(l.rows * l.cv));
  disposeAll(backend, [partial, coefficients]);
  return [dx, dscale, doffset];
}

function movingAverages({ inputs, attrs, backend: b }: KernelArgs): TensorInfo[] {
  const backend = b as unknown as WebGpuBackendInternals;
  const { movingMean, movingVariance, mean, variance } = inputs as Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', TensorInfo>;
  const channels = mean.shape[0];
  const decay = 1 - (attrs as unknown as { momentum: number }).momentum;
  return runKernel(backend, movingAveragesKernel(), [movingMean, movingVariance, mean, variance], [{ shape: [channels] }, { shape: [channels] }], { C: channels, decay }, flatWorkgroups(channels));
}

export function batchNormKernels(): KernelConfig[] {
  return [
    { kernelName: BATCH_NORM_TRAINING, backendName: 'webgpu', kernelFunc: forward as unknown as KernelConfig['kernelFunc'] },
    { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'webgpu', kernelFunc: backward as unknown as KernelConfig['kernelFunc'] },
    { kernelName: BATCH_NORM_MOVING_AVERAGES, backendName: 'webgpu', kernelFunc: movingAverages as unknown as KernelConfig['kernelFunc'] },
  ];
}
