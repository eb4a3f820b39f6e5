// The wasm backend's kernels of the BatchNormTraining op (ops/batch-norm-training.ts):
// its two passes each way in WebAssembly SIMD over the backend's heap
// (simd/training.wat); the per-channel maths between them is the op module's.
// Channel counts that are not a multiple of 4 run the op's reference loops on
// the same heap (rare: every architecture here has widths in multiples of 8).
import {
  activationFloor,
  backwardReference,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  forwardCoefficients,
  forwardReference,
  gradientTerms,
  rowsAndChannels,
  statisticsFromSums,
  acrossReplicas,
  unshiftedSums,
  type BatchNormTrainingAttrs,
} from '../ops/batch-norm-training';
import type { KernelConfig, TensorInfo } from '../ops/kernel-types';
import { simdFor, type Simd, type WasmBackend } from './wasm-simd';

type ForwardInputs = Record<'x' | 'scale' | 'offset', TensorInfo>;
type BackwardInputs = Record<'dy' | 'x' | 'scale' | 'mean' | 'variance' | 'y', TensorInfo>;

/** Outputs of the given shapes, filled from `values` where given (after every allocation: views may detach). */
function outputs(backend: WasmBackend, shapes: number[][], values: (Float32Array | null)[]): TensorInfo[] {
  const infos = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  infos.forEach((info, i) => {
    const v = values[i];
    if (v) backend.typedArrayFromHeap(info).set(v);
  });
  return infos;
}

/** A zeroed float64[count] in the scratch block, and its address. */
function zeroedAccumulators(simd: Simd, count: number): number {
  const at = simd.scratch(8 * count);
  new Float64Array(simd.heap(), at, count).fill(0);
  return at;
}

function forward(inputs: ForwardInputs, attrs: BatchNormTrainingAttrs, backend: WasmBackend): TensorInfo[] {
  const { x } = inputs;
  const [rows, channels] = rowsAndChannels(x.shape);
  const [scale, offset] = [backend.typedArrayFromHeap(inputs.scale).slice(), backend.typedArrayFromHeap(inputs.offset).slice()];
  const shapes = [[...x.shape], [channels], [channels]];
  const simd = simdFor(backend);
  if (!simd || !simdShape(x)) {
    const out = forwardReference(backend.typedArrayFromHeap(x).slice(), channels, scale, offset, attrs);
    return outputs(backend, shapes, [out.y, out.mean, out.variance]);
  }
  const sums = zeroedAccumulators(simd, 2 * channels);
  // Shift by the first row: the sums of x − x[0] stay small, so Σd² − (Σd)²/n keeps the variance's digits.
  simd.passes.channelMoments(simd.address(x), rows, channels, simd.address(x), sums);
  const shift = backend.typedArrayFromHeap(x).slice(0, channels);
  const local = unshiftedSums(new Float64Array(simd.heap(), sums, 2 * channels), shift, channels, rows);
  const stats = statisticsFromSums(acrossReplicas(attrs, 'statistics', local), channels);
  const k = forwardCoefficients(stats, scale, offset, attrs.epsilon);
  const [y, mean, variance] = outputs(backend, shapes, [null, stats.mean, stats.variance]);
  const table = simd.scratch(4 * k.length);
  new Float32Array(simd.heap(), table, k.length).set(k);
  simd.passes.batchNormApply(simd.address(x), simd.address(y), rows, channels, table, activationFloor(attrs.activation));
  return [y, mean, variance];
}

function backward(inputs: BackwardInputs, attrs: BatchNormTrainingAttrs, backend: WasmBackend): TensorInfo[] {
  const { dy, x, mean, y } = inputs;
  const [rows, channels] = rowsAndChannels(x.shape);
  const read = (info: TensorInfo) => backend.typedArrayFromHeap(info).slice();
  const shapes = [[...x.shape], [channels], [channels]];
  const simd = simdFor(backend);
  if (!simd || !simdShape(x)) {
    const out = backwardReference(read(dy), read(x), read(y), read(inputs.scale), read(mean), read(inputs.variance), attrs);
    return outputs(backend, shapes, [out.dx, out.dscale, out.doffset]);
  }
  const linear = attrs.activation === 'linear' ? 1 : 0;
  // Without an activation the mask reads nothing that matters: any tensor of dy's size will do.
  const masked = linear ? simd.address(dy) : simd.address(y);
  const sums = zeroedAccumulators(simd, 2 * channels);
  simd.passes.batchNormGradSums(simd.address(dy), simd.address(x), masked, rows, channels, simd.address(mean), linear, sums);
  const local = new Float64Array(2 * channels + 1);
  local.set(new Float64Array(simd.heap(), sums, 2 * channels));
  local[2 * channels] = rows;
  const terms = gradientTerms(attrs, local, read(mean), read(inputs.variance), read(inputs.scale));
  const [dx, dscale, doffset] = outputs(backend, shapes, [null, terms.dscale, terms.doffset]);
  const k = terms.coefficients;
  const table = simd.scratch(4 * k.length);
  new Float32Array(simd.heap(), table, k.length).set(k);
  simd.passes.batchNormGradInput(simd.address(dy), simd.address(x), masked, simd.address(dx), rows, channels, table, linear);
  return [dx, dscale, doffset];
}

/** Whether the SIMD passes take x: float32, channels a multiple of 4, at least one row. */
function simdShape(x: TensorInfo): boolean {
  const [rows, channels] = rowsAndChannels(x.shape);
  return x.dtype === 'float32' && channels % 4 === 0 && rows >= 1;
}

const kernel = <I>(kernelName: string, run: (inputs: I, attrs: BatchNormTrainingAttrs, backend: WasmBackend) => TensorInfo[]): KernelConfig => ({
  kernelName,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => run(inputs as unknown as I, attrs as unknown as BatchNormTrainingAttrs, backend as unknown as WasmBackend),
});

/** The BatchNormTraining op's kernels for the wasm backend. */
export const WASM_BATCH_NORM_KERNELS: readonly KernelConfig[] = [kernel(BATCH_NORM_TRAINING, forward), kernel(BATCH_NORM_TRAINING_GRAD, backward)];
