// Training kernels for the wasm backend. tfjs-backend-wasm 4.22 has no
// Conv2DBackpropFilter (so no conv net can train on it), and its
// Conv2DBackpropInput is a naive loop about 10x slower than the XNNPACK forward
// conv. Both gradients are rewritten here as forward operations:
//   input gradient  = a stride-1 conv of dy spread by the stride and padded, with
//                     the filter flipped in space and in/out channels swapped: in
//                     the SIMD module (convStride1) where the layer's input
//                     channels are a multiple of 8, else an XNNPACK forward conv;
//   filter gradient = a product per tap row over x and dy in place, in the SIMD
//                     module (filterGradient: no im2col, no packing) where outC
//                     is a multiple of 8; else colsᵀ · dy, one XNNPACK product,
//                     with the columns of x (im2col) gathered by the SIMD module;
//                     where that module is missing, a conv over transposed
//                     tensors: x as [inC, h, w, batch] with dy as a
//                     [outH, outW, batch, outC] "filter" dilated by the stride.
// The kernels call tf ops; inside a kernel the engine records no gradient tape, so
// they behave exactly like built-in kernels. Every other kernel the training loop
// needs (Conv2D, MaxPool/MaxPoolGrad, AvgPool/AvgPoolGrad, FusedBatchNorm and the
// ops of its gradient, matmul, softmax/log-sum-exp, the optimizers' element-wise
// ops) is present in tfjs-backend-wasm 4.22; test/unit/engine/backend checks a
// training step against the cpu backend. Some of those present are replaced
// where they are slow for training: Sum and Mean over leading axes
// (wasm-reductions.ts), MaxPoolGrad of non-overlapping windows
// (wasm-max-pool-grad.ts), Exp and Tanh (wasm-elementwise.ts), products with a transposed
// operand (wasm-matmul.ts), Identity and Cast to the same type (below). The fused training ops
// (engine/ops/: batch norm, the optimiser's update) get their wasm kernels here
// too (wasm-batch-norm.ts, wasm-optimizer-update.ts); the heavy passes run in
// WebAssembly SIMD on the backend's heap (wasm-simd.ts, simd/training.wat).
import * as tf from '@tensorflow/tfjs';
import { wasmMaxPoolGradKernel } from './wasm-max-pool-grad';
import { wasmReductionKernels } from './wasm-reductions';
import { insertZeros } from '../kernels/conv-geometry';
import { wasmTransposedMatMulKernel } from './wasm-matmul';
import { wasmElementwiseKernels } from './wasm-elementwise';
import { simdFor, type WasmBackend } from './wasm-simd';
import { WASM_BATCH_NORM_KERNELS } from './wasm-batch-norm';
import { wasmOptimizerUpdateKernel } from './wasm-optimizer-update';

import { asTensor, type KernelConfig, type TensorInfo } from '../ops/kernel-types';
type ConvAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

const BACKEND = 'wasm';

function requireNhwc(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports dataFormat NHWC only, got NCHW`);
}

/**
 * Pads (or, for a negative amount, crops) the two spatial axes of an NHWC tensor.
 * The input-gradient window can reach past the spread dy (crop) or fall short (pad).
 */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const padded = tf.pad(t, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
  const [b, h, w, c] = padded.shape;
  const cropTop = Math.max(-top, 0);
  const cropLeft = Math.max(-left, 0);
  const height = h - cropTop - Math.max(-bottom, 0);
  const width = w - cropLeft - Math.max(-right, 0);
  if (cropTop === 0 && cropLeft === 0 && height === h && width === w) return padded;
  return tf.slice(padded, [0, cropTop, cropLeft, 0], [b, height, width, c]);
}

/**
 * The filter rotated 180° in space with its channels swapped, [kh, kw, in, out] →
 * [kh, kw, out, in], in one pass over the heap: the wasm package's Reverse is a
 * generic per-element loop (3.3 ms for the reference CNN's [3, 3, 64, 128]).
 */
function flippedFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, inC, outC] = filter.shape;
  const backend = tf.backend() as unknown as WasmBackend;
  const out = backend.makeOutput([kh, kw, outC, inC], 'float32');
  // Views after the allocation, which may have grown (and detached) the heap.
  const [src, dst] = [backend.typedArrayFromHeap(filter as unknown as TensorInfo), backend.typedArrayFromHeap(out)];
  const tap = inC * outC;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * tap;
      const to = ((kh - 1 - i) * kw + (kw - 1 - j)) * tap;
      for (let ci = 0; ci < inC; ci++) for (let co = 0; co < outC; co++) dst[to + co * inC + ci] = src[from + ci * outC + co];
    }
  }
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
}

/**
 * The filter rotated 180° in space with its channels swapped, packed for the SIMD
 * module's convStride1 by blocks of 8 of its output channels (the layer's input
 * channels): packed[o / 8][(i·kw + j)·outC + c][o % 8] = filter[kh − 1 − i, kw − 1 − j, o, c].
 */
function packedFlippedFilter(filter: tf.Tensor4D): TensorInfo {
  const [kh, kw, inC, outC] = filter.shape;
  const backend = tf.backend() as unknown as WasmBackend;
  const out = backend.makeOutput([inC / 8, kh * kw * outC, 8], 'float32');
  const [src, dst] = [backend.typedArrayFromHeap(filter as unknown as TensorInfo), backend.typedArrayFromHeap(out)];
  const taps = kh * kw * outC;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * inC * outC;
      const tap = (i * kw + j) * outC;
      for (let o = 0; o < inC; o++) {
        const block = (o >> 3) * taps * 8 + (o & 7);
        for (let c = 0; c < outC; c++) dst[block + (tap + c) * 8] = src[from + o * outC + c];
      }
    }
  }
  return out;
}

/**
 * dy spread by the stride and padded (or cropped) so that a stride-1 valid convolution
 * of it with the flipped filter is dx: output row r of dx reads spread rows
 * r + top − (kh − 1) … r + top, so the window for all inH rows spans inH + kh − 1 rows
 * starting at top − (kh − 1).
 */
function inputGradientWindow(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const spread = insertZeros(dy, 1, [info.strideHeight, info.strideWidth]);
  const { top, left } = info.padInfo;
  const padTop = info.filterHeight - 1 - top;
  const padLeft = info.filterWidth - 1 - left;
  const padBottom = info.inHeight + info.filterHeight - 1 - padTop - spread.shape[1];
  const padRight = info.inWidth + info.filterWidth - 1 - padLeft - spread.shape[2];
  return padOrCrop(spread, padTop, padBottom, padLeft, padRight);
}

/** dx = conv(spread(dy) padded, reverse(filter) with channels swapped), an XNNPACK forward conv. */
export function conv2dBackpropInputAsForwardConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return tf.tidy(() => tf.conv2d(inputGradientWindow(dy, info), flippedFilter(filter), 1, 'valid'));
}

/**
 * The same convolution by the SIMD module's convStride1 (simd/training.wat), with the
 * flipped filter packed by blocks of 8 channels: the same arithmetic in the same order
 * as XNNPACK's (equal results on the reference CNN's layers), without its operator
 * set-up and packing per call; measured 1.2–1.3× faster there (batch 32, same process,
 * interleaved: 18.8 → 15.5, 15.4 → 11.6 ms). Null where the SIMD module is missing or
 * the layer's input channels are not a multiple of 8.
 */
export function conv2dBackpropInputDirect(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D | null {
  const [kh, kw, inC, outC] = filter.shape;
  if (inC % 8 !== 0 || dy.size === 0) return null;
  const backend = tf.backend() as unknown as WasmBackend;
  const simd = simdFor(backend);
  if (!simd) return null;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return tf.tidy(() => {
    const window = inputGradientWindow(dy, info);
    // A tensor, so the tidy frees it.
    const packed = tf.engine().makeTensorFromTensorInfo(packedFlippedFilter(filter));
    const dx = backend.makeOutput(inputShape, 'float32');
    const [batch, height, width] = window.shape;
    simd.passes.convStride1(simd.address(window), simd.address(packed), simd.address(dx), batch, height, width, outC, kh, kw, info.inHeight, info.inWidth, inC);
    return tf.engine().makeTensorFromTensorInfo(dx) as tf.Tensor4D;
  });
}

/** dw = conv(x as [inC, h, w, batch], dy as [outH, outW, batch, outC] dilated by the stride). */
export function conv2dBackpropFilterAsForwardConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return tf.tidy(() => {
    const { top, bottom, left, right } = info.padInfo;
    const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
    const full = tf.conv2d(xT, dyT, 1, pad, 'NHWC', [info.strideHeight, info.strideWidth]);
    // The padded input may extend past the last tap (valid padding with a stride
    // that does not divide evenly): keep the kh × kw taps.
    const [inC, , , outC] = full.shape;
    const taps = tf.slice(full, [0, 0, 0, 0], [inC, info.filterHeight, info.filterWidth, outC]);
    return tf.transpose(taps, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

const conv2dBackpropInputKernel: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    requireNhwc('Conv2DBackpropInput', a);
    return tf.tidy(() => {
      const [dy, filter] = [asTensor<tf.Rank.R4>(inputs.dy as TensorInfo, backend), asTensor<tf.Rank.R4>(inputs.filter as TensorInfo, backend)];
      return conv2dBackpropInputDirect(dy, filter, a.inputShape, a) ?? conv2dBackpropInputAsForwardConv(dy, filter, a.inputShape, a);
    });
  },
};

/** Columns of at most this many floats per product (64 MiB): larger batches are summed over chunks of images. */
const MAX_COLUMN_FLOATS = 16 * 1024 * 1024;

/**
 * dw = colsᵀ · dy: the columns of x (im2col, built transposed by a SIMD-module
 * gather) times dy as a [pixels, outC] matrix, one XNNPACK product. The
 * conv formulation above hands XNNPACK a "filter" the size of dy, which it
 * packs and streams again for every tile of output rows; as a product the same
 * arithmetic measured 1.3–1.6× faster on the reference CNN's layers (same
 * process, back to back). Null where the SIMD module is missing.
 */
export function conv2dBackpropFilterAsMatMul(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
  maxColumnFloats = MAX_COLUMN_FLOATS,
): tf.Tensor4D | null {
  const backend = tf.backend() as unknown as WasmBackend;
  const simd = simdFor(backend);
  if (!simd) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [kh, kw, inC, outC] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const pixelsPerImage = info.outHeight * info.outWidth;
  const taps = kh * kw * inC;
  const imagesPerChunk = Math.max(1, Math.floor(maxColumnFloats / (taps * pixelsPerImage)));
  return tf.tidy(() => {
    const padded = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
    const [batch, height, width] = padded.shape;
    const parts: tf.Tensor[] = [];
    for (let first = 0; first < batch; first += imagesPerChunk) {
      const images = Math.min(imagesPerChunk, batch - first);
      const chunk = images === batch ? padded : tf.slice(padded, [first, 0, 0, 0], [images, height, width, inC]);
      const cols = backend.makeOutput([taps, images * pixelsPerImage], 'float32');
      simd.passes.im2colTransposed(simd.address(chunk), simd.address(cols), images, height, width, inC, kh, kw, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth);
      const rows = images === batch ? dy : tf.slice(dy, [first, 0, 0, 0], [images, info.outHeight, info.outWidth, outC]);
      parts.push(tf.matMul(tf.engine().makeTensorFromTensorInfo(cols), tf.reshape(rows, [images * pixelsPerImage, outC])));
    }
    return tf.reshape(parts.length === 1 ? parts[0] : tf.addN(parts), filterShape) as tf.Tensor4D;
  });
}

/**
 * Pixels per block of the direct filter gradient (rounded to whole output rows): a
 * block's strip of dy for 8 output channels is 16 KiB, held in L1 across every tap.
 * 512 measured as fast as 256 on the reference CNN's layers and faster on the first
 * (3 channels); 64, 1024 and 4096 slower.
 */
const BLOCK_PIXELS = 512;

/**
 * dw straight from x and dy by the SIMD module's filterGradient (simd/training.wat):
 * a product per tap row read in place, blocked over the pixels. The XNNPACK product
 * above first writes the columns of x (9× x's size for a 3×3 filter) and packs dy, its
 * "weights", anew every call; measured on the reference CNN's layers (batch 32, same
 * process, back to back) this is 1.07–1.4× faster (2.8 → 2.0, 10.3 → 7.8, 9.8 → 9.2 ms).
 * Null where the SIMD module is missing or outC is not a multiple of 8.
 */
export function conv2dBackpropFilterDirect(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
  blockPixels = BLOCK_PIXELS,
): tf.Tensor4D | null {
  const [kh, kw, inC, outC] = filterShape;
  if (outC % 8 !== 0 || dy.size === 0) return null;
  const backend = tf.backend() as unknown as WasmBackend;
  const simd = simdFor(backend);
  if (!simd) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  return tf.tidy(() => {
    const padded = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
    const [batch, height, width] = padded.shape;
    const dw = backend.makeOutput(filterShape, 'float32');
    const blockRuns = Math.max(1, Math.round(blockPixels / info.outWidth));
    simd.passes.filterGradient(
      simd.address(padded), simd.address(dy), simd.address(dw), batch, height, width, inC,
      kh, kw, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, outC, blockRuns,
    );
    return tf.engine().makeTensorFromTensorInfo(dw) as tf.Tensor4D;
  });
}

const conv2dBackpropFilterKernel: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    requireNhwc('Conv2DBackpropFilter', a);
    return tf.tidy(() => {
      const [x, dy] = [asTensor<tf.Rank.R4>(inputs.x as TensorInfo, backend), asTensor<tf.Rank.R4>(inputs.dy as TensorInfo, backend)];
      return conv2dBackpropFilterDirect(x, dy, a.filterShape, a) ?? conv2dBackpropFilterAsMatMul(x, dy, a.filterShape, a) ?? conv2dBackpropFilterAsForwardConv(x, dy, a.filterShape, a);
    });
  },
};

/**
 * Identity without a copy, as the cpu backend does it: the output shares the
 * input's data (tensors are immutable; a variable's assign swaps its data, it
 * never writes into it). The wasm package copies the whole tensor: 85 Identity
 * calls per reference-CNN step (clones in gradients and tidy) cost 10 ms.
 */
export const wasmIdentityKernel: KernelConfig = {
  kernelName: 'Identity',
  backendName: BACKEND,
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as TensorInfo;
    (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

/**
 * Cast to the dtype a tensor already has is Identity (tfjs-core's gradients cast
 * dy to float32 as a matter of course: Identity's, Multiply's). The wasm package
 * copies every time; like the cpu backend, share the data instead. Other casts
 * keep the wasm kernel.
 */
function sameTypeCastKernel(original: KernelConfig): KernelConfig {
  return {
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if ((args.attrs as { dtype?: string }).dtype !== x.dtype) return original.kernelFunc(args);
      return wasmIdentityKernel.kernelFunc({ ...args, inputs: { x } }) as TensorInfo;
    },
  };
}

/** The conv2d gradient kernels registerWasmTrainingKernels installs on the wasm backend (besides the faster kernels and the fused ops). */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [conv2dBackpropInputKernel, conv2dBackpropFilterKernel];

let registered = false;

/** Registers (once per process) the wasm training kernels; call before tf.setBackend('wasm'). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const cast = tf.getKernel('Cast', BACKEND);
  const faster = [...wasmReductionKernels(), wasmMaxPoolGradKernel(), ...wasmElementwiseKernels(), wasmTransposedMatMulKernel(), cast ? sameTypeCastKernel(cast) : null].filter(
    (k): k is KernelConfig => k !== null,
  );
  for (const kernel of [...WASM_TRAINING_KERNELS, ...WASM_BATCH_NORM_KERNELS, wasmOptimizerUpdateKernel, wasmIdentityKernel, ...faster]) {
    // The wasm package registers its own (slow) kernels on import; replace them.
    if (tf.getKernel(kernel.kernelName, BACKEND)) tf.unregisterKernel(kernel.kernelName, BACKEND);
    tf.registerKernel(kernel);
  }
  registered = true;
}
